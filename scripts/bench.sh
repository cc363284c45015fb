#!/usr/bin/env bash
# The throughput benchmark: kafka-merge-purge against the broker's own write ceiling and a plain
# copy with kcat, on a real local Apache Kafka (scripts/local-kafka.sh). See BENCHMARKS.md.
#
#   scripts/bench.sh                         1,000,000 records, 3 runs each, table into BENCHMARKS.md
#   BENCH_RECORDS=20000 BENCH_OUT= scripts/bench.sh    a quick smoke run, nothing written
#
# Each run (repetition) fills fresh dead letter queues and measures, interleaved, in an order
# that rotates from one run to the next:
#   a    the broker's write ceiling: Kafka's ProducerPerformance, N records of VALUE_BYTES,
#        acks=all, idempotent (its own records/s, which leaves out the JVM's start-up)
#   b    a plain copy of a DLQ into another topic: kcat consume piped into kcat produce
#   c    kafka-merge-purge merge-all DLQ DEST              (a DLQ of its own, a new group)
#   ct   kafka-merge-purge -t merge-all DLQ DEST           (a DLQ of its own, a new group)
#   co   kafka-merge-purge merge-all DLQ --to-origin       (the records' Spring Kafka origin
#        header names one topic for the whole benchmark; a DLQ of its own, a new group)
#   ci   kafka-merge-purge merge-all DLQ DEST --ignore-retention (c without the pass over the
#        DLQ that checks the copies against the destination's retention)
#   cd   kafka-merge-purge merge-all DLQ DEST --dedupe     (every record unique: the digest of
#        each is remembered, which is what the peak RSS shows)
#   cm   kafka-merge-purge merge-all DLQ DEST on a DLQ of which another group purged half the
#        records before (untimed, purge-all --limit N/2): N records and N/2 markers read, N/2
#        passed over as decided, N/2 merged
#   p    kafka-merge-purge print --pending --output json DLQ > /dev/null, on a DLQ of its own
#        purged before (untimed): N records and N tombstones, so N tombstoned keys in the index
#        and nothing printed; the pre-scan's own time is logged
#   ca   kafka-merge-purge merge-all AVRO DEST: the Avro DLQ of case e (a copy of its own), for
#        the comparison with cr
#   cr   kafka-merge-purge merge-all AVRO DEST --transform '.note = "repaired: " + .state |
#        .customerId += 1': each value decoded, transformed by jaq, written back with the
#        registry's schema (every record repaired; a sample decoded afterwards)
#   d    kafka-merge-purge purge-all DLQ                   (a DLQ of its own, a new group)
#   e    kafka-merge-purge print --output json AVRO_DLQ > /dev/null, values in the Confluent
#        wire format, schema from a local registry stub (bench_helper.py registry), no group
#   ep   the same for PROTO_DLQ: the same order as bench-order.proto, in Confluent's Protobuf
#        framing (message-index array [0])
#   ej   the same for JSON_DLQ: the same order as JSON text, schema bench-order.schema.json
#   ask  time from start to the first prompt of `ask`, stdin a pipe (a new group each time)
#   view `ask` in a pseudo-terminal (the full-screen view) on AVRO_DLQ: time until the first
#        records are listed and until all N are, the peak RSS then (bench_helper.py view)
# Every DLQ a case writes to is filled for it alone, so each run of c, ct and d reads exactly
# N records and never tombstones of an earlier run. Timed: wall clock (date), peak RSS and CPU
# time (/usr/bin/time). Every run's result is checked, outside the timing (summary line; what
# an independent consumer reads in the destination and the DLQ), and a failed check fails the
# benchmark; slow timings never do.
#
# Environment:
#   BENCH_RECORDS      records per DLQ (default 1000000)
#   BENCH_KEY_BYTES    key size (default 16); BENCH_VALUE_BYTES value size (default 1024)
#   BENCH_PARTITIONS   partitions of every topic (default 6)
#   BENCH_RUNS         repetitions (default 3); medians are reported
#   BENCH_CASES        cases to run (default "a b c ct co ci cd cm ca cr d p e ep ej ask view")
#   BENCH_OUT          Markdown file for the results (default BENCHMARKS.md; empty: none); the
#                      part between the `bench:begin`/`bench:end` markers is replaced
#   BENCH_PROFILE      release (default, built with `cargo build --release --locked`) or debug
#   BENCH_BIN          a kafka-merge-purge binary to use instead (nothing is built)
#   BENCH_BOOTSTRAP    a running broker to use; default 127.0.0.1:$KAFKA_PORT (9092), started
#                      with scripts/local-kafka.sh when not running and then stopped at the end
#   BENCH_KMP_ARGS     extra options for every kafka-merge-purge run (experiments: -p k=v ...)
#   BENCH_PERF_PROPS   extra producer properties for ProducerPerformance (k=v ...)
#   BENCH_JAVA_OPTS    JVM options for ProducerPerformance (default -Xmx1g: full JIT)
#   BENCH_DATA_DIR     where generated record files are cached (default target/bench)
#   BENCH_KEEP_TOPICS  1: do not delete the benchmark's topics
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RECORDS=${BENCH_RECORDS:-1000000}
KEY_BYTES=${BENCH_KEY_BYTES:-16}
VALUE_BYTES=${BENCH_VALUE_BYTES:-1024}
PARTITIONS=${BENCH_PARTITIONS:-6}
RUNS=${BENCH_RUNS:-3}
read -r -a CASES <<<"${BENCH_CASES:-a b c ct co ci cd cm ca cr d p e ep ej ask view}"
OUT=${BENCH_OUT-BENCHMARKS.md}
PROFILE=${BENCH_PROFILE:-release}
DATA_DIR=${BENCH_DATA_DIR:-$ROOT/target/bench}
read -r -a KMP_ARGS <<<"${BENCH_KMP_ARGS:-}"
read -r -a PERF_PROPS <<<"${BENCH_PERF_PROPS:-}"
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xmx1g}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in kcat python3 java; do
  command -v "$tool" >/dev/null || die "$tool is needed (Debian: kcat, python3, openjdk-17-jre-headless)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed (Debian package: time)"
[[ $RECORDS =~ ^[0-9]+$ && $RECORDS -gt 0 ]] || die "BENCH_RECORDS must be a positive number"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmp-bench.XXXXXX")
own_broker=0
registry_pid=
topics_made=()

cleanup() {
  local status=$?
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null || true
  if ((${#topics_made[@]} > 0)) && [[ ${BENCH_KEEP_TOPICS:-0} != 1 ]] && ((own_broker == 0)); then
    delete_topics "${PREFIX:-none}-.*" || true
  fi
  ((own_broker)) && scripts/local-kafka.sh stop >/dev/null 2>&1 || true
  if ((status == 0)); then
    rm -rf "$WORK"
  else
    log "failed; logs kept in $WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the tool, the broker, the data ------------------------------------------------------

if [[ -n ${BENCH_BIN:-} ]]; then
  BIN=$BENCH_BIN
elif [[ $PROFILE == release ]]; then
  log "building the release binary"
  cargo build --release --locked --quiet
  BIN=$ROOT/target/release/kafka-merge-purge
else
  cargo build --locked --quiet
  BIN=$ROOT/target/debug/kafka-merge-purge
fi
[[ -x $BIN ]] || die "no binary at $BIN"
[[ $PROFILE == debug ]] && log "debug build: the run checks that every case works; its figures say nothing about speed"

if [[ -n ${BENCH_BOOTSTRAP:-} ]]; then
  B=$BENCH_BOOTSTRAP
else
  B=127.0.0.1:${KAFKA_PORT:-9092}
  if ! scripts/local-kafka.sh status >/dev/null; then
    # The files of deleted topics go after 1 s instead of 60: each run deletes its topics,
    # and the next run's would otherwise be written while they are still on disk.
    KAFKA_EXTRA_CONFIG="log.segment.delete.delay.ms=1000${KAFKA_EXTRA_CONFIG:+
$KAFKA_EXTRA_CONFIG}" scripts/local-kafka.sh start
    own_broker=1
  fi
  # A run writes about nine topics of N records (four DLQs, the copy, two destinations,
  # ProducerPerformance's, the Avro DLQ): a full disk would stop the broker mid-run.
  data_dir=$(scripts/local-kafka.sh status | sed -n 's/.*data in \([^)]*\)).*/\1/p')
  if [[ -d $data_dir ]]; then
    need=$((10 * RECORDS * (KEY_BYTES + VALUE_BYTES + 100) / 1048576))
    free=$(($(df --output=avail -k "$data_dir" | tail -n 1) / 1024))
    ((free >= need)) || die "the broker's data directory $data_dir has $free MiB free;" \
      "$RECORDS records need about $need MiB: free some space, or set BENCH_RECORDS lower"
  fi
fi

PREFIX=bench-$(date +%Y%m%d%H%M%S)-$$
ORIGIN=$PREFIX-orders
HEADERS=(-H kafka_dlt-exception-fqcn=java.lang.IllegalStateException
  -H "kafka_dlt-original-topic=$ORIGIN")

kafka_tool() { scripts/local-kafka.sh tool "$@"; }

create_topic() { # NAME [kafka-topics options...]
  topics_made+=("$1")
  kafka_tool kafka-topics --bootstrap-server "$B" --create --topic "$1" \
    --partitions "$PARTITIONS" --replication-factor 1 "${@:2}" >"$WORK/create-$1.log" 2>&1 \
    || { cat "$WORK/create-$1.log" >&2; return 1; }
}

# Creates topics in parallel (each is a JVM start): NAME:dlq or NAME:plain.
create_topics() {
  local spec pids=() failed=0 pid
  for spec in "$@"; do
    if [[ ${spec#*:} == dlq ]]; then
      create_topic "${spec%:*}" --config cleanup.policy=compact &
    else
      create_topic "${spec%:*}" &
    fi
    pids+=($!)
  done
  for spec in "$@"; do topics_made+=("${spec%:*}"); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "cannot create topics"
}

delete_topics() { # REGEX
  kafka_tool kafka-topics --bootstrap-server "$B" --delete --if-exists --topic "$1" \
    >"$WORK/delete.log" 2>&1 || log "cannot delete topics $1 (see $WORK/delete.log)"
}

# The sum of the high watermarks of TOPIC's partitions (for a read_committed reader, which
# kcat -Q is: the last stable offsets). kcat -Q prints a failed partition as a line of its own
# ("T [p] offset -1: Local: Timed out"), exits 0, and can fail whole on a busy machine: every
# line must be a number for a partition, or it asks again, up to 5 times, then fails.
end_offsets() { # TOPIC
  local args=() p out try good='^[^ ]+ \[[0-9]+\] offset [0-9]+$'
  for ((p = 0; p < PARTITIONS; p++)); do args+=(-t "$1:$p:-1"); done
  for try in 1 2 3 4 5; do
    if out=$(kcat -Q -b "$B" "${args[@]}" 2>>"$WORK/kcat-query.err"); then
      if (($(grep -cE "$good" <<<"$out" || true) == PARTITIONS)) \
          && ! grep -qvE "$good" <<<"$out"; then
        awk '{ sum += $NF } END { print sum + 0 }' <<<"$out"
        return
      fi
      log "kcat -Q $1 (try $try): $( (grep -vE "$good" <<<"$out" || echo "too few partitions") | head -n 1)"
    else
      log "kcat -Q $1 (try $try): $(tail -n 1 "$WORK/kcat-query.err" 2>/dev/null)"
    fi
    sleep 1
  done
  die "cannot read the end offsets of $1 (see $WORK/kcat-query.err)"
}

# What an independent read_committed consumer (kcat) reads in TOPIC: "VALUES TOMBSTONES".
read_counts() { # TOPIC
  kcat -C -b "$B" -t "$1" -o beginning -e -q -f '%S\n' 2>>"$WORK/kcat-count.err" \
    | awk '$1 == -1 { t++; next } { v++ } END { print v + 0, t + 0 }'
}

# Fails unless TOPIC holds exactly VALUES records with a value and TOMBSTONES without (-1:
# not checked). Asked again for up to 30 s while fewer are seen: Kafka's transaction
# coordinator answers the commit before it writes the commit markers, so right after a
# transactional run a read_committed reader may not see the last transaction yet.
expect_counts() { # WHAT TOPIC VALUES TOMBSTONES
  local values tombstones try
  for ((try = 1; try <= 30; try++)); do
    read -r values tombstones <<<"$(read_counts "$2")"
    if count_is "$values" "$3" && count_is "$tombstones" "$4"; then
      ((try == 1)) || log "$1: $2 complete after $try reads"
      return
    fi
    # More than expected never mends itself.
    { ((values > $3 && $3 >= 0)) || ((tombstones > $4 && $4 >= 0)); } && break
    sleep 1
  done
  die "$1: $2 holds $values records with a value and $tombstones tombstones, expected $3 and $4" \
    "(-1: any; kcat's errors in $WORK/kcat-count.err)"
}

count_is() { # SEEN EXPECTED (-1: any)
  (($2 < 0 || $1 == $2))
}

mkdir -p "$DATA_DIR"
data_file() { # plain|avro|protobuf|json [SCHEMA_ID]
  local file=$DATA_DIR/$1-$RECORDS-$KEY_BYTES-$VALUE_BYTES.tsv
  if [[ ! -f $file ]]; then
    log "generating $file"
    python3 scripts/bench_helper.py data "$1" "$RECORDS" "$KEY_BYTES" "$VALUE_BYTES" "$file" \
      "${2:-1}"
  fi
  printf '%s\n' "$file"
}
PLAIN=$(data_file plain)

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# Runs COMMAND with /usr/bin/time, appending a result row: CASE RUN COMMAND...
# Stdout goes to $WORK/CASE-RUN.out (or $MEASURE_STDOUT), stderr to $WORK/CASE-RUN.err.
measure() {
  local case=$1 run=$2 start end rss user sys
  shift 2
  # The page cache written by the fills and the cases before is written out first: otherwise
  # the kernel writes it back during whichever case comes next, on the same two cores.
  sync
  start=$(date +%s%N)
  /usr/bin/time -f '%M %U %S' -o "$WORK/$case-$run.time" "$@" \
    >"${MEASURE_STDOUT:-$WORK/$case-$run.out}" 2>"$WORK/$case-$run.err" \
    || { tail -n 20 "$WORK/$case-$run.err" >&2; die "$case (run $run) failed: $*"; }
  end=$(date +%s%N)
  read -r rss user sys <"$WORK/$case-$run.time"
  printf '%s\t%s\t%s\t%s\t%s\t\n' "$case" "$run" \
    "$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')" "$rss" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" >>"$RESULTS"
}

last_seconds() { tail -n 1 "$RESULTS" | cut -f3; }

fill() { # TOPIC FILE RUN
  measure fill "$3" kcat -P -b "$B" -t "$1" -K '\t' "${HEADERS[@]}" -l "$2"
  local count
  count=$(end_offsets "$1")
  ((count == RECORDS)) || die "$1 holds $count records after the fill, not $RECORDS"
}

# The summary of a run must say it did all N.
expect_summary() { # CASE RUN TEXT
  grep -qF "Successfully processed records: $3" "$WORK/$1-$2.err" \
    || { tail -n 20 "$WORK/$1-$2.err" >&2; die "$1 (run $2): expected \"$3\""; }
}

KMP=("$BIN" -b "$B" "${KMP_ARGS[@]}")

# --- the cases ---------------------------------------------------------------------------

case_a() { # RUN
  local topic=$PREFIX-r$1-perf
  measure a "$1" env KAFKA_TOOL_OPTS="$JAVA_OPTS" scripts/local-kafka.sh tool \
    kafka-producer-perf-test --topic "$topic" --num-records "$RECORDS" \
    --record-size "$VALUE_BYTES" --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all enable.idempotence=true "${PERF_PROPS[@]}"
  # "N records sent, R records/sec (M MB/sec), ..." is its last line: use its own rate.
  local own
  own=$(grep 'records sent' "$WORK/a-$1.out" | tail -n 1 | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/')
  [[ $own =~ ^[0-9.]+$ ]] || die "no rate in the output of ProducerPerformance: $(tail -n 2 "$WORK/a-$1.out")"
  sed -i '$ s/\t$/\t'"$own"'/' "$RESULTS"
}

case_b() { # RUN
  local source=$PREFIX-r$1-dlq-b copy=$PREFIX-r$1-copy
  measure b "$1" bash -c '
    set -o pipefail
    /usr/bin/time -f "%M %U %S" -o "$1.consume" kcat -C -b "$2" -t "$3" -o beginning -e -q -f "%k\t%s\n" |
      /usr/bin/time -f "%M %U %S" -o "$1.produce" kcat -P -b "$2" -t "$4" -K "\t" \
        -X enable.idempotence=true -X acks=all
  ' copy "$WORK/b-$1" "$B" "$source" "$copy"
  # Peak RSS and CPU: both kcat processes together (the bash between them is not counted).
  local c p
  read -r -a c <"$WORK/b-$1.consume"
  read -r -a p <"$WORK/b-$1.produce"
  local row
  row=$(tail -n 1 "$RESULTS")
  sed -i '$ d' "$RESULTS"
  awk -F'\t' -v OFS='\t' -v rss=$((c[0] + p[0])) \
    -v cpu="$(awk -v a="${c[1]}" -v b="${c[2]}" -v x="${p[1]}" -v y="${p[2]}" 'BEGIN { printf "%.2f", a + b + x + y }')" \
    '{ $4 = rss; $5 = cpu; print }' <<<"$row" >>"$RESULTS"
  local count
  count=$(end_offsets "$copy")
  ((count == RECORDS)) || die "b (run $1): the copy holds $count records, not $RECORDS"
}

case_c() { # RUN [-t]
  local name=c dlq=$PREFIX-r$1-dlq-c dest=$PREFIX-r$1-dest-c txn=()
  if [[ ${2:-} == -t ]]; then
    name=ct dlq=$PREFIX-r$1-dlq-ct dest=$PREFIX-r$1-dest-ct txn=(-t)
  fi
  measure "$name" "$1" "${KMP[@]}" -g "$PREFIX-r$1-$name" "${txn[@]}" merge-all "$dlq" "$dest"
  expect_summary "$name" "$1" "$RECORDS merged, 0 purged, 0 skipped"
  # Every record copied once, and a tombstone for each in the DLQ (whose originals may be
  # compacted away already, so only the tombstones are counted there).
  expect_counts "$name (run $1)" "$dest" "$RECORDS" 0
  expect_counts "$name (run $1)" "$dlq" -1 "$RECORDS"
}

TRANSFORM='.note = "repaired: " + .state | .customerId += 1'
case_ca() { # RUN [--transform]: merge-all of an Avro DLQ, with the benchmark's transform
  local name=ca extra=()
  if [[ ${2:-} == --transform ]]; then
    name=cr extra=(--transform "$TRANSFORM")
  fi
  local dlq=$PREFIX-r$1-dlq-$name dest=$PREFIX-r$1-dest-$name
  measure "$name" "$1" "${KMP[@]}" -o schema.registry.url="$REGISTRY" -g "$PREFIX-r$1-$name" \
    merge-all "$dlq" "$dest" "${extra[@]}"
  expect_summary "$name" "$1" "$RECORDS merged, 0 purged, 0 skipped"
  expect_counts "$name (run $1)" "$dest" "$RECORDS" 0
  if [[ $name == cr ]]; then
    # A copy decodes with the registry's schema and holds the transform's change.
    "${KMP[@]}" -o schema.registry.url="$REGISTRY" print --output json --limit 1 "$dest" \
      >"$WORK/cr-$1.first" 2>/dev/null
    grep -q '"note":"repaired: ' "$WORK/cr-$1.first" \
      || die "cr (run $1): the copies are not repaired: $(head -c 600 "$WORK/cr-$1.first")"
  fi
}

case_co() { # RUN
  local dlq=$PREFIX-r$1-dlq-co before
  before=$(end_offsets "$ORIGIN")
  measure co "$1" "${KMP[@]}" -g "$PREFIX-r$1-co" merge-all "$dlq" --to-origin
  expect_summary co "$1" "$RECORDS merged, 0 purged, 0 skipped"
  local count
  count=$(end_offsets "$ORIGIN")
  ((count == before + RECORDS)) || die "co (run $1): $ORIGIN gained $((count - before)) records, not $RECORDS"
  expect_counts "co (run $1)" "$dlq" -1 "$RECORDS"
}

case_ci() { # RUN
  local dlq=$PREFIX-r$1-dlq-ci dest=$PREFIX-r$1-dest-ci
  measure ci "$1" "${KMP[@]}" -g "$PREFIX-r$1-ci" merge-all "$dlq" "$dest" --ignore-retention
  expect_summary ci "$1" "$RECORDS merged, 0 purged, 0 skipped"
  expect_counts "ci (run $1)" "$dest" "$RECORDS" 0
}

case_cd() { # RUN
  local dlq=$PREFIX-r$1-dlq-cd dest=$PREFIX-r$1-dest-cd
  measure cd "$1" "${KMP[@]}" -g "$PREFIX-r$1-cd" merge-all "$dlq" "$dest" --dedupe
  expect_summary cd "$1" "$RECORDS merged, 0 purged, 0 skipped"
  expect_counts "cd (run $1)" "$dest" "$RECORDS" 0
}

case_cm() { # RUN
  local dlq=$PREFIX-r$1-dlq-cm dest=$PREFIX-r$1-dest-cm half=$((RECORDS / 2))
  "${KMP[@]}" -g "$PREFIX-r$1-cm-before" purge-all "$dlq" --limit "$half" >/dev/null \
    2>"$WORK/cm-$1-before.err" \
    || { tail -n 20 "$WORK/cm-$1-before.err" >&2; die "cm (run $1): the purge before failed"; }
  measure cm "$1" "${KMP[@]}" -g "$PREFIX-r$1-cm" merge-all "$dlq" "$dest"
  expect_summary cm "$1" "$((RECORDS - half)) merged, 0 purged, 0 skipped"
  grep -qF "$half record(s) already merged or purged" "$WORK/cm-$1.err" \
    || die "cm (run $1): $half records were not passed over as decided"
  expect_counts "cm (run $1)" "$dest" "$((RECORDS - half))" 0
}

case_p() { # RUN
  local dlq=$PREFIX-r$1-dlq-p
  "${KMP[@]}" -g "$PREFIX-r$1-p-purge" purge-all "$dlq" >/dev/null 2>"$WORK/p-$1-purge.err" \
    || { tail -n 20 "$WORK/p-$1-purge.err" >&2; die "p (run $1): the purge before failed"; }
  MEASURE_STDOUT=$WORK/p-$1.printed measure p "$1" "${KMP[@]}" print --pending --output json "$dlq"
  [[ ! -s $WORK/p-$1.printed ]] || die "p (run $1): printed records that were purged"
  log "p (run $1): $(grep -o -- 'decided records: .*' "$WORK/p-$1.err" | tail -n 1)"
}

case_d() { # RUN
  measure d "$1" "${KMP[@]}" -g "$PREFIX-r$1-d" purge-all "$PREFIX-r$1-dlq-d"
  expect_summary d "$1" "0 merged, $RECORDS purged, 0 skipped"
  expect_counts "d (run $1)" "$PREFIX-r$1-dlq-d" -1 "$RECORDS"
}

case_e() { # RUN [CASE DLQ]: Avro by default
  MEASURE_STDOUT=/dev/null measure "${2:-e}" "$1" \
    "${KMP[@]}" -o schema.registry.url="$REGISTRY" print --output json "${3:-$AVRO_DLQ}"
}

# Before the timed runs of e, ep and ej: print once into a pipe, to check that every record is
# printed and decoded with the registry's schema (not shown raw).
check_e() { # [CASE DLQ NAME]
  local case=${1:-e} dlq=${2:-$AVRO_DLQ} name=${3:-com.example.bench.OrderEvent} printed
  printed=$(set -o pipefail; "${KMP[@]}" -o schema.registry.url="$REGISTRY" print --output json "$dlq" \
    2>"$WORK/$case-check.err" | wc -l) || { cat "$WORK/$case-check.err" >&2; die "$case: print failed"; }
  ((printed == RECORDS)) || die "$case: printed $printed records, not $RECORDS"
  "${KMP[@]}" -o schema.registry.url="$REGISTRY" print --output json --limit 1 "$dlq" \
    >"$WORK/$case-check.first" 2>>"$WORK/$case-check.err"
  if ! grep -q "\"schema_name\":\"$name\"" "$WORK/$case-check.first" \
      || grep -q '"error":' "$WORK/$case-check.first"; then
    die "$case: records were not decoded with the registry's schema: $(head -c 600 "$WORK/$case-check.first")"
  fi
}

case_ask() { # RUN
  python3 scripts/bench_helper.py startup "$WORK/startup.tsv" -- \
    "$BIN" -b "$B" "${KMP_ARGS[@]}" -o schema.registry.url="$REGISTRY" -g "$PREFIX-r$1-ask" \
    ask "$AVRO_DLQ" "$ASK_DEST"
}

case_view() { # RUN
  # Debian's own python3, which python3-pyte installs into (python3 may be another one).
  /usr/bin/python3 scripts/bench_helper.py view "$WORK/view.tsv" "$RECORDS" -- \
    "$BIN" -b "$B" "${KMP_ARGS[@]}" -o schema.registry.url="$REGISTRY" -g "$PREFIX-r$1-view" \
    ask "$AVRO_DLQ" "$ASK_DEST" || die "view: the probe failed"
}

needs() { local c; for c in "${CASES[@]}"; do [[ $c == "$1" ]] && return 0; done; return 1; }

# --- the run -----------------------------------------------------------------------------

if needs e || needs ep || needs ej || needs ask || needs view || needs ca || needs cr; then
  AVRO=$(data_file avro 1)
  python3 scripts/bench_helper.py registry "$WORK/registry.port" 1=AVRO:scripts/bench-order.avsc \
    2=PROTOBUF:scripts/bench-order.proto 3=JSON:scripts/bench-order.schema.json \
    2>"$WORK/registry.log" &
  registry_pid=$!
  for _ in $(seq 50); do [[ -s $WORK/registry.port ]] && break; sleep 0.1; done
  [[ -s $WORK/registry.port ]] || die "the registry stub did not start: $(cat "$WORK/registry.log")"
  REGISTRY=http://127.0.0.1:$(cat "$WORK/registry.port")
  AVRO_DLQ=$PREFIX-avro-dlq ASK_DEST=$PREFIX-ask-dest
  PROTO_DLQ=$PREFIX-proto-dlq JSON_DLQ=$PREFIX-json-dlq
  topics=("$AVRO_DLQ:dlq" "$ASK_DEST:plain")
  needs ep && topics+=("$PROTO_DLQ:dlq")
  needs ej && topics+=("$JSON_DLQ:dlq")
  create_topics "${topics[@]}"
  log "filling $AVRO_DLQ with $RECORDS Avro records"
  fill "$AVRO_DLQ" "$AVRO" 0
  needs e && check_e
  if needs ep; then
    log "filling $PROTO_DLQ with $RECORDS Protobuf records"
    fill "$PROTO_DLQ" "$(data_file protobuf 2)" 0
    check_e ep "$PROTO_DLQ" com.example.bench.OrderEvent
  fi
  if needs ej; then
    log "filling $JSON_DLQ with $RECORDS JSON Schema records"
    fill "$JSON_DLQ" "$(data_file json 3)" 0
    check_e ej "$JSON_DLQ" com.example.bench.OrderEvent
  fi
fi

# A broker started moments ago is slow until its JIT has compiled the paths these cases use:
# on a fresh broker, four merge-all -t of a million records in a row took 9.7, 7.8, 6.5 and
# 6.8 s, and in every full run the first -t run was the slowest (10.2-11.9 s against 7.2-8.7 s
# for the third), even after a warm-up of 100,000 records. A production broker is warm, so
# one untimed merge-all with and one without -t, of all N records, warm it first; their times
# go to the log only.
warm_up() {
  local dlq=$PREFIX-warm-dlq dest=$PREFIX-warm-dest flag start
  log "warming the broker up: merge-all with and without -t of $RECORDS records (not timed)"
  create_topics "$dlq-t:dlq" "$dlq:dlq" "$dest:plain"
  for flag in -t ''; do
    dlq=$PREFIX-warm-dlq$flag
    kcat -P -b "$B" -t "$dlq" -K '\t' "${HEADERS[@]}" -l "$PLAIN" \
      2>>"$WORK/warm-up.err" || die "warm-up: cannot fill $dlq (see $WORK/warm-up.err)"
    sync
    start=$(date +%s%N)
    "${KMP[@]}" -g "$PREFIX-warm${flag}" ${flag:+"$flag"} merge-all "$dlq" "$dest" \
      2>>"$WORK/warm-up.err" || die "warm-up: merge-all $flag failed (see $WORK/warm-up.err)"
    log "warm-up: merge-all ${flag:-without -t} $(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') s"
  done
  delete_topics "$PREFIX-warm-.*"
}
if needs c || needs ct || needs co || needs ci || needs cd || needs cm || needs d; then
  warm_up
fi

log "$RECORDS records of $KEY_BYTES+$VALUE_BYTES bytes, $PARTITIONS partitions, $RUNS runs of: ${CASES[*]}"
for ((run = 1; run <= RUNS; run++)); do
  specs=()
  for c in b c ct co ci cd cm d p; do needs "$c" && specs+=("$PREFIX-r$run-dlq-$c:dlq"); done
  needs b && specs+=("$PREFIX-r$run-copy:plain")
  needs c && specs+=("$PREFIX-r$run-dest-c:plain")
  needs ct && specs+=("$PREFIX-r$run-dest-ct:plain")
  needs ci && specs+=("$PREFIX-r$run-dest-ci:plain")
  needs cd && specs+=("$PREFIX-r$run-dest-cd:plain")
  needs cm && specs+=("$PREFIX-r$run-dest-cm:plain")
  for c in ca cr; do
    needs "$c" && specs+=("$PREFIX-r$run-dlq-$c:dlq" "$PREFIX-r$run-dest-$c:plain")
  done
  ((run == 1)) && needs co && specs+=("$ORIGIN:plain")
  needs a && specs+=("$PREFIX-r$run-perf:plain")
  ((${#specs[@]} > 0)) && create_topics "${specs[@]}"
  for c in b c ct co ci cd cm d p; do
    needs "$c" && fill "$PREFIX-r$run-dlq-$c" "$PLAIN" "$run"
  done
  for c in ca cr; do
    needs "$c" && fill "$PREFIX-r$run-dlq-$c" "$AVRO" "$run"
  done
  # Rotate the order, so that no case always runs first or right after another.
  order=("${CASES[@]:$(((run - 1) % ${#CASES[@]}))}" "${CASES[@]:0:$(((run - 1) % ${#CASES[@]}))}")
  for c in "${order[@]}"; do
    case $c in
      a) case_a "$run" ;;
      b) case_b "$run" ;;
      c) case_c "$run" ;;
      ct) case_c "$run" -t ;;
      co) case_co "$run" ;;
      ci) case_ci "$run" ;;
      cd) case_cd "$run" ;;
      cm) case_cm "$run" ;;
      ca) case_ca "$run" ;;
      cr) case_ca "$run" --transform ;;
      p) case_p "$run" ;;
      d) case_d "$run" ;;
      e) case_e "$run" ;;
      ep) case_e "$run" ep "$PROTO_DLQ" ;;
      ej) case_e "$run" ej "$JSON_DLQ" ;;
      ask) case_ask "$run" ;;
      view) case_view "$run" ;;
      *) die "unknown case $c" ;;
    esac
    if [[ $c == ask ]]; then
      log "run $run: ask start-up $(tail -n 1 "$WORK/startup.tsv" | cut -f1) s"
    elif [[ $c == view ]]; then
      log "run $run: view first records, all records, peak RSS KiB: $(tail -n 1 "$WORK/view.tsv")"
    else
      log "run $run: $c $(last_seconds) s"
    fi
  done
  [[ ${BENCH_KEEP_TOPICS:-0} == 1 ]] || delete_topics "$PREFIX-r$run-.*"
done

if needs ask; then
  # Once more with librdkafka's protocol debugging, to count the requests before the prompt.
  python3 scripts/bench_helper.py startup "$WORK/startup.tsv" -- \
    "$BIN" -b "$B" "${KMP_ARGS[@]}" -o schema.registry.url="$REGISTRY" -o debug=protocol -v \
    -g "$PREFIX-ask-traced" ask "$AVRO_DLQ" "$ASK_DEST"
fi

# --- the report --------------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
os_name=$(. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-}")
kcat_version=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*\(librdkafka [^ ]*\).*/\1 (\2)/p')
cat >"$WORK/meta" <<EOF
records=$RECORDS
value_bytes=$VALUE_BYTES
startup_tsv=$WORK/startup.tsv
view_tsv=$WORK/view.tsv
EOF
python3 scripts/bench_helper.py report "$RESULTS" "$WORK/meta" >"$WORK/table.md"

kmp_shown="kafka-merge-purge -b \$B${KMP_ARGS[*]:+ ${KMP_ARGS[*]}}"
{
  echo "<!-- bench:begin (written by scripts/bench.sh; edit outside the markers) -->"
  echo
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src crates 2>/dev/null || echo ' (with local changes in src/ or crates/)'):"
  echo "$RECORDS records of $KEY_BYTES-byte keys, $VALUE_BYTES-byte values and two headers in a"
  echo "$PARTITIONS-partition DLQ; $RUNS runs of each case, interleaved; medians (peak RSS: the largest)."
  echo
  echo "Machine: $cpu_model, $(nproc) cores, $mem_gib GiB RAM, ${os_name:-Linux} ($(uname -r)), shared"
  echo "with other jobs while it ran. Apache Kafka ${KAFKA_VERSION:-4.4.0} (one KRaft node, scripts/local-kafka.sh) on"
  echo "$(java -version 2>&1 | head -n 1); kcat $kcat_version; $(rustc --version 2>/dev/null || echo rustc); $PROFILE build."
  echo
  cat "$WORK/table.md"
  echo
  echo "Commands (\`\$B\` the broker, topics new for every run):"
  echo
  echo '```sh'
  echo "# (a)"
  echo "kafka-producer-perf-test --topic PERF --num-records $RECORDS --record-size $VALUE_BYTES --throughput -1 \\"
  echo "  --producer-props bootstrap.servers=\$B acks=all enable.idempotence=true${PERF_PROPS[*]:+ ${PERF_PROPS[*]}}"
  echo "# (b)"
  echo "kcat -C -b \$B -t DLQ -o beginning -e -q -f '%k\\t%s\\n' | kcat -P -b \$B -t COPY -K '\\t' -X enable.idempotence=true -X acks=all"
  echo "# (c), (d), (e)"
  echo "$kmp_shown -g NEW_GROUP merge-all DLQ DEST"
  echo "$kmp_shown -g NEW_GROUP -t merge-all DLQ DEST"
  echo "$kmp_shown -g NEW_GROUP merge-all DLQ --to-origin"
  echo "$kmp_shown -g NEW_GROUP merge-all DLQ DEST --ignore-retention"
  echo "$kmp_shown -g NEW_GROUP merge-all DLQ DEST --dedupe"
  echo "$kmp_shown -g NEW_GROUP merge-all HALF_DECIDED_DLQ DEST  # after: -g OTHER purge-all DLQ --limit N/2"
  echo "$kmp_shown -g NEW_GROUP purge-all DLQ"
  echo "$kmp_shown print --pending --output json PURGED_DLQ > /dev/null"
  echo "$kmp_shown -o schema.registry.url=http://127.0.0.1:PORT print --output json AVRO_DLQ > /dev/null"
  echo "$kmp_shown -o schema.registry.url=http://127.0.0.1:PORT print --output json PROTO_DLQ > /dev/null"
  echo "$kmp_shown -o schema.registry.url=http://127.0.0.1:PORT print --output json JSON_DLQ > /dev/null"
  echo "# ask start-up: stdin an open pipe, until the first prompt line on stderr"
  echo "$kmp_shown -o schema.registry.url=http://127.0.0.1:PORT -g NEW_GROUP ask AVRO_DLQ DEST"
  echo "# the full-screen view: in a 160x40 pseudo-terminal, until every record is listed, then q"
  echo "$kmp_shown -o schema.registry.url=http://127.0.0.1:PORT -g NEW_GROUP ask AVRO_DLQ DEST"
  echo "# filling each DLQ"
  echo "kcat -P -b \$B -t DLQ -K '\\t' ${HEADERS[*]} -l RECORDS_FILE"
  echo '```'
  echo
  echo "<!-- bench:end -->"
} >"$WORK/section.md"

echo
sed -n '/^| case/,$p' "$WORK/table.md"

if [[ -n $OUT ]]; then
  if [[ -f $OUT ]] && grep -q '<!-- bench:begin' "$OUT" && grep -q '<!-- bench:end' "$OUT"; then
    python3 - "$OUT" "$WORK/section.md" <<'EOF'
import re, sys
path, section = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
text = open(path, encoding="utf-8").read()
text = re.sub(r"<!-- bench:begin.*?<!-- bench:end -->", lambda _: section, text, count=1, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
EOF
  else
    { echo "# Benchmarks"; echo; cat "$WORK/section.md"; } >"$OUT"
  fi
  log "results written to $OUT"
fi
