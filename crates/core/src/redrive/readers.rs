//! Who re-reads a redrive: a record sent back to its origin topic reaches every group reading
//! that topic, not only the one that failed on it. [`SentBack`] notes, as a run merges, the
//! topics records go back to and the groups the DLQ's headers name as the ones that failed;
//! [`report`] puts them beside the groups the cluster says read each topic.

use std::collections::{BTreeMap, BTreeSet};

use crate::record::Record;
use crate::triage::{Action, Observer};

/// The headers that name the group a record failed in: Spring Kafka's consumer group, and a
/// share group's (KIP-1191).
const FAILED_GROUP_HEADERS: [&str; 2] = ["kafka_dlt-original-consumer-group", "__dlq.errors.group"];

/// A share group's header among [`FAILED_GROUP_HEADERS`].
const SHARE_GROUP_HEADER: &str = "__dlq.errors.group";

/// A group that failed on a record, as its DLQ headers name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailedGroup {
    pub name: String,
    /// A share group (whose offsets librdkafka cannot ask for).
    pub share: bool,
}

/// The group the newest of `record`'s headers naming one names.
#[must_use]
pub fn failed_group(record: &Record) -> Option<FailedGroup> {
    let header = record
        .headers
        .iter()
        .rev()
        .find(|header| FAILED_GROUP_HEADERS.contains(&header.name.as_str()))?;
    let name = std::str::from_utf8(header.value.as_deref()?).ok()?.trim();
    (!name.is_empty()).then(|| FailedGroup {
        name: name.to_owned(),
        share: header.name == SHARE_GROUP_HEADER,
    })
}

/// The topics a run merges into, each with the groups named as failed by its records.
#[derive(Debug, Default)]
pub struct SentBack {
    pub topics: BTreeMap<String, BTreeSet<FailedGroup>>,
}

impl Observer for SentBack {
    fn on_action(&mut self, record: &Record, action: &Action) -> anyhow::Result<()> {
        match (action, &record.read_from) {
            (Action::Merge { to, .. }, _) => {
                let failed = self.topics.entry(to.topic.to_string()).or_default();
                failed.extend(failed_group(record));
            }
            // A share group's pointer purged as the duplicate of one merged before it: its
            // group failed on a record sent back too.
            (Action::Purge, Some(from)) => {
                if let Some(failed) = self.topics.get_mut(&from.topic) {
                    failed.extend(failed_group(record));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The lines that say who reads each topic of `sent`: per topic, the consumer groups with
/// offsets on it (`reading`), the ones that failed marked, then the failed groups the
/// cluster did not list (share groups, or groups without offsets there); `skipped` groups
/// were not asked.
#[must_use]
pub fn report(
    sent: &SentBack,
    reading: &BTreeMap<String, Vec<String>>,
    skipped: usize,
) -> Vec<String> {
    let mut lines = vec![
        "Who reads what is sent back (every group with offsets on the topic gets the records again; * failed on them, per the DLQ's headers):"
            .to_owned(),
    ];
    let mut shares = false;
    for (topic, failed) in &sent.topics {
        let listed = reading.get(topic).map_or(&[][..], Vec::as_slice);
        let mut names: Vec<String> = listed
            .iter()
            .map(|group| {
                if failed.iter().any(|f| !f.share && f.name == *group) {
                    format!("{group} *")
                } else {
                    group.clone()
                }
            })
            .collect();
        for group in failed {
            if group.share {
                shares = true;
                names.push(format!("{} * (share group)", group.name));
            } else if !listed.contains(&group.name) {
                names.push(format!("{} * (no offsets on it now)", group.name));
            }
        }
        if names.is_empty() {
            names.push("no group has offsets on it".to_owned());
        }
        lines.push(format!("  {topic}: {}", names.join(", ")));
    }
    if shares {
        lines.push(
            "  share groups reading a topic cannot be listed here (librdkafka cannot ask for them): kafka-share-groups.sh --describe --all-groups shows them"
                .to_owned(),
        );
    }
    if skipped > 0 {
        lines.push(format!(
            "  {skipped} more group(s) in the cluster were not asked for their offsets, or did not answer"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::Target;

    fn merge(to: &str) -> Action {
        Action::Merge {
            tombstone: true,
            to: Target::topic(to),
            repair: None,
        }
    }

    #[test]
    fn the_failed_groups_are_marked_beside_the_groups_reading_each_topic() {
        let mut sent = SentBack::default();
        let spring = Record::test(0, 1).with_header("kafka_dlt-original-consumer-group", "billing");
        let share = Record::test(0, 2).with_header("__dlq.errors.group", "queue-workers");
        // Redriven from Spring's DLT, then dead-lettered by a share group: the newest names it.
        let both = Record::test(0, 3)
            .with_header("kafka_dlt-original-consumer-group", "billing")
            .with_header("__dlq.errors.group", "queue-workers");
        sent.on_action(&spring, &merge("orders")).unwrap();
        sent.on_action(&share, &merge("orders")).unwrap();
        sent.on_action(&both, &merge("orders")).unwrap();
        sent.on_action(&Record::test(0, 4), &merge("payments"))
            .unwrap();
        sent.on_action(&Record::test(0, 5), &merge("refunds"))
            .unwrap();
        sent.on_action(&Record::test(0, 6), &Action::Purge).unwrap();
        // A pointer purged as a duplicate of one merged into `orders`: its group failed too;
        // one into a topic nothing goes back to names no topic.
        let mut twin = Record::test(0, 7).with_header("__dlq.errors.group", "other-workers");
        twin.read_from = Some(crate::record::Coordinates {
            topic: "orders".into(),
            partition: 0,
            offset: 41,
        });
        sent.on_action(&twin, &Action::Purge).unwrap();
        twin.read_from.as_mut().unwrap().topic = "invoices".into();
        sent.on_action(&twin, &Action::Purge).unwrap();
        assert_eq!(
            failed_group(&both),
            Some(FailedGroup {
                name: "queue-workers".into(),
                share: true
            })
        );
        let reading = BTreeMap::from([
            (
                "orders".to_owned(),
                vec!["audit".to_owned(), "billing".to_owned()],
            ),
            ("payments".to_owned(), vec!["payments-svc".to_owned()]),
        ]);
        let lines = report(&sent, &reading, 3);
        assert_eq!(
            lines[1..],
            [
                "  orders: audit, billing *, other-workers * (share group), queue-workers * (share group)",
                "  payments: payments-svc",
                "  refunds: no group has offsets on it",
                "  share groups reading a topic cannot be listed here (librdkafka cannot ask for them): kafka-share-groups.sh --describe --all-groups shows them",
                "  3 more group(s) in the cluster were not asked for their offsets, or did not answer",
            ]
        );
    }
}
