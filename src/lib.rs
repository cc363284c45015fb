//! kafka-merge-purge: triage of Kafka dead letter queues.
//!
//! The data path reads in one direction: [`config`] → [`kafka`] consumer → [`triage`] engine
//! (asking a decision source) → action sink ([`kafka`] producer) ; [`ui`] renders on the way.

pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod error;
pub mod kafka;
pub mod record;
pub mod redrive;
pub mod review;
#[cfg(test)]
mod testing;
pub mod triage;
pub mod ui;
