#!/usr/bin/env bash
# The one install step: what the build, the demo and the tests need on a fresh Debian machine,
# installing only what is missing and saying nothing when nothing is. Called by scripts/demo.sh,
# scripts/test.sh and .ci/run; safe to run again.
#
#   Debian packages  the build (C toolchain, OpenSSL, zlib and SASL headers for librdkafka),
#                    the broker and its tools (Java 17, Maven), the tests (kcat, curl for the
#                    registry, openssl for the secured broker's certificates, zsh, fish, groff
#                    and man for the completion and manual page tests, time, python3 and
#                    python3-pyte (the full-screen view's probe) for the benchmark)
#   Kafka jars       Apache Kafka's jars from Maven Central (scripts/local-kafka.sh fetch)
#   Registry         Apicurio Registry's `all` tarball from Maven Central, the tests' real schema
#                    registry (scripts/local-registry.sh fetch; it runs on a Java 21+ from
#                    /usr/lib/jvm, OpenJDK 21 installed when there is none and Debian has it;
#                    Kafka runs on Java 17)
#   fastavro, protobuf  the tests' independent decoders (PyPI, into target/pydeps)
#   Java checker     the tests' independent client, compiled once (scripts/kafka-check.sh)
#   Framework apps   the services that dead-letter records in the tests, with Kafka Streams'
#                    jar from Maven Central, compiled once (scripts/framework-apps.sh)
#
# Rust itself (stable, with rustfmt and clippy) comes from rustup; it is not installed here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# librdkafka is built with its own ./configure (not cmake) and without libcurl (rdkafka's `curl`
# feature is off): neither cmake nor libcurl's headers are needed.
DEBIAN_PACKAGES=(libssl-dev zlib1g-dev pkg-config libsasl2-dev kcat
  openssl zsh fish groff-base man-db time python3 python3-pyte curl)

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "install.sh: root is needed to install Debian packages: $*" >&2
    return 1
  fi
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
command -v cc >/dev/null && command -v make >/dev/null && command -v c++ >/dev/null ||
  missing+=(build-essential)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if ((${#missing[@]} > 0)); then
  echo "install.sh: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || {
  echo "install.sh: cargo is missing: install Rust (stable) with rustup, https://rustup.rs" >&2
  exit 1
}

scripts/local-kafka.sh fetch
# Apicurio Registry needs Java 21 or newer beside Kafka's 17: these machines have a Temurin 25
# under /usr/lib/jvm; Debian 13 packages OpenJDK 21, Debian 12 none. Without one only the
# registry tests fail, saying so; the demo and the rest do not need it.
if ! scripts/local-registry.sh java >/dev/null 2>&1; then
  echo "install.sh: no Java 21 or newer for the schema registry; trying openjdk-21-jre-headless" >&2
  { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openjdk-21-jre-headless >/dev/null; } ||
    echo "install.sh: no Java 21 or newer: the registry tests will fail (install one, or set REGISTRY_JAVA)" >&2
fi
scripts/local-registry.sh fetch
# fastavro and protobuf: the tests' independent decoders of repaired copies
# (tests/support/{avro,proto}_decode.py), beside the build, for whichever python3 runs the tests.
if ! PYTHONPATH=target/pydeps python3 -c 'import fastavro, google.protobuf' 2>/dev/null; then
  python3 -m pip --version >/dev/null 2>&1 || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-pip >/dev/null
  }
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --upgrade --target target/pydeps \
    fastavro==1.13.1 protobuf==5.29.3
fi
scripts/kafka-check.sh compile
scripts/framework-apps.sh fetch
