//! Shell completion scripts and the manual page, generated from the clap definition of the
//! command line, so they never drift from it.

use std::io::{self, Write};

use clap::CommandFactory as _;

use crate::cli::{Cli, Shell};

/// The name the completions and the manual page are written for.
const BIN: &str = "kafka-merge-purge";

/// Writes the completion script for `shell`.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    // clap_complete writes with `write_all(...).expect(...)`: collect first, so a closed pipe
    // is an error returned here rather than a panic there.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    if shell == Shell::Bash {
        script = fix_bash_states(&script);
    }
    out.write_all(&script)?;
    out.flush()
}

/// `clap_complete` 4.6 spells the bash completion states of subcommands two ways when the
/// program name has a hyphen (`kafka__merge__purge__subcmd__ask` where the state is set,
/// `kafka__subcmd__merge__subcmd__purge__subcmd__ask` where it is matched), so nothing after a
/// subcommand completed (clap-rs/clap#6421). Spell them the way they are set; a no-op once
/// `clap_complete` is fixed.
fn fix_bash_states(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    text.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"))
        .into_bytes()
}

/// Writes the manual page (roff, section 1).
///
/// # Errors
/// When `out` cannot be written.
pub fn write_man(out: &mut dyn Write) -> io::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command().name(BIN)).render(&mut page)?;
    out.write_all(&page)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_names_the_subcommands() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            write_completions(shell, &mut out).unwrap();
            let script = String::from_utf8(out).unwrap();
            for word in [
                "merge-all",
                "purge-all",
                "bootstrap-servers",
                "consumer-properties",
            ] {
                assert!(script.contains(word), "{shell}: no {word}");
            }
        }
    }

    #[test]
    fn man_page_is_roff_with_the_options_and_examples() {
        let mut out = Vec::new();
        write_man(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(
            page.starts_with(".ie \\n(.g .ds Aq") || page.starts_with(".TH"),
            "{page}"
        );
        assert!(page.contains(".TH kafka-merge-purge 1"), "{page}");
        for word in ["merge\\-all", "KAFKA_MERGE_PURGE_PROPERTIES", "Examples:"] {
            assert!(page.contains(word), "no {word} in\n{page}");
        }
    }
}
