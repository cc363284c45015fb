#!/usr/bin/env bash
# Runs Apicurio Registry (in-memory storage) from its `all` tarball on Maven Central, for the
# tests of decoding through a real schema registry: the tool talks to it through its
# Confluent-compatible API, whose base URL `url` prints.
#
# Usage: scripts/local-registry.sh fetch|start|stop|status|url|java
#
#   fetch   download and unpack the registry into the cache (quick when already there)
#   start   start it and wait until its Confluent-compatible API answers; exits 0 at once
#           when it already runs on the port
#   stop    stop the registry this script started and wait for it to exit
#   status  exit 0 when it runs, 1 otherwise
#   url     print the URL to give the tool as schema.registry.url
#   java    print the java it runs with (exits 1 when there is no Java 21 or newer)
#
# Environment:
#   REGISTRY_PORT          HTTP port on 127.0.0.1 (default 8081); its management interface
#                          takes the next port
#   REGISTRY_JAVA          the java to run it with (default: the newest JDK 21+ under
#                          /usr/lib/jvm, else `java` when it is 21 or newer)
#   REGISTRY_START_TIMEOUT seconds `start` waits (default 120)
#   KMP_CACHE_DIR          where it is unpacked (default ~/.cache/kafka-merge-purge)
set -euo pipefail

readonly APICURIO_VERSION=3.3.3
CACHE_DIR=${KMP_CACHE_DIR:-$HOME/.cache/kafka-merge-purge}
DIST_DIR=$CACHE_DIR/apicurio-registry-$APICURIO_VERSION
PORT=${REGISTRY_PORT:-8081}
# Quarkus's management interface (health, metrics), which listens on 0.0.0.0:9000 unless told.
MANAGEMENT_PORT=$((PORT + 1))
STATE_DIR=$CACHE_DIR/state/registry-$PORT
PID_FILE=$STATE_DIR/pid
START_TIMEOUT=${REGISTRY_START_TIMEOUT:-120}
# The path of the Confluent-compatible API (Apicurio serves it under /apis/ccompat/v7).
readonly CCOMPAT=/apis/ccompat/v7

log() { printf 'local-registry: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

url() { printf 'http://127.0.0.1:%s%s\n' "$PORT" "$CCOMPAT"; }

# The major version of the java at $1, or 0.
java_major() {
  local line
  line=$("$1" -version 2>&1 | head -n 1) || { echo 0; return; }
  line=${line#*\"}
  line=${line%%[.\"-]*}
  [[ $line =~ ^[0-9]+$ ]] && echo "$line" || echo 0
}

# Apicurio Registry 3 needs Java 21 or newer; Kafka stays on the default Java.
find_java() {
  if [[ -n ${REGISTRY_JAVA:-} ]]; then
    (($(java_major "$REGISTRY_JAVA") >= 21)) ||
      die "REGISTRY_JAVA=$REGISTRY_JAVA is not a Java 21 or newer"
    echo "$REGISTRY_JAVA"
    return
  fi
  local best='' best_major=0 candidate major
  for candidate in /usr/lib/jvm/*/bin/java $(command -v java || true); do
    [[ -x $candidate ]] || continue
    major=$(java_major "$candidate")
    if ((major >= 21 && major > best_major)); then
      best=$candidate
      best_major=$major
    fi
  done
  [[ -n $best ]] || die "Apicurio Registry needs Java 21 or newer: none under /usr/lib/jvm nor on PATH (set REGISTRY_JAVA)"
  echo "$best"
}

cmd_fetch() {
  [[ -f $DIST_DIR/.complete ]] && return 0
  command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the registry"
  local artifact=io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all
  local repo tarball
  # Maven's local repository (its default place; MAVEN_REPO names another).
  repo=${MAVEN_REPO:-$HOME/.m2/repository}
  tarball=$repo/io/apicurio/apicurio-registry-app/$APICURIO_VERSION/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz
  if [[ ! -f $tarball ]]; then
    log "fetching Apicurio Registry $APICURIO_VERSION from Maven Central"
    mkdir -p "$CACHE_DIR"
    if ! mvn -B -Dstyle.color=never dependency:get -Dartifact="$artifact" -Dtransitive=false \
        -Dmaven.repo.local="$repo" \
        >"$CACHE_DIR/apicurio-fetch.log" 2>&1; then
      tail -n 30 "$CACHE_DIR/apicurio-fetch.log" >&2
      die "mvn dependency:get $artifact failed (whole log: $CACHE_DIR/apicurio-fetch.log)"
    fi
  fi
  rm -rf "$DIST_DIR.tmp"
  mkdir -p "$DIST_DIR.tmp"
  tar xzf "$tarball" -C "$DIST_DIR.tmp"
  [[ -f $DIST_DIR.tmp/quarkus-run.jar ]] || die "$tarball holds no quarkus-run.jar"
  rm -rf "$DIST_DIR"
  mv "$DIST_DIR.tmp" "$DIST_DIR"
  touch "$DIST_DIR/.complete"
}

running_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(cat "$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # The pid must still be our registry on this port, not a recycled pid of something else.
  if [[ -r /proc/$pid/cmdline ]] &&
      tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-Dquarkus.http.port=$PORT .*quarkus-run.jar"; then
    echo "$pid"
    return 0
  fi
  return 1
}

answers() {
  curl -fs -o /dev/null --max-time 5 "$(url)/subjects"
}

cmd_start() {
  local pid java
  if pid=$(running_pid); then
    log "already running on $(url) (pid $pid)"
    return 0
  fi
  cmd_fetch
  java=$(find_java)
  mkdir -p "$STATE_DIR"
  log "starting Apicurio Registry $APICURIO_VERSION on $(url) ($java)"
  # setsid: Ctrl-C in the terminal that started it must not reach it. In-memory storage:
  # every start is empty.
  setsid "$java" -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MANAGEMENT_PORT" \
    -Dquarkus.log.level=WARN -Dquarkus.banner.enabled=false \
    -jar "$DIST_DIR/quarkus-run.jar" </dev/null >"$STATE_DIR/registry.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$STATE_DIR/registry.log" >&2
      rm -f "$PID_FILE"
      die "the registry exited during start-up"
    fi
    if answers; then
      log "ready: $(url) (pid $pid, log $STATE_DIR/registry.log)"
      return 0
    fi
    sleep 0.5
  done
  tail -n 40 "$STATE_DIR/registry.log" >&2
  cmd_stop
  die "the registry did not answer within ${START_TIMEOUT}s"
}

cmd_stop() {
  local pid
  pid=$(running_pid) || { rm -f "$PID_FILE"; return 0; }
  log "stopping the registry on port $PORT (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
}

# One command at a time per port (tests start it from several threads' first use).
with_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock 9
  "$@"
}

case ${1:-} in
  fetch)
    mkdir -p "$CACHE_DIR"
    exec 8>"$CACHE_DIR/apicurio-fetch.lock"
    flock 8
    cmd_fetch
    ;;
  start) with_lock cmd_start ;;
  stop) with_lock cmd_stop ;;
  status) running_pid >/dev/null ;;
  url) url ;;
  java) find_java ;;
  *) die "usage: $0 fetch|start|stop|status|url|java" ;;
esac
