//! Repairs at the prompt: `e` edits the value (`k` the key at the line prompt, `E` in the
//! terminal prompt) in the person's editor, and with `--transform` each offered record shows
//! the transform's diff (or why it cannot be repaired) before the question. The engine then
//! asks the prompt for the repair of what it merges ([`RepairDesk::repaired`]).

use std::io::Write;
use std::sync::Arc;

use crate::record::{Coordinates, Record};
use crate::repair::{Made, Repair, Repaired, Repairer, editor, write_changes};
use crate::triage::Target;

/// Opens text (named with an extension) in an editor and returns what was saved.
pub type Editor = Box<dyn FnMut(&str, &str) -> anyhow::Result<String>>;

/// The repairs of the records a prompt offers.
pub struct RepairDesk {
    repairer: Repairer,
    editor: Editor,
    /// The repair of the record offered last: an edit, or the transform's (or why not).
    current: Option<(Coordinates, Result<Arc<Repair>, String>)>,
}

impl RepairDesk {
    /// Edits open in `$VISUAL`/`$EDITOR`.
    #[must_use]
    pub fn new(repairer: Repairer) -> Self {
        Self {
            repairer,
            editor: Box::new(editor::edit),
            current: None,
        }
    }

    /// The same desk editing with `editor` (tests).
    #[must_use]
    pub fn with_editor(mut self, editor: Editor) -> Self {
        self.editor = editor;
        self
    }

    /// A record is offered: with a transform, its repair (or why there is none), to show.
    pub fn offer(&mut self, record: &Record, to: Option<&Target>) -> Option<Result<Made, String>> {
        self.current = None;
        self.repairer.transform()?;
        let made = self.repairer.transformed(record, destination(to));
        self.current = Some((
            record.at.clone(),
            made.as_ref()
                .map(|made| Arc::clone(&made.repair))
                .map_err(Clone::clone),
        ));
        Some(made)
    }

    /// The person edits the value (or `key`) of `record`; on success its merge writes the edit.
    ///
    /// # Errors
    /// Why the edit is refused (nothing is decided): not editable, not JSON, refused by the
    /// schema, unchanged, or the editor failed.
    pub fn edit(
        &mut self,
        record: &Record,
        key: bool,
        to: Option<&Target>,
    ) -> Result<Made, String> {
        let editable = self.repairer.editable(record, key, destination(to))?;
        let extension = match editable.shown() {
            crate::decode::Shown::Json(_) => "json",
            crate::decode::Shown::Text(_) => "txt",
        };
        let saved = (self.editor)(&editable.shown().to_file(), extension)
            .map_err(|error| format!("{error:#}"))?;
        let made = self.repairer.edited(record, &editable, key, &saved)?;
        self.current = Some((record.at.clone(), Ok(Arc::clone(&made.repair))));
        Ok(made)
    }

    /// What a merge of `record` writes: its edit or transform (refused when the transform
    /// could not repair it), else the record as it is.
    pub fn repaired(&mut self, record: &Record, to: &Target) -> Repaired {
        let current = self.current.take().filter(|(at, _)| *at == record.at);
        let current = match current {
            Some((_, made)) => made,
            // Decided by a rule without being shown: the transform, if any, now.
            None if self.repairer.transform().is_some() => self
                .repairer
                .transformed(record, &to.topic)
                .map(|made| made.repair),
            None => return Repaired::AsIs,
        };
        match current {
            Ok(repair) => Repaired::Repaired(repair),
            Err(reason) => Repaired::Refused(reason),
        }
    }

    /// Whether `record`, offered last, can only be merged repaired and its repair was refused.
    #[must_use]
    pub fn refused(&self, record: &Record) -> Option<&str> {
        match &self.current {
            Some((at, Err(reason))) if *at == record.at => Some(reason),
            _ => None,
        }
    }
}

/// The topic a merge goes to, for `--repair-schema latest` (none known: the empty name).
fn destination(to: Option<&Target>) -> &str {
    to.map_or("", |to| &to.topic)
}

/// A repair as the prompts show it: who made it, then the diff.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_made(out: &mut dyn Write, made: &Made) -> std::io::Result<()> {
    writeln!(out, "Repaired ({}), the copy holds:", made.repair.by)?;
    write_changes(out, &made.changes)
}
