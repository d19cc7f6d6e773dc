//! The `upsignon` binary: parses the command line, loads the configuration,
//! sets up logging, and calls the lifecycle functions of `upsignon-ops`.
//! Nothing else lives here.

mod backups;
mod cli;
mod commands;
mod install;
mod logging;
mod progress;
mod prompts;
mod upgrade;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
