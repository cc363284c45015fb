//! The question asked for each record in `ask`, one answer per line: `m` merge, `p` purge,
//! `s` skip, an empty line merges (as in the original tool), end of input stops cleanly.
//! Lines are read on their own thread so that Ctrl-C is noticed while waiting for a person.

use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Duration;

use crate::record::Record;
use crate::repair::Repaired;
use crate::triage::{Decision, DecisionSource, Interrupt, Outcome, Target};

use super::render::Renderer;
use super::repair_desk::{RepairDesk, write_made};
use super::said::{merge_line, outcome_line};
use super::terminal::Terminal;
use super::tty_prompt::TtyPrompt;

/// What the prompt of `ask` shows besides each record.
pub struct PromptOptions {
    /// The number of records the run may see (an upper bound).
    pub total: u64,
    /// The header `g` offers first.
    pub group_by: Option<String>,
    /// Each record says where a merge would send it (`--to-origin`).
    pub show_target: bool,
    /// Starts each line that says what was done when nothing is written (`--dry-run`,
    /// `--plan`).
    pub not_written: Option<&'static str>,
}

/// The prompt of `ask` for the terminal it runs on: the full prompt (arrow keys, rules) when
/// a person is at a terminal, else the line prompt over stdin, which scripts and pipes feed.
/// `renderer` shows each record; `desk` makes edits and shows `--transform`'s repairs.
#[must_use]
pub fn for_terminal(
    terminal: &Terminal,
    renderer: Renderer,
    interrupt: Interrupt,
    options: PromptOptions,
    desk: RepairDesk,
) -> Box<dyn DecisionSource> {
    let PromptOptions {
        total,
        group_by,
        show_target,
        not_written,
    } = options;
    if terminal.interactive() {
        let mut prompt =
            TtyPrompt::new(renderer, interrupt, total, group_by).showing_target(show_target);
        prompt.not_written = not_written;
        prompt.desk = Some(desk);
        Box::new(prompt)
    } else {
        let mut prompt = LinePrompt::new(
            std::io::BufReader::new(std::io::stdin()),
            std::io::stderr(),
            interrupt,
            total,
            renderer,
        );
        prompt.show_target = show_target;
        prompt.not_written = not_written;
        prompt.desk = Some(desk);
        Box::new(prompt)
    }
}

/// The question, in the original tool's words.
pub const QUESTION: &str = "Would you like to (M)erge, (p)urge or (s)kip the record?";

/// Reads decisions line by line and shows each record on `out` before asking.
pub struct LinePrompt<W: Write> {
    lines: Receiver<std::io::Result<String>>,
    out: W,
    renderer: Renderer,
    interrupt: Interrupt,
    asked: u64,
    total: u64,
    /// Say where a merge goes before asking.
    pub show_target: bool,
    /// Starts each outcome line when nothing is written (`--dry-run`, `--plan`).
    pub not_written: Option<&'static str>,
    /// Edits (`e`, `k`) and `--transform`'s repairs.
    pub desk: Option<RepairDesk>,
}

impl<W: Write> LinePrompt<W> {
    /// Reads `input` on a thread of its own; `total` is the number of records the run may see
    /// (an upper bound), shown in the position line; `renderer` shows each record.
    pub fn new(
        input: impl BufRead + Send + 'static,
        out: W,
        interrupt: Interrupt,
        total: u64,
        renderer: Renderer,
    ) -> Self {
        let (sender, lines) = sync_channel(1);
        std::thread::Builder::new()
            .name("answers".into())
            .spawn(move || {
                for line in input.lines() {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_or_else(
                |error| tracing::error!("cannot start reading answers: {error}"),
                drop,
            );
        Self {
            lines,
            out,
            renderer,
            interrupt,
            asked: 0,
            total,
            show_target: false,
            not_written: None,
            desk: None,
        }
    }

    /// The next line, `None` at end of input or on interrupt.
    fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        loop {
            if self.interrupt.is_raised() {
                return Ok(None);
            }
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => return Ok(Some(line?)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }
}

/// The decision a line stands for, if any.
#[must_use]
pub fn parse_answer(line: &str) -> Option<Decision> {
    match line.trim().to_lowercase().as_str() {
        "" | "m" => Some(Decision::Merge),
        "p" => Some(Decision::Purge),
        "s" => Some(Decision::Skip),
        _ => None,
    }
}

impl<W: Write> DecisionSource for LinePrompt<W> {
    fn decide(&mut self, record: &Record, target: Option<&Target>) -> anyhow::Result<Decision> {
        self.asked += 1;
        writeln!(
            self.out,
            "\nrecord {} of at most {}, partition {} offset {}",
            self.asked, self.total, record.at.partition, record.at.offset
        )?;
        self.renderer.write_text(&mut self.out, record)?;
        if let (true, Some(target)) = (self.show_target, target) {
            writeln!(self.out, "{}", merge_line(target))?;
        }
        match self
            .desk
            .as_mut()
            .and_then(|desk| desk.offer(record, target))
        {
            Some(Ok(made)) => write_made(&mut self.out, &made)?,
            Some(Err(reason)) => writeln!(
                self.out,
                "Cannot be repaired: {reason}. Merging leaves it alone: (e)dit it, or purge or skip it."
            )?,
            None => {}
        }
        loop {
            if self.desk.is_some() {
                writeln!(self.out, "{QUESTION} (e: edit the value, k: the key)")?;
            } else {
                writeln!(self.out, "{QUESTION}")?;
            }
            self.out.flush()?;
            let Some(line) = self.next_line()? else {
                return Ok(Decision::Quit);
            };
            let answer = line.trim();
            if let (Some(desk), "e" | "k") = (self.desk.as_mut(), answer) {
                match desk.edit(record, answer == "k", target) {
                    Ok(made) => {
                        write_made(&mut self.out, &made)?;
                        return Ok(Decision::Merge);
                    }
                    Err(reason) => {
                        writeln!(self.out, "Not edited, nothing decided: {reason}")?;
                        continue;
                    }
                }
            }
            if let Some(decision) = parse_answer(&line) {
                return Ok(decision);
            }
            writeln!(self.out, "Unknown option, try again.")?;
        }
    }

    fn repair(&mut self, record: &Record, to: &Target) -> anyhow::Result<Repaired> {
        Ok(self
            .desk
            .as_mut()
            .map_or(Repaired::AsIs, |desk| desk.repaired(record, to)))
    }

    fn wants_outcomes(&self) -> bool {
        true
    }

    fn told(&mut self, record: &Record, outcome: Outcome<'_>) -> anyhow::Result<()> {
        if let Outcome::LeftAlone(_) = outcome {
            // Shown like a record that is asked about, so a person sees what stays.
            writeln!(
                self.out,
                "\nrecord at partition {} offset {}",
                record.at.partition, record.at.offset
            )?;
            self.renderer.write_text(&mut self.out, record)?;
        }
        if let Some(line) = outcome_line(record, outcome) {
            writeln!(self.out, "{}{line}", self.not_written.unwrap_or_default())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: i64) -> Record {
        Record::test(0, offset)
    }

    #[test]
    fn answers_line_by_line() {
        let input = std::io::Cursor::new("m\nP\nwhat\n\ns\n");
        let mut out = Vec::new();
        let decisions: Vec<Decision> = {
            let mut prompt =
                LinePrompt::new(input, &mut out, Interrupt::new(), 9, Renderer::default());
            (0..5)
                .map(|i| prompt.decide(&record(i), None).unwrap())
                .collect()
        };
        use Decision::{Merge, Purge, Quit, Skip};
        assert_eq!(decisions, [Merge, Purge, Merge, Skip, Quit]);
        let shown = String::from_utf8(out).unwrap();
        assert_eq!(shown.matches("Unknown option, try again.").count(), 1);
        assert_eq!(shown.matches(QUESTION).count(), 6);
        assert!(shown.contains("record 1 of at most 9, partition 0 offset 0"));
    }

    #[test]
    fn an_interrupt_ends_the_wait() {
        let (reader, _keep_open) = std::io::pipe().unwrap();
        let interrupt = Interrupt::new();
        let mut prompt = LinePrompt::new(
            std::io::BufReader::new(reader),
            Vec::new(),
            interrupt.clone(),
            1,
            Renderer::default(),
        );
        interrupt.raise();
        assert_eq!(prompt.decide(&record(0), None).unwrap(), Decision::Quit);
    }
}
