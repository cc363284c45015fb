//! Makes repairs of records: a transform's (`--transform`) or a person's edit, each checked by
//! writing it back with the record's own schema.

use std::sync::Arc;

use jaq_json::Val;

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
        editable(&mut self.decoder, self.schema, record, key, topic)
    }

    /// The transform's repair of `record`'s value.
    ///
    /// # Errors
    /// Why there is none: no transform, a value it cannot read, the expression's error, a
    /// result the schema refuses, or a result that changes nothing.
    pub fn transformed(&mut self, record: &Record, topic: &str) -> Result<Made, String> {
        let Some(transform) = &self.transform else {
            return Err("no --transform".to_owned());
        };
        let editable = editable(&mut self.decoder, self.schema, record, false, topic)?;
        // jq's own values from the decoder's JSON to the encoder: no JSON tree in between.
        let input = editable.input()?;
        let output = transform.run(input.clone())?;
        if output == input {
            return Err("the transform changes nothing".to_owned());
        }
        let by = (
            transform.by().to_owned(),
            Some(transform.expression().to_owned()),
        );
        made(
            record,
            &editable,
            (&input, &output),
            false,
            by,
            self.keep_changes,
        )
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
        let input = editable.input()?;
        let output = editable.parse(text)?;
        if output == input {
            return Err("nothing was changed".to_owned());
        }
        made(
            record,
            editable,
            (&input, &output),
            key,
            ("edit".to_owned(), None),
            true,
        )
    }
}

/// `record`'s value (or `key`) as [`Repairer::editable`] gives it.
fn editable(
    decoder: &mut Decoder,
    schema: Option<TargetSchema>,
    record: &Record,
    key: bool,
    topic: &str,
) -> Result<Editable, String> {
    let editable = decoder.editable(record, key)?;
    match schema {
        None => Ok(editable),
        Some(schema) => decoder.retarget(editable, schema, topic, key),
    }
}

/// The repair that writes `after` (the value, or the `key`) instead of `before`: written back
/// by `editable` (the schema's check), made `by` an edit or an expression, with its changes
/// field by field when `keep_changes`.
fn made(
    record: &Record,
    editable: &Editable,
    (before, after): (&Val, &Val),
    key: bool,
    (by, expression): (String, Option<String>),
    keep_changes: bool,
) -> Result<Made, String> {
    let bytes = editable.write(after)?;
    let mut changes = if keep_changes {
        let json = |value| val_to_json(value).unwrap_or_default();
        changes(&json(before), &json(after))
    } else {
        Vec::new()
    };
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
            by,
            expression,
            value,
            key: key_bytes,
            original_sha256: Repair::digest_of(record.value.as_deref()),
            changes: changes.clone(),
        }),
        changes,
    })
}
