//! The integration tests: one test binary (one link), one module per subcommand or concern,
//! all against the real Apache Kafka broker of `common::broker`, checked with Apache Kafka's
//! own Java client (`common::checker`).

mod common;

mod allocator;
mod ask;
mod bad_input;
mod completions;
mod decided;
mod decode;
mod errors;
mod faults;
mod formats;
mod frameworks;
mod harness;
mod merge_all;
mod prompt_tty;
mod purge_all;
mod rails;
mod redrive;
mod registry;
mod repair;
mod review;
mod scale_out;
mod security;
mod transactions;
mod view;
