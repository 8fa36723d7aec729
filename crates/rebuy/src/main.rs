//! `rebuy`: customer segments and purchase predictions from an online store's
//! transaction log. See `rebuy --help` and the README.

use clap::Parser;
use rebuy::{cli, exit};

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match rebuy::execute(args.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => exit::report(&error),
    }
}
