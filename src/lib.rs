//! kafka-merge-purge: triage of Kafka dead letter queues.
//!
//! The data path reads in one direction: [`config`] → [`kafka`] consumer → [`triage`] engine
//! (asking a decision source) → action sink ([`kafka`] producer) ; [`ui`] renders on the way.
//!
//! This crate is the Kafka client ([`kafka`]) and the application ([`app`]); everything that
//! needs no Kafka client is the crate `kafka-merge-purge-core` (crates/core), whose modules are
//! re-exported here under their own names.

pub mod app;
pub mod kafka;

pub use kafka_merge_purge_core::{
    cli, config, decode, error, record, redrive, repair, review, triage, ui,
};
