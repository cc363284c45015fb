//! Helpers of the unit tests (compiled for tests only): properties files in a temporary
//! directory, and checks that a message names what it should. The record builder is
//! `Record::test` in `record.rs`.

use std::fmt::Display;
use std::path::PathBuf;

/// Writes `text` into a new temporary directory as `name`; the directory lives as long as
/// the returned guard.
pub fn properties_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Fails unless `message` (an error, usually) mentions every one of `parts`.
#[track_caller]
pub fn assert_mentions(message: &impl Display, parts: &[&str]) {
    let message = message.to_string();
    for part in parts {
        assert!(message.contains(part), "{part:?} not in {message:?}");
    }
}
