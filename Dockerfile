# syntax=docker/dockerfile:1
# The rebuy binary in a small image that serves one run folder:
#   docker build -t rebuy .
#   docker run --rm -p 8501:8501 -v "$PWD/runs/latest:/data/run:ro" rebuy
# See docs/deploy.md.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the registry and the build (DataFusion takes ~37 minutes on 2 cores
# from clean) between image builds.
# The `dist` profile (Cargo.toml: fat LTO, dependencies optimised for size, symbols
# stripped), linked statically against glibc (crt-static; `cargo rustc` passes the flags
# to the final link only, so the dependencies are the ones `cargo build --profile dist`
# builds) and without position independence (no relocation table): one file that needs
# no library from the image. docs/deploy.md, "Size", has the measurements. Every
# cargo feature: the image serves the PostgreSQL source and the Ballista processes too.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo rustc --profile dist --locked -p rebuy --bin rebuy --all-features \
        -- -C target-feature=+crt-static -C relocation-model=static \
    && cp target/dist/rebuy /usr/local/bin/rebuy

# No libc, no shell: CA certificates, time zones, /etc/passwd and /tmp (about 2 MB);
# runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /usr/local/bin/rebuy /usr/local/bin/rebuy
USER 65532:65532
WORKDIR /data
EXPOSE 8501
# The image has no shell or curl: the binary asks its own /api/health (exit 0 = healthy).
# The start period covers the demo's three runs when no run folder is mounted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["rebuy", "healthcheck", "--addr", "127.0.0.1:8501"]
# `rebuy serve` finishes requests in flight and exits on SIGTERM (docker stop).
STOPSIGNAL SIGTERM
ENTRYPOINT ["rebuy"]
# Serves the run folder mounted at /data/run; without one, runs the demo and serves it.
CMD ["serve", "--run", "/data/run", "--addr", "0.0.0.0:8501", "--demo-if-missing"]
