//! kafka-merge-purge: triage of Kafka dead letter queues.
//!
//! The data path reads in one direction: [`config`] → `kafka` consumer → [`triage`] engine
//! (asking a decision source) → action sink (`kafka` producer) ; [`ui`] renders on the way.
//!
//! Without the `kafka` feature (on by default) the crate builds without librdkafka: no
//! `kafka` and `app` modules, the rest whole (what the fuzz targets use).

#[cfg(feature = "kafka")]
pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod error;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod record;
pub mod redrive;
pub mod review;
#[cfg(test)]
mod testing;
pub mod triage;
pub mod ui;
