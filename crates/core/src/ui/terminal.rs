//! What the standard streams are, read once: which of them is a terminal, and so whether each
//! is coloured (`--color`, `NO_COLOR`), whether a person can be asked (the prompt kind) and
//! whether progress is drawn. Every such choice asks a [`Terminal`], so one rule holds for
//! every coloured output.

use std::io::IsTerminal as _;

use crate::cli::ColorChoice;

/// The state of stdin, stdout and stderr, and the colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    color: ColorChoice,
    /// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    no_color: bool,
    /// `TERM=dumb`: no cursor movement, so no full-screen view.
    dumb: bool,
}

impl Terminal {
    /// The streams of this process.
    #[must_use]
    pub fn detect(color: ColorChoice) -> Self {
        Self {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
            color,
            no_color: std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()),
            dumb: std::env::var_os("TERM").is_some_and(|term| term == "dumb"),
        }
    }

    /// Given states, for tests: `[stdin, stdout, stderr]` terminals or not.
    #[must_use]
    pub fn with(terminals: [bool; 3], color: ColorChoice, no_color: bool) -> Self {
        let [stdin, stdout, stderr] = terminals;
        Self {
            stdin,
            stdout,
            stderr,
            color,
            no_color,
            dumb: false,
        }
    }

    /// Whether the full-screen view can open: stdin and stdout are one terminal that moves
    /// its cursor.
    #[must_use]
    pub fn full_screen(&self) -> bool {
        self.stdin && self.stdout && !self.dumb
    }

    /// Whether what goes to stdout (records of `print`) is coloured.
    #[must_use]
    pub fn color_stdout(&self) -> bool {
        self.colors(self.stdout)
    }

    /// Whether what goes to stderr (logs, the prompt's records) is coloured.
    #[must_use]
    pub fn color_stderr(&self) -> bool {
        self.colors(self.stderr)
    }

    /// Whether a person is there to answer the full prompt: keys from a terminal, the prompt
    /// on one.
    #[must_use]
    pub fn interactive(&self) -> bool {
        self.stdin && self.stderr
    }

    fn colors(&self, terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !self.no_color,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_terminals_only_and_never_with_no_color() {
        let pipes = Terminal::with([false; 3], ColorChoice::Auto, false);
        assert!(!pipes.color_stdout() && !pipes.color_stderr());
        let stderr_only = Terminal::with([false, false, true], ColorChoice::Auto, false);
        assert!(!stderr_only.color_stdout() && stderr_only.color_stderr());
        let no_color = Terminal::with([true; 3], ColorChoice::Auto, true);
        assert!(!no_color.color_stdout() && !no_color.color_stderr());
    }

    #[test]
    fn always_and_never_win_over_the_streams() {
        for no_color in [false, true] {
            let always = Terminal::with([false; 3], ColorChoice::Always, no_color);
            assert!(always.color_stdout() && always.color_stderr());
            let never = Terminal::with([true; 3], ColorChoice::Never, no_color);
            assert!(!never.color_stdout() && !never.color_stderr());
        }
    }

    #[test]
    fn interactive_needs_stdin_and_stderr() {
        for (terminals, expected) in [
            ([true, false, true], true),
            ([true, true, false], false),
            ([false, true, true], false),
        ] {
            let terminal = Terminal::with(terminals, ColorChoice::Auto, false);
            assert_eq!(terminal.interactive(), expected, "{terminals:?}");
        }
    }
}
