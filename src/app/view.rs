//! `ask` at a terminal: the full-screen view over the run's source. The view lists the records
//! the run would offer (its filters, `-T`, `--pending`, `--limit`); each `w` is one run of the
//! engine over a fresh consumer of the same group, bounded to what was decided, with the
//! decisions as a [`Plan`]: everything the plan does not cover is left alone, so each
//! partition's committed offset stops before its first undecided record (DESIGN §8).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::config::WriteTask;
use crate::error::Error;
use crate::kafka::{AssignedSource, ConfigLookup, JobSource, RecordFetcher};
use crate::record::Record;
use crate::redrive::{PointedTo, SentBack, TombstoneIndex, readers};
use crate::repair::Made;
use crate::triage::{
    DEFAULT_CLASS_HEADERS, DecisionSource, EngineOptions, Gate, NullKeysBelow, Observer, Plan,
    PlanDecisions, PlanGate, RecordFilter, RecordSource, Summary, Target, Transformed,
};
use crate::ui::output::message;
use crate::ui::render::Renderer;
use crate::ui::repair_desk::RepairDesk;
use crate::ui::view::{self, Backend, Setup, fetch, index};

use super::Run;
use super::filter::DisplayedFilter;
use super::pointers::{Dereferencing, Resolver};
use super::watchers::Watchers;

/// Opens the view on `source` (already checked to hold records) and carries out what is
/// decided in it.
pub(super) fn triage(
    run: &Run<'_>,
    task: &WriteTask,
    source: Box<dyn JobSource>,
    pending: Option<TombstoneIndex>,
    configs: &ConfigLookup,
) -> Result<Summary, Error> {
    let settings = run.settings();
    let pending = pending.map(Arc::new);
    let ends: BTreeMap<i32, i64> = source
        .reader()
        .ranges()
        .iter()
        .map(|(&partition, range)| (partition, range.end))
        .collect();
    let total = source.total();
    let fetcher = RecordFetcher::new(settings, &task.source)?;
    // The detail pane shows a share group's pointer as the record it points to.
    let resolver = std::sync::Mutex::new(Resolver::new(
        settings,
        &task.source,
        task.redrive.allow_origin.as_ref(),
    ));
    let setup = Setup {
        title: match &settings.group {
            Some(group) => format!("{} (group {group})", task.source),
            None => task.source.clone(),
        },
        total,
        ends,
        batches: index::spawn(
            source,
            listed(run, task, pending.clone())?,
            class_headers(task),
            task.redrive.to_origin,
        ),
        fetch: fetch::spawn(
            move |partition, offset| {
                let record = fetcher.fetch(partition, offset)?;
                let mut resolver = resolver
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                Ok(record.map(|record| resolver.explain(record)))
            },
            run.renderer(false)?,
        ),
        can_merge: task.merges(),
        dry_run: run.config.options.dry_run,
        plan: run
            .config
            .options
            .plan
            .as_ref()
            .map(|path| path.display().to_string()),
        merge_to: match (&task.destination, task.redrive.to_origin) {
            (Some(destination), false) => format!("to {destination}"),
            (Some(destination), true) => {
                format!("to its origin topic (else to {destination})")
            }
            (None, _) => "to its origin topic".to_owned(),
        },
        to_origin: task.redrive.to_origin,
    };
    // What the DLQ says was merged when the view opened, then what its writes merge.
    let pointed = PointedTo::from_merged(
        pending
            .as_deref()
            .map(|index| index.merged_sources().collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let mut backend = ViewBackend {
        run,
        task,
        pending,
        configs,
        pointed,
        editing: None,
    };

    let outcome = view::run(&setup, &mut backend, run.interrupt)?;
    if outcome.discarded > 0 {
        message(&format!(
            "{} decision(s) were discarded, not written: their records are still in {}",
            outcome.discarded, task.source
        ));
    }
    run.finished(task, &outcome.written);
    Ok(outcome.written)
}

/// Which records the view lists: those the run would offer a person.
fn listed(
    run: &Run<'_>,
    task: &WriteTask,
    pending: Option<Arc<TombstoneIndex>>,
) -> Result<index::Admit, Error> {
    let mut filter = DisplayedFilter::new(run.config)?;
    let merge_tombstones = task.merge_tombstones;
    let mut left = run.config.options.limit;
    Ok(Box::new(move |record: &Record| {
        // A share group's pointer whose record cannot be read is listed: a merge leaves it
        // alone, and the detail pane says why.
        let offered = (merge_tombstones || !record.is_tombstone() || record.is_share_pointer())
            && filter.matches(record)
            && pending
                .as_ref()
                .is_none_or(|index| index.is_pending(record));
        if !offered {
            return false;
        }
        match &mut left {
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
            None => true,
        }
    }))
}

/// The headers the failure classes come from: `--group-by`'s, else the frameworks' own.
fn class_headers(task: &WriteTask) -> Vec<String> {
    task.overview.clone().unwrap_or_else(|| {
        DEFAULT_CLASS_HEADERS
            .iter()
            .map(|&header| header.to_owned())
            .collect()
    })
}

struct ViewBackend<'r, 'a> {
    run: &'r Run<'a>,
    task: &'r WriteTask,
    pending: Option<Arc<TombstoneIndex>>,
    configs: &'r ConfigLookup,
    /// The records share-group pointers named that this view's writes merged: a later write
    /// only purges another pointer to one of them.
    pointed: PointedTo,
    /// What edits read records with and make repairs with, set up at the first `e`.
    editing: Option<Editing>,
}

/// Reads the record to edit (a share group's pointer as the record it names) and repairs it.
struct Editing {
    fetcher: RecordFetcher,
    resolver: Resolver,
    desk: RepairDesk,
}

impl ViewBackend<'_, '_> {
    fn bounded(&self, ends: &BTreeMap<i32, i64>) -> Result<Dereferencing<AssignedSource>, Error> {
        let mut source = self.run.open_source(&self.task.source)?;
        source.bound(ends);
        Ok(Dereferencing::new(
            source,
            self.run.settings(),
            self.task.redrive.allow_origin.as_ref(),
        ))
    }
}

impl Backend for ViewBackend<'_, '_> {
    fn pass(&mut self, ends: &BTreeMap<i32, i64>) -> anyhow::Result<Box<dyn RecordSource + Send>> {
        Ok(Box::new(self.bounded(ends)?))
    }

    fn renderer(&self) -> anyhow::Result<Renderer> {
        Ok(self.run.renderer(false)?)
    }

    fn readers(&mut self, sent: &SentBack) -> Vec<String> {
        let topics = sent.topics.keys().cloned().collect();
        // The view waits for it: a few seconds at most.
        match crate::kafka::groups_reading(
            self.run.settings(),
            &topics,
            std::time::Duration::from_secs(5),
        ) {
            Ok((reading, skipped)) => readers::report(sent, &reading, skipped),
            Err(error) => vec![format!(
                "Who reads what is sent back could not be listed: {error:#}"
            )],
        }
    }

    fn edit(&mut self, (partition, offset): (i32, i64), key: bool) -> Result<Made, String> {
        if self.task.redrive.to_origin
            && self.task.repair_schema == Some(crate::repair::TargetSchema::Latest)
        {
            return Err(
                "with --to-origin, --repair-schema latest takes the origin topic's subject, known only when the record is written: edit at the prompt (--no-tui), or give a schema id"
                    .to_owned(),
            );
        }
        if self.editing.is_none() {
            let (run, task) = (self.run, self.task);
            let settings = run.settings();
            self.editing = Some(Editing {
                fetcher: RecordFetcher::new(settings, &task.source)
                    .map_err(|error| format!("{error:#}"))?,
                resolver: Resolver::new(settings, &task.source, task.redrive.allow_origin.as_ref()),
                desk: RepairDesk::new(run.repairer(task).map_err(|error| error.to_string())?),
            });
        }
        let Some(editing) = self.editing.as_mut() else {
            return Err("cannot edit".to_owned());
        };
        let record = editing
            .fetcher
            .fetch(partition, offset)
            .map_err(|error| format!("{error:#}"))?
            .ok_or_else(|| "the record is gone from the topic".to_owned())?;
        let record = editing.resolver.explain(record).record;
        // `--repair-schema latest` takes the destination's subject.
        let to = self.task.destination.as_deref().map(Target::topic);
        editing.desk.edit(&record, key, to.as_ref())
    }

    fn write(
        &mut self,
        plan: Rc<Plan>,
        ends: &BTreeMap<i32, i64>,
        observer: &mut dyn Observer,
    ) -> Result<Summary, Error> {
        let (run, task) = (self.run, self.task);
        // A producer per write: with a transactional id, each one fences the one before.
        let producer = run.producer()?;
        let mut source = self.bounded(ends)?;
        let limits = run.retention_limits(task, self.configs)?;
        // Records decided already (`--pending`) were not listed; the plan's gate passes them.
        let mut redrive = run.redrive(task, source.reader(), None, limits);
        redrive.pointed = self.pointed.committed_only();
        let keyless = super::accepts_keyless(&task.source, self.configs);
        // `--from-beginning` where no marker can be written: as in every writing run.
        let redrive: Box<dyn Gate + '_> = if run.config.options.from_beginning && !keyless {
            Box::new(NullKeysBelow {
                inner: redrive,
                floor: source.committed_at_start().clone(),
            })
        } else {
            Box::new(redrive)
        };
        let mut gate = PlanGate::new(Rc::clone(&plan), redrive);
        if let Some(index) = self.pending.clone() {
            gate = gate.settled_by(Box::new(move |record: &Record| !index.is_pending(record)));
        }
        let mut sink = run.sink(producer, source.reader(), task, keyless)?;
        // `--plan`: each `w` writes the plan of what is pending then (a plan writes nothing,
        // so nothing is locked: the next `w` plans it all again).
        let mut watchers = Watchers::audit_only(run.config, task)?
            .with_plan(run.plan_writer(task, source.reader())?);
        // Edits are the plan's; `--transform` repairs the other merges.
        let mut decisions: Box<dyn DecisionSource> = match &task.transform {
            Some(_) => Box::new(
                Transformed::new(PlanDecisions(plan), run.repairer(task)?, None)
                    .keeping_changes(run.config.options.plan.is_some()),
            ),
            None => Box::new(PlanDecisions(plan)),
        };
        let result = run.drive(
            &mut source,
            &mut *decisions,
            &mut *sink,
            &mut {
                let mut observers = watchers.observers_with(observer);
                observers.0.push(&mut self.pointed);
                observers
            },
            &mut gate,
            EngineOptions {
                merge_tombstones: task.merge_tombstones,
                policy: run.config.options.bulk_policy,
                limit: None,
                watch_keys: true,
                unmarked_null_keys: !keyless,
            },
        );
        watchers.finish();
        if result.is_err() {
            // What the failed write left open never happened.
            self.pointed.forget_open();
        }
        match (result, watchers.take_plan()) {
            (Ok(summary), Some(plan)) => {
                let lines = plan.finish()?;
                if let Some(path) = &run.config.options.plan {
                    tracing::info!("plan written to {}: {lines} record(s)", path.display());
                }
                Ok(summary)
            }
            (result, plan) => {
                if let Some(plan) = plan {
                    plan.discard();
                }
                result
            }
        }
    }
}
