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
NAME=bench-scale
PARTITIONS=12
read -r -a COUNTS <<<"${BENCH_INSTANCES:-1 2 4}"
export KAFKA_PORT=${KAFKA_PORT:-19592}
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

PREFIX=scale-$(date +%Y%m%d%H%M%S)
# A warm-up of one instance, not timed: a fresh broker is slow until its JIT has compiled.
warm=$PREFIX-warm
filled_dlq "$warm-dlq" "$PARTITIONS"
create "$warm-dest" 6
"$BIN" -b "$B" -g "$warm" -t merge-all "$warm-dlq" "$warm-dest" 2>"$WORK/warm.err" ||
  die "warm-up failed: $(tail -n 5 "$WORK/warm.err")"

ROWS=$WORK/rows.md
: >"$ROWS"
for n in "${COUNTS[@]}"; do
  dlq=$PREFIX-$n-dlq dest=$PREFIX-$n-dest group=$PREFIX-$n
  filled_dlq "$dlq" "$PARTITIONS"
  create "$dest" 6
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
  delete "$dlq" "$dest"
done

echo
echo "$RECORDS records of ${VALUE_BYTES}-byte values in a $PARTITIONS-partition DLQ, merge-all -t, one run ($PROFILE build, $(nproc) cores):"
echo
echo "| instances | wall s (until the last exits) | records/s (whole job) | tool CPU s (all instances) | broker CPU s | both, of the cores' time | peak RSS MiB (one instance) |"
echo "|---|---|---|---|---|---|---|"
cat "$ROWS"
