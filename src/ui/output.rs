//! The one owner of stdout (data: records, JSON Lines) and stderr (summary, messages).

use std::io::{self, BufWriter, Stdout, Write};

use crate::cli::OutputFormat;
use crate::record::Record;
use crate::triage::{Action, Observer};

use super::render::Renderer;

/// Writes a line to stderr (the summary and messages meant for people).
pub fn message(text: &str) {
    let mut err = io::stderr().lock();
    if let Err(error) = writeln!(err, "{text}") {
        tracing::debug!("cannot write to stderr: {error}");
    }
}

/// Whether to colour what goes to a stream: only a terminal, and never when `NO_COLOR` is set
/// to anything but the empty string (<https://no-color.org>).
#[must_use]
pub fn color_on(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Prints every record to stdout (`print`).
pub struct RecordPrinter {
    out: BufWriter<Stdout>,
    format: OutputFormat,
    renderer: Renderer,
    pub printed: u64,
}

impl RecordPrinter {
    #[must_use]
    pub fn new(format: OutputFormat, renderer: Renderer) -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, io::stdout()),
            format,
            renderer,
            printed: 0,
        }
    }

    /// Flushes stdout.
    ///
    /// # Errors
    /// When stdout is gone.
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Observer for RecordPrinter {
    fn on_action(&mut self, record: &Record, _action: Action) -> anyhow::Result<()> {
        match self.format {
            OutputFormat::Text => {
                self.renderer.write_text(&mut self.out, record)?;
                // Text is for people reading a pipe as it comes.
                self.out.flush()?;
            }
            OutputFormat::Json => self.renderer.write_json_line(&mut self.out, record)?,
        }
        self.printed += 1;
        Ok(())
    }
}

/// Whether `error` comes from writing into a closed pipe (`print | head`): not a failure.
#[must_use]
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
