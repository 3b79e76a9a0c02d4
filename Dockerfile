# syntax=docker/dockerfile:1
# moai: build on Debian bookworm, run on bookworm-slim with only the runtime libraries.

FROM debian:bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config libcaf-dev libboost-dev libboost-test-dev libboost-system-dev \
      libsqlitecpp-dev libsqlite3-dev rapidjson-dev libssl-dev libtoml11-dev libsodium-dev librust-blake3-dev \
      libcrypto++-dev libpq-dev libjemalloc-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake ./cmake
COPY base ./base
COPY protocol ./protocol
COPY config ./config
COPY storage ./storage
COPY gateway ./gateway
COPY actors ./actors
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMOAI_BUILD_TESTS=OFF \
    && cmake --build build -j"$(nproc)" --target moai

FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libcaf-core0.17 libsqlite3-0 libssl3 libsodium23 libcrypto++8 libpq5 libjemalloc2 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin moai \
    && mkdir -p /data && chown moai:moai /data
COPY --from=build /src/build/moai /usr/local/bin/moai
USER moai
WORKDIR /data
VOLUME /data
# Configure with environment variables, or mount a TOML file and set MOAI_CONFIG.
ENV DB_PATH=/data/sync.db PORT=4201
EXPOSE 4201
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" || exit 1
ENTRYPOINT ["/usr/local/bin/moai"]
CMD ["serve"]
