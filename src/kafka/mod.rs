//! Kafka layer: the only place that names rdkafka types.

pub mod check;
