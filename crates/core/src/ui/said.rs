//! The one line `ask` says after each record, as the original tool did: what was done, or why
//! nothing was.

use crate::record::Record;
use crate::triage::{Action, Outcome, SkipReason, Target};

/// The printable form of a key: UTF-8 as is, anything else as `0x` hex.
#[must_use]
pub fn printable_key(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
        _ => format!("0x{}", crate::decode::text::hex(key)),
    }
}

/// `topic`, or `topic (partition #N)` when the partition is fixed.
#[must_use]
pub fn target_text(target: &Target) -> String {
    match target.partition {
        Some(partition) => format!("'{}' (partition #{partition})", target.topic),
        None => format!("'{}'", target.topic),
    }
}

/// The line that says where a merge of the record goes.
#[must_use]
pub fn merge_line(target: &Target) -> String {
    format!("A merge goes into {}", target_text(target))
}

/// The line for `outcome`, `None` when there is nothing to say (a record passed over).
#[must_use]
pub fn outcome_line(record: &Record, outcome: Outcome<'_>) -> Option<String> {
    let key = record
        .key
        .as_deref()
        .map_or_else(|| "<null>".to_owned(), printable_key);
    let at = &record.at;
    let what = format!(
        "record with key {key} at offset #{} from '{}' (partition #{})",
        at.offset, at.topic, at.partition
    );
    Some(match outcome {
        Outcome::Done(Action::Merge {
            to,
            tombstone,
            repair,
        }) => {
            let note = if *tombstone {
                ""
            } else if record.read_from.is_some() {
                " (a share group's pointer: a marker without a key follows it)"
            } else if record.own_key().is_none() {
                " (not tombstoned: null key)"
            } else {
                " (not tombstoned: it is a tombstone)"
            };
            let repaired = repair
                .as_ref()
                .map_or_else(String::new, |repair| format!(" repaired ({})", repair.by));
            format!("Merged{repaired} {what} into {}{note}", target_text(to))
        }
        Outcome::Done(Action::Purge) => format!("Purged {what}"),
        Outcome::Done(Action::Skip {
            reason: SkipReason::Decided,
        }) => format!("Skipped {what}"),
        Outcome::Done(Action::Skip {
            reason: SkipReason::NullKey,
        }) => format!("Could not purge {what}: its key is null"),
        Outcome::Done(Action::Skip { .. }) => return None,
        Outcome::LeftAlone(why) => format!("Left alone {what}: {why}"),
        Outcome::Duplicate { of } => format!(
            "Purging {what} as a duplicate of offset #{}, merged or purged earlier in this run",
            of.offset
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Coordinates;
    use crate::triage::LeftAlone;

    #[test]
    fn lines_in_the_original_words() {
        let record = Record::test(2, 7).with_key(Some(b"order-1"));
        let to = Target {
            topic: "orders".into(),
            partition: None,
        };
        let merge = Action::Merge {
            tombstone: true,
            to,
            repair: None,
        };
        let cases = [
            (
                Outcome::Done(&merge),
                "Merged record with key order-1 at offset #7 from 'dlq' (partition #2) into 'orders'",
            ),
            (
                Outcome::Done(&Action::Purge),
                "Purged record with key order-1 at offset #7 from 'dlq' (partition #2)",
            ),
            (
                Outcome::Done(&Action::Skip {
                    reason: SkipReason::Decided,
                }),
                "Skipped record with key order-1 at offset #7 from 'dlq' (partition #2)",
            ),
            (
                Outcome::LeftAlone(&LeftAlone::NoOrigin),
                "Left alone record with key order-1 at offset #7 from 'dlq' (partition #2): no origin header, and no destination topic was given",
            ),
            (
                Outcome::Duplicate {
                    of: &Coordinates {
                        topic: "dlq".into(),
                        partition: 2,
                        offset: 3,
                    },
                },
                "Purging record with key order-1 at offset #7 from 'dlq' (partition #2) as a duplicate of offset #3, merged or purged earlier in this run",
            ),
        ];
        for (outcome, expected) in cases {
            assert_eq!(outcome_line(&record, outcome).as_deref(), Some(expected));
        }
        let passed = Action::Skip {
            reason: SkipReason::AlreadyDecided,
        };
        assert_eq!(outcome_line(&record, Outcome::Done(&passed)), None);
        assert_eq!(printable_key(b"\x00\x01"), "0x0001");
    }
}
