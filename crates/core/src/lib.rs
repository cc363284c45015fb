//! The part of kafka-merge-purge that needs no Kafka client: the command line and the
//! configuration layer ([`cli`], [`config`]), decoding and rendering ([`decode`], [`ui`]), the
//! triage engine ([`triage`]), redrive policy ([`redrive`]), plans and journals ([`review`]).
//! The tool's crate adds the Kafka client and the application on top; the fuzz targets and
//! most unit tests build this crate alone, without librdkafka (but for the property check of
//! `config::librdkafka`, behind the feature `librdkafka-check`).

pub mod cli;
pub mod config;
pub mod decode;
pub mod error;
pub mod private_file;
pub mod record;
pub mod redrive;
pub mod repair;
pub mod review;
#[cfg(test)]
mod testing;
pub mod triage;
pub mod ui;
