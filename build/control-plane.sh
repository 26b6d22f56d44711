#!/usr/bin/env bash
# Builds a real Kubernetes control plane from Go modules: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok and kwokctl, through the committed
# wrapper modules in build/control-plane/{k8s,etcd,kwok}/ (each a go.mod + go.sum, nothing
# else), into a cache outside the repository:
#
#   ${CP_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/mai-operator/control-plane}/<versions>/bin/
#
# <versions> is k8s-v1.36.3-etcd-v3.6.17-kwok-v0.8.0. A stamp (<versions>/STAMP: versions, Go,
# build time, sha256 of each binary) is written last; when it is there with every binary, the
# script does nothing and says "control plane: reusing <bin>". Delete <versions>/ to rebuild.
# All three builds share the caller's Go module cache and build cache (GOMODCACHE, GOCACHE).
#
# Needs Go >= the wrapper modules' `go` line (1.26.0; GOTOOLCHAIN=local: no toolchain download)
# and the Go module proxy (GOPROXY) on the first build; downloads nothing but Go modules, and
# builds with -mod=readonly, so a stale go.sum fails instead of being rewritten.
# Measured on 2 cores: 10-20 min cold (empty Go caches; 20 when other builds share the cores),
# ~1 min with a warm Go build cache, 0.01 s when the stamp is there (docs/development.md).
#
# Usage:
#   bash build/control-plane.sh              build if needed; progress on stderr, and the bin
#                                            folder as the only line on stdout (the last line)
#   bash build/control-plane.sh --print-bin  print the bin folder and exit 0 if it is built,
#                                            else say so on stderr and exit 1; never builds
set -euo pipefail

K8S_VERSION=v1.36.3          # k8s.io/kubernetes; its staging modules replaced with v0.36.3
ETCD_VERSION=v3.6.17         # go.etcd.io/etcd/server/v3
KWOK_VERSION=v0.8.0          # sigs.k8s.io/kwok
# Fixed build date (the k8s.io/kubernetes release time from the module proxy), so rebuilds
# are byte-for-byte reproducible.
BUILD_DATE=2026-07-22T18:07:38Z

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/control-plane"
CACHE_ROOT="${CP_CACHE_ROOT:-${XDG_CACHE_HOME:-${HOME}/.cache}/mai-operator/control-plane}"
NAME="k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}"
OUT="${CACHE_ROOT}/${NAME}"
BIN="${OUT}/bin"
STAMP="${OUT}/STAMP"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)

say() { echo "control plane: $*" >&2; }
die() { echo "control plane: ERROR: $*" >&2; exit 1; }

mode=build
case "${1:-}" in
  "") ;;
  --print-bin) mode=print ;;
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (use --print-bin or --help)" ;;
esac

# The wrapper go.mod files must select the versions this script names (cheap text check, so a
# version bump in one place only cannot silently reuse binaries of the old versions).
wrapper_requires() { # dir module version
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?$2[[:space:]]+$3([[:space:]]|$)" "${HERE}/$1/go.mod" \
    || die "build/control-plane/$1/go.mod does not require $2 $3, which build/control-plane.sh names; update both together"
}
wrapper_requires k8s k8s.io/kubernetes "${K8S_VERSION}"
wrapper_requires etcd go.etcd.io/etcd/server/v3 "${ETCD_VERSION}"
wrapper_requires kwok sigs.k8s.io/kwok "${KWOK_VERSION}"

all_present() {
  [[ -f "${STAMP}" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "${BIN}/${b}" ]] || return 1; done
}

if [[ "${mode}" == print ]]; then
  all_present || die "not built yet at ${BIN}: run bash build/control-plane.sh (or make control-plane)"
  echo "${BIN}"
  exit 0
fi

reuse() { say "reusing ${BIN} ($(sed -n 5p "${STAMP}"))"; echo "${BIN}"; exit 0; }
all_present && reuse

# ---- preflight: Go ----------------------------------------------------------------------
command -v go >/dev/null \
  || die "'go' is not on PATH. The control plane is built from Go modules and needs Go >= 1.26.0
  (these machines have Go 1.26.8); install it (e.g. from https://go.dev/dl/) and run again."
export GOTOOLCHAIN=local     # never download a toolchain: only Go modules
export GOWORK=off            # a go.work above the repository must not take part
export CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"
need_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "${HERE}/k8s/go.mod")"
have_go="$(go env GOVERSION)"; have_go="${have_go#go}"
if [[ "$(printf '%s\n%s\n' "${need_go}" "${have_go%%[!0-9.]*}" | sort -V | head -n1)" != "${need_go}" ]]; then
  die "Go ${have_go} is too old: the wrapper modules (and k8s.io/kubernetes ${K8S_VERSION}) need Go >= ${need_go}"
fi

mkdir -p "${OUT}"
# One build at a time per cache folder: a second caller waits, then finds the stamp.
if command -v flock >/dev/null; then
  exec 9>"${OUT}/.lock"
  if ! flock -n 9; then
    say "another build holds ${OUT}/.lock; waiting for it"
    flock 9
  fi
  all_present && reuse
fi

LOG_DIR="${OUT}/logs"
mkdir -p "${LOG_DIR}"
heartbeat_pid=""
cleanup() { [[ -n "${heartbeat_pid}" ]] && kill "${heartbeat_pid}" 2>/dev/null; return 0; }
trap cleanup EXIT

# Runs a go command in a wrapper module, its output on stderr and in a log; on failure, tells
# a proxy that cannot be reached apart from other failures.
gorun() { # label dir go-args...
  local label="$1" dir="$2" log rc=0; shift 2
  log="${LOG_DIR}/$(echo "${label}" | tr -c 'a-zA-Z0-9.\n' '-' | sed 's/-\{2,\}/-/g; s/-$//').log"
  (cd "${HERE}/${dir}" && go "$@") 2>&1 | tee "${log}" >&2 || rc=$?   # pipefail: go's status
  if (( rc != 0 )); then
    if grep -Eq 'dial tcp|no such host|connection refused|i/o timeout|TLS handshake|proxyconnect|GOPROXY=off|module lookup disabled|Forbidden|404 Not Found|410 Gone|unexpected EOF|connection reset' "${log}"; then
      die "${label}: could not download Go modules from the module proxy (GOPROXY=$(go env GOPROXY)).
  The first build downloads ~270 modules (~1.2 GB) through it; check the network or GOPROXY
  and run again (modules already downloaded are kept in $(go env GOMODCACHE)). Log: ${log}"
    elif grep -Eq 'missing go.sum entry|updates to go.(mod|sum) needed|checksum mismatch|SECURITY ERROR' "${log}"; then
      die "${label}: build/control-plane/${dir}/go.sum does not match (built with -mod=readonly).
  After changing a version, run 'go mod tidy' in build/control-plane/${dir} and commit go.mod + go.sum. Log: ${log}"
    fi
    die "${label}: go $1 failed (exit ${rc}); see the messages above or ${log}"
  fi
}

step() { # label dir go-args...: progress, with a heartbeat, since Go compiles silently
  local label="$1" start; start=$(date +%s)
  say ">> ${label}"
  # (its sleep is killed with it, so no stray process holds the script's output open afterwards)
  ( trap 'kill "${s:-}" 2>/dev/null; exit 0' TERM
    while :; do sleep 60 & s=$!; wait "${s}"; say "   ... ${label}: $(( $(date +%s) - start ))s"; done
  ) 9>&- >&2 &
  heartbeat_pid=$!
  gorun "$@"
  kill "${heartbeat_pid}" 2>/dev/null || true; wait "${heartbeat_pid}" 2>/dev/null || true
  heartbeat_pid=""
  say "<< ${label}: $(( $(date +%s) - start ))s"
}

total_start=$(date +%s)
say "building ${NAME} into ${BIN}"
say "$(go env GOVERSION), GOPROXY=$(go env GOPROXY), module cache $(go env GOMODCACHE), build cache $(go env GOCACHE)"
say "a first build takes 10-20 minutes on 2 cores (~270 module downloads, ~1.2 GB modules, ~4 GB build cache)"

# The wrapper modules must really select the versions named above (this resolves the module
# graph: the first contact with the module proxy).
check_version() { # dir module want
  gorun "resolve $1" "$1" list -m -f '{{.Version}}' "$2"
  local got; got="$(tail -n1 "${LOG_DIR}/resolve-$1.log")"
  [[ "${got}" == "$3" ]] || die "build/control-plane/$1/go.mod selects $2 ${got}, this script expects $3"
}
check_version k8s k8s.io/kubernetes "${K8S_VERSION}"
check_version etcd go.etcd.io/etcd/server/v3 "${ETCD_VERSION}"
check_version kwok sigs.k8s.io/kwok "${KWOK_VERSION}"

K8S_MAJOR="${K8S_VERSION#v}"; K8S_MAJOR="${K8S_MAJOR%%.*}"
K8S_MINOR="${K8S_VERSION#v*.}"; K8S_MINOR="${K8S_MINOR%%.*}"
k8s_x=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_x+=" -X ${pkg}.gitMajor=${K8S_MAJOR} -X ${pkg}.gitMinor=${K8S_MINOR}"
  k8s_x+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitCommit="
  k8s_x+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${BUILD_DATE}"
done

TMP="${OUT}/bin.tmp"
rm -rf "${TMP}"
mkdir -p "${TMP}"

# etcd first: small, and it proves the toolchain and the proxy work.
step "etcd ${ETCD_VERSION}" etcd build \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}" \
  -o "${TMP}/etcd" go.etcd.io/etcd/server/v3

step "kwok, kwokctl ${KWOK_VERSION}" kwok build \
  -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}" \
  -o "${TMP}/" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl

# One go build for the four: the packages they share are compiled once.
step "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ${K8S_VERSION}" k8s build \
  -ldflags "-s -w${k8s_x}" -o "${TMP}/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

# The version stamps took (output captured first: `cmd | grep -q` breaks under pipefail).
v="$("${TMP}/kube-apiserver" --version)"
[[ "${v}" == "Kubernetes ${K8S_VERSION}" ]] || die "kube-apiserver reports '${v}', expected Kubernetes ${K8S_VERSION}"
v="$("${TMP}/kubectl" version --client)"
[[ "${v}" == *"Client Version: ${K8S_VERSION}"* ]] || die "kubectl reports '${v}'"
v="$("${TMP}/etcd" --version)"
[[ "${v}" == *"etcd Version: ${ETCD_VERSION#v}"* ]] || die "etcd reports '${v}'"
v="$("${TMP}/kwokctl" --version)"
[[ "${v}" == *"version ${KWOK_VERSION}"* ]] || die "kwokctl reports '${v}'"

rm -rf "${BIN}"
mv "${TMP}" "${BIN}"
total=$(( $(date +%s) - total_start ))
{
  echo "k8s.io/kubernetes ${K8S_VERSION}"
  echo "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  echo "sigs.k8s.io/kwok ${KWOK_VERSION}"
  echo "go $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in ${total}s"
  (cd "${BIN}" && sha256sum "${BINARIES[@]}")
} > "${STAMP}.tmp"
mv "${STAMP}.tmp" "${STAMP}"
say "built ${BIN} in ${total}s ($(du -sh "${BIN}" | cut -f1))"
echo "${BIN}"
