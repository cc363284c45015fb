#!/usr/bin/env bash
# The project's test command: installs what is missing (scripts/install.sh), runs
# `cargo test --locked [ARGS...]`, then stops the brokers the tests started, whatever happens.
#
#   scripts/test.sh                  every test
#   scripts/test.sh -- ask::         extra arguments go to cargo test
#   KMP_SLOWEST=15 scripts/test.sh   each test's time, and the 15 slowest at the end (CI)
#
# The tests start their brokers and their schema registry (Apicurio Registry,
# scripts/local-registry.sh) themselves (tests/it/common/broker.rs and registry.rs choose the
# ports): with KMP_TEST_BROKERS and KMP_TEST_REGISTRIES set, as here, always fresh ones on free
# ports, which are listed in those files and stopped afterwards. When tests fail, the brokers' data directories (with broker.log) are
# kept and named. KAFKA_BOOTSTRAP=HOST:PORT uses a running broker instead of the plain one,
# REGISTRY_URL a running registry.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/install.sh
unset KAFKA_PORT KAFKA_SECURE_PORT KAFKA_DATA_DIR KAFKA_CONTROLLER_PORT
KMP_TEST_BROKERS=$(mktemp "${TMPDIR:-/tmp}/kmp-test-brokers.XXXXXX")
KMP_TEST_REGISTRIES=$(mktemp "${TMPDIR:-/tmp}/kmp-test-registries.XXXXXX")
export KMP_TEST_BROKERS KMP_TEST_REGISTRIES

status=0
cleanup() {
  ((status == 0)) || export KAFKA_KEEP_DATA=1
  local port
  while read -r port; do
    KAFKA_PORT=$port scripts/local-kafka.sh stop || true
  done <"$KMP_TEST_BROKERS"
  while read -r port; do
    REGISTRY_PORT=$port scripts/local-registry.sh stop || true
  done <"$KMP_TEST_REGISTRIES"
  rm -f "$KMP_TEST_BROKERS" "$KMP_TEST_REGISTRIES"
}
trap cleanup EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

if [[ -z ${KMP_SLOWEST:-} ]]; then
  cargo test --locked "$@" || status=$?
  exit "$status"
fi

# KMP_SLOWEST=N: each test's time (libtest's --report-time), and the N slowest at the end.
# Doc tests are run by rustdoc, not through the runner: they run apart, without the flags.
args=("$@")
doc=0
if [[ " ${args[*]} " != *" --test "* && " ${args[*]} " != *" --lib "* &&
  " ${args[*]} " != *" --doc "* ]]; then
  args=(--lib --bins --tests "${args[@]}")
  doc=1
fi
[[ " ${args[*]} " == *" -- "* ]] || args+=(--)
args+=(-Z unstable-options --report-time)
times=$(mktemp "${TMPDIR:-/tmp}/kmp-test-times.XXXXXX")
triple=$(rustc -vV | sed -n 's/^host: //p' | tr '[:lower:]-' '[:upper:]_')
(
  export "CARGO_TARGET_${triple}_RUNNER=$ROOT/scripts/timed-test-runner.sh"
  cargo test --locked "${args[@]}"
) 2>&1 | tee "$times" || status=${PIPESTATUS[0]}
if ((doc == 1 && status == 0)); then
  cargo test --locked --doc || status=$?
fi
echo
echo "--- the $KMP_SLOWEST slowest tests (seconds)"
# `sed -n 1,Np` reads to the end: `head` exits after N lines, and a sort still writing then
# dies of SIGPIPE, which pipefail made the run's status (141), at random.
sed -nE 's/^test (.*) \.\.\. .*<([0-9.]+)s>$/\2 \1/p' "$times" | sort -rn | sed -n "1,${KMP_SLOWEST}p"
rm -f "$times"
exit "$status"
