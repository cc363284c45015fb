//! Logs to stderr through `tracing`: info by default, debug with `-v` (each line with its
//! time), `RUST_LOG` wins; coloured only when stderr is ([`Terminal::color_stderr`]), so
//! runbook and CI logs stay plain.
//! While the full-screen view owns the terminal, log lines are [`hold`]ed and written out
//! once it is closed ([`release`]).

use std::io::{self, Write};
use std::sync::Mutex;

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Stderr)
        .with_ansi(terminal.color_stderr())
        .with_target(verbose);
    // Debug lines carry their time (UTC, to the microsecond), to be read beside the
    // brokers' logs; the default lines are messages to a person.
    let installed = if verbose {
        tracing::subscriber::set_global_default(builder.finish())
    } else {
        tracing::subscriber::set_global_default(builder.without_time().finish())
    };
    if installed.is_err() {
        ui_warn();
    }
}

fn ui_warn() {
    super::output::message("warning: logging was already set up");
}

/// Log lines waiting for the screen to be given back; `None` while they go to stderr.
static HELD: Mutex<Option<Vec<u8>>> = Mutex::new(None);

/// Keeps log lines from stderr until [`release`].
pub fn hold() {
    if let Ok(mut held) = HELD.lock() {
        held.get_or_insert_with(Vec::new);
    }
}

/// Writes out the lines held since [`hold`], and lets the next ones through.
pub fn release() {
    let held = HELD.lock().ok().and_then(|mut held| held.take());
    if let Some(lines) = held {
        let _ = io::stderr().write_all(&lines);
    }
}

/// Stderr, or the held lines.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Ok(mut held) = HELD.lock()
            && let Some(lines) = held.as_mut()
        {
            lines.extend_from_slice(buf);
            return Ok(buf.len());
        }
        io::stderr().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
