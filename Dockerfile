# syntax=docker/dockerfile:1
# wavebump: one binary (serve / plan / rollout), SQLite by default.

# --- build: dependencies first, cached apart from the source -------------
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# A dummy crate with the real manifests builds every dependency once; the
# layer is reused until Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' > benches/wavebump_bench.rs \
 && cargo build --release --locked \
 && rm -rf src benches
# The real source.
COPY src ./src
COPY templates ./templates
COPY migrations ./migrations
COPY benches ./benches
COPY config.example.yaml ./
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin wavebump

# --- runtime: slim, CA certificates, non-root -----------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 curl git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/wavebump --create-home wavebump
COPY --from=build /src/target/release/wavebump /usr/local/bin/wavebump
COPY --from=build /src/templates /usr/share/wavebump/templates
COPY config.example.yaml /etc/wavebump/config.yaml
USER wavebump
WORKDIR /var/lib/wavebump
# The SQLite database (and the git cache) live here.
VOLUME ["/var/lib/wavebump"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["wavebump"]
CMD ["serve", "--config", "/etc/wavebump/config.yaml", "--listen", "0.0.0.0:8080"]
