use std::collections::BTreeMap;

use super::*;
use crate::record::Header;
use crate::review::format::{PlanHeader, PlanOptions};

fn line(partition: i32, offset: i64, record: &Record, decision: PlanDecision) -> PlanLine {
    let digests = RecordDigests::of(record);
    let hex = |sha: &Sha| crate::review::to_hex(sha);
    PlanLine {
        topic: "dlq".into(),
        partition,
        offset,
        timestamp: record.timestamp.map(|t| t.millis),
        timestamp_type: None,
        key: record.key.as_deref().map(|k| BASE64.encode(k)),
        key_sha256: digests.key.as_ref().map(hex),
        value_sha256: digests.value.as_ref().map(hex),
        headers_sha256: hex(&digests.headers),
        decision,
        reason: None,
        destination: (decision == PlanDecision::Merge).then(|| "retry".to_owned()),
        destination_partition: None,
        tombstone: decision != PlanDecision::Skip,
        class: None,
        header_changes: None,
        repair: None,
    }
}

fn record(partition: i32, offset: i64, key: &str, value: Option<&str>) -> Record {
    Record::test(partition, offset)
        .with_key(Some(key.as_bytes()))
        .with_value(value.map(str::as_bytes))
}

fn plan(lines: &[PlanLine]) -> PlanTable {
    PlanTable::of(
        PlanHeader {
            version: 1,
            id: "P1".into(),
            topic: "dlq".into(),
            group: None,
            command: "merge-all".into(),
            created_at: String::new(),
            user: String::new(),
            host: String::new(),
            bootstrap_servers: String::new(),
            options: PlanOptions::default(),
            ranges: BTreeMap::new(),
        },
        lines,
    )
}

fn tombstone(partition: i32, offset: i64, key: &str, plan: Option<&str>) -> Record {
    let mut record = record(partition, offset, key, None);
    if let Some(id) = plan {
        record.headers.push(Header {
            name: PLAN_HEADER.into(),
            value: Some(id.as_bytes().to_vec()),
        });
    }
    record
}

#[test]
fn each_planned_decision_gets_its_verdict_from_the_dlq() {
    let planned = [
        record(0, 0, "a", Some("1")),
        record(0, 1, "b", Some("2")),
        record(0, 2, "c", Some("3")),
        record(0, 3, "d", Some("4")),
        record(0, 4, "e", Some("5")),
        record(1, 7, "f", Some("6")),
        record(1, 8, "g", Some("7")),
        record(1, 9, "g", Some("8")),
    ];
    let mut lines: Vec<PlanLine> = planned
        .iter()
        .map(|r| line(r.at.partition, r.at.offset, r, PlanDecision::Merge))
        .collect();
    lines[4].decision = PlanDecision::Skip;
    lines.push(line(
        0,
        9,
        &record(0, 9, "z", Some("0")),
        PlanDecision::LeftAlone,
    ));
    let plan = plan(&lines);
    let mut check = ApplyCheck::new(&plan);
    assert_eq!(check.starts(), BTreeMap::from([(0, 0), (1, 7)]));
    let dlq = [
        planned[0].clone(),
        // b's value changed (or its plan line was edited).
        record(0, 1, "b", Some("changed")),
        planned[2].clone(),
        planned[3].clone(),
        planned[4].clone(),
        // An earlier apply of this plan tombstoned c; someone else tombstoned d and e.
        tombstone(0, 5, "c", Some("P1")),
        tombstone(0, 6, "d", Some("another plan")),
        tombstone(0, 7, "e", None),
        // (f at partition 1 offset 7 vanished: compacted away.)
        planned[6].clone(),
        planned[7].clone(),
        // A record of g that the plan does not know arrived after it.
        record(1, 10, "g", Some("9")),
    ];
    check.see(&tombstone(0, 0, "a", Some("P1")).with_value(None));
    for record in &dlq[1..] {
        check.see(record);
    }
    let verdicts = check.verdicts();
    assert_eq!(
        verdicts,
        [
            // Offset 0 was seen as a tombstone of a: a different record.
            Verdict::Refused(Refusal::Changed(vec!["value", "headers"])),
            Verdict::Refused(Refusal::Changed(vec!["value"])),
            Verdict::AlreadyApplied { at: 5 },
            Verdict::Refused(Refusal::Tombstoned { at: 6 }),
            Verdict::Apply,
            Verdict::Refused(Refusal::Vanished),
            // The next record of g is planned too: only the newcomer refuses it.
            Verdict::Refused(Refusal::NewerRecord { at: 10 }),
            Verdict::Refused(Refusal::NewerRecord { at: 10 }),
        ]
    );
    let mut check = ApplyCheck::new(&plan);
    check.see(&dlq[0]);
    assert_eq!(check.verdicts()[0], Verdict::Apply);
}

#[test]
fn the_gate_decides_only_what_the_check_let_through_and_checks_again() {
    let a = record(0, 0, "a", Some("1")).created_at(5);
    let b = record(0, 1, "b", Some("2"));
    let plan = Arc::new(plan(&[
        line(0, 0, &a, PlanDecision::Merge),
        line(0, 1, &b, PlanDecision::Purge),
    ]));
    let mut gate = ApplyGate::new(
        Arc::clone(&plan),
        &[Verdict::Apply, Verdict::Refused(Refusal::Vanished)],
    );
    assert_eq!(
        gate.admit(&a).unwrap(),
        Admission::Decide {
            target: Some(Target::topic("retry"))
        }
    );
    let Admission::LeaveAlone(LeftAlone::PlanRefused { reason }) = gate.admit(&b).unwrap() else {
        panic!("refused records are left alone");
    };
    assert!(reason.contains("gone"), "{reason}");
    let Admission::LeaveAlone(LeftAlone::PlanRefused { reason }) =
        gate.admit(&a.clone().created_at(6)).unwrap()
    else {
        panic!("a different record at a planned offset is left alone");
    };
    assert_eq!(
        reason,
        "the record differs from the plan (timestamp changed)"
    );
    assert_eq!(
        gate.admit(&record(0, 2, "x", Some("y"))).unwrap(),
        Admission::Undecided
    );
}

#[test]
fn a_decision_without_a_tombstone_to_find_is_applied_once_kafka_shows_it() {
    let null_key = Record::test(0, 0).with_key(None);
    let keyed = record(0, 1, "k", Some("v"));
    let table = plan(&[
        line(0, 0, &null_key, PlanDecision::Merge),
        line(0, 1, &keyed, PlanDecision::Merge),
    ]);
    let verdicts = |journaled: &[(i32, i64)], committed: Option<i64>, seen: &[&Record]| {
        let mut check = ApplyCheck::new(&table)
            .journaled(journaled.iter().copied().collect())
            .committed(committed.map(|offset| (0, offset)).into_iter().collect());
        check.see(&null_key);
        check.see(&keyed);
        for record in seen {
            check.see(record);
        }
        check.verdicts()
    };
    assert_eq!(verdicts(&[], None, &[]), [Verdict::Apply, Verdict::Apply]);
    // Journaled, but the journal is written before the write it describes (which may have
    // been aborted): its word alone applies nothing, and writing it again might write it
    // twice: left alone, said why. The keyed record's tombstone says (none: applied).
    assert_eq!(
        verdicts(&[(0, 0), (0, 1)], None, &[]),
        [Verdict::Refused(Refusal::Unconfirmed), Verdict::Apply]
    );
    // Journaled and the group's offset passed it: the null key's merge is not written again;
    // the keyed record's tombstone is what says whether it was (none here: it is applied).
    assert_eq!(
        verdicts(&[(0, 0), (0, 1)], Some(2), &[]),
        [Verdict::Journaled, Verdict::Apply]
    );
    // A keyless marker of this plan's apply names it: applied, journal or not.
    let id = table.header.id.clone();
    let mut ours = Record::test(0, 7)
        .with_key(None)
        .with_value(None)
        .with_header(crate::record::DECIDED_OFFSET, "0");
    ours.headers.push(crate::record::Header {
        name: super::PLAN_HEADER.to_owned(),
        value: Some(id.into_bytes()),
    });
    assert_eq!(
        verdicts(&[], None, &[&ours]),
        [Verdict::AlreadyApplied { at: 7 }, Verdict::Apply]
    );
    // Someone else's marker: decided by another, refused.
    let theirs = Record::test(0, 8)
        .with_key(None)
        .with_value(None)
        .with_header(crate::record::DECIDED_OFFSET, "0");
    assert!(matches!(
        verdicts(&[], None, &[&theirs])[0],
        Verdict::Refused(Refusal::Tombstoned { at: 8 })
    ));
}
