//! The error type at the top of the program, and the one place that maps errors to exit codes.

use std::process::ExitCode;

use crate::config::ConfigError;
use crate::triage::Summary;

/// Exit status of the program (DESIGN §3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Success,
    /// Something failed; the summary says what was committed.
    Failure,
    /// The command line or the configuration is wrong; nothing was done.
    Usage,
    /// Interrupted by Ctrl-C; what was committed is in the summary.
    Interrupted,
    /// Stopped by SIGTERM (128 + 15, as shells report it); what was committed is in the summary.
    Terminated,
}

impl Exit {
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Interrupted => 130,
            Self::Terminated => 143,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit.code())
    }
}

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// A failure after work began; `summary` tells what had been committed before it.
    #[error("{source:#}")]
    Failed {
        source: anyhow::Error,
        summary: Option<Summary>,
    },

    #[error("interrupted")]
    Interrupted { summary: Option<Summary> },
}

impl Error {
    #[must_use]
    pub fn exit(&self) -> Exit {
        match self {
            Self::Config(_) => Exit::Usage,
            Self::Failed { .. } => Exit::Failure,
            Self::Interrupted { .. } => Exit::Interrupted,
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(source: anyhow::Error) -> Self {
        Self::Failed {
            source,
            summary: None,
        }
    }
}
