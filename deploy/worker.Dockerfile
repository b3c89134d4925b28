# syntax=docker/dockerfile:1
# The runtime-worker image: the native worker binary and the job components it runs, baked in
# under /components (worker.toml names them there), on a distroless base as a non-root user.
# Build from the repository root:
#   docker build -f deploy/worker.Dockerfile -t ghcr.io/your-org/hexaspin-worker:dev .
# The components are baked in rather than pulled as OCI artifacts: a worker image then always
# carries the components its configuration was tested with, and a pod needs no registry access
# at start. Changing a job component is a new worker image. Only the kinds deploy/base/worker/
# worker.toml runs are baked in: the test component that misbehaves on request never is.

ARG RUST_VERSION=1.95
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p hexaspin-runtime-worker \
 && cargo build --locked --release --target wasm32-wasip2 \
      -p hexaspin-echo -p hexaspin-webhook \
 && mkdir -p /out/components \
 && cp target/release/runtime-worker /out/ \
 && cp target/wasm32-wasip2/release/hexaspin_echo.wasm \
       target/wasm32-wasip2/release/hexaspin_webhook.wasm /out/components/

# glibc and libgcc for the binary, nothing else: no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/runtime-worker /usr/local/bin/runtime-worker
COPY --from=build /out/components/ /components/
USER 65532:65532
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/runtime-worker"]
CMD ["run", "--config", "/etc/hexaspin/worker.toml"]
