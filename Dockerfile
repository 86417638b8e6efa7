# The `cairn` node and its tools in one image, for a container runtime or zombienet-sdk's
# Kubernetes provider (zombienet/network/k8s.toml). Multi-stage: the build stage has the
# toolchain and C/C++ build dependencies; the image has the binary, the TPM libraries it
# links, and a non-root user.
#
#   docker build -t cairn:latest .
#   docker run --rm -p 9944:9944 -p 30333:30333 -p 30444:30444 cairn:latest --dev --rpc-external
#   docker run --rm -i cairn:latest join - --base-path /cairn/data   # the invitation on stdin
#
# The build takes what `make build` takes on the same cores (about 45 minutes on 2).

FROM debian:bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates curl git clang libclang-dev protobuf-compiler mold make pkg-config libtss2-dev \
 && rm -rf /var/lib/apt/lists/*
# The toolchain rust-toolchain.toml names, with its wasm target (the runtime's).
COPY rust-toolchain.toml /cairn/
WORKDIR /cairn
ENV PATH=/root/.cargo/bin:$PATH
RUN curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable \
 && rustup target add wasm32v1-none && rustup component add rust-src
COPY . /cairn
# Only the node binary: the tests are not built here.
RUN cargo build --release --locked -p cairn-node \
 && strip target/release/cairn

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libtss2-esys-3.0.2-0 libtss2-tctildr0 libtss2-mu0 libtss2-sys1 libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /cairn --uid 10001 cairn
COPY --from=build /cairn/target/release/cairn /usr/local/bin/cairn
COPY --from=build /cairn/chain-specs /usr/share/cairn/chain-specs
USER cairn
WORKDIR /cairn
# p2p, RPC, fragment service, wallet gateway.
EXPOSE 30333 9944 30444 8080
VOLUME ["/cairn/data"]
ENTRYPOINT ["cairn"]
CMD ["--base-path", "/cairn/data", "--chain", "/usr/share/cairn/chain-specs/local.raw.json"]
