//! Makes repairs of records: a transform's (`--transform`) or a person's edit, each checked by
//! writing it back with the record's own schema.

use std::sync::Arc;

use crate::decode::{Decoder, Editable, val_to_json};
use crate::record::Record;

use super::{Change, Repair, TargetSchema, Transform, changes};

/// What becomes of a record's merge when repairs are asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repaired {
    /// Merged as it is (no repair asked for this record).
    AsIs,
    /// Merged with this repair.
    Repaired(Arc<Repair>),
    /// Not merged: why its repair could not be made (it is left alone).
    Refused(String),
}

/// A repair and the changes it makes to the shown value.
#[derive(Debug, Clone)]
pub struct Made {
    pub repair: Arc<Repair>,
    /// Empty for a transform when changes are not kept ([`Repairer::keep_changes`]).
    pub changes: Vec<Change>,
}

/// Makes repairs with its own decoder (and registry client).
#[derive(Debug)]
pub struct Repairer {
    decoder: Decoder,
    transform: Option<Transform>,
    /// `--repair-schema`: written with this schema instead of the record's own.
    schema: Option<TargetSchema>,
    /// Whether transforms work out their changes field by field (for people and plans; a
    /// bulk run writing to Kafka does without).
    keep_changes: bool,
}

impl Repairer {
    #[must_use]
    pub fn new(decoder: Decoder, transform: Option<Transform>) -> Self {
        Self {
            decoder,
            transform,
            schema: None,
            keep_changes: true,
        }
    }

    /// Whether the next transforms work out their changes (see [`Made::changes`]).
    pub fn keep_changes(&mut self, keep: bool) {
        self.keep_changes = keep;
    }

    /// The same repairer writing with `schema` (`--repair-schema`).
    #[must_use]
    pub fn writing_with(mut self, schema: Option<TargetSchema>) -> Self {
        self.schema = schema;
        self
    }

    /// The transform, when one is given.
    #[must_use]
    pub fn transform(&self) -> Option<&Transform> {
        self.transform.as_ref()
    }

    /// The value (or key) of `record` as a person edits it, written back with the record's
    /// own schema, or `--repair-schema`'s (`latest`: of the subject of `topic`, the copy's
    /// destination).
    ///
    /// # Errors
    /// Why it cannot be edited.
    pub fn editable(
        &mut self,
        record: &Record,
        key: bool,
        topic: &str,
    ) -> Result<Editable, String> {
        let editable = self.decoder.editable(record, key)?;
        match self.schema {
            None => Ok(editable),
            Some(schema) => self.decoder.retarget(editable, schema, topic, key),
        }
    }

    /// The transform's repair of `record`'s value.
    ///
    /// # Errors
    /// Why there is none: no transform, a value it cannot read, the expression's error, a
    /// result the schema refuses, or a result that changes nothing.
    pub fn transformed(&mut self, record: &Record, topic: &str) -> Result<Made, String> {
        let Some(transform) = self.transform.take() else {
            return Err("no --transform".to_owned());
        };
        // The transform is put back whatever happens.
        let made = self.transform_with(&transform, record, topic);
        self.transform = Some(transform);
        made
    }

    fn transform_with(
        &mut self,
        transform: &Transform,
        record: &Record,
        topic: &str,
    ) -> Result<Made, String> {
        let editable = self.editable(record, false, topic)?;
        // jq's own values from the decoder's JSON to the encoder: no JSON tree in between.
        let input = editable.input()?;
        let output = transform.run_val(input.clone())?;
        if output == input {
            return Err("the transform changes nothing".to_owned());
        }
        let bytes = editable.write_val(&output)?;
        let changes = if self.keep_changes {
            let json = |value| val_to_json(value).unwrap_or_default();
            changes(&json(&input), &json(&output))
        } else {
            Vec::new()
        };
        Ok(Made {
            repair: Arc::new(Repair {
                by: transform.by().to_owned(),
                expression: Some(transform.expression().to_owned()),
                value: Some(bytes),
                key: None,
                original_sha256: Repair::digest_of(record.value.as_deref()),
                changes: changes.clone(),
            }),
            changes,
        })
    }

    /// A person's edit of `record`'s value (or key), saved as `text`.
    ///
    /// # Errors
    /// Why it is refused: not JSON, refused by the schema, or unchanged.
    pub fn edited(
        &mut self,
        record: &Record,
        editable: &Editable,
        key: bool,
        text: &str,
    ) -> Result<Made, String> {
        let shown = editable.parse(text)?;
        if editable.unchanged(text) {
            return Err("nothing was changed".to_owned());
        }
        let before = editable.shown().to_json();
        let after = shown.to_json();
        let bytes = editable.write_val(&editable.parse_val(text)?)?;
        let mut changes = changes(&before, &after);
        let (value, key_bytes) = if key {
            // A key's changes are told apart from the value's: `key.id`, `key`.
            for change in &mut changes {
                change.path = if change.path == "." {
                    "key".to_owned()
                } else {
                    format!("key{}", change.path)
                };
            }
            (None, Some(bytes))
        } else {
            (Some(bytes), None)
        };
        Ok(Made {
            repair: Arc::new(Repair {
                by: "edit".to_owned(),
                expression: None,
                value,
                key: key_bytes,
                original_sha256: Repair::digest_of(record.value.as_deref()),
                changes: changes.clone(),
            }),
            changes,
        })
    }
}
