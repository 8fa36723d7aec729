//! `rebuy`: customer segments and purchase predictions from an online store's
//! transaction log. The command line (`src/main.rs`) and the Python package
//! (`python/`) both go through [`execute`], so a command gives the same files, numbers
//! and one-line errors from either; see `rebuy --help` and the README.

mod backtest;
#[cfg(feature = "cluster")]
mod ballista;
mod btyd;
pub mod cli;
mod convert;
mod customers_csv;
mod demo;
pub mod exit;
mod healthcheck;
mod plots;
mod predict;
mod progress;
mod purchase;
mod run;
mod run_folder;
mod sample;
mod segments;
mod serve;
mod source;
mod users;

use clap::Parser;
use std::ffi::OsString;

/// Runs one command of the command line.
pub fn execute(command: cli::Command) -> anyhow::Result<()> {
    match command {
        cli::Command::Generate(a) => demo::generate(&a),
        cli::Command::Inspect(a) => run::inspect(&a),
        cli::Command::Run(a) => run::run(&a).map(|_| ()),
        cli::Command::Convert(a) => convert::convert(&a),
        cli::Command::Demo(a) => demo::demo(&a),
        cli::Command::Serve(a) => serve::serve_command(&a),
        cli::Command::Predict(a) => predict::predict(&a),
        cli::Command::Score(a) => predict::score(&a),
        cli::Command::Healthcheck(a) => healthcheck::healthcheck(a.addr),
        cli::Command::Users(a) => users::users(&a),
        #[cfg(feature = "cluster")]
        cli::Command::Ballista(a) => ballista::ballista(&a),
    }
}

/// The command line `args` as clap reads it; a command line clap refuses is bad input,
/// with the first line of clap's words (the rest is usage help for a terminal).
fn parse<I, T>(args: I) -> Result<cli::Cli, exit::Failure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    cli::Cli::try_parse_from(args).map_err(|error| exit::Failure {
        message: error
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("error: a bad command line")
            .to_string(),
        status: exit::BAD_INPUT,
    })
}

/// Runs the command line `args` (the program name first, as `std::env::args` gives
/// it) for a caller that is not a terminal, such as the Python package.
pub fn execute_args<I, T>(args: I) -> Result<(), exit::Failure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    execute(parse(args)?.command).map_err(|error| exit::Failure::of(&error))
}

/// The JSON answer of the `rebuy predict` command line `args`, instead of printing it.
pub fn prediction_args<I, T>(args: I) -> Result<String, exit::Failure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match parse(args)?.command {
        cli::Command::Predict(a) => {
            predict::prediction_json(&a).map_err(|error| exit::Failure::of(&error))
        }
        _ => Err(exit::Failure {
            message: "error: not a `rebuy predict` command line".to_string(),
            status: exit::INTERNAL,
        }),
    }
}
