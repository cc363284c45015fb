//! `plan show FILE`: a plan summed up for the person who reviews it — who made it, with which
//! options, how many records get which decision, where the merges go, the failure classes,
//! the offsets per partition, and what is left undecided.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::file::FileError;
use super::format::{PlanDecision, PlanEnd, PlanHeader, PlanReader};
use crate::repair::Change;

/// What the record lines of a plan add up to.
#[derive(Default)]
struct Tally {
    lines: u64,
    decisions: BTreeMap<PlanDecision, u64>,
    destinations: BTreeMap<String, u64>,
    classes: BTreeMap<String, BTreeMap<PlanDecision, u64>>,
    /// Per partition: first and last planned offset, and how many.
    partitions: BTreeMap<i32, (i64, i64, u64)>,
    left_alone: BTreeMap<String, u64>,
    tombstones: u64,
    /// Repaired merges by what repaired them, and the first few, with their changes.
    repaired: BTreeMap<String, u64>,
    repairs_shown: Vec<(i32, i64, String, Vec<Change>)>,
    /// The first few records left alone because their repair was refused, and why.
    refusals_shown: Vec<(i32, i64, String)>,
}

/// How many repairs (and refused repairs) `plan show` shows one by one.
const SHOWN_REPAIRS: usize = 5;
/// How a plan line says a repair was refused (`LeftAlone::RepairRefused`).
const NOT_REPAIRED: &str = "not repaired, so not merged: ";

/// The summary of the plan at `path`, checked whole, as text (lines ending in a newline).
///
/// # Errors
/// The plan's first problem, with its line number.
pub fn show(path: &Path) -> Result<String, FileError> {
    let mut reader = PlanReader::open(path)?;
    let mut tally = Tally::default();
    for line in reader.by_ref() {
        let line = line?;
        tally.lines += 1;
        *tally.decisions.entry(line.decision).or_default() += 1;
        if let Some(destination) = line.destination {
            *tally.destinations.entry(destination).or_default() += 1;
        }
        let class = line.class.unwrap_or_else(|| "(no class header)".to_owned());
        *tally
            .classes
            .entry(class)
            .or_default()
            .entry(line.decision)
            .or_default() += 1;
        let entry = tally
            .partitions
            .entry(line.partition)
            .or_insert((line.offset, line.offset, 0));
        entry.0 = entry.0.min(line.offset);
        entry.1 = entry.1.max(line.offset);
        entry.2 += 1;
        if let Some(repair) = line.repair {
            let repair = repair.repair;
            *tally.repaired.entry(repair.by.clone()).or_default() += 1;
            if tally.repairs_shown.len() < SHOWN_REPAIRS {
                tally
                    .repairs_shown
                    .push((line.partition, line.offset, repair.by, repair.changes));
            }
        }
        if line.decision == PlanDecision::LeftAlone {
            let reason = line.reason.unwrap_or_else(|| "no reason given".to_owned());
            // Each refused repair has a reason of its own: counted under one line, the first
            // few shown.
            let reason = match reason.strip_prefix(NOT_REPAIRED) {
                Some(why) => {
                    if tally.refusals_shown.len() < SHOWN_REPAIRS {
                        tally
                            .refusals_shown
                            .push((line.partition, line.offset, why.to_owned()));
                    }
                    "not repaired, so not merged".to_owned()
                }
                None => reason,
            };
            *tally.left_alone.entry(reason).or_default() += 1;
        }
        tally.tombstones += u64::from(line.tombstone);
    }
    let (header, end) = reader.finish()?;
    Ok(render(&header, &end, &tally))
}

fn render(header: &PlanHeader, plan_end: &PlanEnd, tally: &Tally) -> String {
    let options = &header.options;
    let mut out = String::new();
    let group = header.group.as_deref().unwrap_or("none");
    let _ = writeln!(
        out,
        "Plan {} for topic {} (group {group})\nMade with {} by {} on {} at {} against {}",
        header.id,
        header.topic,
        header.command,
        header.user,
        header.host,
        header.created_at,
        header.bootstrap_servers
    );
    let mut said = Vec::new();
    if let Some(destination) = &options.destination {
        said.push(format!("destination {destination}"));
    }
    if options.to_origin {
        said.push(match &options.allow_origin {
            Some(allow) => format!("--to-origin (allowed: {allow})"),
            None => "--to-origin".to_owned(),
        });
    }
    for (on, flag) in [
        (options.keep_partition, "--keep-partition"),
        (options.strip_dlq_headers, "--strip-dlq-headers"),
        (options.merge_tombstones, "-T"),
        (options.pending, "--pending"),
        (options.dedupe, "--dedupe"),
        (options.from_beginning, "--from-beginning"),
    ] {
        if on {
            said.push(flag.to_owned());
        }
    }
    for name in &options.drop_headers {
        said.push(format!("--drop-header {name}"));
    }
    if let Some(max) = options.max_replays {
        said.push(format!("--max-replays {max}"));
    }
    if let Some(limit) = options.limit {
        said.push(format!("--limit {limit}"));
    }
    said.push(format!("--timestamp {}", options.timestamp));
    let _ = writeln!(out, "Options: {}", said.join(", "));

    let Tally {
        lines,
        decisions,
        destinations,
        classes,
        partitions,
        left_alone,
        tombstones,
        repaired,
        repairs_shown,
        refusals_shown,
    } = tally;
    let _ = writeln!(
        out,
        "\n{lines} record(s) planned, {tombstones} tombstone(s) to write in {}:",
        header.topic
    );
    for decision in [
        PlanDecision::Merge,
        PlanDecision::Purge,
        PlanDecision::Skip,
        PlanDecision::LeftAlone,
    ] {
        let _ = writeln!(
            out,
            "  {:<11} {:>9}",
            decision.as_str(),
            decisions.get(&decision).copied().unwrap_or(0)
        );
    }
    if !destinations.is_empty() {
        let _ = writeln!(out, "\nMerges by destination:");
        for (destination, count) in destinations {
            let _ = writeln!(out, "  {destination:<30} {count:>9}");
        }
    }
    if !classes.is_empty() {
        let _ = writeln!(out, "\nBy failure class:");
        for (class, counts) in classes {
            let total: u64 = counts.values().sum();
            let split: Vec<String> = counts
                .iter()
                .map(|(decision, count)| format!("{} {count}", decision.as_str()))
                .collect();
            let _ = writeln!(out, "  {class:<40} {total:>9}  ({})", split.join(", "));
        }
    }
    if !repaired.is_empty() || !refusals_shown.is_empty() {
        let total: u64 = repaired.values().sum();
        let by: Vec<String> = repaired
            .iter()
            .map(|(by, count)| format!("{by} {count}"))
            .collect();
        let _ = writeln!(
            out,
            "\nRepairs: {total} merged record(s) are written repaired ({})",
            by.join(", ")
        );
        for (partition, offset, by, changes) in repairs_shown {
            let _ = writeln!(out, "  {partition}/{offset} ({by}):");
            for change in changes {
                let _ = writeln!(out, "    {}", change.line());
            }
        }
        for (partition, offset, why) in refusals_shown {
            let _ = writeln!(out, "  {partition}/{offset} not repaired: {why}");
        }
    }
    let _ = writeln!(out, "\nPer partition:");
    for (partition, [start, end]) in &header.ranges {
        let planned = match partitions.get(partition) {
            Some((first, last, count)) => {
                format!("{count} record(s) planned at offsets {first}..={last}")
            }
            None => "nothing planned".to_owned(),
        };
        let left_out = plan_end.left_out.get(partition).copied().unwrap_or(0);
        let filtered = if left_out > 0 {
            format!(", {left_out} not matching the filters")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {partition:>4}  read [{start}, {end}): {planned}{filtered}"
        );
    }
    let left_out: u64 = plan_end.left_out.values().sum();
    let undecided: u64 = left_alone.values().sum::<u64>() + left_out;
    let _ = writeln!(out, "\nLeft undecided: {undecided} record(s)");
    for (reason, count) in left_alone {
        let _ = writeln!(out, "  {count:>9}  left alone: {reason}");
    }
    if left_out > 0 {
        let _ = writeln!(out, "  {left_out:>9}  did not match the filters");
    }
    let _ = writeln!(
        out,
        "Their offsets stay uncommitted: apply commits no partition past its first undecided record."
    );
    out
}
