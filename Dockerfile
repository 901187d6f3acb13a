# syntax=docker/dockerfile:1
# A small image holding only grantplan: built in a Rust stage, shipped from scratch.
#
#   docker build --build-arg GRANTPLAN_COMMIT=$(git rev-parse --short HEAD) -t grantplan .
#   docker run --rm -v "$PWD:/work" -e GRANTPLAN_DATABASE_URL grantplan plan
#
# NOT BUILT in this repository's CI: no Docker engine runs on the machine CI runs on.
# tests/ship.rs checks its shape only (two stages, the final one from scratch with the
# binary, the CA bundle and an unprivileged user).

FROM rust:1.95-alpine AS build
# musl-dev: the C parts (ring, mimalloc) link against musl. ca-certificates: the bundle
# copied into the final image.
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
# .dockerignore leaves .git out (in a `git worktree` it is only a pointer to a path on the
# host), so the commit `grantplan --version` names comes from this argument; without it
# the version says `unknown commit`.
ARG GRANTPLAN_COMMIT=
# Alpine's Rust targets musl, which links statically by default: the binary needs no libc
# in the final image. --locked: exactly Cargo.lock's versions. Symbols stripped.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked --bin grantplan \
    && cp target/release/grantplan /grantplan \
    && /grantplan --version

FROM scratch
# The system trust store for `sslrootcert=system` / `--ca-file system` (rustls-native-certs
# finds it at OpenSSL's path); with --ca-file FILE, mount the file instead.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /grantplan /usr/local/bin/grantplan
USER 65534:65534
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/grantplan"]
