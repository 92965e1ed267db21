#!/usr/bin/env bash
# Build (once) the base image that the project's image is built FROM on machines that cannot pull
# one: Debian bookworm (its python3 is 3.11) from debootstrap, imported into the local Docker engine.
#
#   tests/support/images/base.sh            # prints the image name when it is ready
#
# The root filesystem is cached as a tarball outside the repository, so a Docker engine that lost
# its images re-imports it in seconds:
#   ${WICN_IMAGE_CACHE:-$HOME/.cache/wicn/images}/base-bookworm-<version>.tar
set -euo pipefail

VERSION=1
NAME="${WICN_BASE_IMAGE:-wicn-base:bookworm-$VERSION}"
CACHE="${WICN_IMAGE_CACHE:-$HOME/.cache/wicn/images}"
TARBALL="$CACHE/base-bookworm-$VERSION.tar"
# What the image's build and run stages need from Debian: the interpreter, venv for its own
# environment, certificates for outgoing TLS (SMTP, S3, webhooks), and tzdata for zoneinfo.
PACKAGES=python3,python3-venv,ca-certificates,tzdata

log() { printf '[base-image] %s\n' "$*" >&2; }

if docker image inspect "$NAME" >/dev/null 2>&1; then
    echo "$NAME"
    exit 0
fi
if [[ ! -s "$TARBALL" ]]; then
    command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install debootstrap"; exit 1; }
    mkdir -p "$CACHE"
    root="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    trap 'rm -rf "$root"' EXIT
    log "debootstrap bookworm into $root (about 2 minutes)"
    debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" >&2
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cf "$TARBALL.partial" .
    mv "$TARBALL.partial" "$TARBALL"
fi
log "importing $TARBALL as $NAME"
docker import "$TARBALL" "$NAME" >/dev/null
echo "$NAME"
