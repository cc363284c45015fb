#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo fuzz, libFuzzer) for FUZZ_SECONDS each (default 20):
#   scripts/fuzz.sh                   every target, 20 s each (CI runs 10 s each)
#   FUZZ_SECONDS=600 scripts/fuzz.sh avro
#   FUZZ_DEV=1 scripts/fuzz.sh        unoptimized build (CI): builds in half the time, runs
#                                     several times slower, checks integer overflow
# Installs cargo-fuzz when it is missing. Only stable Rust exists here: RUSTC_BOOTSTRAP=1 lets
# it take the nightly flags cargo fuzz passes. No sanitizer (-s none): the crate forbids unsafe
# code (the targets use crates/core, the part of the tool that needs no Kafka client, so no
# librdkafka is built).
# The committed seeds (fuzz/corpus/<target>) are read, never written: new inputs go to
# FUZZ_WORK/<target> (default: a temporary directory, removed afterwards). A crash, a panic,
# more than FUZZ_RSS_MB of memory (default 1024) or FUZZ_TIMEOUT seconds (default 10) for one
# input fails the run; the input is kept in fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

seconds=${FUZZ_SECONDS:-20}
rss_mb=${FUZZ_RSS_MB:-1024}
timeout=${FUZZ_TIMEOUT:-10}
export RUSTC_BOOTSTRAP=1
flags=(-s none)
if [[ ${FUZZ_DEV:-0} == 1 ]]; then
  flags+=(--dev)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# cargo fuzz has no --locked: check the committed Cargo.lock fits Cargo.toml first.
cargo metadata --locked --format-version 1 >/dev/null

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo fuzz list)
fi

# One build for every target: they share the library, which is most of the work.
cargo fuzz build "${flags[@]}"

work=${FUZZ_WORK:-}
if [[ -z $work ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

for target in "${targets[@]}"; do
  echo "--- $target: ${seconds}s"
  mkdir -p "$work/$target"
  log="$work/$target.log"
  if ! cargo fuzz run "${flags[@]}" "$target" "$work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
