//! The plan file (`--plan FILE`, read by `plan show` and `apply`), format version 2 (version 1,
//! read too, is the same without repairs):
//!
//! - line 1, [`PlanHeader`]: `{"kmp-plan":1,"id":…,"topic":…,"group":…,"command":…,
//!   "created_at":…,"user":…,"host":…,"bootstrap_servers":…,"options":{…},"ranges":{…}}`;
//! - one [`PlanLine`] per record the run decided (or left alone), in the order decided;
//! - last, [`PlanEnd`]: `{"kmp-plan-end":{"records":N,"left_out":{…}}}`, so that a file cut
//!   short is known as such.
//!
//! Fields are only ever added within a version; a reader refuses a version it does not know.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::record::TimestampKind;

use super::digest::{from_hex, sha256, to_hex};
use super::file::{FileError, lines, parse};
use crate::repair::Repair;

/// The plan format this build writes: 2 since plans carry repairs (a version-1 reader would
/// ignore them and write the original bytes, so it must refuse such a plan).
pub const PLAN_VERSION: u32 = 2;
/// The oldest plan format this build reads (version 1 has no repairs).
pub const OLDEST_PLAN_VERSION: u32 = 1;

/// The first line: what the plan is about, who made it, when, with which options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanHeader {
    #[serde(rename = "kmp-plan")]
    pub version: u32,
    /// Unique per plan; `apply` puts it in the `kmp-plan` header of the tombstones it writes,
    /// which is how a second `apply` of the same plan knows what the first one did.
    pub id: String,
    pub topic: String,
    pub group: Option<String>,
    /// `ask`, `merge-all` or `purge-all`.
    pub command: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub user: String,
    pub host: String,
    pub bootstrap_servers: String,
    pub options: PlanOptions,
    /// What the run read of each partition, `[start, end)`.
    pub ranges: BTreeMap<i32, [i64; 2]>,
}

/// The options the decisions were made with (what `apply` repeats: the copy's headers and
/// timestamp; the rest is for the reviewer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub destination: Option<String>,
    #[serde(default)]
    pub to_origin: bool,
    #[serde(default)]
    pub allow_origin: Option<String>,
    #[serde(default)]
    pub keep_partition: bool,
    #[serde(default)]
    pub strip_dlq_headers: bool,
    #[serde(default)]
    pub drop_headers: Vec<String>,
    /// `kept` or `now`.
    pub timestamp: String,
    #[serde(default)]
    pub max_replays: Option<u64>,
    #[serde(default)]
    pub merge_tombstones: bool,
    #[serde(default)]
    pub pending: bool,
    #[serde(default)]
    pub dedupe: bool,
    #[serde(default)]
    pub from_beginning: bool,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// What a plan line says of its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanDecision {
    Merge,
    Purge,
    Skip,
    /// Not decided: refused by the redrive options, say (`reason`). `apply` leaves it alone.
    LeftAlone,
}

impl PlanDecision {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merge => "merge",
            Self::Purge => "purge",
            Self::Skip => "skip",
            Self::LeftAlone => "left-alone",
        }
    }
}

/// How a merged copy's headers differ from the record's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderChanges {
    /// Names of the record's headers left out of the copy, in order.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Headers the copy gets (ours), `[name, value]` in order.
    #[serde(default)]
    pub added: Vec<(String, String)>,
}

/// One record and what was decided for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub timestamp_type: Option<TimestampKind>,
    /// Base64; `null` for a null key.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub key_sha256: Option<String>,
    /// `null` for a tombstone.
    #[serde(default)]
    pub value_sha256: Option<String>,
    pub headers_sha256: String,
    pub decision: PlanDecision,
    /// Why a record is skipped without being asked, or left alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_partition: Option<i32>,
    /// Whether carrying it out writes a tombstone for the record in the DLQ.
    #[serde(default)]
    pub tombstone: bool,
    /// The failure class (exception header), for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_changes: Option<HeaderChanges>,
    /// A repaired merge: the bytes `apply` writes instead of the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<PlanRepair>,
}

/// A repair in a plan: the new bytes (base64) and their SHA-256, which `apply` checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRepair {
    #[serde(flatten)]
    pub repair: Repair,
    /// SHA-256 (hex) of the new value's bytes, when the value is repaired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repaired_value_sha256: Option<String>,
    /// SHA-256 (hex) of the new key's bytes, when the key is repaired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repaired_key_sha256: Option<String>,
}

impl PlanRepair {
    /// `repair` with the digests of its bytes.
    #[must_use]
    pub fn of(repair: &Repair) -> Self {
        let digest = |bytes: &Option<Vec<u8>>| bytes.as_deref().map(|bytes| to_hex(&sha256(bytes)));
        Self {
            repaired_value_sha256: digest(&repair.value),
            repaired_key_sha256: digest(&repair.key),
            repair: repair.clone(),
        }
    }

    /// The repair, once its bytes are checked against their digests.
    ///
    /// # Errors
    /// When the bytes and a digest do not agree (the plan was changed by hand, or cut).
    pub fn checked(&self) -> Result<Repair, String> {
        let agrees = |bytes: &Option<Vec<u8>>, digest: &Option<String>| match (bytes, digest) {
            (Some(bytes), Some(digest)) => to_hex(&sha256(bytes)).eq_ignore_ascii_case(digest),
            (None, None) => true,
            _ => false,
        };
        if agrees(&self.repair.value, &self.repaired_value_sha256)
            && agrees(&self.repair.key, &self.repaired_key_sha256)
        {
            Ok(self.repair.clone())
        } else {
            Err("the repaired bytes do not match their digest in the plan".to_owned())
        }
    }
}

/// The last line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEnd {
    /// How many [`PlanLine`]s come before it.
    pub records: u64,
    /// Per partition, records that did not match the filters (they have no line).
    #[serde(default)]
    pub left_out: BTreeMap<i32, u64>,
}

/// The end line as written: `{"kmp-plan-end":{…}}`.
#[derive(Serialize, Deserialize)]
pub(super) struct EndLine {
    #[serde(rename = "kmp-plan-end")]
    pub(super) end: PlanEnd,
}

const END_PREFIX: &str = "{\"kmp-plan-end\"";

/// The topic of the plan at `path`, from its header (checked, version included).
///
/// # Errors
/// As [`PlanReader::open`].
pub fn plan_topic(path: &Path) -> Result<String, FileError> {
    Ok(PlanReader::open(path)?.header.topic)
}

/// A plan read back line by line, each line checked as it comes (a plan of millions of
/// records is never held as text): the header at [`PlanReader::open`], every record line by
/// the iterator, the end line and its count at [`PlanReader::finish`].
pub struct PlanReader {
    path: PathBuf,
    lines: Box<dyn Iterator<Item = Result<(usize, String), FileError>>>,
    pub header: PlanHeader,
    seen: HashSet<(i32, i64)>,
    records: u64,
    end: Option<PlanEnd>,
    last: usize,
}

impl PlanReader {
    /// Opens `path` and reads its header.
    ///
    /// # Errors
    /// An unreadable or empty file, a first line that is not a plan header of a known version.
    pub fn open(path: &Path) -> Result<Self, FileError> {
        let mut all = lines(path)?;
        let header = match all.next() {
            None => return Err(FileError::whole(path, "empty file: not a plan")),
            Some(line) => {
                let (number, text) = line?;
                header(path, number, &text)?
            }
        };
        Ok(Self {
            path: path.to_owned(),
            lines: Box::new(all),
            header,
            seen: HashSet::new(),
            records: 0,
            end: None,
            last: 1,
        })
    }

    /// After the last line: the plan's header and end.
    ///
    /// # Errors
    /// A plan without its end line (cut short).
    pub fn finish(self) -> Result<(PlanHeader, PlanEnd), FileError> {
        let last = self.last;
        let end = self.end.ok_or_else(|| {
            FileError::line(
                &self.path,
                last + 1,
                format!("the plan has no end line after line {last}: the file is truncated"),
            )
        })?;
        Ok((self.header, end))
    }

    fn record(&mut self, number: usize, text: &str) -> Result<PlanLine, FileError> {
        let path = &self.path;
        let line: PlanLine = parse(path, number, text, "plan line")?;
        check_line(&self.header, &line).map_err(|reason| FileError::line(path, number, reason))?;
        if !self.seen.insert((line.partition, line.offset)) {
            return Err(FileError::line(
                path,
                number,
                format!(
                    "partition {} offset {} is planned twice",
                    line.partition, line.offset
                ),
            ));
        }
        self.records += 1;
        Ok(line)
    }
}

impl Iterator for PlanReader {
    type Item = Result<PlanLine, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (number, text) = match self.lines.next()? {
            Ok(line) => line,
            Err(error) => return Some(Err(error)),
        };
        self.last = number;
        if self.end.is_some() {
            return Some(Err(FileError::line(
                &self.path,
                number,
                "a line after the end line of the plan",
            )));
        }
        if !text.starts_with(END_PREFIX) {
            return Some(self.record(number, &text));
        }
        let line: EndLine = match parse(&self.path, number, &text, "plan end line") {
            Ok(line) => line,
            Err(error) => return Some(Err(error)),
        };
        if line.end.records != self.records {
            return Some(Err(FileError::line(
                &self.path,
                number,
                format!(
                    "the end line counts {} record line(s), the file has {}: lines are missing or were added",
                    line.end.records, self.records
                ),
            )));
        }
        self.end = Some(line.end);
        // The end line is the last: one more read says whether anything follows it.
        self.next()
    }
}

fn header(path: &Path, number: usize, text: &str) -> Result<PlanHeader, FileError> {
    let value: serde_json::Value = parse(path, number, text, "plan header")?;
    match value.get("kmp-plan").and_then(serde_json::Value::as_u64) {
        None => Err(FileError::line(
            path,
            number,
            "not a plan: the first line has no \"kmp-plan\" version",
        )),
        Some(version)
            if !(u64::from(OLDEST_PLAN_VERSION)..=u64::from(PLAN_VERSION)).contains(&version) =>
        {
            Err(FileError::line(
                path,
                number,
                format!(
                    "plan format version {version} is unknown to this kafka-merge-purge (it reads versions {OLDEST_PLAN_VERSION} to {PLAN_VERSION})"
                ),
            ))
        }
        Some(_) => parse(path, number, text, "plan header"),
    }
}

fn check_line(header: &PlanHeader, line: &PlanLine) -> Result<(), String> {
    if line.topic != header.topic {
        return Err(format!(
            "a line for topic {}, but the plan is for topic {}",
            line.topic, header.topic
        ));
    }
    if line.partition < 0 || line.offset < 0 {
        return Err(format!(
            "partition {} offset {} is not a record's place",
            line.partition, line.offset
        ));
    }
    for (name, digest) in [
        ("key_sha256", line.key_sha256.as_deref()),
        ("value_sha256", line.value_sha256.as_deref()),
        ("headers_sha256", Some(line.headers_sha256.as_str())),
    ] {
        if let Some(digest) = digest
            && from_hex(digest).is_none()
        {
            return Err(format!("{name} {digest:?} is not a SHA-256 in hex"));
        }
    }
    if line.key.is_some() != line.key_sha256.is_some() {
        return Err("key and key_sha256 must both be given, or both be null".to_owned());
    }
    if let Some(key) = &line.key
        && BASE64.decode(key).is_err()
    {
        return Err(format!("key {key:?} is not base64"));
    }
    if line.decision == PlanDecision::Merge && line.destination.is_none() {
        return Err("a merge without a destination".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
