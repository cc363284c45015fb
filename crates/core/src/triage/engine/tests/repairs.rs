//! Repairs in the engine: a merge carries the repair its decision source made; a refused
//! repair leaves the record alone (never merged unrepaired) and holds its partition's offset.

use std::sync::Arc;

use super::*;
use crate::repair::{Repair, Repaired};

/// Merges every record but offset 3, which it purges; repairs offset 0, refuses the repair of
/// offset 1, merges offset 2 as it is.
#[derive(Default)]
struct Repairing {
    asked: Vec<i64>,
}

fn a_repair() -> Arc<Repair> {
    Arc::new(Repair {
        by: "edit".to_owned(),
        expression: None,
        value: Some(b"fixed".to_vec()),
        key: None,
        original_sha256: Repair::digest_of(Some(b"v")),
        changes: Vec::new(),
    })
}

impl DecisionSource for Repairing {
    fn decide(&mut self, record: &Record, _: Option<&Target>) -> anyhow::Result<Decision> {
        Ok(if record.at.offset == 3 {
            Decision::Purge
        } else {
            Decision::Merge
        })
    }

    fn repair(&mut self, record: &Record, _: &Target) -> anyhow::Result<Repaired> {
        self.asked.push(record.at.offset);
        Ok(match record.at.offset {
            0 => Repaired::Repaired(a_repair()),
            1 => Repaired::Refused("the schema refuses it".to_owned()),
            _ => Repaired::AsIs,
        })
    }
}

#[test]
fn a_merge_carries_its_repair_and_a_refused_repair_leaves_the_record_alone() {
    let mut source = Memory((0..4).map(|o| record(0, o, Some("k"), Some("v"))).collect());
    let mut decisions = Repairing::default();
    let mut sink = Recorder::default();
    let summary = run(&mut source, &mut decisions, &mut sink, EACH).unwrap();
    assert_eq!(decisions.asked, [0, 1, 2], "a purge is never repaired");
    let applied: Vec<(i64, Action)> = sink.applied.clone();
    assert_eq!(
        applied,
        [
            (
                0,
                Action::Merge {
                    tombstone: true,
                    to: Target::topic("retry"),
                    repair: Some(a_repair()),
                }
            ),
            (2, merge(true)),
            (3, Action::Purge),
        ]
    );
    assert_eq!((summary.merged, summary.purged), (2, 1));
    assert_eq!(summary.left_alone_total(), 1);
    // The committed offset stops before the record whose repair was refused.
    assert_eq!(highest_commits(&sink).get(&0), Some(&1));
}
