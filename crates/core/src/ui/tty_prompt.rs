//! The prompt on a terminal: one key per decision, and keys that decide many records at once
//! (`M`/`P`/`S` for every remaining record, `g` for every remaining record that shares a
//! header value with this one). Without a terminal, [`super::prompt::LinePrompt`] is used.

use std::io;

use dialoguer::Select;
use dialoguer::console::{Key, Term};

use crate::record::Record;
use crate::repair::Repaired;
use crate::triage::{Decision, DecisionSource, Interrupt, Outcome, Target};

use super::render::{Renderer, raw_text, spring_header_text};
use super::repair_desk::{RepairDesk, write_made};
use super::said::{merge_line, outcome_line};

/// A decision that applies to more than one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Every remaining record.
    All(Decision),
    /// Every remaining record with header `name` equal to `value`.
    Header {
        name: String,
        value: Option<Vec<u8>>,
        decision: Decision,
    },
}

impl Rule {
    /// The decision this rule takes for `record`, if it applies.
    #[must_use]
    pub fn decide(&self, record: &Record) -> Option<Decision> {
        match self {
            Self::All(decision) => Some(*decision),
            Self::Header {
                name,
                value,
                decision,
            } => record
                .headers
                .iter()
                .any(|h| &h.name == name && &h.value == value)
                .then_some(*decision),
        }
    }
}

const HELP: &str = "\
  m / Enter  merge: copy into the destination, then tombstone in the source
  p          purge: tombstone only
  s          skip: leave the record where it is
  q          quit: keep what was decided, stop here
  M / P / S  merge / purge / skip this and every remaining record
  g          decide this and every remaining record with the same value of a header
  e / E      edit the value / the key in $VISUAL or $EDITOR, then merge the edited copy
  r          raw view: key, value and headers as hex
  ?          this help";

/// The key-driven prompt.
pub struct TtyPrompt {
    term: Term,
    renderer: Renderer,
    interrupt: Interrupt,
    rules: Vec<Rule>,
    /// Header offered first by `g` (the failure-class header).
    preferred_header: Option<String>,
    asked: u64,
    total: u64,
    /// Say where a merge goes before asking (`--to-origin`).
    show_target: bool,
    /// Starts each outcome line when nothing is written (`--dry-run`, `--plan`).
    pub not_written: Option<&'static str>,
    /// Edits (`e`, `E`) and `--transform`'s repairs.
    pub desk: Option<RepairDesk>,
}

impl TtyPrompt {
    #[must_use]
    pub fn new(
        renderer: Renderer,
        interrupt: Interrupt,
        total: u64,
        preferred_header: Option<String>,
    ) -> Self {
        Self {
            term: Term::stderr(),
            renderer,
            interrupt,
            rules: Vec::new(),
            preferred_header,
            asked: 0,
            total,
            show_target: false,
            not_written: None,
            desk: None,
        }
    }

    /// Whether each record says where a merge would send it.
    #[must_use]
    pub fn showing_target(mut self, show: bool) -> Self {
        self.show_target = show;
        self
    }

    fn raw_view(&mut self, record: &Record) -> io::Result<()> {
        self.term.write_str(&raw_text(record))
    }

    /// Asks which header value (of this record) and which decision make a rule.
    fn header_rule(&mut self, record: &Record) -> io::Result<Option<Rule>> {
        if record.headers.is_empty() {
            self.term.write_line("This record has no headers.")?;
            return Ok(None);
        }
        let mut order: Vec<usize> = (0..record.headers.len()).collect();
        if let Some(preferred) = &self.preferred_header {
            order.sort_by_key(|&i| record.headers[i].name != *preferred);
        }
        let items: Vec<String> = order
            .iter()
            .map(|&i| {
                let header = &record.headers[i];
                let value = header.value.as_deref().map_or_else(
                    || "<null>".to_owned(),
                    |v| {
                        spring_header_text(&header.name, v).unwrap_or_else(|| {
                            String::from_utf8_lossy(v)
                                .chars()
                                .take(80)
                                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                                .collect()
                        })
                    },
                );
                format!("{}: {value}", header.name)
            })
            .collect();
        let Some(choice) = Select::new()
            .with_prompt("Same decision for every remaining record with this header value")
            .items(&items)
            .default(0)
            .interact_on_opt(&self.term)
            .map_err(io::Error::other)?
        else {
            return Ok(None);
        };
        let Some(decision) = Select::new()
            .with_prompt("Decision")
            .items(["merge", "purge", "skip"])
            .default(0)
            .interact_on_opt(&self.term)
            .map_err(io::Error::other)?
        else {
            return Ok(None);
        };
        let header = &record.headers[order[choice]];
        Ok(Some(Rule::Header {
            name: header.name.clone(),
            value: header.value.clone(),
            decision: [Decision::Merge, Decision::Purge, Decision::Skip][decision],
        }))
    }
}

impl DecisionSource for TtyPrompt {
    fn wants_outcomes(&self) -> bool {
        true
    }

    fn repair(&mut self, record: &Record, to: &Target) -> anyhow::Result<Repaired> {
        Ok(self
            .desk
            .as_mut()
            .map_or(Repaired::AsIs, |desk| desk.repaired(record, to)))
    }

    fn told(&mut self, record: &Record, outcome: Outcome<'_>) -> anyhow::Result<()> {
        if let Outcome::LeftAlone(_) = outcome {
            self.term.write_line(&format!(
                "\nrecord at partition {} offset {}",
                record.at.partition, record.at.offset
            ))?;
            let mut shown = Vec::new();
            self.renderer.write_text(&mut shown, record)?;
            self.term.write_str(&String::from_utf8_lossy(&shown))?;
        }
        if let Some(line) = outcome_line(record, outcome) {
            self.term
                .write_line(&format!("{}{line}", self.not_written.unwrap_or_default()))?;
        }
        Ok(())
    }

    fn decide(&mut self, record: &Record, target: Option<&Target>) -> anyhow::Result<Decision> {
        self.asked += 1;
        if let Some(decision) = self.rules.iter().find_map(|rule| rule.decide(record)) {
            return Ok(decision);
        }
        self.term.write_line(&format!(
            "\nrecord {} of at most {}, partition {} offset {}",
            self.asked, self.total, record.at.partition, record.at.offset
        ))?;
        let mut shown = Vec::new();
        self.renderer.write_text(&mut shown, record)?;
        self.term.write_str(&String::from_utf8_lossy(&shown))?;
        if let (true, Some(target)) = (self.show_target, target) {
            self.term.write_line(&merge_line(target))?;
        }
        match self.desk.as_mut().and_then(|desk| desk.offer(record, target)) {
            Some(Ok(made)) => {
                let mut shown = Vec::new();
                write_made(&mut shown, &made)?;
                self.term.write_str(&String::from_utf8_lossy(&shown))?;
            }
            Some(Err(reason)) => self.term.write_line(&format!(
                "Cannot be repaired: {reason}. Merging leaves it alone: (e)dit it, or purge or skip it."
            ))?,
            None => {}
        }
        loop {
            self.term.write_str(
                "(m)erge (p)urge (s)kip (q)uit, M/P/S all remaining, (g)roup by header, (e)dit, (r)aw, ? help [Enter = merge]: ",
            )?;
            let key = match self.term.read_key() {
                Ok(key) => key,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    self.interrupt.raise();
                    return Ok(Decision::Quit);
                }
                Err(error) => return Err(error.into()),
            };
            self.term.write_line("")?;
            if self.interrupt.is_raised() {
                return Ok(Decision::Quit);
            }
            let decision = match key {
                Key::Enter | Key::Char('m') => Decision::Merge,
                Key::Char('p') => Decision::Purge,
                Key::Char('s') => Decision::Skip,
                Key::Char('q') => Decision::Quit,
                Key::Char(c @ ('M' | 'P' | 'S')) => {
                    let decision = match c {
                        'M' => Decision::Merge,
                        'P' => Decision::Purge,
                        _ => Decision::Skip,
                    };
                    self.rules.push(Rule::All(decision));
                    decision
                }
                Key::Char('g') => match self.header_rule(record)? {
                    Some(rule) => {
                        let decision = rule.decide(record).unwrap_or(Decision::Skip);
                        self.rules.push(rule);
                        decision
                    }
                    None => continue,
                },
                Key::Char('r') => {
                    self.raw_view(record)?;
                    continue;
                }
                Key::Char(c @ ('e' | 'E')) if self.desk.is_some() => {
                    let Some(desk) = self.desk.as_mut() else {
                        continue;
                    };
                    match desk.edit(record, c == 'E', target) {
                        Ok(made) => {
                            let mut shown = Vec::new();
                            write_made(&mut shown, &made)?;
                            self.term.write_str(&String::from_utf8_lossy(&shown))?;
                            Decision::Merge
                        }
                        Err(reason) => {
                            self.term
                                .write_line(&format!("Not edited, nothing decided: {reason}"))?;
                            continue;
                        }
                    }
                }
                Key::Char('?') => {
                    self.term.write_line(HELP)?;
                    continue;
                }
                Key::CtrlC => {
                    self.interrupt.raise();
                    return Ok(Decision::Quit);
                }
                _ => {
                    self.term.write_line("Unknown option, try again.")?;
                    continue;
                }
            };
            return Ok(decision);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Coordinates, Header};

    #[test]
    fn rules_match_on_header_value() {
        let record = |value: &[u8]| Record {
            read_from: None,
            at: Coordinates {
                topic: "t".into(),
                partition: 0,
                offset: 0,
            },
            timestamp: None,
            key: None,
            value: None,
            headers: vec![Header {
                name: "exception".into(),
                value: Some(value.to_vec()),
            }],
        };
        let rule = Rule::Header {
            name: "exception".into(),
            value: Some(b"Timeout".to_vec()),
            decision: Decision::Purge,
        };
        assert_eq!(rule.decide(&record(b"Timeout")), Some(Decision::Purge));
        assert_eq!(rule.decide(&record(b"Other")), None);
        assert_eq!(
            Rule::All(Decision::Skip).decide(&record(b"x")),
            Some(Decision::Skip)
        );
    }
}
