//! `rebuy`: customer segments and purchase predictions from an online store's
//! transaction log. See `rebuy --help` and the README.

mod backtest;
#[cfg(feature = "cluster")]
mod ballista;
mod btyd;
mod cli;
mod convert;
mod customers_csv;
mod demo;
mod exit;
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

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let result = match args.command {
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
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => exit::report(&error),
    }
}
