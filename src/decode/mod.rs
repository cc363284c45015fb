//! Decoding of keys and values for display only: what is written is always the raw bytes.

pub mod text;
