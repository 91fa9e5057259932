# syntax=docker/dockerfile:1
#
# The shdmc container image: two static binaries (shdmc and its health
# check) on an empty base, no shell, running as the numeric user
# 65532:65532, writing only under the volume /var/lib/shdmc, so that the
# root file system can be mounted read-only.
#
#   docker build -t shdmc \
#       --build-arg VERSION="$(git describe --tags --dirty)" \
#       --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run -d --name shdmc --read-only --tmpfs /tmp \
#       -v shdmc-state:/var/lib/shdmc \
#       -v "$PWD/shdmc.yaml:/etc/shdmc/shdmc.yaml:ro" \
#       -e CONTOSO_CLIENT_SECRET -p 8080:8080 shdmc
#
# Without a Docker engine: `buildah bud --format docker` (the OCI format has
# no HEALTHCHECK). scripts/test-image builds and runs the image that way,
# with a Go toolchain image made from the host's Go instead of GO_IMAGE.
# docs/OPERATIONS.md explains the volume, the configuration and the probes.

# GO_IMAGE is any image with Go 1.26 or newer, a POSIX shell and
# /etc/ssl/certs/ca-certificates.crt.
ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
# The build context has no .git (.dockerignore), so the version and the
# revision come as build arguments and are linked into internal/version.
ARG VERSION=""
ARG REVISION=""
RUN go build -trimpath \
        -ldflags "-s -w -X github.com/shdmc/shdmc/internal/version.version=${VERSION} -X github.com/shdmc/shdmc/internal/version.revision=${REVISION}" \
        -o /out/usr/local/bin/ ./cmd/shdmc ./cmd/shdmc-healthcheck
# The rest of the root file system: CA certificates (time zones are
# compiled into shdmc: time/tzdata), a passwd entry for the numeric user,
# the state directory it owns, the config directory and /tmp.
RUN mkdir -p /out/etc/ssl/certs /out/etc/shdmc /out/var/lib/shdmc /out/tmp && \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nshdmc:x:65532:65532:shdmc:/var/lib/shdmc:/sbin/nologin\n' >/out/etc/passwd && \
    printf 'root:x:0:\nshdmc:x:65532:\n' >/out/etc/group && \
    chown 65532:65532 /out/var/lib/shdmc && chmod 0750 /out/var/lib/shdmc && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/ /
USER 65532:65532
# The default store, sqlite://shdmc.db, and relative file channel paths
# land in the volume.
WORKDIR /var/lib/shdmc
ENV SHDMC_CONFIG=/etc/shdmc/shdmc.yaml HOME=/var/lib/shdmc
VOLUME ["/var/lib/shdmc"]
# serve.addr must be 0.0.0.0:8080 (with serve.token or basic auth) for the
# dashboard and /metrics to be reachable from outside the container.
EXPOSE 8080
# Asks http://127.0.0.1:8080/healthz; SHDMC_HEALTHCHECK_URL changes it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/shdmc-healthcheck"]
ENTRYPOINT ["/usr/local/bin/shdmc"]
CMD ["run"]
LABEL org.opencontainers.image.title="shdmc" \
      org.opencontainers.image.description="Microsoft 365 Service Health and Message Center notifications" \
      org.opencontainers.image.source="https://github.com/shdmc/shdmc"
