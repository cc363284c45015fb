#!/usr/bin/env bash
# Scale-out benchmark (issue 20): merge-all -t with 1, 2 and 4 instances in one consumer group
# on a 12-partition DLQ of N records, in one run. For each count: the wall time until the last
# instance exits, the whole job's records/s, and the CPU seconds of the instances and of the
# broker (from /proc), which say whether the two cores were the limit.
#
#   BENCH_RECORDS=1000000 BENCH_VALUE_BYTES=1024 BENCH_INSTANCES="1 2 4" scripts/bench-scale.sh
#
# Uses a broker of its own on KAFKA_PORT (default 19592, started and stopped here) and the
# release binary (BENCH_PROFILE=debug: the debug one, for a smoke run whose figures mean
# nothing). Every run is checked: all instances exit 0, their merged counts add up to N and the
# destination holds N records.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RECORDS=${BENCH_RECORDS:-1000000}
VALUE_BYTES=${BENCH_VALUE_BYTES:-1024}
PARTITIONS=12
read -r -a COUNTS <<<"${BENCH_INSTANCES:-1 2 4}"
PROFILE=${BENCH_PROFILE:-release}
export KAFKA_PORT=${KAFKA_PORT:-19592}
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
unset KAFKA_DATA_DIR
B=127.0.0.1:$KAFKA_PORT

log() { printf 'bench-scale: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmp-bench-scale.XXXXXX")
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
records_in() { # TOPIC: the sum of its end offsets
  kafka_tool kafka-get-offsets --bootstrap-server "$B" --topic "$1" |
    awk -F: '{ sum += $3 } END { print sum + 0 }'
}

DATA=$WORK/records.tsv
python3 - "$RECORDS" "$VALUE_BYTES" >"$DATA" <<'EOF'
import sys
count, size = int(sys.argv[1]), int(sys.argv[2])
pad = "x" * max(0, size - 12)
out = sys.stdout
for i in range(count):
    out.write(f"key-{i:012d}\t{i:012d}{pad}\n")
EOF

PREFIX=scale-$(date +%Y%m%d%H%M%S)
# A warm-up of one instance, not timed: a fresh broker is slow until its JIT has compiled.
warm=$PREFIX-warm
create "$warm-dlq" "$PARTITIONS" --config cleanup.policy=compact
create "$warm-dest" 6
kcat -P -b "$B" -t "$warm-dlq" -K '\t' -l "$DATA"
"$BIN" -b "$B" -g "$warm" -t merge-all "$warm-dlq" "$warm-dest" 2>"$WORK/warm.err" ||
  die "warm-up failed: $(tail -n 5 "$WORK/warm.err")"

ROWS=$WORK/rows.md
: >"$ROWS"
for n in "${COUNTS[@]}"; do
  dlq=$PREFIX-$n-dlq dest=$PREFIX-$n-dest group=$PREFIX-$n
  create "$dlq" "$PARTITIONS" --config cleanup.policy=compact
  create "$dest" 6
  kcat -P -b "$B" -t "$dlq" -K '\t' -l "$DATA"
  (($(records_in "$dlq") == RECORDS)) || die "$dlq does not hold $RECORDS records"
  sync
  broker_before=$(cpu_seconds "$BROKER_PID")
  start=$(date +%s%N)
  pids=()
  for ((i = 1; i <= n; i++)); do
    /usr/bin/time -f '%U %S %M' -o "$WORK/$n-$i.time" \
      "$BIN" -b "$B" -g "$group" -t merge-all "$dlq" "$dest" 2>"$WORK/$n-$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || die "$n instances: instance $((i + 1)) failed: $(tail -n 5 "$WORK/$n-$((i + 1)).err")"
  done
  end=$(date +%s%N)
  broker_after=$(cpu_seconds "$BROKER_PID")
  merged=0 tool_cpu=0 rss=0
  for ((i = 1; i <= n; i++)); do
    count=$(sed -n 's/.*Successfully processed records: \([0-9]*\) merged.*/\1/p' "$WORK/$n-$i.err" | tail -n 1)
    merged=$((merged + count))
    read -r user sys peak <"$WORK/$n-$i.time"
    tool_cpu=$(awk -v a="$tool_cpu" -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", a + u + s }')
    ((peak > rss)) && rss=$peak
  done
  ((merged == RECORDS)) || die "$n instances merged $merged records, not $RECORDS"
  # End offsets count the transaction markers too: at least N.
  (($(records_in "$dest") >= RECORDS)) || die "$dest holds fewer than $RECORDS records"
  awk -v n="$n" -v ns=$((end - start)) -v r="$RECORDS" -v tool="$tool_cpu" \
    -v broker="$(awk -v a="$broker_before" -v b="$broker_after" 'BEGIN { printf "%.2f", b - a }')" \
    -v cores="$(nproc)" -v rss="$rss" 'BEGIN {
      wall = ns / 1e9
      printf "| %d | %.1f | %d | %.1f | %.1f | %.0f%% | %d |\n", n, wall, r / wall, tool, broker,
        100 * (tool + broker) / (wall * cores), rss / 1024
    }' >>"$ROWS"
  log "$n instance(s): $(tail -n 1 "$ROWS")"
  kafka_tool kafka-topics --bootstrap-server "$B" --delete --topic "$dlq" >/dev/null || true
  kafka_tool kafka-topics --bootstrap-server "$B" --delete --topic "$dest" >/dev/null || true
done

echo
echo "$RECORDS records of ${VALUE_BYTES}-byte values in a $PARTITIONS-partition DLQ, merge-all -t, one run ($PROFILE build, $(nproc) cores):"
echo
echo "| instances | wall s (until the last exits) | records/s (whole job) | tool CPU s (all instances) | broker CPU s | both, of the cores' time | peak RSS MiB (one instance) |"
echo "|---|---|---|---|---|---|---|"
cat "$ROWS"
