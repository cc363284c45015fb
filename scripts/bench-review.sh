#!/usr/bin/env bash
# Review benchmark (issue 21), one run on one broker so the ratios compare: on DLQs of N
# records (6 partitions),
#   merge-all -t                 the baseline
#   merge-all --plan FILE        deciding without writing: the plan file and its bytes per record
#   apply -t FILE                the plan carried out (its check pass included)
#   merge-all -t --journal FILE  the baseline with the write-ahead journal: its bytes per record
#   undo -t FILE                 that journal undone
# with the wall time, records/s, the tool's CPU seconds and peak RSS of each, and the ratio of
# apply and of the journaled merge to the baseline.
#
#   BENCH_RECORDS=1000000 BENCH_VALUE_BYTES=1024 scripts/bench-review.sh
#
# A broker of its own on KAFKA_PORT (default 19692); the release binary (BENCH_PROFILE=debug:
# the debug one, a smoke run). Every run's summary is checked; a failed one fails the script.
set -euo pipefail
NAME=bench-review
PARTITIONS=6
export KAFKA_PORT=${KAFKA_PORT:-19692}
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

PREFIX=review-$(date +%Y%m%d%H%M%S)
ROWS=$WORK/rows.md
: >"$ROWS"

# Runs the tool with ARGS as CASE, checks its stderr holds EXPECTED, adds a row.
timed() { # CASE EXPECTED ARGS...
  local case=$1 expected=$2
  shift 2
  sync
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/$case.time" "$BIN" -b "$B" "$@" 2>"$WORK/$case.err" ||
    die "$case failed: $(tail -n 5 "$WORK/$case.err")"
  end=$(date +%s%N)
  grep -qF "$expected" "$WORK/$case.err" || die "$case: expected \"$expected\": $(tail -n 5 "$WORK/$case.err")"
  local user sys peak
  read -r user sys peak <"$WORK/$case.time"
  printf '%s\t%s\t%s\t%s\n' "$case" "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$peak" >>"$WORK/times.tsv"
  log "$case: $(tail -n 1 "$WORK/times.tsv" | cut -f2) s"
}

# A warm-up, not timed: a fresh broker is slow until its JIT has compiled.
filled_dlq "$PREFIX-warm-dlq" "$PARTITIONS"
create "$PREFIX-warm-dest" "$PARTITIONS"
"$BIN" -b "$B" -g "$PREFIX-warm" -t merge-all "$PREFIX-warm-dlq" "$PREFIX-warm-dest" 2>"$WORK/warm.err" ||
  die "warm-up failed: $(tail -n 5 "$WORK/warm.err")"
delete "$PREFIX-warm-dlq" "$PREFIX-warm-dest"

for name in base plan journal; do
  filled_dlq "$PREFIX-$name-dlq" "$PARTITIONS"
  create "$PREFIX-$name-dest" "$PARTITIONS"
done
: >"$WORK/times.tsv"
all="$RECORDS merged, 0 purged, 0 skipped"
timed merge-all "$all" -g "$PREFIX-base" -t merge-all "$PREFIX-base-dlq" "$PREFIX-base-dest"
timed plan "Plan written to" -g "$PREFIX-plan" --plan "$WORK/plan.jsonl" \
  merge-all "$PREFIX-plan-dlq" "$PREFIX-plan-dest"
timed apply "$all" -g "$PREFIX-plan" -t apply "$WORK/plan.jsonl"
timed journaled "$all" -g "$PREFIX-journal" -t --journal "$WORK/journal.jsonl" \
  merge-all "$PREFIX-journal-dlq" "$PREFIX-journal-dest"
timed undo "Undo: $RECORDS record(s) written back" -t=undo-$PREFIX undo "$WORK/journal.jsonl"
# Each destination holds N copies (end offsets count transaction markers too: at least N).
for name in base plan journal; do
  (($(records_in "$PREFIX-$name-dest") >= RECORDS)) || die "$PREFIX-$name-dest holds fewer than $RECORDS records"
done

plan_bytes=$(stat -c %s "$WORK/plan.jsonl")
# The journal also holds undo's entries now: the merge's part is its first run's bytes.
journal_bytes=$(sed -n 's/.*Journal .*: \([0-9]*\) record(s), \([0-9]*\) bytes.*/\2/p' "$WORK/journaled.err" | tail -n 1)
[[ -n $journal_bytes ]] || die "the journaled merge did not report its journal"
base=$(awk -F'\t' '$1 == "merge-all" { print $2 }' "$WORK/times.tsv")

echo
echo "$RECORDS records of ${VALUE_BYTES}-byte values in a $PARTITIONS-partition DLQ, one run ($PROFILE build, $(nproc) cores):"
echo
echo "| run | wall s | records/s | vs merge-all -t | tool CPU s | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
awk -F'\t' -v r="$RECORDS" -v base="$base" '{
  printf "| %s | %.2f | %d | %.2fx | %.2f | %d |\n", $1, $2, r / $2, $2 / base, $3, $4 / 1024
}' "$WORK/times.tsv"
echo
echo "Plan: $plan_bytes bytes, $((plan_bytes / RECORDS)) bytes per record. Journal (merge-all -t --journal): $journal_bytes bytes, $((journal_bytes / RECORDS)) bytes per record (${VALUE_BYTES}-byte values, base64)."
