#!/usr/bin/env bash
# Builds the release tools from Go modules, through the committed wrapper modules in
# build/tools/<tool>/ (each a go.mod + go.sum, nothing else), into a cache outside the repository:
#
#   ${TOOLS_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/mai-operator/tools}/<tool>-<version>/<tool>
#
#   helm   helm.sh/helm/v4/cmd/helm                         v4.3.2   (chart lint, template, install, package)
#   crane  github.com/google/go-containerregistry/cmd/crane v0.22.1  (image layers and tarballs, no daemon)
#   promtool github.com/prometheus/prometheus/cmd/promtool  v0.316.0 (Prometheus 3.x: alert rules, checks)
#
# A tool that is already there (with its STAMP) is reused in milliseconds. A first build takes
# about 2 minutes for helm and 30 s for crane on 2 cores with a warm Go module cache.
#
# Usage:
#   bash build/tools.sh helm|crane|promtool build if needed; prints the binary's path (last line)
#   bash build/tools.sh --print <tool>      print the path if built, else exit 1; never builds
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools"
CACHE_ROOT="${TOOLS_CACHE_ROOT:-${XDG_CACHE_HOME:-${HOME}/.cache}/mai-operator/tools}"

say() { echo "tools: $*" >&2; }
die() { echo "tools: ERROR: $*" >&2; exit 1; }

mode=build
if [[ "${1:-}" == --print ]]; then mode=print; shift; fi
tool="${1:-}"
case "${tool}" in
  helm)  module=helm.sh/helm/v4; version=v4.3.2; pkg=helm.sh/helm/v4/cmd/helm
         ldflags="-X helm.sh/helm/v4/internal/version.version=${version}" ;;
  crane) module=github.com/google/go-containerregistry; version=v0.22.1
         pkg=github.com/google/go-containerregistry/cmd/crane
         ldflags="-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=${version}" ;;
  promtool) module=github.com/prometheus/prometheus; version=v0.316.0
         pkg=github.com/prometheus/prometheus/cmd/promtool
         ldflags="-X github.com/prometheus/common/version.Version=3.16.0" ;;
  -h|--help|"") sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown tool '${tool}' (helm, crane or promtool)" ;;
esac

OUT="${CACHE_ROOT}/${tool}-${version}"
BIN="${OUT}/${tool}"
if [[ -x "${BIN}" && -f "${OUT}/STAMP" ]]; then
  [[ "${mode}" == print ]] || say "reusing ${BIN}"
  echo "${BIN}"; exit 0
fi
[[ "${mode}" == print ]] && die "${tool} is not built yet: run bash build/tools.sh ${tool}"

grep -Eq "^[[:space:]]*(require[[:space:]]+)?${module}[[:space:]]+${version}([[:space:]]|$)" "${HERE}/${tool}/go.mod" \
  || die "build/tools/${tool}/go.mod does not require ${module} ${version}, which build/tools.sh names; update both together"
command -v go >/dev/null || die "'go' is not on PATH: ${tool} is built from Go modules and needs Go >= 1.26.0"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"

mkdir -p "${OUT}"
exec 9>"${OUT}/.lock"
flock 9
if [[ -x "${BIN}" && -f "${OUT}/STAMP" ]]; then echo "${BIN}"; exit 0; fi

start=$(date +%s)
say "building ${tool} ${version} from Go modules into ${OUT} (about 2 minutes the first time)"
log="${OUT}/build.log"
if ! (cd "${HERE}/${tool}" && go build -ldflags "-s -w ${ldflags}" -o "${BIN}.tmp" "${pkg}") >"${log}" 2>&1; then
  cat "${log}" >&2
  if grep -Eq 'dial tcp|no such host|connection refused|i/o timeout|proxyconnect|GOPROXY=off' "${log}"; then
    die "${tool}: could not download Go modules from the module proxy (GOPROXY=$(go env GOPROXY))"
  elif grep -Eq 'missing go.sum entry|updates to go.(mod|sum) needed|checksum mismatch' "${log}"; then
    die "${tool}: build/tools/${tool}/go.sum does not match; run 'go mod download' there after a version change and commit it"
  fi
  die "${tool}: go build failed; log in ${log}"
fi
mv "${BIN}.tmp" "${BIN}"
{ echo "${module} ${version}"; go env GOVERSION; date -u +%FT%TZ; sha256sum "${BIN}" | cut -d' ' -f1; } >"${OUT}/STAMP"
say "built ${tool} ${version} in $(( $(date +%s) - start ))s"
echo "${BIN}"
