//! Topic configuration look-ups: the cleanup policy (the tombstone safety check) and the
//! retention of destinations (the retention check before merging).

use std::collections::{BTreeMap, HashMap};
use std::sync::{OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use futures::channel::oneshot;
use futures::future::{self, Either};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;

use crate::config::Settings;

use super::client::client_config;

/// The configuration of each of `topics` (entries with a value).
type Configs = BTreeMap<String, HashMap<String, String>>;

/// The configuration of some topics (the source's `cleanup.policy`, the destination's
/// retention), asked for on a thread of its own: the admin client takes a round trip to
/// answer and about 100 ms to shut down, which the run need not wait for. Dropping the
/// look-up cancels a question still unanswered (a run that fails early, say on a wrong
/// password, must not wait for it to time out) and waits for the thread.
pub struct ConfigLookup {
    answer: mpsc::Receiver<anyhow::Result<Configs>>,
    got: OnceLock<Result<Configs, String>>,
    /// Dropped to cancel the question.
    cancel: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ConfigLookup {
    /// Starts asking for the configuration of `topics`.
    #[must_use]
    pub fn start(settings: &Settings, topics: &[&str]) -> Self {
        let (sender, answer) = mpsc::channel();
        let (cancel, cancelled) = oneshot::channel::<()>();
        let config = client_config(&settings.consumer, &[]);
        let timeout = settings.timeout;
        let topics: Vec<String> = topics.iter().map(|&t| t.to_owned()).collect();
        let reply = sender.clone();
        let thread = std::thread::Builder::new()
            .name("topic-config".into())
            .spawn(move || {
                match config.create::<AdminClient<DefaultClientContext>>() {
                    Ok(admin) => {
                        let question = Box::pin(describe_configs(&admin, &topics, timeout));
                        // `Right`: cancelled, nobody waits for the answer any more.
                        if let Either::Left((answer, _)) =
                            futures::executor::block_on(future::select(question, cancelled))
                        {
                            let _ = reply.send(answer.map(|configs| configs.into_iter().collect()));
                        }
                        // The answer is out; the admin client shuts down after it.
                        drop(admin);
                    }
                    Err(error) => {
                        let _ = reply.send(Err(anyhow::Error::new(error)
                            .context("cannot create the Kafka admin client")));
                    }
                }
            });
        let (cancel, thread) = match thread {
            Ok(thread) => (Some(cancel), Some(thread)),
            Err(error) => {
                let _ = sender.send(Err(anyhow::anyhow!("cannot start the look-up: {error}")));
                (None, None)
            }
        };
        Self {
            answer,
            got: OnceLock::new(),
            cancel,
            thread,
        }
    }

    /// The configuration of `topic`, once the cluster answered.
    fn config(&self, topic: &str) -> anyhow::Result<&HashMap<String, String>> {
        let got = self.got.get_or_init(|| {
            self.answer
                .recv()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the look-up ended without an answer")))
                .map_err(|error| format!("{error:#}"))
        });
        match got {
            Ok(configs) => configs
                .get(topic)
                .with_context(|| format!("the configuration of topic {topic} was not asked for")),
            Err(error) => Err(anyhow::anyhow!("{error}")),
        }
    }

    /// The `cleanup.policy` of `topic` (`delete`, `compact` or `compact,delete`).
    ///
    /// # Errors
    /// When the cluster cannot be asked or refuses.
    pub fn cleanup_policy(&self, topic: &str) -> anyhow::Result<String> {
        Ok(self
            .config(topic)?
            .get("cleanup.policy")
            .cloned()
            .unwrap_or_else(|| "delete".to_owned()))
    }

    /// Whether `topic` takes a share group's dead letters (KIP-1191:
    /// `errors.deadletterqueue.group.enable=true`); `false` when it cannot be told.
    #[must_use]
    pub fn takes_share_group_dead_letters(&self, topic: &str) -> bool {
        self.config(topic).is_ok_and(|config| {
            config
                .get("errors.deadletterqueue.group.enable")
                .is_some_and(|value| value == "true")
        })
    }

    /// The [`Retention`] of `topic`.
    ///
    /// # Errors
    /// When the cluster cannot be asked or refuses.
    pub fn retention(&self, topic: &str) -> anyhow::Result<Retention> {
        Ok(Retention::from_config(self.config(topic)?))
    }
}

impl Drop for ConfigLookup {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::debug!("the topic configuration look-up panicked");
        }
    }
}

/// The configuration of each of `topics` (entries with a value), in order.
async fn describe_configs(
    admin: &AdminClient<DefaultClientContext>,
    topics: &[String],
    timeout: Duration,
) -> anyhow::Result<Vec<(String, HashMap<String, String>)>> {
    let options = AdminOptions::new().request_timeout(Some(timeout));
    let resources: Vec<ResourceSpecifier<'_>> = topics
        .iter()
        .map(|topic| ResourceSpecifier::Topic(topic))
        .collect();
    let results = admin
        .describe_configs(&resources, &options)
        .await
        .with_context(|| format!("cannot describe topics {topics:?}"))?;
    let mut configs = Vec::new();
    for (topic, result) in topics.iter().zip(results) {
        let resource =
            result.map_err(|code| anyhow::anyhow!("cannot describe topic {topic}: {code}"))?;
        let entries = resource
            .entries
            .into_iter()
            .filter_map(|entry| entry.value.map(|value| (entry.name, value)))
            .collect();
        configs.push((topic.clone(), entries));
    }
    Ok(configs)
}

/// What decides whether the broker soon deletes a copy for its age: `cleanup.policy`,
/// `retention.ms` and `message.timestamp.type` of the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub cleanup_policy: String,
    /// `None` for unlimited (`-1`).
    pub retention_ms: Option<i64>,
    pub timestamp_type: String,
}

impl Retention {
    fn from_config(config: &HashMap<String, String>) -> Self {
        Self {
            cleanup_policy: config
                .get("cleanup.policy")
                .cloned()
                .unwrap_or_else(|| "delete".to_owned()),
            retention_ms: config
                .get("retention.ms")
                .and_then(|ms| ms.parse::<i64>().ok())
                .filter(|&ms| ms >= 0),
            timestamp_type: config
                .get("message.timestamp.type")
                .cloned()
                .unwrap_or_else(|| "CreateTime".to_owned()),
        }
    }

    /// Copies with a timestamp before this (epoch ms) are past retention at `now`; `None`
    /// when age deletes nothing (compaction only, unlimited retention, or the broker stamps
    /// records with `LogAppendTime`).
    #[must_use]
    pub fn deletes_before(&self, now: i64) -> Option<i64> {
        let deletes = self
            .cleanup_policy
            .split(',')
            .any(|policy| policy.trim() == "delete");
        match self.retention_ms {
            Some(ms) if deletes && ms >= 0 && self.timestamp_type != "LogAppendTime" => {
                Some(now.saturating_sub(ms))
            }
            _ => None,
        }
    }
}

/// The [`Retention`] of each of `topics`, asked in one request.
///
/// # Errors
/// When the cluster cannot be asked or refuses.
pub fn describe_retention(
    settings: &Settings,
    topics: &[String],
) -> anyhow::Result<BTreeMap<String, Retention>> {
    let admin: AdminClient<DefaultClientContext> = client_config(&settings.consumer, &[])
        .create()
        .context("cannot create the Kafka admin client")?;
    let configs = futures::executor::block_on(describe_configs(&admin, topics, settings.timeout))?;
    Ok(configs
        .into_iter()
        .map(|(topic, config)| (topic, Retention::from_config(&config)))
        .collect())
}

/// Whether tombstones remove records under `policy`.
#[must_use]
pub fn compacts(policy: &str) -> bool {
    policy.split(',').any(|p| p.trim() == "compact")
}

/// Why tombstones remove nothing from a topic with `policy` (one that does not compact): as
/// people read it, an empty policy (Kafka 4.2+: nothing is ever deleted) included.
#[must_use]
pub fn why_tombstones_stay(policy: &str) -> String {
    if policy.trim().is_empty() {
        "an empty cleanup.policy (its records are kept for ever)".to_owned()
    } else {
        format!("cleanup.policy={policy}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_policy_is_said_as_such() {
        assert!(!compacts(""));
        assert_eq!(
            why_tombstones_stay(""),
            "an empty cleanup.policy (its records are kept for ever)"
        );
        assert_eq!(why_tombstones_stay("delete"), "cleanup.policy=delete");
    }

    #[test]
    fn only_age_based_deletion_of_create_time_deletes_old_copies() {
        let retention = |policy: &str, ms: Option<i64>, kind: &str| Retention {
            cleanup_policy: policy.into(),
            retention_ms: ms,
            timestamp_type: kind.into(),
        };
        let now = 1_000_000;
        let cases = [
            (
                retention("delete", Some(1_000), "CreateTime"),
                Some(999_000),
            ),
            (
                retention("compact,delete", Some(1_000), "CreateTime"),
                Some(999_000),
            ),
            (retention("compact", Some(1_000), "CreateTime"), None),
            (retention("delete", None, "CreateTime"), None),
            (retention("delete", Some(1_000), "LogAppendTime"), None),
        ];
        for (retention, expected) in cases {
            assert_eq!(retention.deletes_before(now), expected, "{retention:?}");
        }
    }
}
