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
        record.value.as_ref()?;
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
        // A key edit cannot make up for a value the transform could not repair.
        if let (true, Some(Err(reason))) = (key, self.prior(record)) {
            return Err(format!(
                "its value is not repaired ({reason}): edit the value first"
            ));
        }
        let editable = self.repairer.editable(record, key, destination(to))?;
        let extension = if editable.is_text() { "txt" } else { "json" };
        let saved =
            (self.editor)(&editable.to_file(), extension).map_err(|error| format!("{error:#}"))?;
        let made = self.repairer.edited(record, &editable, key, &saved)?;
        // On top of what was made of the record before: a key edited after the value was
        // transformed (or edited) keeps the value's repair.
        let repair = match self.prior(record) {
            Some(Ok(prior)) => Arc::new(prior.then(&made.repair)),
            _ => Arc::clone(&made.repair),
        };
        self.current = Some((record.at.clone(), Ok(repair)));
        Ok(made)
    }

    /// What was made of `record` before (a transform's repair, or why not; an edit).
    fn prior(&self, record: &Record) -> Option<&Result<Arc<Repair>, String>> {
        self.current
            .as_ref()
            .filter(|(at, _)| *at == record.at)
            .map(|(_, made)| made)
    }

    /// What a merge of `record` writes: its edit or transform (refused when the transform
    /// could not repair it), else the record as it is.
    pub fn repaired(&mut self, record: &Record, to: &Target) -> Repaired {
        let current = self.current.take().filter(|(at, _)| *at == record.at);
        let current = match current {
            Some((_, made)) => made,
            // Nothing to repair in a tombstone (`-T`): merged as it is.
            None if record.value.is_none() => return Repaired::AsIs,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoder;
    use crate::repair::Transform;

    fn desk_saving(saved: &'static [&'static str]) -> RepairDesk {
        let mut answers = saved.iter();
        RepairDesk::new(Repairer::new(
            Decoder::plain(),
            Some(Transform::compile(".n += 1").unwrap()),
        ))
        .with_editor(Box::new(move |_, _| {
            Ok((*answers.next().expect("the editor opened too often")).to_owned())
        }))
    }

    /// A key edited after the value was transformed keeps the transform's value; a key edit
    /// cannot stand in for a value the transform could not repair.
    #[test]
    fn edits_go_on_top_of_the_transform_and_never_around_it() {
        let to = Target::topic("retry");
        let json = Record::test(0, 1)
            .with_key(Some(b"k1"))
            .with_value(Some(br#"{"n":1}"#));
        let mut desk = desk_saving(&["k2"]);
        assert!(desk.offer(&json, Some(&to)).unwrap().is_ok());
        desk.edit(&json, true, Some(&to)).unwrap();
        let Repaired::Repaired(repair) = desk.repaired(&json, &to) else {
            panic!("not repaired");
        };
        assert_eq!(repair.value.as_deref(), Some(&br#"{"n":2}"#[..]));
        assert_eq!(repair.key.as_deref(), Some(&b"k2"[..]));

        let text = Record::test(0, 2)
            .with_key(Some(b"k1"))
            .with_value(Some(b"plain text"));
        let mut desk = desk_saving(&["fixed text", "k2"]);
        assert!(desk.offer(&text, Some(&to)).unwrap().is_err());
        let refused = desk.edit(&text, true, Some(&to)).unwrap_err();
        assert!(
            refused.starts_with("its value is not repaired"),
            "{refused}"
        );
        desk.edit(&text, false, Some(&to)).unwrap();
        desk.edit(&text, true, Some(&to)).unwrap();
        let Repaired::Repaired(repair) = desk.repaired(&text, &to) else {
            panic!("not repaired");
        };
        assert_eq!(repair.value.as_deref(), Some(&b"fixed text"[..]));
        assert_eq!(repair.key.as_deref(), Some(&b"k2"[..]));
        assert_eq!(repair.by, "edit");
    }

    /// The editor gets a JSON value's numbers with all their digits, and the edit keeps them.
    #[test]
    fn an_edit_keeps_the_digits_of_numbers_it_does_not_touch() {
        let to = Target::topic("retry");
        let record = Record::test(0, 1).with_key(Some(b"k")).with_value(Some(
            br#"{"big": 123456789012345678901234567890, "s": "a"}"#,
        ));
        let mut desk = RepairDesk::new(Repairer::new(Decoder::plain(), None)).with_editor(
            Box::new(|text: &str, _: &str| {
                assert!(text.contains("123456789012345678901234567890"), "{text}");
                Ok(text.replace("\"a\"", "\"b\""))
            }),
        );
        desk.edit(&record, false, Some(&to)).unwrap();
        let Repaired::Repaired(repair) = desk.repaired(&record, &to) else {
            panic!("not repaired");
        };
        assert_eq!(
            repair.value.as_deref(),
            Some(&br#"{"big":123456789012345678901234567890,"s":"b"}"#[..])
        );
        // Saved as it was: nothing decided.
        let mut unchanged = RepairDesk::new(Repairer::new(Decoder::plain(), None))
            .with_editor(Box::new(|text: &str, _: &str| Ok(text.to_owned())));
        assert_eq!(
            unchanged.edit(&record, false, Some(&to)).unwrap_err(),
            "nothing was changed"
        );
    }
}
