//! What each key does, by mode (the table `?` shows is [`super::draw::KEYS`]).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::triage::Decision;

use super::draw::short_class;
use super::{App, Mode, Step};

pub(super) fn handle(app: &mut App, key: KeyEvent) -> Step {
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c' | 'C'))
    {
        return Step::Interrupted;
    }
    match app.mode.clone() {
        Mode::Help | Mode::Report(_) => {
            app.mode = Mode::Normal;
            Step::Stay
        }
        Mode::Search(query) => search_key(app, query, key.code),
        Mode::ConfirmWrite => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                app.mode = Mode::Normal;
                Step::Write { then_quit: false }
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                app.mode = Mode::Normal;
                app.status = "nothing written".to_owned();
                Step::Stay
            }
            _ => Step::Stay,
        },
        Mode::ConfirmQuit => match key.code {
            KeyCode::Char('w' | 'W') => {
                app.mode = Mode::Normal;
                Step::Write { then_quit: true }
            }
            KeyCode::Char('d' | 'D') => Step::Quit {
                discarded: app.state.pending().len(),
            },
            KeyCode::Char('c' | 'C') | KeyCode::Esc => {
                app.mode = Mode::Normal;
                Step::Stay
            }
            _ => Step::Stay,
        },
        Mode::Normal => normal_key(app, key.code),
    }
}

fn search_key(app: &mut App, mut query: String, code: KeyCode) -> Step {
    match code {
        KeyCode::Enter => {
            app.mode = Mode::Normal;
            return Step::StartSearch(query);
        }
        KeyCode::Esc => {
            app.mode = Mode::Normal;
            return Step::Stay;
        }
        KeyCode::Backspace => {
            query.pop();
        }
        KeyCode::Char(c) => query.push(c),
        _ => {}
    }
    app.mode = Mode::Search(query);
    Step::Stay
}

fn normal_key(app: &mut App, code: KeyCode) -> Step {
    let page = isize::try_from(app.page).unwrap_or(10);
    match code {
        KeyCode::Down | KeyCode::Char('j') => app.state.move_by(1),
        KeyCode::Up | KeyCode::Char('k') => app.state.move_by(-1),
        KeyCode::PageDown | KeyCode::Char(' ') => app.state.move_by(page),
        KeyCode::PageUp => app.state.move_by(-page),
        KeyCode::Home | KeyCode::Char('g') => app.state.home(),
        KeyCode::End | KeyCode::Char('G') => app.state.end(),
        KeyCode::Char('m') => decide(app, Decision::Merge),
        KeyCode::Char('p') => decide(app, Decision::Purge),
        KeyCode::Char('s') => decide(app, Decision::Skip),
        KeyCode::Char('M') => decide_class(app, Decision::Merge),
        KeyCode::Char('P') => decide_class(app, Decision::Purge),
        KeyCode::Char('S') => decide_class(app, Decision::Skip),
        KeyCode::Char('u') => {
            let at = app
                .state
                .selected()
                .and_then(|row| app.state.rows().get(row))
                .map(|row| (row.partition, row.offset));
            if app.state.undo() {
                // Its edit goes with its decision.
                if let Some(at) = at {
                    app.repairs.remove(&at);
                }
            } else {
                app.status = "this record's decision is written: it cannot be undone".to_owned();
            }
        }
        KeyCode::Tab => app.state.cycle_filter(),
        KeyCode::Char('/') => app.mode = Mode::Search(String::new()),
        KeyCode::Char('n') => {
            let matches = &app.matches;
            let found = app
                .state
                .find_next(|row| matches.contains(&(row.partition, row.offset)));
            if !found {
                app.status = "no match shown: / searches".to_owned();
            }
        }
        KeyCode::Char('r') => app.raw = !app.raw,
        KeyCode::Char('e') => return Step::Edit { key: false },
        KeyCode::Char('E') => return Step::Edit { key: true },
        KeyCode::Char('J') => app.detail_scroll = app.detail_scroll.saturating_add(1),
        KeyCode::Char('K') => app.detail_scroll = app.detail_scroll.saturating_sub(1),
        KeyCode::Char('?' | 'h') => app.mode = Mode::Help,
        KeyCode::Char('w') => {
            if app.state.has_pending() {
                app.mode = Mode::ConfirmWrite;
            } else {
                app.status = "no decision to write: m, p or s decide".to_owned();
            }
        }
        KeyCode::Char('q') | KeyCode::Esc => {
            if app.state.has_pending() {
                app.mode = Mode::ConfirmQuit;
            } else {
                return Step::Quit { discarded: 0 };
            }
        }
        _ => {}
    }
    Step::Stay
}

fn decide(app: &mut App, decision: Decision) {
    if decision == Decision::Merge && !app.can_merge {
        app.status = "nowhere to merge to: give a destination topic or --to-origin".to_owned();
        return;
    }
    if app.state.selected().is_some() && !app.state.decide(decision) {
        app.status = "this record's decision is written already".to_owned();
    }
}

fn decide_class(app: &mut App, decision: Decision) {
    if decision == Decision::Merge && !app.can_merge {
        app.status = "nowhere to merge to: give a destination topic or --to-origin".to_owned();
        return;
    }
    let class = app
        .state
        .selected()
        .and_then(|row| app.state.rows().get(row))
        .and_then(|row| app.state.classes().get(row.class()))
        .map(|class| short_class(&class.name).to_owned());
    let Some(class) = class else {
        return;
    };
    let decided = app.state.decide_class(decision);
    let verb = match decision {
        Decision::Merge => "merge",
        Decision::Purge => "purge",
        Decision::Skip | Decision::Quit => "skip",
    };
    app.status = format!("{decided} undecided record(s) of {class}: {verb}");
}
