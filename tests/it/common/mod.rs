//! The harness of the integration tests (one test binary, `tests/it/main.rs`).
//!
//! - [`broker`]: the plain broker ([`kafka`]) and the secured one ([`secured`]), started or
//!   found once per test process, with the choice of their ports; setup through rdkafka
//!   ([`Broker::create_topic`], [`Broker::produce`]).
//! - [`checker`]: verification that never trusts rdkafka (the tool's own client):
//!   [`Broker::read_all`], [`Broker::group_offsets`], [`Broker::end_offsets`],
//!   [`Broker::topic_config`] and [`Broker::produce_foreign`] run Apache Kafka's Java client,
//!   in checkers kept running ([`served`]).
//! - [`tool`]: the tool itself ([`Kmp`] to build a run, [`kmp`] for its bare command with a
//!   scrubbed environment) and [`run`] for any process (stdin bytes, timeout, captured output).
//! - [`records`]: [`TestRecord`], what a test writes in its setup.
//! - [`registry`]: the real schema registry (Apicurio Registry through its Confluent-compatible
//!   API), started once per test process; schemas registered over HTTP.

pub mod broker;
pub mod checker;
pub mod records;
pub mod registry;
pub mod served;
pub mod tool;

pub use broker::{Broker, kafka, secured};
pub use checker::{Isolation, ReadRecord};
pub use records::{TestRecord, as_merged};
pub use tool::{Kmp, RunOutput, kmp, merge_args, run};

/// Fails the test, showing `text`, unless it contains `part`.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in:\n{text}");
}

/// Fails the test, showing `text`, when it contains `part`.
#[track_caller]
pub fn assert_lacks(text: &str, part: &str) {
    assert!(!text.contains(part), "{part:?} in:\n{text}");
}

/// A name no other test (or earlier run) uses, for topics, groups and transactional ids.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}
