#!/usr/bin/env bash
# The project's test command: installs what is missing (scripts/install.sh), runs
# `cargo test --locked [ARGS...]`, then stops the brokers the tests started, whatever happens.
#
#   scripts/test.sh                  every test
#   scripts/test.sh -- ask::         extra arguments go to cargo test
#
# The tests start their brokers themselves (tests/it/common/broker.rs chooses the ports): with
# KMP_TEST_BROKERS set, as here, always fresh ones on free ports, which are listed in that file
# and stopped afterwards. When tests fail, the brokers' data directories (with broker.log) are
# kept and named. KAFKA_BOOTSTRAP=HOST:PORT uses a running broker instead of the plain one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/install.sh
unset KAFKA_PORT KAFKA_SECURE_PORT KAFKA_DATA_DIR KAFKA_CONTROLLER_PORT
KMP_TEST_BROKERS=$(mktemp "${TMPDIR:-/tmp}/kmp-test-brokers.XXXXXX")
export KMP_TEST_BROKERS

status=0
cleanup() {
  ((status == 0)) || export KAFKA_KEEP_DATA=1
  local port
  while read -r port; do
    KAFKA_PORT=$port scripts/local-kafka.sh stop || true
  done <"$KMP_TEST_BROKERS"
  rm -f "$KMP_TEST_BROKERS"
}
trap cleanup EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

cargo test --locked "$@" || status=$?
exit "$status"
