//! The binary replaces the process's allocator (src/main.rs): `malloc`, `free` and the rest
//! must be defined by the binary itself, so that librdkafka (linked in statically) and glibc
//! call jemalloc too. With only Rust's allocations in jemalloc, librdkafka's per-record
//! allocations stay in glibc's allocator, which took a quarter of a bulk merge's CPU time.

#![cfg(all(target_os = "linux", not(target_env = "msvc")))]

use std::collections::BTreeSet;

use crate::common::kmp;
use std::process::Command;

#[test]
fn the_binary_defines_malloc_for_librdkafka_and_glibc() {
    let binary = env!("CARGO_BIN_EXE_kafka-merge-purge");
    // The dynamic symbol table: what glibc's own calls resolve to (the executable comes
    // first), and what the static librdkafka was linked against.
    let output = Command::new("nm")
        .args(["--dynamic", "--defined-only", binary])
        .output()
        .unwrap_or_else(|e| panic!("nm (binutils) is needed: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8_lossy(&output.stdout);
    let defined: BTreeSet<&str> = listing
        .lines()
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [_address, "T" | "t" | "W" | "i", name] => Some(name),
                _ => None,
            },
        )
        .collect();
    let missing: Vec<&str> = [
        "malloc",
        "free",
        "calloc",
        "realloc",
        "posix_memalign",
        "aligned_alloc",
    ]
    .into_iter()
    .filter(|symbol| !defined.contains(symbol))
    .collect();
    assert!(
        missing.is_empty(),
        "the binary does not define {missing:?}: librdkafka and glibc would use glibc's allocator"
    );
}

/// jemalloc is the allocator at run time (it answers `MALLOC_CONF`), with the settings of
/// `.cargo/config.toml` built in: freed memory goes back after 1 s, not 10 s, which kept a
/// bulk merge's peak RSS as low as with glibc's allocator.
#[test]
fn jemalloc_runs_with_the_decay_settings_built_in() {
    let output = kmp()
        .arg("--version")
        .env("MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let stats = String::from_utf8_lossy(&output.stderr);
    for setting in ["opt.dirty_decay_ms: 1000", "opt.muzzy_decay_ms: 0"] {
        assert!(
            stats.contains(setting),
            "no {setting:?} in jemalloc's statistics: {}",
            stats.chars().take(2000).collect::<String>()
        );
    }
}
