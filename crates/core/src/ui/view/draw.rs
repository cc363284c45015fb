//! What the view looks like: two header lines (counts, failure classes), the list on the left,
//! the highlighted record on the right, one status line, and the dialogs over them. Only the
//! lines on screen are built, whatever the size of the queue.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use crate::triage::Decision;

use super::{App, Mode};

/// The keys, as `?` shows them.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move"),
    ("PgUp PgDn Home End", "jump (also Space, g, G)"),
    (
        "m  p  s",
        "merge, purge or skip this record, then move down",
    ),
    (
        "M  P  S",
        "merge, purge or skip every undecided record of this class",
    ),
    (
        "e  E",
        "edit the value / the key in $EDITOR: merge the edited copy",
    ),
    ("u", "clear this record's decision"),
    ("Tab", "show the next failure class only (then all again)"),
    ("/  n", "search keys and values as displayed; next match"),
    ("r", "raw hex of key, headers and value"),
    ("J  K", "scroll the record"),
    ("w", "write every pending decision (asks first)"),
    ("q", "quit (asks first when decisions are pending)"),
    ("Ctrl-C", "leave at once, writing nothing more"),
];

pub fn draw(frame: &mut Frame<'_>, app: &App, progress: Option<&str>) {
    let [head, classes, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(Paragraph::new(head_line(app)).style(reversed()), head);
    frame.render_widget(Paragraph::new(class_line(app)), classes);
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    draw_list(frame, app, list);
    draw_detail(frame, app, detail);
    let line = match (progress, &app.mode) {
        (Some(progress), _) => progress.to_owned(),
        (None, Mode::Search(query)) => format!("/{query}█"),
        (None, _) => app.status.clone(),
    };
    frame.render_widget(Paragraph::new(line).style(reversed()), status);
    match &app.mode {
        Mode::Help => dialog(frame, "Keys", help_lines()),
        Mode::ConfirmWrite => dialog(frame, "Write?", app.write_question()),
        Mode::ConfirmQuit => dialog(frame, "Quit?", quit_lines(app)),
        Mode::Report(lines) => dialog(frame, "Dry run", lines.clone()),
        Mode::Normal | Mode::Search(_) => {}
    }
}

fn reversed() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

fn head_line(app: &App) -> String {
    let counts = app.state.counts();
    let shown = app.state.rows().len();
    let reading = if app.index_done {
        String::new()
    } else {
        format!(
            " (reading… {} of at most {})",
            group(app.read),
            group(app.total)
        )
    };
    let mut line = format!(
        " {} · {} record(s){reading} · merge {} · purge {} · skip {} · undecided {}",
        app.title,
        group(shown as u64),
        counts.merge,
        counts.purge,
        counts.skip,
        counts.undecided
    );
    if counts.written > 0 {
        line.push_str(&format!(" · written {}", counts.written));
    }
    if app.plan.is_some() {
        line.push_str(" · PLAN ONLY");
    } else if app.dry_run {
        line.push_str(" · DRY RUN");
    }
    line
}

fn class_line(app: &App) -> Line<'static> {
    let mut spans = vec![Span::raw(" Classes: ")];
    let selected = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let all = format!("All {}", group(app.state.rows().len() as u64));
    spans.push(if app.state.filter().is_none() {
        Span::styled(all, selected)
    } else {
        Span::raw(all)
    });
    for (index, class) in app.state.classes().iter().enumerate() {
        spans.push(Span::raw(" · "));
        let text = format!("{} {}", short_class(&class.name), group(class.count as u64));
        spans.push(if app.state.filter() == Some(index) {
            Span::styled(text, selected)
        } else {
            Span::raw(text)
        });
    }
    Line::from(spans)
}

/// The last part of a dotted class name (`org.acme.SomeException` → `SomeException`).
pub fn short_class(name: &str) -> &str {
    if name.contains(' ') {
        return name;
    }
    name.rsplit('.').next().unwrap_or(name)
}

fn draw_list(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = Block::new().borders(Borders::RIGHT);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height.saturating_sub(1));
    let (key_width, class_width) = text_columns(usize::from(inner.width));
    let mut lines = vec![Line::styled(
        format!(
            "{:>3} {:>9} {:>5}  {:<key_width$} {:<class_width$} {:>2}  {}",
            "P", "OFFSET", "AGE", "KEY", "CLASS", "R", "DECISION"
        ),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    let visible = app.state.visible();
    let selected = app.state.selected();
    for &row_index in visible.iter().skip(app.top).take(height) {
        let Some(row) = app.state.rows().get(row_index) else {
            continue;
        };
        let class = app
            .state
            .classes()
            .get(row.class())
            .map_or("", |class| short_class(&class.name));
        let decision = decision_text(
            app.state.decision(row_index),
            app.state.is_written(row_index),
            app.repairs.contains_key(&(row.partition, row.offset)),
        );
        let text = format!(
            "{:>3} {:>9} {:>5}  {:<key_width$} {:<class_width$} {:>2}  {decision}",
            row.partition,
            row.offset,
            row.timestamp_ms
                .map_or_else(String::new, |ms| age(app.now_ms - ms)),
            cut(&row.key, key_width),
            cut(class, class_width),
            row.replays
                .map_or_else(String::new, |count| count.to_string()),
        );
        let mut style = Style::new();
        if app.matches.contains(&(row.partition, row.offset)) {
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        if Some(row_index) == selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        lines.push(Line::styled(text, style));
    }
    if visible.is_empty() {
        lines.push(Line::raw(if app.index_done {
            "  no records"
        } else {
            "  reading…"
        }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The widths of the key and class columns in a list `width` wide: what the fixed columns
/// leave, shared: the key between 8 and 23 characters (what a row keeps of it, at least 12
/// when there is room), the class between 8 and 40.
fn text_columns(width: usize) -> (usize, usize) {
    // P, OFFSET, AGE, R and DECISION with their gaps.
    let free = width.saturating_sub(38);
    let key = (free * 9 / 20).max(free.min(24) / 2).clamp(8, 23);
    let class = free.saturating_sub(key).clamp(8, 40);
    (key, class)
}

fn decision_text(decision: Option<Decision>, written: bool, edited: bool) -> &'static str {
    match (decision, written) {
        (Some(Decision::Merge), false) if edited => "merge ✎",
        (Some(Decision::Merge), true) if edited => "merged ✎✓",
        (Some(Decision::Merge), false) => "merge",
        (Some(Decision::Purge), false) => "purge",
        (Some(Decision::Skip), false) => "skip",
        (Some(Decision::Merge), true) => "merged ✓",
        (Some(Decision::Purge), true) => "purged ✓",
        (Some(Decision::Skip), true) => "skipped ✓",
        (Some(Decision::Quit) | None, _) => "",
    }
}

fn draw_detail(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = if app.raw {
        " Record (raw) "
    } else {
        " Record "
    };
    let block = Block::new().title(title);
    let inner = block.inner(area);
    let (width, height) = (usize::from(inner.width), usize::from(inner.height));
    let skip = usize::from(app.detail_scroll);
    let message;
    let text: &[String] = match app.shown_detail() {
        None if app.state.selected().is_some() => {
            message = ["reading the record…".to_owned()];
            &message
        }
        None => &[],
        Some(detail) if app.raw => &detail.raw,
        Some(detail) => match &detail.text {
            Ok(text) => text,
            Err(reason) => {
                message = [format!("cannot show this record: {reason}")];
                &message
            }
        },
    };
    let lines: Vec<Line<'_>> = wrapped(text, width, skip, height)
        .into_iter()
        .map(Line::raw)
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The lines of `text` as a pane `width` cells wide shows them, from wrapped line `skip` on and
/// at most `height` of them (only those are wrapped: a big value stays cheap to draw).
fn wrapped(text: &[String], width: usize, skip: usize, height: usize) -> Vec<String> {
    let mut shown = Vec::with_capacity(height);
    let mut seen = 0;
    for line in text {
        for piece in wrap_line(line, width) {
            if seen >= skip {
                if shown.len() == height {
                    return shown;
                }
                shown.push(piece);
            }
            seen += 1;
        }
    }
    shown
}

/// `line` in pieces of at most `width` cells; a piece after the first is indented two more
/// than the line, and a piece ends after a space when there is one in its second half.
fn wrap_line(line: &str, width: usize) -> Vec<String> {
    if width == 0 || line.width() <= width {
        return vec![line.to_owned()];
    }
    let indent = line.chars().take_while(|&c| c == ' ').count();
    let hanging = (indent + 2).min(width / 2);
    let mut pieces = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let prefix = if pieces.is_empty() { 0 } else { hanging };
        let room = width - prefix;
        let (mut used, mut end, mut after_space) = (0, 0, None);
        for (at, c) in rest.char_indices() {
            let cells = c.width().unwrap_or(0);
            if used + cells > room {
                break;
            }
            used += cells;
            end = at + c.len_utf8();
            if c == ' ' && used >= room / 2 {
                after_space = Some(end);
            }
        }
        if end == 0 {
            // One character wider than the room: it goes on a line of its own.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        } else if end < rest.len()
            && let Some(space) = after_space
        {
            end = space;
        }
        pieces.push(format!("{:prefix$}{}", "", &rest[..end]));
        // Spaces where a line is broken do not start the next piece.
        rest = rest[end..].trim_start_matches(' ');
    }
    pieces
}

fn help_lines() -> Vec<String> {
    KEYS.iter()
        .map(|(keys, what)| format!("{keys:<20} {what}"))
        .chain(["".to_owned(), "Any key closes this.".to_owned()])
        .collect()
}

fn quit_lines(app: &App) -> Vec<String> {
    let counts = app.state.counts();
    vec![
        format!(
            "{} decision(s) are not written: merge {}, purge {}, skip {}.",
            counts.pending(),
            counts.merge,
            counts.purge,
            counts.skip
        ),
        String::new(),
        "w  write them, then quit".to_owned(),
        "d  discard them and quit (nothing more is written)".to_owned(),
        "c  (or Esc) cancel: stay in the view".to_owned(),
    ]
}

fn dialog(frame: &mut Frame<'_>, title: &str, lines: Vec<String>) {
    let area = frame.area();
    let width = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .saturating_add(4)
        .min(usize::from(area.width));
    let height = (lines.len() + 2).min(usize::from(area.height));
    let width = u16::try_from(width).unwrap_or(area.width);
    let height = u16::try_from(height).unwrap_or(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>())
            .block(Block::bordered().title(format!(" {title} "))),
        rect,
    );
}

/// `text` in at most `width` characters.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// How long ago, in the largest unit: `42s`, `5m`, `3h`, `12d`.
pub fn age(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86_400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86_400),
    }
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_counts_and_class_names() {
        assert_eq!(age(42_000), "42s");
        assert_eq!(age(-5), "0s");
        assert_eq!(age(5 * 60_000 + 1), "5m");
        assert_eq!(age(3 * 3_600_000), "3h");
        assert_eq!(age(12 * 86_400_000), "12d");
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(short_class("org.acme.SomeException"), "SomeException");
        assert_eq!(short_class("(no class header)"), "(no class header)");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(text_columns(80), (18, 24));
        // Long lines go on under their indentation, broken after a space near the end.
        assert_eq!(
            wrap_line("    message: failed to convert from JSON", 24),
            ["    message: failed to ", "      convert from JSON"]
        );
        assert_eq!(wrap_line("short", 24), ["short"]);
        assert_eq!(wrap_line("abcd efgh", 4), ["abcd", "  ef", "  gh"]);
        assert_eq!(wrap_line("abcdefghij", 4), ["abcd", "  ef", "  gh", "  ij"]);
        assert_eq!(
            wrap_line("日本語のテキスト", 6),
            ["日本語", "  のテ", "  キス", "  ト"]
        );
        let text = ["one".to_owned(), "abcdefghij".to_owned(), "last".to_owned()];
        assert_eq!(wrapped(&text, 4, 2, 3), ["  ef", "  gh", "  ij"]);
        assert_eq!(wrapped(&text, 4, 5, 3), ["last"]);
        assert_eq!(text_columns(20), (8, 8), "never narrower than 8");
        assert_eq!(text_columns(300), (23, 40), "never wider than a key or 40");
    }
}
