//! Logs to stderr through `tracing`: info by default, debug with `-v`, `RUST_LOG` wins;
//! coloured only when stderr is ([`Terminal::color_stderr`]), so runbook and CI logs stay plain.

use tracing_subscriber::EnvFilter;

use super::terminal::Terminal;

/// Installs the stderr subscriber.
pub fn init(verbose: bool, terminal: &Terminal) {
    let default = if verbose {
        "debug"
    } else {
        "warn,kafka_merge_purge=info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal.color_stderr())
        .with_target(verbose)
        .without_time()
        .finish();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        ui_warn();
    }
}

fn ui_warn() {
    super::output::message("warning: logging was already set up");
}
