//! Where a merged record goes: the one destination topic, or with `--to-origin` the topic its
//! DLQ headers name. A topic named by a header is untrusted: it is used only when it exists,
//! is not the DLQ itself, is not internal, and matches `--allow-origin` when given.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

use crate::record::Record;
use crate::triage::{LeftAlone, Target};

use super::origin::{OriginHeaders, origin_with};

/// What the cluster says of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicState {
    Exists {
        partitions: i32,
    },
    Missing,
    /// The cluster answered, but not about this topic (for example not authorized).
    Unreadable(String),
}

/// Which topics exist, and with how many partitions (the Kafka layer's metadata).
pub trait TopicCatalog {
    /// What the cluster says of `topic`.
    ///
    /// # Errors
    /// When the cluster cannot be asked.
    fn partitions(&mut self, topic: &str) -> anyhow::Result<TopicState>;
}

/// How destinations are chosen.
#[derive(Debug, Clone)]
pub enum Routing {
    /// Every record into this topic (checked to exist before the run).
    Fixed(Arc<str>),
    /// Into the topic the DLQ headers name; records without one into `fallback`, or left
    /// alone without it.
    ToOrigin {
        fallback: Option<Arc<str>>,
        allow: Option<Regex>,
        /// An in-house writer's origin headers (`--origin-header`).
        in_house: Option<OriginHeaders>,
    },
}

/// Chooses the [`Target`] of each record, remembering what it learnt of each topic.
pub struct Router<C> {
    routing: Routing,
    /// The DLQ: never a destination.
    source: String,
    keep_partition: bool,
    catalog: C,
    /// Per origin topic: its partition count, or why it is refused.
    known: HashMap<String, Result<i32, String>>,
}

impl<C: TopicCatalog> Router<C> {
    pub fn new(routing: Routing, source: &str, keep_partition: bool, catalog: C) -> Self {
        Self {
            routing,
            source: source.to_owned(),
            keep_partition,
            catalog,
            known: HashMap::new(),
        }
    }

    /// Whether destinations come from the records' headers.
    #[must_use]
    pub fn to_origin(&self) -> bool {
        matches!(self.routing, Routing::ToOrigin { .. })
    }

    /// Where `record` is merged to, or why it is left alone.
    ///
    /// # Errors
    /// When the cluster cannot be asked whether a topic exists.
    pub fn route(&mut self, record: &Record) -> anyhow::Result<Result<Target, LeftAlone>> {
        let (fallback, in_house) = match &self.routing {
            Routing::Fixed(topic) => return Ok(Ok(self.fixed(topic.clone(), record))),
            Routing::ToOrigin {
                fallback, in_house, ..
            } => (fallback.clone(), in_house.as_ref()),
        };
        let origin = match origin_with(&record.headers, in_house) {
            Ok(Some(origin)) => origin,
            Ok(None) => {
                return Ok(match fallback {
                    Some(topic) => Ok(self.fixed(topic, record)),
                    None => Err(LeftAlone::NoOrigin),
                });
            }
            Err(problem) => {
                return Ok(Err(LeftAlone::OriginRefused {
                    topic: None,
                    reason: problem.to_string(),
                }));
            }
        };
        let refused = |reason: String| LeftAlone::OriginRefused {
            topic: Some(origin.topic.clone()),
            reason,
        };
        let partitions = match self.check(&origin.topic)? {
            Ok(partitions) => partitions,
            Err(reason) => return Ok(Err(refused(reason))),
        };
        let partition = match origin.partition {
            Some(partition) if self.keep_partition => {
                if partition >= partitions {
                    return Ok(Err(refused(format!(
                        "origin partition {partition} does not exist (topic {} has {partitions})",
                        origin.topic
                    ))));
                }
                Some(partition)
            }
            _ => None,
        };
        Ok(Ok(Target {
            topic: Arc::from(origin.topic.as_str()),
            partition,
        }))
    }

    fn fixed(&self, topic: Arc<str>, record: &Record) -> Target {
        Target {
            topic,
            partition: self.keep_partition.then_some(record.at.partition),
        }
    }

    /// The partition count of origin `topic`, or why it may not be written to.
    fn check(&mut self, topic: &str) -> anyhow::Result<Result<i32, String>> {
        if let Some(known) = self.known.get(topic) {
            return Ok(known.clone());
        }
        let verdict = if topic == self.source {
            Err(format!("{topic} is the DLQ itself"))
        } else if topic.starts_with("__") || topic == "_schemas" {
            Err(format!("{topic} is an internal topic"))
        } else if let Routing::ToOrigin {
            allow: Some(allow), ..
        } = &self.routing
            && !matches_whole(allow, topic)
        {
            Err(format!("{topic} does not match --allow-origin {allow}"))
        } else {
            match self.catalog.partitions(topic)? {
                TopicState::Exists { partitions } => Ok(partitions),
                TopicState::Missing => Err(format!("topic {topic} does not exist")),
                TopicState::Unreadable(why) => Err(format!("cannot describe topic {topic}: {why}")),
            }
        };
        self.known.insert(topic.to_owned(), verdict.clone());
        Ok(verdict)
    }
}

/// Whether `pattern` matches the whole of `topic`, as Java's `Pattern.matches` does (not a
/// part of it: `orders` does not let `orders-admin` through). Looked up once per topic.
#[must_use]
pub fn matches_whole(pattern: &Regex, topic: &str) -> bool {
    Regex::new(&format!("^(?:{})$", pattern.as_str())).is_ok_and(|whole| whole.is_match(topic))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Topics `orders` (3 partitions) and `payments` (1); counts the questions asked.
    #[derive(Default)]
    struct Catalog {
        asked: usize,
    }

    impl TopicCatalog for &mut Catalog {
        fn partitions(&mut self, topic: &str) -> anyhow::Result<TopicState> {
            self.asked += 1;
            Ok(match topic {
                "orders" => TopicState::Exists { partitions: 3 },
                "payments" | "dlq" | "__consumer_offsets" => TopicState::Exists { partitions: 1 },
                "secret" => TopicState::Unreadable("Broker: Topic authorization failed".into()),
                _ => TopicState::Missing,
            })
        }
    }

    fn spring(topic: &str, partition: i32) -> Record {
        let mut record = Record::test(0, 5).with_header("kafka_dlt-original-topic", topic);
        record.headers.push(crate::record::Header {
            name: "kafka_dlt-original-partition".into(),
            value: Some(partition.to_be_bytes().to_vec()),
        });
        record
    }

    fn to_origin(fallback: Option<&str>, allow: Option<&str>) -> Routing {
        Routing::ToOrigin {
            fallback: fallback.map(Arc::from),
            allow: allow.map(|a| Regex::new(a).unwrap()),
            in_house: None,
        }
    }

    /// The destination topic and partition, or the reason the record is left alone.
    type Expected = Result<(String, Option<i32>), String>;

    fn outcome(routing: Routing, keep_partition: bool, record: &Record) -> Expected {
        let mut catalog = Catalog::default();
        let mut router = Router::new(routing, "dlq", keep_partition, &mut catalog);
        match router.route(record).unwrap() {
            Ok(target) => Ok((target.topic.to_string(), target.partition)),
            Err(left) => Err(left.to_string()),
        }
    }

    #[test]
    fn routes() {
        let plain = Record::test(2, 0);
        let cases: Vec<(Routing, bool, Record, Expected)> = vec![
            (
                Routing::Fixed("retry".into()),
                false,
                spring("orders", 1),
                Ok(("retry".into(), None)),
            ),
            (
                Routing::Fixed("retry".into()),
                true,
                plain.clone(),
                Ok(("retry".into(), Some(2))),
            ),
            (
                to_origin(None, None),
                false,
                spring("orders", 1),
                Ok(("orders".into(), None)),
            ),
            (
                to_origin(None, None),
                true,
                spring("orders", 1),
                Ok(("orders".into(), Some(1))),
            ),
            (
                to_origin(Some("retry"), None),
                true,
                plain.clone(),
                Ok(("retry".into(), Some(2))),
            ),
            (
                to_origin(None, None),
                false,
                plain.clone(),
                Err("no origin header".into()),
            ),
            (
                to_origin(None, None),
                false,
                spring("dlq", 0),
                Err("dlq is the DLQ itself".into()),
            ),
            (
                to_origin(None, None),
                false,
                spring("__consumer_offsets", 0),
                Err("internal".into()),
            ),
            (
                to_origin(None, None),
                false,
                spring("_schemas", 0),
                Err("internal".into()),
            ),
            (
                to_origin(None, None),
                false,
                spring("gone", 0),
                Err("topic gone does not exist".into()),
            ),
            (
                to_origin(None, None),
                false,
                spring("secret", 0),
                Err("cannot describe topic secret: Broker: Topic authorization failed".into()),
            ),
            (
                to_origin(None, Some("pay.*")),
                false,
                spring("orders", 0),
                Err("does not match --allow-origin pay.*".into()),
            ),
            (
                to_origin(None, Some("pay.*")),
                false,
                spring("payments", 0),
                Ok(("payments".into(), None)),
            ),
            // The whole name, as Java's Pattern.matches: not a part of it.
            (
                to_origin(None, Some("pay")),
                false,
                spring("payments", 0),
                Err("does not match --allow-origin pay".into()),
            ),
            (
                to_origin(None, Some("orders|payments")),
                false,
                spring("payments", 0),
                Ok(("payments".into(), None)),
            ),
            (
                to_origin(None, None),
                true,
                spring("orders", 3),
                Err("origin partition 3 does not exist (topic orders has 3)".into()),
            ),
            (
                to_origin(Some("retry"), None),
                false,
                spring("", 0),
                Err("header kafka_dlt-original-topic is empty".into()),
            ),
        ];
        for (i, (routing, keep, record, expected)) in cases.into_iter().enumerate() {
            let got = outcome(routing, keep, &record);
            match (&got, &expected) {
                (Err(got), Err(part)) => assert!(got.contains(part.as_str()), "case {i}: {got:?}"),
                _ => assert_eq!(got, expected, "case {i}"),
            }
        }
    }

    #[test]
    fn each_topic_is_asked_for_once() {
        let mut catalog = Catalog::default();
        let mut router = Router::new(to_origin(None, None), "dlq", false, &mut catalog);
        for _ in 0..3 {
            router.route(&spring("orders", 0)).unwrap().unwrap();
            router.route(&spring("gone", 0)).unwrap().unwrap_err();
        }
        drop(router);
        assert_eq!(catalog.asked, 2);
    }
}
