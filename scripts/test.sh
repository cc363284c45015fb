#!/usr/bin/env bash
# The project's test command: installs what is missing (scripts/install.sh), runs
# `cargo test --locked [ARGS...]`, then stops the brokers the tests started, whatever happens.
#
#   scripts/test.sh                  every test
#   scripts/test.sh -- ask::         extra arguments go to cargo test
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

cargo test --locked "$@" || status=$?
exit "$status"
