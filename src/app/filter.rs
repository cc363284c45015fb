//! The run's record filter, with `--grep` applied to the value as the decoder shows it.

use std::collections::BTreeSet;

use crate::config::{ConfigError, RunConfig};
use crate::decode::decoder::{Body, Decoded, Decoder};
use crate::error::Error;
use crate::record::Record;
use crate::triage::{Filter, RecordFilter};

/// The filter of the run, and for `--grep` the decoder (with its schema cache) of the values.
pub(super) struct DisplayedFilter {
    filter: Filter,
    /// Present with `--grep` only; decodes values, never keys.
    decoder: Option<Decoder>,
}

impl DisplayedFilter {
    /// The filter of `config`; its grep decoder is set up like the renderer's.
    pub(super) fn new(config: &RunConfig) -> Result<Self, Error> {
        let decoder = if config.filter.grep.is_some() {
            Some(
                Decoder::new(&config.settings)
                    .map_err(|error| ConfigError::Other(error.to_string()))?,
            )
        } else {
            None
        };
        Ok(Self {
            filter: config.filter.clone(),
            decoder,
        })
    }

    /// The partitions to read, `None` for all.
    pub(super) fn partitions(&self) -> Option<&BTreeSet<i32>> {
        self.filter.partitions.as_ref()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.filter.is_empty()
    }
}

impl RecordFilter for DisplayedFilter {
    fn matches(&mut self, record: &Record) -> bool {
        let decoder = &mut self.decoder;
        self.filter.matches(record, &mut |record: &Record| {
            let Some(value) = record.value.as_deref() else {
                return String::new();
            };
            match decoder
                .as_mut()
                .and_then(|decoder| decoder.decode_value(record))
            {
                Some(decoded) => displayed_text(&decoded),
                None => String::from_utf8_lossy(value).into_owned(),
            }
        })
    }
}

/// The text a person sees of a decoded value.
fn displayed_text(decoded: &Decoded) -> String {
    match &decoded.body {
        Body::Json(json) => json.as_str().to_owned(),
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
    }
}
