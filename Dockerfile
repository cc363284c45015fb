# syntax=docker/dockerfile:1
# kafka-merge-purge in a container: built with the Rust image and the Debian build packages from
# the README, run on debian-slim as an unprivileged user. Not built or run by CI (no Docker there).
#
#   docker build -t kafka-merge-purge .
#   docker run --rm -it kafka-merge-purge -b broker:9092 -g dlq-triage ask orders-dlq orders-retry
#   docker run --rm -it -v "$PWD/client.properties:/config/client.properties:ro" \
#     -e KAFKA_MERGE_PURGE_PROPERTIES=/config/client.properties \
#     kafka-merge-purge -g dlq-triage ask orders-dlq orders-retry

ARG RUST_VERSION=1.88
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential pkg-config libssl-dev zlib1g-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && install -m 0755 target/release/kafka-merge-purge /usr/local/bin/kafka-merge-purge

FROM debian:${DEBIAN_RELEASE}-slim
# librdkafka is linked in; OpenSSL, Cyrus SASL and zlib come from Debian.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 libsasl2-2 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 kmp \
    && useradd --system --uid 10001 --gid kmp --home-dir /home/kmp --create-home \
        --shell /usr/sbin/nologin kmp
COPY --from=build /usr/local/bin/kafka-merge-purge /usr/local/bin/kafka-merge-purge
USER 10001:10001
WORKDIR /home/kmp
ENTRYPOINT ["kafka-merge-purge"]
CMD ["--help"]
