#!/usr/bin/env bash
# Runs the fault tests (tests/it/faults.rs) and the scale-out tests (tests/it/scale_out.rs)
# against a broker of their own, which they restart and stop, one test at a time, with their
# figures printed.
#
#   FAULT_SEED=20261125 FAULT_KILLS=20 FAULT_RECORDS=10000 scripts/faults.sh [test name filter]
#
# The defaults (6 kills, 6 seams rounds, 10,000 records) are sized for CI; a long run raises them.
#
# KMP_INSTANCE_LOGS=DIR keeps what each scale-out instance said (with -v: timed lines) in DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install.sh

export KAFKA_PORT=${FAULT_KAFKA_PORT:-19092}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
unset KAFKA_DATA_DIR

scripts/local-kafka.sh stop >/dev/null 2>&1 || true
scripts/local-kafka.sh start
trap 'scripts/local-kafka.sh stop' EXIT

echo "fault tests: seed ${FAULT_SEED:-20261125}, kills ${FAULT_KILLS:-6}, records ${FAULT_RECORDS:-10000}"
# The fault and scale-out tests are the integration binary's only ignored ones; without a
# filter, all of them.
if (($# == 0)); then
  set -- faults:: scale_out::
fi
cargo test --locked --test it -- --ignored --nocapture --test-threads=1 "$@"
