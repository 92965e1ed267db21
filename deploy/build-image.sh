#!/usr/bin/env bash
# Build the platform's image (web, scheduler, Celery worker, triggerer and task pods) hermetically:
# the wheels of requirements-prod.lock are fetched on this machine first, and the image installs
# them with --no-index, so the build itself never reaches a network.
#
#   deploy/build-image.sh                                   # FROM python:3.11-slim-bookworm
#   BASE_IMAGE=wicn-base:bookworm-1 deploy/build-image.sh   # FROM a base built here
#
# Environment:
#   IMAGE        the tag to build (default wicn:latest)
#   BASE_IMAGE   any image with Python 3.11 as `python3` and its venv module (default python:3.11-slim-bookworm)
#   WHEELHOUSE   where wheels are cached, per lock file (default ~/.cache/wicn/wheelhouse)
#   PYTHON       the Python that fetches the wheels (default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-wicn:latest}"
BASE_IMAGE="${BASE_IMAGE:-python:3.11-slim-bookworm}"
PYTHON="${PYTHON:-.venv/bin/python}"
LOCK=requirements-prod.lock
lock_hash="$(sha256sum "$LOCK" | cut -c1-16)"
WHEELS="${WHEELHOUSE:-$HOME/.cache/wicn/wheelhouse}/$lock_hash"

log() { printf '[image] %s\n' "$*" >&2; }

if [[ ! -f "$WHEELS/.complete" ]]; then
    log "fetching the wheels of $LOCK into $WHEELS"
    mkdir -p "$WHEELS"
    # Wheels for the image's platform (CPython 3.11 on glibc x86_64/aarch64, like this machine);
    # a pure-Python package published only as a source archive is built into a wheel here.
    "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps --requirement "$LOCK" --wheel-dir "$WHEELS"
    touch "$WHEELS/.complete"
fi

# The build context is exactly what git tracks (no virtualenv, database or local settings), plus
# the wheels.
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$context"
mkdir -p "$context/.wheels"
cp "$WHEELS"/*.whl "$context/.wheels/"

log "building $IMAGE from $BASE_IMAGE"
docker build --pull=false --file deploy/Dockerfile --build-arg "BASE_IMAGE=$BASE_IMAGE" --tag "$IMAGE" "$context" >&2
# Earlier builds' superseded layers; the latest ones stay as the next build's cache.
docker image prune --force --filter "until=24h" >/dev/null
echo "$IMAGE"
