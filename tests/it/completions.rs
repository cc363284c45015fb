//! The generated shell completions and manual page, checked by the real shells and by groff
//! and man (Debian packages `bash`, `zsh`, `fish`, `groff-base`, `man-db`; `.ci/run` installs
//! them), and `--help`. None of this needs a broker or a group.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::*;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the tool with `args` and returns its stdout, failing the test unless it exits 0 with
/// nothing on stderr.
fn generate(args: &[&str]) -> String {
    let output = Kmp::bare().args(args).timeout(TIMEOUT).run();
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{args:?}: {}\n{}",
        output.status,
        output.stderr_text()
    );
    assert!(!output.stdout.is_empty(), "{args:?}: nothing written");
    output.stdout_text()
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

/// Runs `program args...`, failing the test (with what it printed) unless it exits 0.
fn checked(program: &str, args: &[&str]) -> RunOutput {
    let output = run(Command::new(program).args(args), b"", TIMEOUT);
    assert!(
        output.status.success(),
        "{program} {args:?}: {}\n--- stdout:\n{}\n--- stderr:\n{}",
        output.status,
        output.stdout_text(),
        output.stderr_text()
    );
    output
}

#[test]
fn bash_completion_parses_and_completes_subcommands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_file(dir.path(), "kmp.bash", &generate(&["completions", "bash"]));
    let script = script.to_str().unwrap();
    checked("bash", &["-n", script]);

    let complete = |line: &str| {
        // Quoted, so that a trailing empty word (completing after a space) stays a word.
        let words = line
            .split(' ')
            .map(|word| format!("'{word}'"))
            .collect::<Vec<_>>();
        let program = format!(
            "source {script}\n\
             COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
             _kafka__merge__purge kafka-merge-purge {} {}\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        checked("bash", &["-c", &program]).stdout_text()
    };
    assert_eq!(complete("kafka-merge-purge mer").trim(), "merge-all");
    let options = complete("kafka-merge-purge --prop");
    assert!(options.lines().any(|l| l == "--properties"), "{options}");
    assert!(options.lines().any(|l| l == "--property"), "{options}");
    // After a subcommand (clap_complete's own script completed nothing there: see
    // ui::docs::fix_bash_states).
    assert_eq!(
        complete("kafka-merge-purge ask --merge-t").trim(),
        "--merge-tombstones"
    );
    let outputs = complete("kafka-merge-purge print --output ");
    assert_eq!(
        outputs.lines().collect::<Vec<_>>(),
        ["text", "json"],
        "{outputs}"
    );
    let shells = complete("kafka-merge-purge completions ");
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.lines().any(|l| l == shell), "{shells}");
    }
}

#[test]
fn zsh_completion_parses() {
    let dir = tempfile::tempdir().unwrap();
    let script = generate(&["completions", "zsh"]);
    assert!(script.starts_with("#compdef kafka-merge-purge"), "{script}");
    let path = write_file(dir.path(), "_kafka-merge-purge", &script);
    checked("zsh", &["-n", path.to_str().unwrap()]);
}

#[test]
fn fish_completion_parses_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "kafka-merge-purge.fish",
        &generate(&["completions", "fish"]),
    );
    let path = path.to_str().unwrap();
    checked("fish", &["--no-execute", path]);
    let completed = checked(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {path}; complete -C 'kafka-merge-purge pur'; complete -C 'kafka-merge-purge -'"),
        ],
    )
    .stdout_text();
    assert!(
        completed.lines().any(|l| l.starts_with("purge-all\t")),
        "{completed}"
    );
    assert!(
        completed
            .lines()
            .any(|l| l.starts_with("--bootstrap-servers\t")),
        "{completed}"
    );
}

#[test]
fn man_page_is_valid_roff_and_renders() {
    let page = generate(&["man"]);
    let first = page
        .lines()
        .find(|line| !line.starts_with(".ie") && !line.starts_with(".el"))
        .unwrap_or_default();
    assert!(first.starts_with(".TH kafka-merge-purge 1"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "kafka-merge-purge.1", &page);
    let path = path.to_str().unwrap();
    // -ww: every groff warning; -z: check only. A warning fails the test.
    let groff = checked("groff", &["-man", "-Tutf8", "-ww", "-z", path]);
    assert!(groff.stderr.is_empty(), "groff: {}", groff.stderr_text());

    let rendered = run(
        Command::new("man")
            .args(["-l", path])
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80"),
        b"",
        TIMEOUT,
    );
    assert!(
        rendered.status.success(),
        "man -l: {}",
        rendered.stderr_text()
    );
    let text = rendered.stdout_text();
    for expected in [
        "SYNOPSIS",
        "--bootstrap-servers",
        "KAFKA_MERGE_PURGE_PROPERTIES",
        "merge-all",
        "Examples:",
        "man -l -",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

/// `completions` and `man` read no configuration: a broken properties file in the environment
/// and no group do not matter.
#[test]
fn completions_and_man_need_no_configuration() {
    for args in [&["completions", "bash"][..], &["man"][..]] {
        let output = run(
            kmp()
                .args(args)
                .env(
                    "KAFKA_MERGE_PURGE_PROPERTIES",
                    "/nonexistent/client.properties",
                )
                .env("KAFKA_MERGE_PURGE_BOOTSTRAP_SERVERS", "127.0.0.1:1"),
            b"",
            TIMEOUT,
        );
        assert!(
            output.status.success(),
            "{args:?}: {}",
            output.stderr_text()
        );
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_has_examples_and_names_the_environment_variables() {
    // Wrapped to the width clap finds; compare with single spaces.
    let help = generate(&["--help"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "completions",
        "Print the manual page",
        "[env: KAFKA_MERGE_PURGE_PROPERTIES=]",
        "[env: KAFKA_MERGE_PURGE_BOOTSTRAP_SERVERS=]",
        "[env: KAFKA_MERGE_PURGE_GROUP=]",
        "Examples:",
        "kafka-merge-purge -O client.properties -g dlq-triage -t \\ merge-all orders-dlq orders-retry",
        "Exit status:",
    ] {
        assert!(help.contains(expected), "{expected:?} not in:\n{help}");
    }
}

/// The properties file named by `KAFKA_MERGE_PURGE_PROPERTIES` is read like `-O`: a broken one
/// is a usage error that names it.
#[test]
fn properties_file_from_the_environment_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "env.properties", "no.such.property=1\n");
    let output = run(
        kmp()
            .args(["-b", "127.0.0.1:1", "print", "t"])
            .env("KAFKA_MERGE_PURGE_PROPERTIES", &path),
        b"",
        TIMEOUT,
    );
    output.assert_exit(2);
    let stderr = output.stderr_text();
    assert_contains(&stderr, "no.such.property");
    assert_contains(&stderr, "env.properties, line 1");
}
