//! The end of a bulk instance's job: until every transaction open in the topics it wrote to
//! has ended, `read_committed` readers of those topics (the services the copies go back to)
//! see none of what was written after it began, committed or not.
//!
//! An instance of the job killed before any other instance saw it in the group is fenced by
//! no one: the transaction it left open stays open until the transaction coordinator aborts
//! it (the transaction timeout plus the coordinator's sweep, up to half a minute with the
//! defaults), and the instances that finish its partitions would exit while the copies they
//! committed are still out of sight. So a finishing instance waits, bounded, until the last
//! stable offset of each partition it wrote to reached the end it had when the job was done.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;
use crate::triage::Interrupt;

use super::client::{Context, client_config, topic_partitions};

/// How often the last stable offsets are asked for while waiting.
const POLL: Duration = Duration::from_millis(500);

/// Waits until no transaction that was open when it was called holds back `read_committed`
/// readers of `topics`, for `limit` at most (a warning then names what is still open), or
/// until interrupted: `Ok(false)` then.
///
/// # Errors
/// When the cluster cannot be asked for the ends to wait for.
pub fn wait_for_open_transactions(
    settings: &Settings,
    topics: &[String],
    limit: Duration,
    interrupt: &Interrupt,
) -> anyhow::Result<bool> {
    if topics.is_empty() {
        return Ok(true);
    }
    let ends = Lister::new(settings, "read_uncommitted")?;
    let stable = Lister::new(settings, "read_committed")?;
    let partitions = topic_partitions(&ends.consumer, topics, ends.timeout)?;
    let targets = ends.list(&partitions)?;
    let deadline = Instant::now() + limit;
    let mut told = false;
    loop {
        // A listing that fails (a leader moving) is asked again until the limit.
        let open = match stable.list(&partitions) {
            Ok(stable) => behind(&targets, &stable),
            Err(error) => {
                tracing::debug!("{error:#}");
                targets.keys().cloned().collect()
            }
        };
        if open.is_empty() {
            if told {
                tracing::info!("no transaction is left open in what this job wrote to");
            }
            return Ok(true);
        }
        if interrupt.is_raised() {
            return Ok(false);
        }
        if Instant::now() >= deadline {
            tracing::warn!(
                "a transaction is still open in {} after {} s: read_committed readers see nothing written there after it began until it ends (the cluster aborts it once it times out; kafka-transactions.sh list and find-hanging show it)",
                describe(&open),
                limit.as_secs()
            );
            return Ok(true);
        }
        if !told {
            tracing::info!(
                "waiting, {} s at most, for a transaction left open in {} to end (an instance of this job killed before the others saw it, or another producer): until then, read_committed readers do not see every copy",
                limit.as_secs(),
                describe(&open)
            );
            told = true;
        }
        std::thread::sleep(POLL);
    }
}

type Partitions = BTreeMap<(String, i32), i64>;

/// The partitions whose last stable offset is still below its target.
fn behind(targets: &Partitions, stable: &Partitions) -> Vec<(String, i32)> {
    targets
        .iter()
        .filter(|(at, target)| stable.get(*at).is_none_or(|offset| offset < *target))
        .map(|(at, _)| at.clone())
        .collect()
}

/// `retry/0, retry/3`, the first few.
fn describe(open: &[(String, i32)]) -> String {
    let mut names: Vec<String> = open
        .iter()
        .take(5)
        .map(|(topic, partition)| format!("{topic}/{partition}"))
        .collect();
    if open.len() > 5 {
        names.push(format!("{} more", open.len() - 5));
    }
    names.join(", ")
}

/// Lists end offsets as readers of one isolation level see them.
struct Lister {
    consumer: BaseConsumer<Context>,
    timeout: Duration,
}

impl Lister {
    fn new(settings: &Settings, isolation: &str) -> anyhow::Result<Self> {
        // Set, not forced: the run's own isolation level is not what this client is about.
        let mut config = client_config(&settings.consumer, &[]);
        config.set("isolation.level", isolation);
        let consumer = config
            .create_with_context(Context::for_client(&settings.consumer))
            .context("cannot create a Kafka client to list offsets")?;
        Ok(Self {
            consumer,
            timeout: settings.timeout,
        })
    }

    /// The end offset of each partition.
    fn list(&self, partitions: &[(String, i32)]) -> anyhow::Result<Partitions> {
        let mut request = TopicPartitionList::with_capacity(partitions.len());
        for (topic, partition) in partitions {
            request.add_partition_offset(topic, *partition, Offset::End)?;
        }
        let answer = self
            .consumer
            .offsets_for_times(request, self.timeout)
            .context("cannot list the end offsets of the topics written to")?;
        Ok(answer
            .elements()
            .iter()
            .filter_map(|element| match (element.error(), element.offset()) {
                (Ok(()), Offset::Offset(offset)) => {
                    Some(((element.topic().to_owned(), element.partition()), offset))
                }
                _ => None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_behind_until_its_stable_offset_reaches_the_target() {
        let at = |partition| ("retry".to_owned(), partition);
        let targets = Partitions::from([(at(0), 10), (at(1), 5), (at(2), 7)]);
        let stable = Partitions::from([(at(0), 10), (at(1), 3)]);
        assert_eq!(behind(&targets, &stable), [at(1), at(2)]);
        assert_eq!(describe(&behind(&targets, &stable)), "retry/1, retry/2");
        let many: Vec<_> = (0..7).map(at).collect();
        assert_eq!(
            describe(&many),
            "retry/0, retry/1, retry/2, retry/3, retry/4, 2 more"
        );
    }
}
