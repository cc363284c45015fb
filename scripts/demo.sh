#!/usr/bin/env bash
# The main job, on your machine: a local Apache Kafka with a dead letter queue of canceled
# orders that a Spring Kafka service could not process, and kafka-merge-purge asking you, record
# by record, whether to merge it into the retry topic, purge it, or skip it.
#
#   scripts/demo.sh                    at a terminal: the full-screen view (? lists its keys)
#   KMP_NO_TUI=1 scripts/demo.sh       at a terminal: the line-by-line prompt instead
#   printf 'm\np\ns\n' | scripts/demo.sh   answers from a pipe: m/p/s per line, empty = merge
#
# The broker (127.0.0.1:${KAFKA_PORT:-9092}) keeps running afterwards; stop it with
# `scripts/local-kafka.sh stop`. Sample records are added only when the DLQ is new.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

export KAFKA_PORT=${KAFKA_PORT:-9092}
BOOTSTRAP=127.0.0.1:$KAFKA_PORT
DLQ=order-canceled-dead-letter-queue
RETRY=order-canceled-retry
GROUP=demo-triage

say() { printf '\n==> %s\n' "$*" >&2; }
kafka_tool() { scripts/local-kafka.sh tool "$@"; }

scripts/install.sh
say "Building kafka-merge-purge"
cargo build --locked

say "Starting Apache Kafka on $BOOTSTRAP"
scripts/local-kafka.sh start

topics=$(kafka_tool kafka-topics --bootstrap-server "$BOOTSTRAP" --list)
has_topic() { grep -qx -- "$1" <<<"$topics"; }

if ! has_topic "$RETRY"; then
  kafka_tool kafka-topics --bootstrap-server "$BOOTSTRAP" --create --topic "$RETRY" \
    --partitions 3
fi

b64() { printf '%s' "$1" | base64 -w0; }
# Spring Kafka writes partition and offset headers as big-endian binary ints: NUMBER BYTES.
big_endian() {
  local hex escaped='' i
  hex=$(printf "%0$(($2 * 2))x" "$1")
  for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
  printf '%b' "$escaped" | base64 -w0
}
be32() { big_endian "$1" 4; }
be64() { big_endian "$1" 8; }

# sample KEY ORIGINAL_PARTITION ORIGINAL_OFFSET EXCEPTION_CLASS EXCEPTION_MESSAGE VALUE
sample() {
  printf '{"key":"%s","value":"%s","headers":[' "$(b64 "$1")" "$(b64 "$6")"
  printf '{"name":"kafka_dlt-exception-fqcn","value":"%s"},' "$(b64 "$4")"
  printf '{"name":"kafka_dlt-exception-message","value":"%s"},' "$(b64 "$5")"
  printf '{"name":"kafka_dlt-original-topic","value":"%s"},' "$(b64 order-canceled)"
  printf '{"name":"kafka_dlt-original-partition","value":"%s"},' "$(be32 "$2")"
  printf '{"name":"kafka_dlt-original-offset","value":"%s"},' "$(be64 "$3")"
  printf '{"name":"kafka_dlt-original-consumer-group","value":"%s"}' "$(b64 refund-service)"
  printf ']}\n'
}

samples() {
  local listener=org.springframework.kafka.listener.ListenerExecutionFailedException
  local conversion=org.springframework.kafka.support.converter.ConversionException
  sample order-100234 0 1187 "$listener" \
    "Listener method 'onOrderCanceled' threw exception: payment-service returned 503 Service Unavailable for refund of order-100234" \
    '{"orderId":"order-100234","customerId":"cust-5512","canceledAt":"2026-11-24T21:14:03Z","reason":"CUSTOMER_REQUEST","refund":{"amountCents":4599,"currency":"EUR"},"items":[{"sku":"MUG-BLUE-350","quantity":2}]}'
  sample order-100251 2 904 "$listener" \
    "Listener method 'onOrderCanceled' threw exception: payment-service returned 503 Service Unavailable for refund of order-100251" \
    '{"orderId":"order-100251","customerId":"cust-0871","canceledAt":"2026-11-24T21:16:40Z","reason":"OUT_OF_STOCK","refund":{"amountCents":12900,"currency":"EUR"},"items":[{"sku":"KETTLE-STEEL-1L","quantity":1}]}'
  sample order-100262 1 2210 "$conversion" \
    "Failed to convert from JSON; Unrecognized field \"cancelReason\" (class com.example.orders.OrderCanceled)" \
    '{"orderId":"order-100262","customerId":"cust-3307","canceledAt":"2026-11-24T21:20:12Z","cancelReason":"DUPLICATE_ORDER","refund":{"amountCents":2350,"currency":"EUR"}}'
  sample order-100270 0 1192 "$listener" \
    "Listener method 'onOrderCanceled' threw exception: Refund for order-100270 already issued manually (ticket OPS-4411)" \
    '{"orderId":"order-100270","customerId":"cust-9120","canceledAt":"2026-11-24T21:31:55Z","reason":"PAYMENT_FAILED","refund":{"amountCents":0,"currency":"EUR"},"items":[]}'
  sample order-100288 2 917 "$listener" \
    "Listener method 'onOrderCanceled' threw exception: org.springframework.dao.QueryTimeoutException: inventory-db did not answer within 5000 ms" \
    '{"orderId":"order-100288","customerId":"cust-5512","canceledAt":"2026-11-24T21:42:08Z","reason":"CUSTOMER_REQUEST","refund":{"amountCents":7800,"currency":"EUR"},"items":[{"sku":"TEAPOT-CAST-IRON","quantity":1},{"sku":"TEA-SENCHA-100G","quantity":3}]}'
  sample order-100291 1 2236 "$conversion" \
    "Failed to convert from JSON; Unexpected end-of-input: expected close marker for Object" \
    '{"orderId":"order-100291","customerId":"cust-4021","canceledAt":"2026-11-24T21:47'
}

if has_topic "$DLQ"; then
  say "$DLQ already exists: no sample records added (group $GROUP continues where it stopped;
    start afresh with: scripts/local-kafka.sh stop && scripts/demo.sh)"
else
  kafka_tool kafka-topics --bootstrap-server "$BOOTSTRAP" --create --topic "$DLQ" \
    --partitions 3 --config cleanup.policy=compact
  samples | scripts/kafka-check.sh produce --bootstrap "$BOOTSTRAP" --topic "$DLQ" >/dev/null
  say "Added 6 canceled orders that the refund service could not process to $DLQ"
fi

ask_args=(ask "$DLQ" "$RETRY")
if [[ -t 0 && -t 1 && -z ${KMP_NO_TUI:-} ]]; then
  say "Triage in the full-screen view: m merges (into $RETRY), p purges, s skips the highlighted
    record; M/P/S a whole failure class; w writes the decisions, q quits, ? shows every key"
else
  ask_args+=(--no-tui)
  say "Triage: for each record answer m (merge into $RETRY), p (purge) or s (skip);
    Enter merges, end of input (Ctrl-D) stops, Ctrl-C interrupts"
fi
status=0
cargo run --locked --quiet -- -b "$BOOTSTRAP" -g "$GROUP" "${ask_args[@]}" || status=$?

say "Done (exit status $status). Look around:
    scripts/local-kafka.sh tool kafka-console-consumer --bootstrap-server $BOOTSTRAP --topic $RETRY --from-beginning --timeout-ms 5000
    cargo run --quiet -- -b $BOOTSTRAP print $DLQ
    scripts/local-kafka.sh tool kafka-consumer-groups --bootstrap-server $BOOTSTRAP --describe --group $GROUP
  The broker keeps running; stop it with: KAFKA_PORT=$KAFKA_PORT scripts/local-kafka.sh stop"
exit "$status"
