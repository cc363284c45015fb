#!/usr/bin/env bash
# Runs tests/support/KafkaCheck.java, the independent checker built on Apache Kafka's own Java
# client (see that file for its subcommands). Compiles it with javac against the jars of
# scripts/local-kafka.sh into the cache, once per version of the source.
#
# Usage: scripts/kafka-check.sh <subcommand> --bootstrap HOST:PORT [options...]
#        scripts/kafka-check.sh compile     only compile (CI does this before the tests)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${KMP_CACHE_DIR:-$HOME/.cache/kafka-merge-purge}
# The checker is the newest Java client whatever broker the tests run (KAFKA_VERSION): clients
# of 4.x talk to every broker line the tests use.
CHECKER_KAFKA_VERSION=4.4.0
LIBS=$CACHE_DIR/kafka-$CHECKER_KAFKA_VERSION/libs
SRC=$ROOT/tests/support/KafkaCheck.java

# Keyed by the source's hash and the client's version: clones with different versions of the
# checker never share classes.
hash=$( { sha256sum <"$SRC"; echo "$CHECKER_KAFKA_VERSION"; } | sha256sum | cut -c1-16)
CLASSES=$CACHE_DIR/kafka-check/$hash

if [[ ! -f $CLASSES/KafkaCheck.class || ! -f $LIBS/.complete ]]; then
  KAFKA_VERSION=$CHECKER_KAFKA_VERSION "$ROOT/scripts/local-kafka.sh" fetch
  mkdir -p "$CACHE_DIR/kafka-check"
  (
    # Tests call this concurrently: compile once, into place atomically.
    flock 9
    if [[ ! -f $CLASSES/KafkaCheck.class ]]; then
      tmp=$(mktemp -d "$CACHE_DIR/kafka-check/tmp.XXXXXX")
      javac -nowarn -encoding UTF-8 -d "$tmp" -cp "$LIBS/*" "$SRC" >&2
      rm -rf "$CLASSES"
      mv "$tmp" "$CLASSES"
    fi
  ) 9>"$CACHE_DIR/kafka-check/lock"
fi

[[ ${1:-} == compile ]] && exit 0

# -Xlog to stderr: the JVM's own warnings go to stdout by default, which `serve` keeps for its
# answers.
exec java -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:all=warning:stderr \
  -Dlog4j2.configurationFile="$CACHE_DIR/kafka-$CHECKER_KAFKA_VERSION/tools-log4j2.properties" \
  -cp "$CLASSES:$LIBS/*" KafkaCheck "$@"
