//! The failure-class overview shown before the first prompt.

use std::io::{self, Write};

use crate::decode::Decoder;
use crate::record::Record;
use crate::triage::Overview;

use super::render::inline_text;

/// Writes the overview of `total` records: one block per class, the biggest first, then the
/// counts per destination and per replay count when the redrive options made them. Sample
/// keys are shown as `decoder` decodes them.
///
/// # Errors
/// When `out` fails.
pub fn write_overview(
    out: &mut impl Write,
    overview: &Overview,
    total: u64,
    decoder: &mut Decoder,
) -> io::Result<()> {
    let tombstones = overview.tombstones();
    writeln!(
        out,
        "{} record(s) by {}:",
        total.saturating_sub(tombstones),
        overview.grouped_by()
    )?;
    let classes = overview.classes();
    let duplicates = classes.iter().any(|class| class.duplicates > 0);
    let column = if duplicates {
        format!("  {:>10}", "duplicates")
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:>7}{column}  {:<12}  {:<12}  class",
        "count", "first", "last"
    )?;
    for class in classes {
        let name = class.value.as_deref().map_or_else(
            || "<no such header>".to_owned(),
            |v| String::from_utf8_lossy(v).into_owned(),
        );
        let at = |c: &crate::record::Coordinates| format!("p{} @{}", c.partition, c.offset);
        let column = if duplicates {
            format!("  {:>10}", class.duplicates)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{:>7}{column}  {:<12}  {:<12}  {name}",
            class.count,
            at(&class.first),
            at(&class.last)
        )?;
        let sample = sample_key(&class.sample, decoder);
        writeln!(out, "{:>7}  sample key: {sample}", "")?;
    }
    if tombstones > 0 {
        writeln!(
            out,
            "{tombstones:>7}  tombstone(s) (decisions' markers among them): no failure class"
        )?;
    }
    if !overview.destinations().is_empty() {
        writeln!(out, "by destination:")?;
        // Topics first, then the reasons records are left alone.
        let (left, topics): (Vec<_>, Vec<_>) = overview
            .destinations()
            .iter()
            .partition(|(destination, _)| destination.starts_with("left alone: "));
        for (destination, count) in topics.into_iter().chain(left) {
            writeln!(out, "{count:>7}  {destination}")?;
        }
    }
    // Only worth a table once some record was replayed before.
    if overview.replays().keys().any(|&replays| replays > 0) {
        writeln!(out, "by replay count (kmp-replay-count):")?;
        for (replays, count) in overview.replays() {
            writeln!(out, "{count:>7}  {replays}")?;
        }
    }
    Ok(())
}

/// The key of `record` on one line as decoded, at most 60 characters.
fn sample_key(record: &Record, decoder: &mut Decoder) -> String {
    match decoder.record(record).key {
        None => "<null>".to_owned(),
        Some(key) => inline_text(&key.body)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(60)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Coordinates, Header, Record};

    #[test]
    fn table() {
        let mut overview = Overview::new(vec!["exception".into()]);
        for (offset, class) in [(0, "Timeout"), (1, "Parse"), (5, "Timeout")] {
            overview.add(&Record {
                read_from: None,
                at: Coordinates {
                    topic: "dlq".into(),
                    partition: 1,
                    offset,
                },
                timestamp: None,
                key: Some(format!("order-{offset}").into_bytes()),
                value: Some(b"{}".to_vec()),
                headers: vec![Header {
                    name: "exception".into(),
                    value: Some(class.as_bytes().to_vec()),
                }],
            });
        }
        // A tombstone (a decision's marker) is counted apart, never as a class.
        overview.add(&Record::test(1, 6).with_value(None));
        let mut out = Vec::new();
        write_overview(&mut out, &overview, 4, &mut Decoder::plain()).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r"
        3 record(s) by exception:
          count  first         last          class
              2  p1 @0         p1 @5         Timeout
                 sample key: order-0
              1  p1 @1         p1 @1         Parse
                 sample key: order-1
              1  tombstone(s) (decisions' markers among them): no failure class
        ");
    }
}
