#!/usr/bin/env bash
# Build (once) the kube-apiserver used by the Kubernetes test cluster.
#
# kube-apiserver v1.20.2 is compiled from Debian bookworm's `kubernetes`
# source package (the full upstream tree, vendor/ included) with bookworm's
# Go 1.19. etcd comes from the `etcd-server` package. The binary and the Go
# build cache live outside the repository:
#
#   ${WICN_KUBE_CACHE:-$HOME/.cache/wicn/kube}/1.20.2/kube-apiserver
#
# The script is idempotent: when the binary is cached it exits at once.
# Environment:
#   WICN_KUBE_CACHE     cache root (default ~/.cache/wicn/kube)
#   WICN_KUBE_KEEP_SRC  1 keeps the unpacked source tree after a build
#   WICN_KUBE_NICE      niceness of the compile steps (default 10)
set -euo pipefail

KUBE_VERSION=1.20.2
KUBE_GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
DEB_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
APT_PACKAGES=(etcd-server golang-1.19-go rsync make dpkg-dev)
GO_ROOT=/usr/lib/go-1.19

CACHE_ROOT="${WICN_KUBE_CACHE:-$HOME/.cache/wicn/kube}"
CACHE="$CACHE_ROOT/$KUBE_VERSION"
BIN="$CACHE/kube-apiserver"
NICE="${WICN_KUBE_NICE:-10}"

log() { printf '[kube-build] %s\n' "$*" >&2; }
die() { printf '[kube-build] error: %s\n' "$*" >&2; exit 1; }

binary_ok() {
    [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -q "v$KUBE_VERSION"
}

missing_packages() {
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$pkg"
        fi
    done
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Long steps run in their own process group, stopped with the script.
CHILD=""
run_step() {
    setsid "$@" &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}
on_signal() {
    if [[ -n "$CHILD" ]]; then
        kill -TERM -- "-$CHILD" 2>/dev/null || true
    fi
    die "interrupted"
}
trap on_signal INT TERM

# --- fast path -------------------------------------------------------------
if binary_ok && [[ -z "$(missing_packages | grep -x etcd-server || true)" ]]; then
    log "cached: $BIN ($("$BIN" --version))"
    exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
fi
if binary_ok && [[ -z "$(missing_packages | grep -x etcd-server || true)" ]]; then
    log "cached: $BIN"
    exit 0
fi

# --- system packages -------------------------------------------------------
mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]})); then
    if ! is_root; then
        die "missing Debian packages: ${MISSING[*]}. Run as root (or: sudo apt-get install ${MISSING[*]}), then run this script again."
    fi
    log "installing: ${MISSING[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
fi
command -v etcd >/dev/null || die "etcd not found on PATH after installing etcd-server"
[[ -x "$GO_ROOT/bin/go" ]] || die "$GO_ROOT/bin/go not found (package golang-1.19-go)"

if binary_ok; then
    log "cached: $BIN"
    exit 0
fi

# --- source package --------------------------------------------------------
SRC_DL="$CACHE/source"
mkdir -p "$SRC_DL"
DSC="$(ls "$SRC_DL"/kubernetes_*.dsc 2>/dev/null | head -n1 || true)"

if [[ -z "$DSC" ]]; then
    # A private apt configuration with a temporary bookworm deb-src entry for
    # the mirror(s) this machine already uses. The system's sources are not
    # modified; the temporary entry and its index are removed on exit.
    APT_TMP="$(mktemp -d)"
    trap 'rm -rf "$APT_TMP"' EXIT
    mkdir -p "$APT_TMP/lists/partial" "$APT_TMP/parts"

    SOURCES="$APT_TMP/wicn-kube-src.sources"
    python3 - "$SOURCES" <<'PY'
import glob, re, sys

out = sys.argv[1]
entries = []  # (uri, suites, components, signed_by)

def add(uri, suites, comps, signed):
    suites = [s for s in suites if s.split("-")[0] == "bookworm"]
    if suites and uri.rstrip("/").endswith(("debian", "debian-security")):
        entries.append((uri, suites, comps or ["main"], signed))

for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.match(r"deb\s+(\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        opts = dict(o.split("=", 1) for o in (m.group(2) or "").split() if "=" in o)
        add(m.group(3), [m.group(4)], m.group(5).split(), opts.get("signed-by"))

for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    try:
        text = open(path).read()
    except OSError:
        continue
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            add(uri, fields.get("suites", "").split(), fields.get("components", "").split(),
                fields.get("signed-by"))

if not entries:
    sys.exit("no Debian bookworm mirror found in /etc/apt/sources.list(.d)")
with open(out, "w") as fh:
    for uri, suites, comps, signed in entries:
        fh.write("Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n" % (uri, " ".join(suites), " ".join(comps)))
        if signed:
            fh.write("Signed-By: %s\n" % signed)
        fh.write("\n")
PY
    log "temporary deb-src entry:"
    sed 's/^/    /' "$SOURCES" >&2

    APT_OPTS=(
        -o "Dir::Etc::SourceList=/dev/null"
        -o "Dir::Etc::SourceParts=$APT_TMP/parts"
        -o "Dir::State::Lists=$APT_TMP/lists"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
        -o "APT::Sandbox::User=root"
    )
    cp "$SOURCES" "$APT_TMP/parts/"
    apt-get "${APT_OPTS[@]}" update -qq
    (cd "$SRC_DL" && apt-get "${APT_OPTS[@]}" source --download-only "kubernetes=$DEB_VERSION")
    rm -rf "$APT_TMP"
    trap - EXIT
    DSC="$(ls "$SRC_DL"/kubernetes_*.dsc | head -n1)"
fi
log "source package: $DSC"

# --- unpack ----------------------------------------------------------------
TREE="$CACHE/tree"
if [[ ! -f "$TREE/.unpacked" ]]; then
    rm -rf "$TREE"
    log "unpacking"
    # dpkg-source applies Debian's patches (kubectl printing fixes).
    # (apt-get source has already checked the files against the signed archive.)
    dpkg-source -x "$DSC" "$TREE" >"$CACHE/unpack.log" 2>&1 \
        || { tail -n 20 "$CACHE/unpack.log" >&2; die "dpkg-source -x failed"; }
    # dpkg-source leaves a copy of the upstream tarball beside the tree.
    rm -f "$CACHE"/kubernetes_*.orig.tar.*
    [[ -f "$TREE/cmd/kube-apiserver/apiserver.go" ]] || die "unexpected source layout in $TREE"
    [[ -d "$TREE/vendor/k8s.io" ]] || die "source tree has no vendor/ directory"
    touch "$TREE/.unpacked"
fi

# --- build -----------------------------------------------------------------
export GOPATH="$CACHE/gopath"
export GOCACHE="$CACHE/go-build"
export GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOPROXY=off GOTOOLCHAIN=local
export PATH="$GO_ROOT/bin:$PATH"
mkdir -p "$GOPATH/src/k8s.io" "$GOCACHE"
ln -sfn "$TREE" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

START=$(date +%s)
if [[ ! -f "$TREE/.generated" ]]; then
    log "make generated_files (about 1.5 min)"
    run_step nice -n "$NICE" make generated_files >"$CACHE/generated_files.log" 2>&1 \
        || { tail -n 40 "$CACHE/generated_files.log" >&2; die "make generated_files failed (log: $CACHE/generated_files.log)"; }
    touch "$TREE/.generated"
fi

BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
LDFLAGS="-s -w"
for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version \
           k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
    LDFLAGS+=" -X $pkg.gitVersion=v$KUBE_VERSION"
    LDFLAGS+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=20"
    LDFLAGS+=" -X $pkg.gitCommit=$KUBE_GIT_COMMIT -X $pkg.gitTreeState=clean"
    LDFLAGS+=" -X $pkg.buildDate=$BUILD_DATE"
done

log "go build ./cmd/kube-apiserver (about 5 min cold)"
run_step nice -n "$NICE" go build -tags selinux,notest -trimpath -ldflags "$LDFLAGS" \
    -o "$BIN.tmp" ./cmd/kube-apiserver >"$CACHE/build.log" 2>&1 \
    || { tail -n 40 "$CACHE/build.log" >&2; die "go build failed (log: $CACHE/build.log)"; }
mv -f "$BIN.tmp" "$BIN"
END=$(date +%s)

binary_ok || die "built binary does not report v$KUBE_VERSION"
log "built $BIN in $((END - START)) s: $("$BIN" --version)"
echo "$((END - START))" >"$CACHE/build-seconds"

if [[ "${WICN_KUBE_KEEP_SRC:-0}" != 1 ]]; then
    rm -rf "$TREE" "$GOPATH"
fi
