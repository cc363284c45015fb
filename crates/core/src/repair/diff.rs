//! A field-by-field diff of two JSON values, as a repair is shown before it is decided.

use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One difference: where, what was there, what is there now (`None`: absent; a JSON `null`
/// is `Some(Value::Null)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub before: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub after: Option<Value>,
}

/// A field that is there holds a value, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The differences from `before` to `after`: objects compared field by field, arrays item by
/// item; anything else (a changed type, a changed scalar) as one change.
#[must_use]
pub fn changes(before: &Value, after: &Value) -> Vec<Change> {
    let mut found = Vec::new();
    walk(String::new(), Some(before), Some(after), &mut found);
    found
}

fn field_path(path: &str, name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{name}")
    } else {
        format!("{path}[{}]", Value::String(name.to_owned()))
    }
}

fn walk(path: String, before: Option<&Value>, after: Option<&Value>, found: &mut Vec<Change>) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            for (name, old) in a {
                walk(field_path(&path, name), Some(old), b.get(name), found);
            }
            for (name, new) in b {
                if !a.contains_key(name) {
                    walk(field_path(&path, name), None, Some(new), found);
                }
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(format!("{path}[{i}]"), a.get(i), b.get(i), found);
            }
        }
        (a, b) if a == b => {}
        (a, b) => found.push(Change {
            path: if path.is_empty() {
                ".".to_owned()
            } else {
                path
            },
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

impl Change {
    /// `.reason: (absent) → "late"`.
    #[must_use]
    pub fn line(&self) -> String {
        let show = |value: &Option<Value>| {
            value
                .as_ref()
                .map_or_else(|| "(absent)".to_owned(), Value::to_string)
        };
        format!(
            "{}: {} → {}",
            self.path,
            show(&self.before),
            show(&self.after)
        )
    }
}

/// The changes, one per line: `  .reason: (absent) → "late"`.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_changes(out: &mut dyn Write, changes: &[Change]) -> std::io::Result<()> {
    for change in changes {
        writeln!(out, "  {}", change.line())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_added_removed_and_changed() {
        let before = json!({"id": 1, "cancelReason": "late", "lines": [1, 2]});
        let after = json!({"id": 2, "reason": "late", "lines": [1]});
        let mut out = Vec::new();
        write_changes(&mut out, &changes(&before, &after)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  .id: 1 → 2\n  .cancelReason: \"late\" → (absent)\n  .lines[1]: 2 → (absent)\n  .reason: (absent) → \"late\"\n"
        );
        assert!(changes(&before, &before).is_empty());
        assert_eq!(changes(&json!("a"), &json!("b"))[0].path, ".");
    }
}
