//! Kafka layer: the only place that names rdkafka types. A raw-bytes consumer with an end
//! snapshot, an idempotent/transactional producer, and the action sink built on them.

mod admin;
mod client;
mod fetch;
mod group;
mod producer;
mod readers;
mod security;
mod settle;
mod sink;
mod source;
mod txn;
mod writer;

pub use admin::{ConfigLookup, Retention, compacts, describe_retention, why_tombstones_stay};
pub use fetch::{RecordFetcher, Unreadable};
pub use group::{MemberTag, Presence, Role, before_joining};
pub use producer::{OutgoingCopy, RecordProducer, Tombstone, WrittenTopics};
pub use readers::groups_reading;
pub use settle::wait_for_open_transactions;
pub use sink::{CopyRules, KafkaSink, OffsetsOnly};
pub use source::{
    AssignedSource, ClusterTopics, FenceDeparted, JobSource, OffsetCommitter, Range, Reader,
    SharedSource,
};
pub use txn::{TxnErrorClass, classify};
pub use writer::{KafkaWriter, Writer};
