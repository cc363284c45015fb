//! Who a writing run is in its consumer group and the producer it writes with: `ask` and
//! runs alone keep the group to themselves, bulk runs share it, each bulk instance with a
//! transactional id of its own that may be renewed after the cluster fenced it.

use crate::config::{Settings, WriteTask};
use crate::error::Error;
use std::time::Duration;

use crate::kafka::{
    ConfigLookup, FenceDeparted, MemberTag, RecordProducer, Role, WrittenTopics,
    wait_for_open_transactions,
};

use super::Run;

impl Run<'_> {
    /// The producer, or none on a dry run.
    pub(super) fn producer(&self) -> Result<Option<RecordProducer>, Error> {
        if self.config.options.dry_run {
            return Ok(None);
        }
        Ok(Some(RecordProducer::create(self.settings())?))
    }

    /// How this run shows itself in its group, when it writes and commits there: `ask` and
    /// a bulk run that reads every partition itself keep the group to themselves; other bulk
    /// runs share its partitions with the instances of their job.
    pub(super) fn member_tag(&self, task: &WriteTask) -> Option<MemberTag> {
        let settings = self.settings();
        let options = &self.config.options;
        if settings.group.is_none() || !settings.commit || options.dry_run {
            return None;
        }
        let explicit_id = settings
            .transactional_id
            .as_deref()
            .filter(|_| self.derived_transactional_id().is_none());
        let role = if task.ask {
            Role::Ask
        } else if options.limit.is_some()
            || options.from_beginning
            || task.redrive.dedupe
            || self.filter.borrow().partitions().is_some()
        {
            tracing::info!(
                "this run reads every partition itself (--limit, --dedupe, --from-beginning or --partition): it does not share its group with other instances"
            );
            Role::Alone
        } else {
            Role::Bulk
        };
        Some(MemberTag::new(role, explicit_id))
    }

    /// A bulk run that merges from a share group's DLQ reads every partition itself: pointers
    /// naming one record may sit in different partitions, and one instance sees them all
    /// (and merges the record once). The tag it then runs as.
    pub(super) fn alone_on_share_dlq(
        &self,
        task: &WriteTask,
        member: Option<&MemberTag>,
        configs: &ConfigLookup,
    ) -> Option<MemberTag> {
        member.filter(|me| me.role == Role::Bulk)?;
        if !task.merges() || !configs.takes_share_group_dead_letters(&task.source) {
            return None;
        }
        tracing::info!(
            "{} takes a share group's dead letters: this run reads every partition itself, so that pointers to one record merge it once",
            task.source
        );
        let explicit_id = self
            .settings()
            .transactional_id
            .as_deref()
            .filter(|_| self.derived_transactional_id().is_none());
        Some(MemberTag::new(Role::Alone, explicit_id))
    }

    /// The transactional id derived from group and source topic, when the run uses it
    /// (plain `-t`): bulk instances then add their instance id to it.
    fn derived_transactional_id(&self) -> Option<&str> {
        let settings = self.settings();
        let (group, id) = (
            settings.group.as_deref()?,
            settings.transactional_id.as_deref()?,
        );
        (id == crate::config::derived_transactional_id(group, self.config.task.source()))
            .then_some(id)
    }

    /// The settings of a bulk instance's producer: `transactional_id` (unchanged when `None`),
    /// and a transaction timeout short enough that a killed instance's open transaction stops
    /// holding back its partitions within seconds.
    fn shared_producer_settings(&self, transactional_id: Option<String>) -> Settings {
        let mut settings = self.settings().clone();
        if transactional_id.is_some() {
            settings.transactional_id = transactional_id;
        }
        settings
            .producer
            .entry("transaction.timeout.ms".to_owned())
            .or_insert_with(|| SHARED_TRANSACTION_TIMEOUT_MS.to_owned());
        settings
    }

    /// The producer of a bulk instance sharing its group: plain `-t` is made unique per
    /// instance (the group's generation fences zombies, not the id).
    pub(super) fn shared_producer(&self, me: &MemberTag) -> Result<Option<RecordProducer>, Error> {
        let Some(derived) = self.derived_transactional_id() else {
            let settings = self.shared_producer_settings(None);
            return Ok(Some(RecordProducer::create(&settings)?));
        };
        // A run alone before this one, killed, used the derived id itself: initializing a
        // producer with it fences that run and aborts its transaction at once (which would
        // hold back the group's offsets until it timed out). In the background: instances
        // starting together fence only each other's producers of this kind, which write
        // nothing, and none waits for that.
        fence_in_background(self.shared_producer_settings(None));
        // An id of this instance's own: fenced, it can only have been by the transaction
        // coordinator (a transaction open past its timeout) or by the other instances (this
        // one left the group), and a new producer may go on.
        let settings =
            self.shared_producer_settings(Some(instance_transactional_id(derived, &me.instance)));
        Ok(Some(RecordProducer::create_renewable(&settings)?))
    }

    /// How a bulk instance fences another instance of its job that left the group (see
    /// `SharedSource::fence_departed_with`): with plain `-t` its transactional id is known
    /// from its instance id. `None` without transactions, and with an explicit `-t=ID`
    /// (each instance's id is its own, and not shown to the others).
    pub(super) fn departed_fence(&self) -> Option<FenceDeparted> {
        let derived = self.derived_transactional_id()?.to_owned();
        let settings = self.shared_producer_settings(None);
        Some(Box::new(move |instance: &str| {
            let mut settings = settings.clone();
            settings.transactional_id = Some(instance_transactional_id(&derived, instance));
            fence_in_background(settings);
        }))
    }
}

impl Run<'_> {
    /// After a bulk instance's job: waits until the transactions open in what it wrote to
    /// have ended (see `kafka::wait_for_open_transactions`), at most the transaction timeout
    /// plus the coordinator's sweep and a margin: by then the cluster has aborted any left
    /// open by an instance of the job. `false` when interrupted while waiting.
    pub(super) fn settle(&self, written: &WrittenTopics) -> bool {
        let topics: Vec<String> = written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        let timeout_ms = self
            .shared_producer_settings(None)
            .producer
            .get("transaction.timeout.ms")
            .and_then(|ms| ms.parse::<u64>().ok())
            .unwrap_or(DEFAULT_TRANSACTION_TIMEOUT_MS);
        let limit = Duration::from_millis(timeout_ms) + COORDINATOR_SWEEP + SETTLE_MARGIN;
        match wait_for_open_transactions(self.settings(), &topics, limit, self.interrupt) {
            Ok(waited) => waited,
            Err(error) => {
                tracing::warn!(
                    "cannot tell whether a transaction is left open in what this job wrote to: {error:#}"
                );
                true
            }
        }
    }
}

/// librdkafka's default `transaction.timeout.ms`.
const DEFAULT_TRANSACTION_TIMEOUT_MS: u64 = 60_000;
/// The broker's default `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how
/// long after its timeout a transaction may still be open.
const COORDINATOR_SWEEP: Duration = Duration::from_secs(10);
/// For the abort markers to reach every partition.
const SETTLE_MARGIN: Duration = Duration::from_secs(5);

/// The transactional id of bulk instance `instance` when the run derives its id (plain `-t`).
fn instance_transactional_id(derived: &str, instance: &str) -> String {
    format!("{derived}-{instance}")
}

/// The transaction timeout of bulk instances sharing a group (unless the producer's
/// properties set one): 20 s. Short, because an open transaction of a killed instance holds
/// things up until it is aborted (`read_committed` readers of the destination and the DLQ stop
/// at it; whoever receives its partitions waits for their committed offsets); with plain `-t`
/// the instances that saw it leave fence it at once, so this bounds only the other cases (an
/// explicit `-t=ID`), to the timeout plus the coordinator's sweep (10 s by default) instead of
/// librdkafka's default minute. Not shorter, because librdkafka caps each record's delivery
/// time (`message.timeout.ms`) at the transaction timeout: at 5 s, a broker that stopped for
/// 8 s made every record of every batch time out, the batch abort, and the next one fail the
/// same way; 20 s outlasts such a stop (and a leader election), and a batch lives 2 s at most.
const SHARED_TRANSACTION_TIMEOUT_MS: &str = "20000";

/// Initializes, in the background, a producer with the transactional id of `settings`: that
/// fences any other producer with the id and aborts its open transaction at once.
fn fence_in_background(settings: Settings) {
    let spawned = std::thread::Builder::new()
        .name("fence".to_owned())
        .spawn(move || match RecordProducer::create(&settings) {
            Ok(producer) => drop(producer),
            Err(error) => tracing::debug!("fencing a transactional id: {error:#}"),
        });
    if let Err(error) = spawned {
        tracing::debug!("cannot start a thread to fence a transactional id: {error}");
    }
}
