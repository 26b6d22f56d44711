#!/usr/bin/env bash
# Builds the operator's linux/amd64 OCI image as a tarball, without a container engine or a registry
# to pull from:
#
#   target/image/mai-operator-<version>-linux-amd64.oci.tar
#   target/image/mai-operator-<version>-linux-amd64.packages.txt   (the base's Debian packages and versions)
#
# The tarball is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that also carries
# Docker's manifest.json, as `docker save` >= 25 writes it, so each of these takes the file as it is:
#   skopeo copy oci-archive:<tar> docker://<registry>/mai-operator:<version>
#   docker load -i <tar>                        (Docker >= 25; tagged mai-operator:<version>)
#   mkdir layout && tar -xf <tar> -C layout && crane push layout <registry>/mai-operator:<version>
# all three keep the manifest digest that make release writes into install.yaml and the chart, except
# `crane push <tar>` (the file, not the unpacked layout), which re-encodes the manifest: another digest.
#
# Layers, bottom to top (the same recipe as src/main/docker/Dockerfile.jvm, which `make image` builds
# with Docker from debian:bookworm-slim):
#   1. the base: Debian bookworm minbase (debootstrap) with openjdk-17-jre-headless, upgraded from
#      bookworm-updates and bookworm-security, without apt lists, caches, logs, man and doc pages
#      (the copyright files stay), with the user and group mai-operator (185:185);
#   2. /deployments/lib/ of the Quarkus fast-jar (changes less often than the application);
#   3. the rest of target/quarkus-app in /deployments.
# The application's files are root's and read-only to everyone else: the operator's user cannot change
# its own code. No setuid or setgid file is left in the base.
# Entrypoint: java directly (the flags are listed in ENTRYPOINT below), user 185:185, working dir
# /deployments, port 8080, OCI labels.
#
# The base needs root (debootstrap and chroot) and Debian's mirrors (apt's sources); debootstrap is
# taken from Debian with `apt-get download` and run from a folder, never installed. The base layer is
# cached outside the repository and reused while its recipe is unchanged and it is younger than
# IMAGE_BASE_MAX_AGE_DAYS (7: security updates come in with a rebuild):
#   ${IMAGE_BASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mai-operator/image-base}/<recipe hash>/
# The application layers have fixed timestamps (the last commit's time), so rebuilding the same commit
# on the same cached base gives the same image digest.
#
# Usage:
#   bash build/image.sh [version]     version defaults to the pom's; needs target/quarkus-app (make package)
# Environment: DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, IMAGE_BASE_CACHE, IMAGE_BASE_MAX_AGE_DAYS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

say() { echo "image: $*" >&2; }
die() { echo "image: ERROR: $*" >&2; exit 1; }

VERSION="${1:-$(bash build/version.sh)}"
APP="target/quarkus-app"
OUT_DIR="target/image"
OUT="${OUT_DIR}/mai-operator-${VERSION}-linux-amd64.oci.tar"
SUITE=bookworm
ARCH=amd64
PACKAGES=openjdk-17-jre-headless
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
CACHE_ROOT="${IMAGE_BASE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/mai-operator/image-base}"
MAX_AGE_DAYS="${IMAGE_BASE_MAX_AGE_DAYS:-7}"
SOURCE_URL="https://github.com/mai-dev/mai-operator"
# The image's unprivileged user; deploy/operator/deployment.yaml runs the pod as the same uid and gid.
USER_ID=185
# JVM flags (DeployManifestsTest keeps them equal to the Dockerfile's ENTRYPOINT):
# - heap at most half the container's memory: the rest is metaspace, threads and Netty's buffers;
# - on OutOfMemoryError the JVM exits and Kubernetes restarts the pod;
# - never a heap dump: the informer cache holds every tenant's OpenRouter key, and a dump would write
#   them all to disk. Never add -XX:+HeapDumpOnOutOfMemoryError.
# More JVM options go into JAVA_TOOL_OPTIONS, which every JVM reads.
ENTRYPOINT=(/usr/bin/java -XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -XX:-HeapDumpOnOutOfMemoryError
  -Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager
  -jar /deployments/quarkus-run.jar)

[[ -f "${APP}/quarkus-run.jar" && -d "${APP}/lib" ]] || die "${APP} is missing or incomplete: run make package first"

# --- the base layer --------------------------------------------------------------------------------

# Writes ${1}/layer.tar.gz and ${1}/packages.txt (every installed package with its version).
build_base() {
  local dir="$1" work
  [[ "$(id -u)" == 0 ]] || die "the base is built with debootstrap and chroot, which need root"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "building the base needs apt-get and dpkg-deb (Debian)"
  work="$(mktemp -d "${CACHE_ROOT}/.build.XXXXXX")"
  trap "umount '${work}/rootfs/proc' 2>/dev/null || true; unmounted '${work}' && rm -rf --one-file-system '${work}'" EXIT
  (cd "${work}" && apt-get download -q -o APT::Sandbox::User=root debootstrap >/dev/null) || die "apt-get download debootstrap failed"
  dpkg-deb -x "${work}"/debootstrap_*.deb "${work}/debootstrap"
  local rootfs="${work}/rootfs" log="${dir}.log"
  say "debootstrap ${SUITE} (${ARCH}, minbase, ${PACKAGES}) from ${MIRROR}; log in ${log}"
  # Debian's signatures checked, or no base: without the keyring file debootstrap only warns and goes on
  # unverified over plain http (hosts other than Debian lack it: apt-get install debian-archive-keyring).
  [[ -f "${KEYRING}" ]] || die "${KEYRING} is missing: debootstrap could not check Debian's signatures (apt-get install debian-archive-keyring)"
  DEBOOTSTRAP_DIR="${work}/debootstrap/usr/share/debootstrap" "${work}/debootstrap/usr/sbin/debootstrap" \
    --force-check-gpg --keyring="${KEYRING}" --variant=minbase --arch="${ARCH}" --include="${PACKAGES}" "${SUITE}" "${rootfs}" "${MIRROR}" >"${log}" 2>&1 \
    || { tail -n 30 "${log}" >&2; die "debootstrap failed; log in ${log}"; }

  # What debian:bookworm-slim excludes, so the upgrade below brings no docs either.
  cat >"${rootfs}/etc/dpkg/dpkg.cfg.d/excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"${rootfs}/etc/apt/sources.list" <<EOF
deb ${MIRROR} ${SUITE} main
deb ${MIRROR} ${SUITE}-updates main
deb ${SECURITY_MIRROR} ${SUITE}-security main
EOF
  mount -t proc proc "${rootfs}/proc"
  say "upgrading from ${SUITE}-updates and ${SUITE}-security"
  chroot "${rootfs}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >>"${log}" 2>&1 \
    && chroot "${rootfs}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y upgrade >>"${log}" 2>&1 \
    || { tail -n 30 "${log}" >&2; die "apt-get upgrade in the base failed; log in ${log}"; }
  chroot "${rootfs}" groupadd --gid "${USER_ID}" mai-operator >>"${log}" 2>&1
  chroot "${rootfs}" useradd --uid "${USER_ID}" --gid "${USER_ID}" --no-create-home --no-log-init \
    --home-dir /deployments --shell /usr/sbin/nologin mai-operator >>"${log}" 2>&1
  chroot "${rootfs}" dpkg-query -W -f '${Package} ${Version}\n' >"${work}/packages.txt"
  umount "${rootfs}/proc"
  unmounted "${work}" || die "something is still mounted in ${work}; not cleaning it"
  clean_rootfs "${rootfs}"

  # One layer, entries without a leading ./, sorted, owners as numbers.
  (cd "${rootfs}" && LC_ALL=C ls -A | LC_ALL=C sort) >"${work}/top"
  tar --create --directory "${rootfs}" --one-file-system --sort=name --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime --files-from "${work}/top" \
    | gzip -n >"${work}/layer.tar.gz"
  mv "${work}/layer.tar.gz" "${work}/packages.txt" "${dir}/"
  rm -rf --one-file-system "${work}"
  trap - EXIT
}

# True when nothing is mounted at or below $1: the removals below must never reach through a mount
# (debootstrap mounts /proc, /sys and, in some containers, the host's /dev into its target).
unmounted() {
  ! awk -v p="$1" '$2 == p || index($2, p "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts
}

# Removes what only the build used: apt lists and caches, .deb files, logs, docs, the host's resolver
# settings that debootstrap copied in, and device nodes (the container runtime provides /dev).
clean_rootfs() {
  local r="$1"
  rm -rf --one-file-system "${r}"/var/lib/apt/lists/* "${r}"/var/cache/apt/* "${r}"/var/cache/debconf/*-old "${r}"/var/lib/dpkg/*-old \
    "${r}"/var/log/* "${r}"/var/cache/ldconfig/aux-cache "${r}"/tmp/* "${r}"/var/tmp/* "${r}"/root/.[!.]* \
    "${r}"/usr/share/man "${r}"/usr/share/groff "${r}"/usr/share/info "${r}"/usr/share/lintian "${r}"/usr/share/linda \
    "${r}"/usr/share/locale/* "${r}"/dev/* "${r}"/etc/resolv.conf "${r}"/etc/hostname
  find "${r}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "${r}/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "${r}" -xdev -name '*.deb' -delete
  # no setuid or setgid program (su, passwd, mount, ...): nothing in the image may raise privileges, also
  # where a runtime does not set no_new_privs (a plain docker run)
  find "${r}" -xdev -type f -perm /6000 -exec chmod ug-s {} +
}

base_key() {
  { declare -f build_base clean_rootfs; echo "${SUITE} ${ARCH} ${PACKAGES} ${MIRROR} ${SECURITY_MIRROR} ${USER_ID}"; } \
    | sha256sum | cut -c1-16
}

BASE="${CACHE_ROOT}/$(base_key)"
mkdir -p "${CACHE_ROOT}"
exec 9>"${CACHE_ROOT}/.lock"
flock 9
if [[ -f "${BASE}/layer.tar.gz" && -n "$(find "${BASE}/layer.tar.gz" -mtime "-${MAX_AGE_DAYS}")" ]]; then
  say "reusing the base layer ${BASE} (built $(date -u -r "${BASE}/layer.tar.gz" +%FT%TZ))"
else
  start=$(date +%s)
  rm -rf "${BASE}" && mkdir -p "${BASE}"
  build_base "${BASE}"
  say "built the base layer in $(( $(date +%s) - start ))s: $(du -h "${BASE}/layer.tar.gz" | cut -f1) compressed"
  # bases of other recipes, unused for as long as a base is kept: only folders named as base_key names
  # them, since IMAGE_BASE_CACHE may name a folder shared with other things (this runs as root)
  find "${CACHE_ROOT}" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
    ! -name "$(basename "${BASE}")" -mtime "+${MAX_AGE_DAYS}" -exec rm -rf --one-file-system {} \; -exec rm -f {}.log \;
fi
exec 9>&-

# --- the application layers ------------------------------------------------------------------------

CRANE="$(bash build/tools.sh crane | tail -n 1)"
EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mai-image.XXXXXX")"
REGISTRY_PID=""
cleanup() {
  [[ -z "${REGISTRY_PID}" ]] || kill "${REGISTRY_PID}" 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT
crane() {
  "${CRANE}" "$@" >>"${WORK}/crane.log" 2>&1 || { cat "${WORK}/crane.log" >&2; die "crane $1 failed"; }
}

# The fast-jar under deployments/ in a staging folder (hard links where possible: no copy of 40 MB).
mkdir -p "${WORK}/stage"
cp -al "${APP}" "${WORK}/stage/deployments" 2>/dev/null || cp -a "${APP}" "${WORK}/stage/deployments"
app_layer() {
  local out="$1"; shift
  tar --create --directory "${WORK}/stage" --sort=name --format=posix --mtime="@${EPOCH}" \
    --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "$@" | gzip -n >"${out}"
}
app_layer "${WORK}/lib.tar.gz" --no-recursion deployments --recursion deployments/lib
(cd "${WORK}/stage" && LC_ALL=C find deployments -mindepth 1 -maxdepth 1 ! -name lib | LC_ALL=C sort) >"${WORK}/rest"
app_layer "${WORK}/app.tar.gz" --files-from "${WORK}/rest"

# crane edits an image's config only in a registry: one on loopback, in memory, for this build.
"${CRANE}" registry serve --address 127.0.0.1:0 >"${WORK}/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do
  port="$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "${WORK}/registry.log" | head -n 1)"
  [[ -n "${port}" ]] && break
  kill -0 "${REGISTRY_PID}" 2>/dev/null || { cat "${WORK}/registry.log" >&2; die "crane registry serve stopped"; }
  sleep 0.1
done
[[ -n "${port:-}" ]] || { cat "${WORK}/registry.log" >&2; die "crane registry serve did not say its port"; }
REF="127.0.0.1:${port}/mai-operator:${VERSION}"

crane append --oci-empty-base -f "${BASE}/layer.tar.gz" -f "${WORK}/lib.tar.gz" -f "${WORK}/app.tar.gz" -t "${REF}"
entrypoint="$(IFS=,; echo "${ENTRYPOINT[*]}")"
crane mutate "${REF}" --set-platform "linux/${ARCH}" --user "${USER_ID}:${USER_ID}" --workdir /deployments \
  --exposed-ports 8080/tcp --entrypoint "${entrypoint}" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
  --label org.opencontainers.image.title=mai-operator \
  --label org.opencontainers.image.version="${VERSION}" \
  --label org.opencontainers.image.revision="${REVISION}" \
  --label org.opencontainers.image.source="${SOURCE_URL}" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  -t "${REF}"
crane pull --format=oci "${REF}" "${WORK}/layout"

# index.json names the image (docker load tags it from these) and its platform; manifest.json is
# Docker's index of the same blobs, for docker load and crane push.
layout="${WORK}/layout"
manifest_digest="$(jq -r '.manifests[0].digest' "${layout}/index.json")"
manifest="${layout}/blobs/sha256/${manifest_digest#sha256:}"
jq --arg version "${VERSION}" --arg arch "${ARCH}" \
  '.manifests[0] |= del(.artifactType) | .manifests[0] += {platform: {os: "linux", architecture: $arch},
                     annotations: {"org.opencontainers.image.ref.name": $version,
                                   "io.containerd.image.name": ("docker.io/library/mai-operator:" + $version)}}' \
  "${layout}/index.json" >"${layout}/index.json.new" && mv "${layout}/index.json.new" "${layout}/index.json"
jq --arg tag "mai-operator:${VERSION}" \
  '[{Config: ("blobs/sha256/" + (.config.digest | ltrimstr("sha256:"))), RepoTags: [$tag],
     Layers: [.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]}]' "${manifest}" >"${layout}/manifest.json"

mkdir -p "${OUT_DIR}"
(cd "${layout}" && LC_ALL=C find blobs -type f | LC_ALL=C sort) >"${WORK}/blobs"
tar --create --directory "${layout}" --format=posix --mtime="@${EPOCH}" --owner=0 --group=0 --numeric-owner \
  --mode=0644 --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --file "${OUT}.tmp" oci-layout index.json manifest.json --files-from "${WORK}/blobs"
mv "${OUT}.tmp" "${OUT}"
# what the base holds, package by package, next to the tarball (the SBOM covers only the Java side)
cp "${BASE}/packages.txt" "${OUT%.oci.tar}.packages.txt"
say "wrote ${OUT} ($(du -h "${OUT}" | cut -f1)), manifest ${manifest_digest}"
echo "${OUT}"
