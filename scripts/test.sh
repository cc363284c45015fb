#!/usr/bin/env bash
# The project's test command: starts a fresh local Apache Kafka (scripts/local-kafka.sh), runs
# `cargo test --locked [ARGS...]` against it and stops it again, whatever happens.
#
#   scripts/test.sh                  every test
#   scripts/test.sh --test harness   extra arguments go to cargo test
#
# The broker listens on 127.0.0.1:$KAFKA_PORT. Without KAFKA_PORT it takes 9092, or, when
# 9092 is busy (say, the demo's broker still runs), the first free port of 19092, 19192, ...
# When tests fail, the broker's data directory (with broker.log) is kept and named.
#
# tests/security.rs starts a second broker with SASL and TLS listeners (KAFKA_SECURITY=1) on
# KAFKA_SECURE_PORT .. +4 when it runs. Without KAFKA_SECURE_PORT, this script picks free ports
# for it (29092, 29192, ...) and stops it afterwards; one given in KAFKA_SECURE_PORT is left alone.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

if [[ -z ${KAFKA_PORT:-} ]]; then
  for candidate in 9092 19092 19192 19292 19392 19492; do
    if port_free "$candidate" && port_free $((candidate + 1)); then
      KAFKA_PORT=$candidate
      break
    fi
  done
  [[ -n ${KAFKA_PORT:-} ]] || { echo "test.sh: no free port for Kafka; set KAFKA_PORT" >&2; exit 1; }
  [[ $KAFKA_PORT == 9092 ]] || echo "test.sh: 127.0.0.1:9092 is busy; the tests' broker uses $KAFKA_PORT" >&2
fi
export KAFKA_PORT
unset KAFKA_DATA_DIR KAFKA_CONTROLLER_PORT

own_secure_broker=0
if [[ -z ${KAFKA_SECURE_PORT:-} ]]; then
  own_secure_broker=1
  for candidate in 29092 29192 29292 29392 29492; do
    if port_free "$candidate" && port_free $((candidate + 1)) && port_free $((candidate + 2)) &&
      port_free $((candidate + 3)) && port_free $((candidate + 4)); then
      KAFKA_SECURE_PORT=$candidate
      break
    fi
  done
  [[ -n ${KAFKA_SECURE_PORT:-} ]] || { echo "test.sh: no free ports for the secured Kafka; set KAFKA_SECURE_PORT" >&2; exit 1; }
fi
export KAFKA_SECURE_PORT

if scripts/local-kafka.sh status >/dev/null; then
  echo "test.sh: a broker already runs on 127.0.0.1:$KAFKA_PORT; the tests want a fresh one." >&2
  echo "test.sh: stop it (KAFKA_PORT=$KAFKA_PORT scripts/local-kafka.sh stop) or choose another KAFKA_PORT" >&2
  exit 1
fi

scripts/local-kafka.sh fetch
status=0
own_broker=1
cleanup() {
  if ((status != 0)); then
    export KAFKA_KEEP_DATA=1
  fi
  # The secured broker, if tests/security.rs started one on the ports chosen here.
  if ((own_secure_broker)) && KAFKA_PORT=$KAFKA_SECURE_PORT scripts/local-kafka.sh status >/dev/null; then
    KAFKA_PORT=$KAFKA_SECURE_PORT scripts/local-kafka.sh stop || true
  fi
  ((own_broker)) || return 0
  scripts/local-kafka.sh stop || true
}
trap cleanup EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

scripts/local-kafka.sh start --new || {
  status=$?
  # 3: another run started a broker on this port meanwhile; it is not ours to stop.
  ((status == 3)) && own_broker=0
  exit "$status"
}
export KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT

cargo test --locked "$@" || status=$?
exit "$status"
