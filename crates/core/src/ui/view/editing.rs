//! `e` / `E` in the view: the highlighted record's value (or key) opens in the person's editor
//! (the view leaves the screen meanwhile); a valid edit decides the record *merge edited*, an
//! invalid or unchanged one decides nothing and says why on the status line.

use ratatui::DefaultTerminal;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use crate::error::Error;
use crate::repair::Change;
use crate::triage::Decision;

use super::{App, Backend};

/// Edits the highlighted record through `backend`, the screen handed to the editor meanwhile.
///
/// # Errors
/// When the terminal cannot be handed over or taken back.
pub(super) fn edit(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    backend: &mut dyn Backend,
    key: bool,
) -> Result<(), Error> {
    let Some(row) = app.state.selected() else {
        return Ok(());
    };
    if app.state.is_written(row) {
        app.status = "this record's decision is written already".to_owned();
        return Ok(());
    }
    if !app.can_merge {
        app.status = "nowhere to merge to: give a destination topic or --to-origin".to_owned();
        return Ok(());
    }
    let Some(at) = app
        .state
        .rows()
        .get(row)
        .map(|row| (row.partition, row.offset))
    else {
        return Ok(());
    };
    let failed = |error: std::io::Error| -> Error {
        anyhow::Error::new(error)
            .context("the terminal failed")
            .into()
    };
    disable_raw_mode().map_err(failed)?;
    execute!(std::io::stdout(), LeaveAlternateScreen).map_err(failed)?;
    let result = backend.edit(at, key);
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All)
    )
    .map_err(failed)?;
    enable_raw_mode().map_err(failed)?;
    // The screen is blank: a blank frame makes the next one draw every cell again (without
    // `Terminal::clear`, which asks the terminal where its cursor is).
    terminal
        .draw(|frame| frame.render_widget(ratatui::widgets::Clear, frame.area()))
        .map_err(failed)?;
    app.status = match result {
        Ok(made) => {
            // A key edited after the value (or the other way round) keeps both.
            let repair = match app.repairs.get(&at) {
                Some(earlier) => std::sync::Arc::new(earlier.then(&made.repair)),
                None => made.repair,
            };
            app.repairs.insert(at, repair);
            app.state.decide(Decision::Merge);
            format!("edited, to merge: {}", summary(&made.changes))
        }
        Err(reason) => format!("not edited, nothing decided: {reason}"),
    };
    Ok(())
}

/// The first changes on one line.
fn summary(changes: &[Change]) -> String {
    let mut parts: Vec<String> = changes.iter().take(2).map(Change::line).collect();
    if changes.len() > 2 {
        parts.push(format!("and {} more", changes.len() - 2));
    }
    parts.join(" · ")
}
