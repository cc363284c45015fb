//! `plan show FILE`: a plan summed up for the person who reviews it — who made it, with which
//! options, how many records get which decision, where the merges go, the failure classes,
//! the offsets per partition, and what is left undecided.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::format::{PlanDecision, PlanFile};

/// The summary of `plan`, as text (several lines, each ending in a newline).
#[must_use]
pub fn show(plan: &PlanFile) -> String {
    let header = &plan.header;
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

    let mut decisions: BTreeMap<PlanDecision, u64> = BTreeMap::new();
    let mut destinations: BTreeMap<&str, u64> = BTreeMap::new();
    let mut classes: BTreeMap<&str, BTreeMap<PlanDecision, u64>> = BTreeMap::new();
    let mut partitions: BTreeMap<i32, (i64, i64, u64)> = BTreeMap::new();
    let mut left_alone: BTreeMap<&str, u64> = BTreeMap::new();
    let mut tombstones = 0;
    for line in &plan.lines {
        *decisions.entry(line.decision).or_default() += 1;
        if let Some(destination) = &line.destination {
            *destinations.entry(destination).or_default() += 1;
        }
        let class = line.class.as_deref().unwrap_or("(no class header)");
        *classes
            .entry(class)
            .or_default()
            .entry(line.decision)
            .or_default() += 1;
        let entry = partitions
            .entry(line.partition)
            .or_insert((line.offset, line.offset, 0));
        entry.0 = entry.0.min(line.offset);
        entry.1 = entry.1.max(line.offset);
        entry.2 += 1;
        if line.decision == PlanDecision::LeftAlone {
            *left_alone
                .entry(line.reason.as_deref().unwrap_or("no reason given"))
                .or_default() += 1;
        }
        tombstones += u64::from(line.tombstone);
    }
    let _ = writeln!(
        out,
        "\n{} record(s) planned, {tombstones} tombstone(s) to write in {}:",
        plan.lines.len(),
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
        for (destination, count) in &destinations {
            let _ = writeln!(out, "  {destination:<30} {count:>9}");
        }
    }
    if !classes.is_empty() {
        let _ = writeln!(out, "\nBy failure class:");
        for (class, counts) in &classes {
            let total: u64 = counts.values().sum();
            let split: Vec<String> = counts
                .iter()
                .map(|(decision, count)| format!("{} {count}", decision.as_str()))
                .collect();
            let _ = writeln!(out, "  {class:<40} {total:>9}  ({})", split.join(", "));
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
        let left_out = plan.end.left_out.get(partition).copied().unwrap_or(0);
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
    let left_out: u64 = plan.end.left_out.values().sum();
    let undecided: u64 = left_alone.values().sum::<u64>() + left_out;
    let _ = writeln!(out, "\nLeft undecided: {undecided} record(s)");
    for (reason, count) in &left_alone {
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
