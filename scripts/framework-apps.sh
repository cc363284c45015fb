#!/usr/bin/env bash
# Builds and runs the framework applications the tests dead-letter records with, so that the
# DLQs the tool reads are the ones the frameworks themselves write, not headers a test wrote:
# tests/support/apps/*.java, compiled with javac against Apache Kafka's own jars (those of
# scripts/local-kafka.sh) and the frameworks' (fetched from Maven Central once, into the cache).
#
# Usage: scripts/framework-apps.sh fetch         fetch the jars and compile the apps
#        scripts/framework-apps.sh run APP ARGS  run one (e.g. StreamsDlqApp, see its source)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${KMP_CACHE_DIR:-$HOME/.cache/kafka-merge-purge}
KAFKA_VERSION=4.4.0
KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
APPS_DIR=$CACHE_DIR/framework-apps-$KAFKA_VERSION
SPRING_KAFKA_VERSION=4.1.2
SRC_DIR=$ROOT/tests/support/apps

log() { printf 'framework-apps: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

pom() {
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-merge-purge</groupId>
  <artifactId>framework-apps</artifactId>
  <version>1</version>
  <dependencies>
    <!-- Kafka Streams' own dead letter queue (KIP-1034, since 4.2). A stateless topology
         needs no state store: RocksDB's native library is left out. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-streams</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.rocksdb</groupId><artifactId>rocksdbjni</artifactId></exclusion>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- Spring Kafka's DefaultErrorHandler and DeadLetterPublishingRecoverer, on the Kafka
         client above. -->
    <dependency>
      <groupId>org.springframework.kafka</groupId>
      <artifactId>spring-kafka</artifactId>
      <version>$SPRING_KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
POM
}

# The jars, keyed by what is asked of Maven; the apps, by their sources and those jars.
LIBS=$APPS_DIR/libs-$(pom | sha256sum | cut -c1-16)
hash=$( { cat "$SRC_DIR"/*.java; echo "$LIBS"; } | sha256sum | cut -c1-16)

fetch() {
  KAFKA_VERSION=$KAFKA_VERSION "$ROOT/scripts/local-kafka.sh" fetch
  [[ -f $APPS_DIR/classes-$hash/.complete ]] && return 0
  mkdir -p "$APPS_DIR"
  (
    flock 9
    if [[ ! -f $LIBS/.complete ]]; then
      command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the framework jars"
      log "fetching Kafka Streams $KAFKA_VERSION and Spring Kafka $SPRING_KAFKA_VERSION from Maven Central into $LIBS"
      pom >"$APPS_DIR/pom.xml"
      rm -rf "$LIBS.tmp"
      if ! mvn -B -Dstyle.color=never -f "$APPS_DIR/pom.xml" dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$APPS_DIR/fetch.log" 2>&1; then
        tail -n 40 "$APPS_DIR/fetch.log" >&2
        die "mvn dependency:copy-dependencies failed (whole log: $APPS_DIR/fetch.log)"
      fi
      rm -rf "$LIBS"
      mv "$LIBS.tmp" "$LIBS"
      touch "$LIBS/.complete"
    fi
    if [[ ! -f $APPS_DIR/classes-$hash/.complete ]]; then
      local tmp
      tmp=$(mktemp -d "$APPS_DIR/tmp.XXXXXX")
      javac -nowarn -encoding UTF-8 -d "$tmp" -cp "$KAFKA_LIBS/*:$LIBS/*" "$SRC_DIR"/*.java >&2
      touch "$tmp/.complete"
      rm -rf "$APPS_DIR/classes-$hash"
      mv "$tmp" "$APPS_DIR/classes-$hash"
    fi
  ) 9>"$APPS_DIR/lock"
}

case ${1:-} in
  fetch) fetch ;;
  run)
    shift
    [[ $# -ge 1 ]] || die "usage: $0 run APP [ARGS...]"
    fetch
    exec java -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xlog:all=warning:stderr \
      -Dlog4j2.configurationFile="$CACHE_DIR/kafka-$KAFKA_VERSION/tools-log4j2.properties" \
      -cp "$APPS_DIR/classes-$hash:$KAFKA_LIBS/*:$LIBS/*" "$@"
    ;;
  *) die "usage: $0 fetch | run APP [ARGS...]" ;;
esac
