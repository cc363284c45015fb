//! `--summary-json FILE`: what a writing run committed, as one JSON object written when the run
//! ends, however it ends (replaced whole: written beside the file, then renamed over it), so a
//! runbook can add up the counts of several runs or instances.

use std::io::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use crate::triage::Summary;

/// How a run ended, and what it had committed by then.
#[derive(Debug, Serialize)]
pub struct RunReport<'a> {
    /// `completed`, `failed` or `interrupted`.
    pub outcome: &'static str,
    /// `ask`, `merge-all`, `purge-all` or `apply`.
    pub command: &'static str,
    pub topic: &'a str,
    pub destination: Option<&'a str>,
    pub group: Option<&'a str>,
    /// Nothing was written: the counts say what would have been.
    pub dry_run: bool,
    #[serde(flatten)]
    pub committed: &'a Summary,
    /// Why a failed run stopped.
    pub error: Option<String>,
}

/// Writes `report` to `path`.
///
/// # Errors
/// When the file cannot be written or renamed into place.
pub fn write(path: &Path, report: &RunReport<'_>) -> io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", std::process::id()));
    let partial = Path::new(&partial);
    let written = (|| {
        let mut file = std::fs::File::create(partial)?;
        serde_json::to_writer_pretty(&mut file, report)?;
        file.write_all(b"\n")?;
        file.sync_data()
    })();
    if let Err(error) = written.and_then(|()| std::fs::rename(partial, path)) {
        let _ = std::fs::remove_file(partial);
        return Err(error);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_report_is_one_json_object_with_the_counts_at_its_top() {
        let dir = std::env::temp_dir().join(format!("kmp-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("run.json");
        let committed = Summary {
            merged: 7,
            purged: 2,
            left_alone: BTreeMap::from([("no origin header".to_owned(), 1)]),
            ..Summary::default()
        };
        let report = RunReport {
            outcome: "interrupted",
            command: "merge-all",
            topic: "orders-dlq",
            destination: Some("orders-retry"),
            group: Some("triage"),
            dry_run: false,
            committed: &committed,
            error: None,
        };
        write(&path, &report).unwrap_or_else(|e| panic!("{e}"));
        write(&path, &report).unwrap_or_else(|e| panic!("replaced: {e}"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json["outcome"], "interrupted");
        assert_eq!(json["merged"], 7);
        assert_eq!(json["purged"], 2);
        assert_eq!(json["skipped"], 0);
        assert_eq!(json["left_alone"]["no origin header"], 1);
        assert_eq!(json["group"], "triage");
        assert_eq!(
            std::fs::read_dir(&dir)
                .map(Iterator::count)
                .unwrap_or_default(),
            1,
            "no partial file is left behind"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
