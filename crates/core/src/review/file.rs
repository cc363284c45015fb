//! Reading our JSON Lines files back (plans and journals): every problem is a [`FileError`]
//! naming the file and the line, found before anything is written.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Why a plan or journal file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: {reason}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    Whole { path: PathBuf, reason: String },
}

impl FileError {
    pub(super) fn line(path: &Path, line: usize, reason: impl Into<String>) -> Self {
        Self::Line {
            path: path.to_owned(),
            line,
            reason: reason.into(),
        }
    }

    pub(super) fn whole(path: &Path, reason: impl Into<String>) -> Self {
        Self::Whole {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The lines of `path` with their numbers (from 1); a last line without its newline is
/// reported as cut short (a file whose writer was stopped mid-line).
pub(super) fn lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(usize, String), FileError>> + use<>, FileError> {
    let file = File::open(path).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let path = path.to_owned();
    let mut number = 0;
    let mut done = false;
    Ok(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut line = String::new();
        number += 1;
        match reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) if !line.ends_with('\n') => {
                done = true;
                Some(Err(FileError::line(
                    &path,
                    number,
                    "the line is cut short (no newline at its end): the file is truncated",
                )))
            }
            Ok(_) => {
                line.pop();
                if line.ends_with('\r') {
                    line.pop();
                }
                Some(Ok((number, line)))
            }
            Err(source) => {
                done = true;
                Some(Err(match source.kind() {
                    std::io::ErrorKind::InvalidData => {
                        FileError::line(&path, number, "not UTF-8 text")
                    }
                    _ => FileError::Io {
                        path: path.clone(),
                        source,
                    },
                }))
            }
        }
    }))
}

/// `line` (number `number` of `path`) parsed as `T`.
pub(super) fn parse<T: serde::de::DeserializeOwned>(
    path: &Path,
    number: usize,
    line: &str,
    what: &str,
) -> Result<T, FileError> {
    serde_json::from_str(line)
        .map_err(|error| FileError::line(path, number, format!("not a valid {what}: {error}")))
}
