# Shared by the one-run benchmarks (scripts/bench-scale.sh, scripts/bench-review.sh): sourced,
# not run. Expects NAME (the log prefix) and, optionally, RECORDS, VALUE_BYTES, KAFKA_PORT and
# BENCH_PROFILE; gives a broker of its own (started here, stopped on exit), the binary to
# measure (BIN), a file of RECORDS records (DATA: key-N, values of VALUE_BYTES bytes), WORK
# (kept when the benchmark fails), and helpers.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RECORDS=${BENCH_RECORDS:-1000000}
VALUE_BYTES=${BENCH_VALUE_BYTES:-1024}
PROFILE=${BENCH_PROFILE:-release}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
unset KAFKA_DATA_DIR
B=127.0.0.1:$KAFKA_PORT

log() { printf '%s: %s\n' "$NAME" "$*" >&2; }
die() { log "$*"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmp-$NAME.XXXXXX")
cleanup() {
  local status=$?
  pkill -f "kafka-merge-purge -b $B" 2>/dev/null || true
  scripts/local-kafka.sh stop >/dev/null 2>&1 || true
  ((status == 0)) && rm -rf "$WORK" || log "failed; logs kept in $WORK"
  exit "$status"
}
trap cleanup EXIT

if [[ $PROFILE == release ]]; then
  log "building the release binary"
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/kafka-merge-purge
else
  cargo build --locked --quiet
  BIN=$ROOT/target/debug/kafka-merge-purge
fi

scripts/local-kafka.sh stop >/dev/null 2>&1 || true
KAFKA_EXTRA_CONFIG="log.segment.delete.delay.ms=1000" scripts/local-kafka.sh start >&2
BROKER_PID=$(scripts/local-kafka.sh status | sed -n 's/.*(pid \([0-9]*\),.*/\1/p')
[[ -n $BROKER_PID ]] || die "no broker pid"

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

kafka_tool() { scripts/local-kafka.sh tool "$@"; }
create() { # TOPIC PARTITIONS [configs]
  kafka_tool kafka-topics --bootstrap-server "$B" --create --topic "$1" --partitions "$2" \
    "${@:3}" >/dev/null
}
delete() { # TOPIC...
  local topic
  for topic in "$@"; do
    kafka_tool kafka-topics --bootstrap-server "$B" --delete --topic "$topic" >/dev/null || true
  done
}
records_in() { # TOPIC: the sum of its end offsets
  kafka_tool kafka-get-offsets --bootstrap-server "$B" --topic "$1" |
    awk -F: '{ sum += $3 } END { print sum + 0 }'
}

DATA=$WORK/records.tsv
python3 - "$RECORDS" "$VALUE_BYTES" >"$DATA" <<'PY'
import sys
count, size = int(sys.argv[1]), int(sys.argv[2])
pad = "x" * max(0, size - 12)
out = sys.stdout
for i in range(count):
    out.write(f"key-{i:012d}\t{i:012d}{pad}\n")
PY

# A compacted DLQ of PARTITIONS partitions holding the records of DATA.
filled_dlq() { # TOPIC PARTITIONS
  create "$1" "$2" --config cleanup.policy=compact
  kcat -P -b "$B" -t "$1" -K '\t' -l "$DATA"
  (($(records_in "$1") == RECORDS)) || die "$1 does not hold $RECORDS records"
}
