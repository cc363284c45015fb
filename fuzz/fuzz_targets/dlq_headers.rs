//! Fuzz target: DLQ headers as any framework might write them, or garble them (names picked
//! from the ones the tool reads, values any bytes), through the origin parser, the router and
//! the copy's header policy. Never a panic; a routed record never goes to the DLQ itself, to
//! an internal topic or to a name that is not a legal topic; the copy carries exactly one
//! replay count, one more than the record's, and nothing the policy removes.
#![no_main]

use std::sync::Arc;

use kafka_merge_purge_core::record::{Coordinates, Header, Record};
use kafka_merge_purge_core::redrive::origin::{is_dlq_metadata, is_legal_topic, origin_of, spring_number};
use kafka_merge_purge_core::triage::{DEFAULT_CLASS_HEADERS, failure_class};
use kafka_merge_purge_core::redrive::{
    CopyTimestamp, HeaderPolicy, NamePattern, REPLAY_COUNT, Router, Routing, TopicCatalog,
    TopicState, replay_count,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "kafka_dlt-original-topic",
    "kafka_dlt-original-partition",
    "kafka_dlt-original-offset",
    "kafka_dlt-original-timestamp",
    "kafka_dlt-exception-fqcn",
    "__connect.errors.topic",
    "__connect.errors.partition",
    "__connect.errors.offset",
    "__streams.errors.topic",
    "__streams.errors.partition",
    "source_topic",
    "source_partition",
    "original_topic",
    "dead-letter-topic",
    "dead-letter-partition",
    "__dlq.errors.topic",
    "__dlq.errors.offset",
    "x-source-topic",
    "x-source-partition",
    "kafka_dlt-exception-cause-fqcn",
    "__streams.errors.exception",
    REPLAY_COUNT,
    "kmp-original-timestamp",
    "traceparent",
];

#[derive(Debug, Arbitrary)]
struct Input {
    headers: Vec<(u8, Option<Vec<u8>>)>,
    other_name: String,
    keep_partition: bool,
    strip_dlq: bool,
    drop: Vec<String>,
    fallback: bool,
    now: bool,
    /// An in-house writer's headers (`--origin-header`), in one of the three formats.
    in_house: Option<u8>,
}

/// Every legal topic exists, with 4 partitions.
struct Anything;

impl TopicCatalog for Anything {
    fn partitions(&mut self, topic: &str) -> anyhow::Result<TopicState> {
        assert!(is_legal_topic(topic), "asked about {topic:?}");
        Ok(TopicState::Exists { partitions: 4 })
    }
}

fuzz_target!(|input: Input| {
    let headers: Vec<Header> = input
        .headers
        .into_iter()
        .map(|(pick, value)| Header {
            name: NAMES
                .get(usize::from(pick))
                .map_or_else(|| input.other_name.clone(), |&name| name.to_owned()),
            value,
        })
        .collect();
    for header in &headers {
        let _ = spring_number(&header.name, header.value.as_deref().unwrap_or_default());
    }
    let record = Record {
        read_from: None,
        at: Coordinates {
            topic: "dlq".into(),
            partition: 1,
            offset: 9,
        },
        timestamp: None,
        key: Some(b"k".to_vec()),
        value: Some(b"v".to_vec()),
        headers,
    };
    if let Ok(Some(origin)) = origin_of(&record.headers) {
        assert!(is_legal_topic(&origin.topic));
        assert!(origin.partition.is_none_or(|p| p >= 0));
    }
    // The failure class is a part of one of the record's header values, or none.
    let defaults: Vec<String> = DEFAULT_CLASS_HEADERS.iter().map(|&h| h.to_owned()).collect();
    if let Some(class) = failure_class(&defaults, &record) {
        assert!(record.headers.iter().any(|h| {
            h.value.as_deref().unwrap_or_default().starts_with(class)
        }));
    }
    let routing = Routing::ToOrigin {
        fallback: input.fallback.then(|| Arc::from("retry")),
        allow: None,
        in_house: input.in_house.map(|format| {
            let format = ["text", "int32", "int64"][usize::from(format % 3)];
            format!("topic=x-source-topic,partition=x-source-partition:{format}")
                .parse()
                .unwrap_or_else(|e| panic!("a spec the fuzz target wrote: {e}"))
        }),
    };
    let mut router = Router::new(routing, "dlq", input.keep_partition, Anything);
    if let Ok(target) = router.route(&record).unwrap() {
        let topic: &str = &target.topic;
        assert!(topic != "dlq" && !topic.starts_with("__") && topic != "_schemas");
        assert!(is_legal_topic(topic));
        assert!(target.partition.is_none_or(|p| (0..4).contains(&p)));
    }
    let policy = HeaderPolicy {
        strip_dlq: input.strip_dlq,
        drop: input
            .drop
            .iter()
            .filter(|name| !name.is_empty())
            .map(|name| NamePattern::parse(name))
            .collect(),
    };
    let timestamp = if input.now {
        CopyTimestamp::Now
    } else {
        CopyTimestamp::Kept
    };
    let copy = policy.copy_headers(&record, timestamp);
    let counts: Vec<&Header> = copy.iter().filter(|h| h.name == REPLAY_COUNT).collect();
    assert_eq!(counts.len(), 1);
    let expected = replay_count(&record).unwrap_or(0).saturating_add(1);
    assert_eq!(counts[0].value.as_deref(), Some(expected.to_string().as_bytes()));
    for header in &copy {
        if header.name != REPLAY_COUNT && header.name != "kmp-original-timestamp" {
            assert!(policy.keeps(&header.name));
            assert!(!(input.strip_dlq && is_dlq_metadata(&header.name)));
        }
    }
});
