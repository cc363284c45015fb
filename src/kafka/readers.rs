//! Who re-reads a redrive: a record sent back to its origin topic reaches every consumer group
//! with offsets on that topic, not only the one that failed on it. Listed from the cluster's
//! groups (`ListGroups`) and each group's committed offsets (`OffsetFetch`); librdkafka cannot
//! ask for share groups' offsets, so those are named by the DLQ's headers only.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Settings;

use super::client::{Context, client_config, topic_partitions};

/// At most this many groups are asked for their offsets (one client each, one at a time).
const MAX_GROUPS: usize = 500;

/// Per topic of `topics`, the consumer groups with a committed offset on any of its
/// partitions; and how many groups of the cluster were not asked (past [`MAX_GROUPS`], or
/// past `budget`) or did not answer.
///
/// # Errors
/// When the cluster cannot be asked for its groups or a topic's partitions.
pub fn groups_reading(
    settings: &Settings,
    topics: &BTreeSet<String>,
    budget: Duration,
) -> anyhow::Result<(BTreeMap<String, Vec<String>>, usize)> {
    let deadline = Instant::now() + budget;
    let lister: BaseConsumer<Context> = client_config(&settings.consumer, &[])
        .create_with_context(Context::for_client(&settings.consumer))
        .context("cannot create a Kafka client to list consumer groups")?;
    let timeout = settings.timeout;
    let mut partitions = TopicPartitionList::new();
    for (topic, partition) in topic_partitions(&lister, topics, timeout)? {
        partitions.add_partition(&topic, partition);
    }
    let groups = lister
        .fetch_group_list(None, timeout)
        .context("cannot list the cluster's consumer groups")?;
    let mut names: Vec<String> = groups
        .groups()
        .iter()
        // Groups of consumers (classic or KIP-848), and those that only commit offsets.
        .filter(|group| matches!(group.protocol_type(), "consumer" | ""))
        .map(|group| group.name().to_owned())
        .collect();
    names.sort();
    let mut skipped = names.len().saturating_sub(MAX_GROUPS);
    names.truncate(MAX_GROUPS);
    let mut reading: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let total = names.len();
    for (asked, name) in names.into_iter().enumerate() {
        if Instant::now() >= deadline {
            skipped += total - asked;
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match topics_with_offsets(settings, &name, &partitions, left.min(settings.timeout))? {
            Some(found) => {
                for topic in found {
                    reading.entry(topic).or_default().push(name.clone());
                }
            }
            None => skipped += 1,
        }
    }
    Ok((reading, skipped))
}

/// The topics of `partitions` on which `group` has a committed offset; `None` when the group
/// did not answer.
fn topics_with_offsets(
    settings: &Settings,
    group: &str,
    partitions: &TopicPartitionList,
    timeout: Duration,
) -> anyhow::Result<Option<BTreeSet<String>>> {
    // A client of the group that never joins it: it only asks for its offsets.
    let asker: BaseConsumer<Context> = client_config(&settings.consumer, &[])
        .set("group.id", group)
        .create_with_context(Context::for_client(&settings.consumer))
        .context("cannot create a Kafka client to read a group's offsets")?;
    let committed = match asker.committed_offsets(partitions.clone(), timeout) {
        Ok(committed) => committed,
        Err(error) => {
            tracing::debug!("cannot read the offsets of group {group}: {error}");
            return Ok(None);
        }
    };
    Ok(Some(
        committed
            .elements()
            .iter()
            .filter(|element| matches!(element.offset(), Offset::Offset(_)))
            .map(|element| element.topic().to_owned())
            .collect(),
    ))
}
