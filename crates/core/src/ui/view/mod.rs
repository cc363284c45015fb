//! The full-screen triage view of `ask` (issue 19): the queue as a list read in the
//! background, the highlighted record beside it, decisions made with single keys and kept
//! pending until `w` writes them (through the engine, like every other run: see
//! [`Backend::write`]). What it shows is [`draw`]; what its keys do to the decisions is
//! [`state`]; this module is the loop between the terminal, the background threads and the
//! application.

pub mod draw;
mod editing;
pub mod fetch;
pub mod index;
mod keys;
mod pass;
pub mod search;
mod short;
pub mod state;
mod writing;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

use crate::error::Error;
use crate::redrive::SentBack;
use crate::repair::{Made, Repair};
use crate::triage::{Decision, Interrupt, Observer, Plan, RecordSource, Summary};
use crate::ui::logging;
use crate::ui::render::Renderer;

use self::fetch::{Detail, Fetch};
use self::index::{Batch, Origin};
use self::search::Search;
use self::state::ViewState;

/// What the view needs from the application: passes over the queue and the writing run.
pub trait Backend {
    /// A new pass over the records the view lists (for a search), read up to `ends`.
    ///
    /// # Errors
    /// When the topic cannot be read.
    fn pass(&mut self, ends: &BTreeMap<i32, i64>) -> anyhow::Result<Box<dyn RecordSource + Send>>;

    /// A renderer for the text the view shows and searches.
    ///
    /// # Errors
    /// When the decoders cannot be set up.
    fn renderer(&self) -> anyhow::Result<Renderer>;

    /// Who reads the topics `sent` names, as lines for the write question (see
    /// [`crate::redrive::readers::report`]); none by default.
    fn readers(&mut self, _sent: &SentBack) -> Vec<String> {
        Vec::new()
    }

    /// The person edits the value (or `key`) of the record at `at` in their editor: the repair
    /// its merge then writes.
    ///
    /// # Errors
    /// Why the edit is refused: nothing is decided.
    fn edit(&mut self, _at: (i32, i64), _key: bool) -> Result<Made, String> {
        Err("records cannot be edited here".to_owned())
    }

    /// Carries out `plan` in a run of the engine that reads each partition up to `ends` and
    /// tells `observer` what it does.
    ///
    /// # Errors
    /// Like every run: failures and interruption, with what was committed.
    fn write(
        &mut self,
        plan: Rc<Plan>,
        ends: &BTreeMap<i32, i64>,
        observer: &mut dyn Observer,
    ) -> Result<Summary, Error>;
}

/// What the view starts with.
pub struct Setup {
    /// The topic (and group), for the header line.
    pub title: String,
    /// Records in the run's ranges.
    pub total: u64,
    /// Where the index stops, per partition.
    pub ends: BTreeMap<i32, i64>,
    pub batches: Receiver<Batch>,
    pub fetch: Fetch,
    /// Whether `m` has somewhere to go (a destination or `--to-origin`).
    pub can_merge: bool,
    pub dry_run: bool,
    /// `--plan FILE`: `w` writes the pending decisions to FILE (a dry run otherwise).
    pub plan: Option<String>,
    /// What a merge does, for the write question (`copies to retry`).
    pub merge_to: String,
    /// Merges go back to the records' origin topics (`--to-origin`): the write question
    /// says who reads them there.
    pub to_origin: bool,
}

/// How the view ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What its writes committed.
    pub written: Summary,
    /// Decisions left unwritten on quitting.
    pub discarded: usize,
}

/// What is on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    /// Typing a search.
    Search(String),
    ConfirmWrite,
    ConfirmQuit,
    /// What a dry run's write would have done.
    Report(Vec<String>),
}

/// The view: its state and what the threads told it.
pub struct App {
    pub state: ViewState,
    pub title: String,
    pub total: u64,
    /// Records the index has read (listed or not).
    pub read: u64,
    pub index_done: bool,
    pub now_ms: i64,
    /// The first line of the list on screen (an index into the visible rows).
    pub top: usize,
    pub raw: bool,
    pub detail_scroll: u16,
    pub mode: Mode,
    pub status: String,
    /// Rows found by the search.
    pub matches: HashSet<(i32, i64)>,
    pub dry_run: bool,
    /// `--plan FILE`: the file `w` writes.
    pub plan: Option<String>,
    can_merge: bool,
    merge_to: String,
    ends: BTreeMap<i32, i64>,
    detail: Option<Detail>,
    asked: Option<(i32, i64)>,
    search: Option<Search>,
    /// Lines of the list on screen, for `PgUp` and `PgDn`.
    page: usize,
    written: Summary,
    to_origin: bool,
    /// The origins rows name ([`Row::origin_index`]).
    origins: Vec<Origin>,
    /// Who reads what the pending merges send back, asked when `w` is pressed.
    readers: Option<Vec<String>>,
    /// The edits of records (`e`, `E`): what their merges write.
    pub repairs: HashMap<(i32, i64), Arc<Repair>>,
}

/// What a key asks of the loop.
enum Step {
    Stay,
    Write {
        then_quit: bool,
    },
    /// `e` (the value) or `E` (`key`): edit the highlighted record.
    Edit {
        key: bool,
    },
    StartSearch(String),
    Quit {
        discarded: usize,
    },
    Interrupted,
}

impl App {
    fn new(setup: &Setup) -> Self {
        // The offsets in the ranges bound the records listed (markers and tombstones count
        // too); past 20 million the vectors grow as they go.
        let mut state = ViewState::default();
        state.reserve(usize::try_from(setup.total).map_or(0, |total| total.min(20_000_000)));
        Self {
            state,
            title: setup.title.clone(),
            total: setup.total,
            read: 0,
            index_done: false,
            now_ms: chrono::Utc::now().timestamp_millis(),
            top: 0,
            raw: false,
            detail_scroll: 0,
            mode: Mode::Normal,
            status: "? keys · m merge · p purge · s skip · w write · q quit".to_owned(),
            matches: HashSet::new(),
            dry_run: setup.dry_run,
            plan: setup.plan.clone(),
            can_merge: setup.can_merge,
            merge_to: setup.merge_to.clone(),
            ends: setup.ends.clone(),
            detail: None,
            asked: None,
            search: None,
            page: 10,
            written: Summary::default(),
            to_origin: setup.to_origin,
            origins: Vec::new(),
            readers: None,
            repairs: HashMap::new(),
        }
    }

    /// The record shown beside the list: the highlighted one, once it was read.
    #[must_use]
    pub fn shown_detail(&self) -> Option<&Detail> {
        let row = self.state.rows().get(self.state.selected()?)?;
        self.detail
            .as_ref()
            .filter(|detail| detail.at == (row.partition, row.offset))
    }

    /// The question `w` asks.
    #[must_use]
    pub fn write_question(&self) -> Vec<String> {
        let counts = self.state.counts();
        let mut lines = vec![format!(
            "Write {} decision(s): merge {}, purge {}, skip {}?",
            counts.pending(),
            counts.merge,
            counts.purge,
            counts.skip
        )];
        if counts.merge > 0 {
            lines.push(format!(
                "A merge copies the record {}, then tombstones it.",
                self.merge_to
            ));
        }
        if counts.purge > 0 {
            lines.push("A purge tombstones the record.".to_owned());
        }
        lines.push(
            "Each partition's offset is committed up to its first undecided record.".to_owned(),
        );
        if let Some(readers) = &self.readers {
            lines.extend(readers.iter().cloned());
        }
        match &self.plan {
            Some(plan) => lines.push(format!(
                "Plan only: the decisions go to {plan}; nothing is written to Kafka."
            )),
            None if self.dry_run => {
                lines.push("Dry run: nothing is written, no offset committed.".to_owned());
            }
            None => {}
        }
        lines.push(String::new());
        lines.push("y  write      n  (or Esc) not now".to_owned());
        lines
    }

    /// The topics the pending merges send records back to, with the groups that failed on
    /// them (`--to-origin` only).
    fn sent_back(&self) -> SentBack {
        let mut sent = SentBack::default();
        if !self.to_origin {
            return sent;
        }
        for (row, decision) in self.state.pending_rows() {
            let origin = usize::try_from(row.origin_index)
                .ok()
                .and_then(|index| self.origins.get(index));
            if let (Decision::Merge, Some(origin)) = (decision, origin) {
                let failed = sent.topics.entry(origin.topic.clone()).or_default();
                failed.extend(origin.failed.clone());
            }
        }
        sent
    }

    /// Takes in what the background threads sent.
    fn receive(&mut self, batches: &Receiver<Batch>, fetch: &Fetch) {
        loop {
            match batches.try_recv() {
                Ok(batch) => {
                    self.state.add_classes(batch.classes);
                    self.origins.extend(batch.origins);
                    self.state.extend(batch.rows);
                    self.read = batch.read;
                    if let Some(error) = batch.error {
                        self.status = format!("reading the queue stopped: {error}");
                    }
                    if batch.done {
                        self.index_done = true;
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.index_done = true;
                    break;
                }
            }
        }
        while let Ok(detail) = fetch.answers.try_recv() {
            self.detail = Some(detail);
        }
        self.receive_search();
        // The highlighted record is read when the highlight moves to it.
        let at = self
            .state
            .selected()
            .and_then(|row| self.state.rows().get(row))
            .map(|row| (row.partition, row.offset));
        if at != self.asked {
            self.asked = at;
            self.detail_scroll = 0;
            if let Some(at) = at {
                fetch.ask(at);
            }
        }
    }

    fn receive_search(&mut self) {
        let Some(search) = &self.search else {
            return;
        };
        let mut first = self.matches.is_empty();
        let mut finished = None;
        loop {
            match search.found.try_recv() {
                Ok(found) => {
                    for at in found.at {
                        let Some(row) = self.state.row_at(at.0, at.1) else {
                            continue;
                        };
                        self.matches.insert(at);
                        if first {
                            self.state.select(row);
                            first = false;
                        }
                    }
                    if let Some(error) = found.error {
                        finished = Some(format!("search stopped: {error}"));
                    } else if found.done {
                        finished = Some(format!(
                            "{} match(es) for “{}” · n next",
                            self.matches.len(),
                            search.query
                        ));
                    } else {
                        self.status = format!(
                            "searching “{}”… {} of {} read, {} match(es)",
                            search.query,
                            found.read,
                            self.read,
                            self.matches.len()
                        );
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    finished.get_or_insert_with(|| "search ended".to_owned());
                    break;
                }
            }
        }
        if let Some(status) = finished {
            self.status = status;
            self.search = None;
        }
    }

    /// Keeps the highlight on screen, `height` lines of list.
    fn scroll(&mut self, height: usize) {
        self.page = height.max(1);
        let cursor = self.state.cursor();
        if cursor < self.top {
            self.top = cursor;
        } else if cursor >= self.top + self.page {
            self.top = cursor + 1 - self.page;
        }
    }
}

/// Runs the view until the person quits; restores the terminal whatever happens.
///
/// # Errors
/// [`Error::Interrupted`] on Ctrl-C or a signal, with what was written; a failure of the
/// terminal.
pub fn run(
    setup: &Setup,
    backend: &mut dyn Backend,
    interrupt: &Interrupt,
) -> Result<Outcome, Error> {
    let mut terminal = ratatui::try_init()
        .map_err(|error| anyhow::Error::new(error).context("cannot open the full-screen view"))?;
    // Log lines would scribble over the screen: they are written once it is closed.
    logging::hold();
    let result = event_loop(&mut terminal, setup, backend, interrupt);
    ratatui::restore();
    logging::release();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    setup: &Setup,
    backend: &mut dyn Backend,
    interrupt: &Interrupt,
) -> Result<Outcome, Error> {
    let mut app = App::new(setup);
    let failed = |error: std::io::Error| -> Error {
        anyhow::Error::new(error)
            .context("the terminal failed")
            .into()
    };
    loop {
        app.receive(&setup.batches, &setup.fetch);
        let size = terminal.size().map_err(failed)?;
        // Header, classes, status line and the list's own header line.
        app.scroll(usize::from(size.height.saturating_sub(4)));
        terminal
            .draw(|frame| draw::draw(frame, &app, None))
            .map_err(failed)?;
        if interrupt.is_raised() {
            return Err(Error::Interrupted {
                summary: Some(app.written.clone()),
            });
        }
        if !event::poll(Duration::from_millis(100)).map_err(failed)? {
            continue;
        }
        let Event::Key(key) = event::read().map_err(failed)? else {
            continue;
        };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        let step = keys::handle(&mut app, key);
        // The write question says who reads what it sends back: asked once, when it opens.
        match (&app.mode, &app.readers) {
            (Mode::ConfirmWrite, None) => {
                let sent = app.sent_back();
                app.readers = Some(if sent.topics.is_empty() {
                    Vec::new()
                } else {
                    backend.readers(&sent)
                });
            }
            (Mode::ConfirmWrite, Some(_)) => {}
            _ => app.readers = None,
        }
        match step {
            Step::Stay => {}
            Step::StartSearch(query) => start_search(&mut app, backend, query),
            Step::Edit { key } => editing::edit(terminal, &mut app, backend, key)?,
            Step::Write { then_quit } => {
                let written = writing::write(terminal, &mut app, backend, interrupt)?;
                if then_quit && written {
                    return Ok(Outcome {
                        written: app.written,
                        discarded: 0,
                    });
                }
            }
            Step::Quit { discarded } => {
                return Ok(Outcome {
                    written: app.written,
                    discarded,
                });
            }
            Step::Interrupted => {
                return Err(Error::Interrupted {
                    summary: Some(app.written),
                });
            }
        }
    }
}

fn start_search(app: &mut App, backend: &mut dyn Backend, query: String) {
    app.search = None;
    app.matches.clear();
    if query.is_empty() {
        app.status = "search cleared".to_owned();
        return;
    }
    let ends: BTreeMap<i32, i64> = if app.index_done {
        app.ends.clone()
    } else {
        // What the index read so far: rows beyond it are not listed yet.
        app.state
            .rows()
            .iter()
            .fold(BTreeMap::new(), |mut ends, row| {
                let end = ends.entry(row.partition).or_insert(row.offset + 1);
                *end = (*end).max(row.offset + 1);
                ends
            })
    };
    let started = backend
        .pass(&ends)
        .and_then(|pass| Ok((pass, backend.renderer()?)));
    match started {
        Ok((pass, renderer)) => {
            app.status = format!("searching “{query}”…");
            app.search = Some(search::spawn(pass, renderer, query));
        }
        Err(error) => app.status = format!("cannot search: {error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::state::Row;
    use super::*;
    use crate::redrive::readers::FailedGroup;

    fn row(offset: i64, class_index: u32) -> Row {
        Row {
            partition: 0,
            offset,
            timestamp_ms: Some(0),
            key: format!("order-{offset}").into(),
            class_index,
            replays: (offset == 2).then_some(3),
            // The first two came from `orders`, where `billing` failed on them.
            origin_index: if offset < 2 { 0 } else { Row::NO_ORIGIN },
        }
    }

    /// A view over four records of two classes, as the index would send them.
    fn app(can_merge: bool) -> (App, Setup, std::sync::mpsc::Receiver<(i32, i64)>) {
        let (sender, batches) = std::sync::mpsc::channel();
        let (fetch, questions, answer) = fetch::detached();
        let setup = Setup {
            title: "orders-dlq".into(),
            total: 4,
            ends: BTreeMap::from([(0, 4)]),
            batches,
            fetch,
            can_merge,
            dry_run: false,
            plan: None,
            merge_to: "to orders-retry".into(),
            to_origin: false,
        };
        sender
            .send(Batch {
                rows: vec![row(0, 0), row(1, 1), row(2, 0), row(3, 1)],
                classes: vec!["org.acme.Timeout".into(), "org.acme.BadJson".into()],
                read: 4,
                done: true,
                error: None,
                origins: vec![Origin {
                    topic: "orders".into(),
                    failed: Some(FailedGroup {
                        name: "billing".into(),
                        share: false,
                    }),
                }],
            })
            .unwrap_or_else(|e| panic!("{e}"));
        answer
            .send(Detail {
                at: (0, 0),
                text: Ok(vec!["    Key: order-0".into()]),
                raw: Vec::new(),
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let mut app = App::new(&setup);
        app.now_ms = 90_000;
        app.receive(&setup.batches, &setup.fetch);
        (app, setup, questions)
    }

    fn press(app: &mut App, c: char) -> Step {
        keys::handle(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn screen(app: &App) -> Vec<String> {
        let mut terminal =
            Terminal::new(TestBackend::new(100, 10)).unwrap_or_else(|e| panic!("{e}"));
        terminal
            .draw(|frame| draw::draw(frame, app, None))
            .unwrap_or_else(|e| panic!("{e}"));
        let buffer = terminal.backend().buffer().clone();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn the_screen_lists_records_classes_and_the_highlighted_record() {
        let (mut app, setup, questions) = app(true);
        assert_eq!(
            questions.try_recv().ok(),
            Some((0, 0)),
            "the first record is read"
        );
        assert!(matches!(press(&mut app, 'M'), Step::Stay));
        assert_eq!(app.status, "2 undecided record(s) of Timeout: merge");
        app.receive(&setup.batches, &setup.fetch);
        let lines = screen(&app);
        assert!(
            lines[0].starts_with(
                " orders-dlq · 4 record(s) · merge 2 · purge 0 · skip 0 · undecided 2"
            )
        );
        assert!(lines[1].starts_with(" Classes: All 4 · Timeout 2 · BadJson 2"));
        assert!(lines[2].contains("OFFSET"));
        assert!(
            lines[3].contains("order-0") && lines[3].contains("1m") && lines[3].contains("merge")
        );
        assert!(
            lines[3].contains("Key: order-0"),
            "the record beside it: {}",
            lines[3]
        );
        assert!(
            lines[5].contains("Timeout") && lines[5].contains(" 3 "),
            "replays: {}",
            lines[5]
        );
        assert!(
            !lines[4].contains("merge"),
            "BadJson is undecided: {}",
            lines[4]
        );
    }

    #[test]
    fn every_screen_draws_on_any_size_of_terminal() {
        let (mut app, _setup, _questions) = app(true);
        press(&mut app, 'p');
        let modes = [
            Mode::Normal,
            Mode::Help,
            Mode::Search("order".into()),
            Mode::ConfirmWrite,
            Mode::ConfirmQuit,
            Mode::Report(vec![
                "a line much wider than the smallest of these terminals".into(),
            ]),
        ];
        for mode in modes {
            app.mode = mode;
            app.raw = !app.raw;
            for (width, height) in [(1, 1), (10, 3), (24, 6), (80, 24), (300, 100)] {
                let mut terminal = Terminal::new(TestBackend::new(width, height))
                    .unwrap_or_else(|e| panic!("{e}"));
                app.scroll(usize::from(height.saturating_sub(4)));
                terminal
                    .draw(|frame| draw::draw(frame, &app, Some("writing…")))
                    .unwrap_or_else(|e| panic!("{width}x{height}: {e}"));
            }
        }
    }

    #[test]
    fn keys_decide_and_quitting_with_pending_decisions_asks() {
        let (mut app, _setup, _questions) = app(false);
        press(&mut app, 'm');
        assert!(app.status.starts_with("nowhere to merge to"));
        assert!(
            !app.state.has_pending(),
            "m without a destination decides nothing"
        );
        press(&mut app, 'p');
        press(&mut app, 's');
        assert_eq!(app.state.counts().purge, 1);
        assert_eq!(app.state.counts().skip, 1);
        assert!(matches!(press(&mut app, 'q'), Step::Stay));
        assert_eq!(app.mode, Mode::ConfirmQuit);
        assert!(matches!(press(&mut app, 'c'), Step::Stay));
        assert_eq!(app.mode, Mode::Normal);
        press(&mut app, 'w');
        assert_eq!(app.mode, Mode::ConfirmWrite);
        assert!(
            app.write_question()[0].starts_with("Write 2 decision(s): merge 0, purge 1, skip 1?")
        );
        assert!(matches!(
            press(&mut app, 'y'),
            Step::Write { then_quit: false }
        ));
        press(&mut app, 'q');
        assert!(matches!(press(&mut app, 'd'), Step::Quit { discarded: 2 }));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(keys::handle(&mut app, ctrl_c), Step::Interrupted));
        // Typing a search, then Enter starts it.
        app.mode = Mode::Normal;
        press(&mut app, '/');
        press(&mut app, 'x');
        assert_eq!(app.mode, Mode::Search("x".into()));
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert!(matches!(keys::handle(&mut app, enter), Step::StartSearch(q) if q == "x"));
    }

    /// `--to-origin`: the write question says who reads the topics the pending merges send
    /// records back to (asked of the backend once, when it opens).
    #[test]
    fn the_write_question_names_who_reads_what_merges_send_back() {
        let (mut app, _setup, _questions) = app(true);
        app.state.decide(Decision::Merge);
        app.state.decide(Decision::Merge);
        app.state.decide(Decision::Merge);
        assert!(app.sent_back().topics.is_empty(), "not --to-origin");
        app.to_origin = true;
        let sent = app.sent_back();
        // The third merge names no origin; the purge sends nothing back.
        assert_eq!(sent.topics.len(), 1);
        assert_eq!(
            sent.topics["orders"]
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            ["billing"]
        );
        app.readers = Some(vec!["  orders: audit, billing *".into()]);
        assert!(
            app.write_question()
                .iter()
                .any(|line| line == "  orders: audit, billing *"),
            "{:?}",
            app.write_question()
        );
    }
}
