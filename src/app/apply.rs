//! `apply FILE`: carries out exactly the decisions of a plan. One pass checks every planned
//! record against the DLQ (`review::ApplyCheck`); what was refused is reported (and, with
//! `--all-or-nothing`, nothing is written); then the engine runs over the planned offsets with
//! the plan as its decisions, the refused records left alone, the ones an earlier apply did
//! passed over, and the group's offsets held before every record the plan does not decide.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context as _;

use crate::config::{ApplyTask, ConfigError};
use crate::error::Error;
use crate::kafka::{self, AssignedSource, CopyRules, JobSource, MemberTag, Presence, Role};
use crate::record::{Header, Record};
use crate::redrive::{CopyTimestamp, HeaderPolicy, NamePattern};
use crate::review::{
    ApplyCheck, ApplyGate, FileError, JournalOp, JournalReader, PLAN_HEADER, PlanTable, Verdict,
    decision,
};
use crate::triage::{EngineOptions, Plan, PlanDecisions, PlanGate, RecordSource, Summary};
use crate::ui::output::message;

use super::Run;
use super::pointers::Dereferencing;
use super::watchers::Watchers;

/// How many refused records are listed one by one.
const LISTED: usize = 20;

impl Run<'_> {
    pub(super) fn apply(&self, task: &ApplyTask) -> Result<Summary, Error> {
        let plan =
            Arc::new(PlanTable::read(&task.plan).map_err(|e| super::plan::invalid_plan(&e))?);
        let settings = self.settings();
        if let (Some(made), Some(group)) = (&plan.header.group, &settings.group)
            && made != group
        {
            tracing::warn!(
                "the plan was made with group {made}; applying it with group {group}, whose offsets are committed"
            );
        }
        message(&format!(
            "Applying plan {} ({} decision(s), made by {} at {}) to {}",
            plan.header.id,
            plan.records.len(),
            plan.header.user,
            plan.header.created_at,
            task.source
        ));
        let verdicts = self.check_plan(task, &plan)?;
        let refused = report(&plan, &verdicts);
        if refused > 0 && task.all_or_nothing {
            return Err(Error::Failed {
                source: anyhow::anyhow!(
                    "{refused} planned decision(s) refused (listed above): with --all-or-nothing nothing was written"
                ),
                summary: None,
            });
        }
        // Decisions applied before still move the group's offsets (a run without `-t` may
        // have written them and stopped before its commit).
        if verdicts.iter().all(|v| matches!(v, Verdict::Refused(_))) {
            message("Nothing left to apply");
            return finish(refused, Summary::default());
        }
        let summary = self.apply_checked(task, &plan, &verdicts)?;
        finish(refused, summary)
    }

    /// The verdict on every planned decision, from one pass over the DLQ.
    fn check_plan(&self, task: &ApplyTask, plan: &PlanTable) -> Result<Vec<Verdict>, Error> {
        let started = std::time::Instant::now();
        let mut check = ApplyCheck::new(plan).journaled(self.journaled_before(&plan.header.id)?);
        let starts = check.starts();
        if !starts.is_empty() {
            // From the first planned offset, or the group's offset when it is lower (what is
            // at an offset does not depend on it); the group's offsets say which journaled
            // decisions Kafka shows as done.
            // A share group's pointers as the records they point to, as the plan saw them.
            let mut pass = Dereferencing::new(
                AssignedSource::open_at(
                    self.settings(),
                    &task.source,
                    &starts,
                    self.interrupt.clone(),
                )?,
                self.settings(),
                None,
            );
            check = check.committed(pass.committed_at_start().clone());
            while let Some(record) = pass.next_record()? {
                if self.interrupt.is_raised() {
                    return Err(Error::Interrupted { summary: None });
                }
                check.see(&record);
            }
        }
        let verdicts = check.verdicts();
        tracing::info!(
            "checked {} planned decision(s) against {} in {:.1} s",
            verdicts.len(),
            task.source,
            started.elapsed().as_secs_f64()
        );
        Ok(verdicts)
    }

    fn apply_checked(
        &self,
        task: &ApplyTask,
        plan: &Arc<PlanTable>,
        verdicts: &[Verdict],
    ) -> Result<Summary, Error> {
        let settings = self.settings();
        // Like a run that reads every partition itself: the group is held while it runs.
        let member = (settings.group.is_some() && settings.commit && !self.config.options.dry_run)
            .then(|| MemberTag::new(Role::Alone, settings.transactional_id.as_deref()));
        if let Some(me) = &member {
            kafka::before_joining(settings, me)?;
        }
        let producer = self.producer()?;
        let spans = plan.spans();
        let starts: BTreeMap<i32, i64> = spans.iter().map(|(&p, &(start, _))| (p, start)).collect();
        let until: BTreeMap<i32, i64> = spans.iter().map(|(&p, &(_, end))| (p, end)).collect();
        if let Some(me) = &member {
            let presence = Presence::join(settings, &task.source, me)?;
            let _first = self.presence.set(presence);
        }
        let mut source =
            AssignedSource::open_at(settings, &task.source, &starts, self.interrupt.clone())?;
        let destinations: BTreeSet<&str> = plan
            .records
            .iter()
            .filter_map(|planned| planned.target.as_ref().map(|target| &*target.topic))
            .collect();
        for destination in destinations {
            source
                .reader()
                .require_topic(destination)
                .context("cannot merge")?;
        }
        // Reads no further than the last planned record: nothing after it is decided.
        source.bound(&until);
        let mut source = Dereferencing::new(source, settings, None);
        let floor = source.committed_at_start().clone();

        let mut decided = Vec::new();
        let mut written = Vec::new();
        for (planned, verdict) in plan.records.iter().zip(verdicts) {
            let place = (planned.partition, planned.offset);
            match (verdict, decision(planned.decision)) {
                (Verdict::AlreadyApplied { .. } | Verdict::Journaled, _) => written.push(place),
                (_, Some(decision)) => decided.push((place, decision)),
                (_, None) => {}
            }
        }
        // A repaired merge writes the plan's bytes (a line whose bytes do not match their
        // digest is refused by the gate: it never gets here).
        let repairs = plan
            .records
            .iter()
            .filter_map(|planned| match &planned.repair {
                Some(Ok(repair)) => Some(((planned.partition, planned.offset), Arc::clone(repair))),
                _ => None,
            })
            .collect();
        let shared = Rc::new(Plan::new(decided, written).with_repairs(repairs));
        // Below the group's offset, a record the plan does not name was decided before.
        let mut gate = PlanGate::new(
            Rc::clone(&shared),
            ApplyGate::new(Arc::clone(plan), verdicts),
        )
        .settled_by(Box::new(move |record: &Record| {
            floor
                .get(&record.at.partition)
                .is_some_and(|&committed| record.at.offset < committed)
        }));
        let options = &plan.header.options;
        let keyless_markers = super::accepts_keyless(
            &task.source,
            &kafka::ConfigLookup::start(settings, &[task.source.as_str()]),
        );
        let rules = CopyRules {
            headers: HeaderPolicy {
                strip_dlq: options.strip_dlq_headers,
                drop: options
                    .drop_headers
                    .iter()
                    .map(|name| NamePattern::parse(name))
                    .collect(),
            },
            timestamp: if options.timestamp == "now" {
                CopyTimestamp::Now
            } else {
                CopyTimestamp::Kept
            },
            tombstone_headers: vec![Header {
                name: PLAN_HEADER.to_owned(),
                value: Some(plan.header.id.as_bytes().to_vec()),
            }],
            decided_by: String::new(),
            keyless_markers,
        };
        let mut sink = self.sink_with(
            producer,
            source.reader(),
            &task.source,
            rules,
            Some(&plan.header.id),
        )?;
        let mut watchers = Watchers::for_apply(self.config, &self.terminal, verdicts.len() as u64)?;
        let result = self.drive(
            &mut source,
            &mut PlanDecisions(shared),
            &mut *sink,
            &mut watchers.observers(),
            &mut gate,
            EngineOptions {
                // Tombstones are decided by the plan like every other record.
                merge_tombstones: true,
                policy: self.config.options.bulk_policy,
                limit: None,
                watch_keys: false,
                unmarked_null_keys: !keyless_markers,
            },
        );
        watchers.finish();
        // The journal says what it took before the summary.
        drop(sink);
        let summary = result?;
        tracing::info!("Finished applying plan {}", plan.header.id);
        message(&summary.to_string());
        if self.config.options.dry_run {
            message("Dry run: nothing was written and no offset was committed");
        }
        Ok(summary)
    }
}

impl Run<'_> {
    /// The places an earlier apply of plan `id` journaled in this run's `--journal`.
    fn journaled_before(&self, id: &str) -> Result<HashSet<(i32, i64)>, Error> {
        let mut places = HashSet::new();
        let Some(path) = &self.config.options.journal else {
            return Ok(places);
        };
        if !path.exists() {
            return Ok(places);
        }
        let invalid = |error: FileError| ConfigError::Other(format!("invalid journal: {error}"));
        let mut reader = JournalReader::open(path, None).map_err(invalid)?;
        while let Some(entry) = reader.next() {
            let (_, entry) = entry.map_err(invalid)?;
            let by_this_plan = reader
                .headers
                .last()
                .is_some_and(|header| header.plan.as_deref() == Some(id));
            if by_this_plan && entry.op == JournalOp::Decision {
                places.insert((entry.partition, entry.offset));
            }
        }
        Ok(places)
    }
}

/// Says what the check found; returns how many decisions were refused.
fn report(plan: &PlanTable, verdicts: &[Verdict]) -> usize {
    let mut applied = 0;
    let mut journaled = 0;
    let mut refused = Vec::new();
    for (planned, verdict) in plan.records.iter().zip(verdicts) {
        match verdict {
            Verdict::Apply => {}
            Verdict::AlreadyApplied { .. } => applied += 1,
            Verdict::Journaled => journaled += 1,
            Verdict::Refused(refusal) => refused.push((planned, refusal)),
        }
    }
    if applied > 0 {
        message(&format!(
            "{applied} planned decision(s) already applied by an earlier apply of this plan (their tombstones carry its id): passed over"
        ));
    }
    if journaled > 0 {
        message(&format!(
            "{journaled} planned decision(s) without a tombstone to look for (a null key, a merged tombstone) were journaled by an earlier apply of this plan: taken as applied, not written again"
        ));
    }
    if !refused.is_empty() {
        message(&format!("{} planned decision(s) refused:", refused.len()));
        for (planned, refusal) in refused.iter().take(LISTED) {
            message(&format!(
                "  {} partition {} offset {} ({}): {refusal}",
                plan.header.topic,
                planned.partition,
                planned.offset,
                planned.decision.as_str()
            ));
        }
        if refused.len() > LISTED {
            message(&format!("  ... and {} more", refused.len() - LISTED));
        }
    }
    refused.len()
}

/// A run with refused decisions fails (exit 1), with what it committed.
fn finish(refused: usize, summary: Summary) -> Result<Summary, Error> {
    if refused == 0 {
        return Ok(summary);
    }
    Err(Error::Failed {
        source: anyhow::anyhow!(
            "{refused} planned decision(s) were refused (listed above) and left alone; the others were applied"
        ),
        summary: Some(summary),
    })
}
