# syntax=docker/dockerfile:1
# The rebuy binary in a small image that serves one run folder:
#   docker build -t rebuy .
#   docker run --rm -p 8501:8501 -v "$PWD/runs/latest:/data/run:ro" rebuy
# See docs/deploy.md.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the registry and the build (DataFusion takes ~25 minutes on 2 cores
# from clean) between image builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked -p rebuy \
    && cp target/release/rebuy /usr/local/bin/rebuy

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home rebuy
COPY --from=build /usr/local/bin/rebuy /usr/local/bin/rebuy
USER 10001
WORKDIR /data
EXPOSE 8501
# The slim image has no curl: the binary asks its own /api/health (exit 0 = healthy).
# The start period covers the demo run when no run folder is mounted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["rebuy", "healthcheck", "--addr", "127.0.0.1:8501"]
# `rebuy serve` finishes requests in flight and exits on SIGTERM (docker stop).
STOPSIGNAL SIGTERM
ENTRYPOINT ["rebuy"]
# Serves the run folder mounted at /data/run; without one, runs the demo and serves it.
CMD ["serve", "--run", "/data/run", "--addr", "0.0.0.0:8501", "--demo-if-missing"]
