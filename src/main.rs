//! The `kafka-merge-purge` binary: parse, run, report, exit.

use std::process::ExitCode;

use clap::Parser as _;
use kafka_merge_purge::error::{Error, Exit};
use kafka_merge_purge::triage::Interrupt;
use kafka_merge_purge::{app, cli::Cli, ui};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let exit = if error.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
            let _ = error.print();
            return exit.into();
        }
    };
    ui::logging::init(cli.global.verbose);
    let interrupt = Interrupt::new();
    if let Err(error) = app::install_signal_handlers(&interrupt) {
        tracing::warn!("{error:#}");
    }
    match app::run(&cli, &interrupt) {
        Ok(()) => Exit::Success.into(),
        Err(error) => report(&error).into(),
    }
}

fn report(error: &Error) -> Exit {
    match error {
        Error::Config(config) => ui::output::message(&format!("error: {config}")),
        Error::Failed { source, summary } => {
            ui::output::message(&format!("error: {source:#}"));
            if let Some(summary) = summary {
                ui::output::message(&summary.to_string());
            }
        }
        Error::Interrupted { summary } => {
            ui::output::message(
                "Interrupted: the open transaction was aborted; what is below was committed",
            );
            if let Some(summary) = summary {
                ui::output::message(&summary.to_string());
            }
        }
    }
    error.exit()
}
