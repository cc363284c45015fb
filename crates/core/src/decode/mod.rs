//! Decoding of keys and values for display only: what is written is always the raw bytes.
//!
//! `wire` detects the schema registry wire format, `registry` fetches schemas by id (cached, over `registry_tls`),
//! `avro` turns Avro data into readable JSON text (`json_text`), `text` sorts plain payloads into JSON, text and
//! binary, and `decoder` puts them together into one [`Decoder`] that never fails.

pub mod avro;
pub mod decoder;
pub mod json_text;
pub mod protobuf;
pub mod registry;
mod registry_tls;
mod setup_error;
pub mod text;
pub mod wire;

pub use decoder::{
    Body, Decoded, DecodedRecord, Decoder, Editable, SchemaInfo, SchemaKind, TargetSchema,
    val_to_json,
};
pub use json_text::JsonText;
