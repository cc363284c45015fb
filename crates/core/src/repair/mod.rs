//! Repair before resend: a record's value (or key) changed before its copy is written — by a
//! person in an editor (`e`), or by a jq expression over a class (`--transform`).
//!
//! The change is made on the decoded form the tool shows (Avro, Protobuf and JSON Schema
//! records as their JSON, JSON as itself, text as text) and written back in the record's own
//! framing and schema, which checks it (`crate::decode::Editable`). What a repaired copy is:
//! the new bytes, every header of the original plus [`REPAIRED`] and [`REPAIRED_FROM`], and the
//! original timestamp; the original stays in the DLQ, decided like any merged record.

use serde::{Deserialize, Serialize};

mod diff;
pub mod editor;
mod repairer;
mod transform;

pub use crate::decode::TargetSchema;
pub use diff::{Change, changes, write_changes};
pub use repairer::{Made, Repaired, Repairer};
pub use transform::Transform;

/// The header of a repaired copy naming what changed it: `edit`, or `jq:` and the first 16 hex
/// digits of the expression's SHA-256.
pub const REPAIRED: &str = "kmp-repaired";
/// The header of a repaired copy holding the SHA-256 (hex) of the original value (or `null`
/// for a tombstone).
pub const REPAIRED_FROM: &str = "kmp-repaired-from";

/// What a repaired copy holds instead of the record's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// What changed it: `edit`, or `jq:<digest>` of a transform.
    pub by: String,
    /// The transform's expression, for plans and their reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The new value's bytes; `None`: the value is the original's.
    #[serde(
        default,
        with = "base64_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Vec<u8>>,
    /// The new key's bytes; `None`: the key is the original's.
    #[serde(
        default,
        with = "base64_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub key: Option<Vec<u8>>,
    /// SHA-256 (hex) of the original value (`null` for none): the copy's [`REPAIRED_FROM`].
    pub original_sha256: String,
    /// What changed, field by field (for the reviewer of a plan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

impl Repair {
    /// This repair, then `newer` on top: each part (value, key) from the newer repair that
    /// changes it, else from this one (a key edited after the value was transformed keeps both).
    #[must_use]
    pub fn then(&self, newer: &Self) -> Self {
        let by = if self.by == newer.by {
            newer.by.clone()
        } else {
            format!("{}+{}", self.by, newer.by)
        };
        let mut changes: Vec<Change> = Vec::new();
        // The older changes of a part the newer repair rewrites are superseded.
        let key_path = |change: &Change| change.path.starts_with("key");
        if newer.value.is_none() {
            changes.extend(self.changes.iter().filter(|c| !key_path(c)).cloned());
        }
        if newer.key.is_none() {
            changes.extend(self.changes.iter().filter(|c| key_path(c)).cloned());
        }
        changes.extend(newer.changes.iter().cloned());
        Self {
            by,
            expression: newer.expression.clone().or_else(|| self.expression.clone()),
            value: newer.value.clone().or_else(|| self.value.clone()),
            key: newer.key.clone().or_else(|| self.key.clone()),
            original_sha256: self.original_sha256.clone(),
            changes,
        }
    }

    /// The repair without its bytes and changes: what made it, and the original's digest.
    #[must_use]
    pub fn summary(&self) -> Self {
        Self {
            by: self.by.clone(),
            expression: self.expression.clone(),
            value: None,
            key: None,
            original_sha256: self.original_sha256.clone(),
            changes: Vec::new(),
        }
    }

    /// What [`REPAIRED`] says of a transform by `expression`.
    #[must_use]
    pub fn by_expression(expression: &str) -> String {
        let digest = sha256_hex(expression.as_bytes());
        format!("jq:{}", digest.get(..16).unwrap_or(&digest))
    }

    /// The SHA-256 (hex) of an original value, `null` for none.
    #[must_use]
    pub fn digest_of(value: Option<&[u8]>) -> String {
        value.map_or_else(|| "null".to_owned(), sha256_hex)
    }

    /// The headers a repaired copy gets besides the original's.
    #[must_use]
    pub fn headers(&self) -> [crate::record::Header; 2] {
        [
            crate::record::Header {
                name: REPAIRED.to_owned(),
                value: Some(self.by.clone().into_bytes()),
            },
            crate::record::Header {
                name: REPAIRED_FROM.to_owned(),
                value: Some(self.original_sha256.clone().into_bytes()),
            },
        ]
    }
}

/// The SHA-256 of `bytes` in lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    crate::decode::text::hex(&sha2::Sha256::digest(bytes))
}

/// Optional bytes as base64 text in plans and journals.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize as _, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` hands the field by reference
    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| STANDARD.decode(text).map_err(serde::de::Error::custom))
            .transpose()
    }
}
