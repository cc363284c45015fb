//! The `kafka-merge-purge` binary: parse, run, report, exit.

use std::process::ExitCode;

use clap::Parser as _;
use kafka_merge_purge::error::{Error, Exit};
use kafka_merge_purge::triage::Interrupt;
use kafka_merge_purge::{app, cli::Cli, config, ui};

/// Every allocation of the process goes to jemalloc: Rust's, and librdkafka's too (with
/// `unprefixed_malloc_on_supported_platforms`, `malloc` and `free` are defined in this binary,
/// so the statically linked librdkafka and glibc itself call them). glibc's allocator took a
/// quarter of a bulk merge's CPU time: librdkafka frees on its broker threads what the main
/// thread allocated, and those frees contended for the allocating thread's arena (40,000
/// voluntary context switches per 300,000 records merged, 2,000 with jemalloc). On platforms
/// where the symbols cannot be replaced, only Rust's allocations go to jemalloc; on MSVC, where
/// jemalloc does not build, the system's allocator stays.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    let terminal = ui::terminal::Terminal::detect(cli.global.color);
    ui::logging::init(cli.global.verbose, &terminal);
    let interrupt = Interrupt::new();
    if let Err(error) = app::install_signal_handlers(&interrupt) {
        tracing::warn!("{error:#}");
    }
    let result = config::resolve(&cli, config::librdkafka::classify_property)
        .map_err(Error::from)
        .and_then(|invocation| app::run(&invocation, terminal, &interrupt));
    match result {
        Ok(()) => Exit::Success.into(),
        Err(error) => match report(&error) {
            Exit::Interrupted if interrupt.signal() == 15 => Exit::Terminated.into(),
            exit => exit.into(),
        },
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
            ui::output::message("Interrupted: only what is below was committed");
            if let Some(summary) = summary {
                ui::output::message(&summary.to_string());
            }
        }
    }
    error.exit()
}
