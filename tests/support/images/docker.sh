#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install Debian's docker.io (and debootstrap,
# for the base image) when missing, and start dockerd by hand when none runs (machines without systemd).
set -euo pipefail

log() { printf '[docker] %s\n' "$*" >&2; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io iptables)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    [[ "$(id -u)" == 0 ]] || { log "needs root to install ${missing[*]}"; exit 1; }
    log "installing ${missing[*]} from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
if docker info >/dev/null 2>&1; then
    exit 0
fi
state="${WICN_IMAGE_CACHE:-$HOME/.cache/wicn/images}"
mkdir -p "$state"
log "starting dockerd (log: $state/dockerd.log)"
nohup dockerd >"$state/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 0.5
done
log "dockerd did not start; see $state/dockerd.log"
exit 1
