//! Why the schema registry client cannot be set up: a configuration problem, shared by the
//! registry client and its TLS set-up.

use std::path::PathBuf;

/// Why the registry client cannot be set up (a configuration problem).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read the schema registry CA file {}: {source}", path.display())]
    ReadCa {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no usable PEM certificate in the schema registry CA file {}: {reason}", path.display())]
    BadCa { path: PathBuf, reason: String },
    #[error("cannot set up the schema registry client: {0}")]
    Client(String),
}
