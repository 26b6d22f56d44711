#!/usr/bin/env bash
# Writes the release artifacts of the pom's version into target/release/ (make release, which first
# runs make package and make image-tarball):
#
#   mai-operator-<version>.oci.tar    the linux/amd64 image: an OCI image layout in a tar (make image-tarball)
#   image-digest.txt                  the digest of that image's manifest (sha256:...): the digest a registry
#                                     shows once the layout is pushed as it is (see PUSH below)
#   install.yaml                      the MaiClient CRD (crds/) and the Kustomize base (deploy/), the image
#                                     set by digest: <IMAGE_REPOSITORY>@<digest>
#   mai-operator-<version>.tgz        the Helm chart (deploy/helm/mai-operator), version and appVersion the
#                                     pom's, its values naming the image by the same repository and digest
#   mai-operator-<version>.cdx.json   a CycloneDX SBOM of the operator's compile and runtime dependencies
#                                     (cyclonedx-maven-plugin, configured in the pom)
#   mai-operator-<version>.packages.txt  the image's Debian packages with their versions (the JRE among them)
#   SHA256SUMS                        sha256sum of everything above
#
# The digest is the one in the layout's index.json (its one manifest, whose blob is checked against it).
# PUSH: `crane push <directory> <ref>` of the unpacked layout uploads those manifest bytes unchanged;
# `crane push <file>.oci.tar <ref>` does NOT: it reads the file as a Docker archive (its manifest.json)
# and uploads a newly encoded manifest with another digest, one install.yaml does not name. The checks
# at the end push the unpacked layout into a crane registry on loopback and compare the digests.
#
# Then it checks what it wrote and fails when anything is off: install.yaml parses as Kubernetes
# objects, has the CRD and one Deployment, and every container image in it is <repository>@<digest>;
# the chart passes helm lint --strict, renders the same image, and carries the version; the SBOM is
# CycloneDX JSON of this version with the fabric8 client and Quarkus in it and no test dependency; the
# tarball's digest is image-digest.txt's; SHA256SUMS verifies.
#
# Usage:
#   bash build/release.sh
# Environment: IMAGE_REPOSITORY (default mai-operator, the name deploy/ uses: the registry repository
# the image will be pushed to, without tag or digest), MVN (default: mvn -B -ntp).
# Needs: target/quarkus-app (make package), the image tarball (make image-tarball), the control plane's
# kubectl (make control-plane), jq, and helm and crane (build/tools.sh builds them when missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

say() { echo "release: $*" >&2; }
die() { echo "release: ERROR: $*" >&2; exit 1; }

# The project's version, read where build/image.sh reads it, so the tarball's name and every artifact agree.
VERSION="$(bash build/version.sh)"
IMAGE_REPOSITORY="${IMAGE_REPOSITORY:-mai-operator}"
MVN="${MVN:-mvn -B -ntp}"
CRD=crds/maiclients.mai.dev-v1.yml
CHART=deploy/helm/mai-operator
IMAGE_TAR="target/image/mai-operator-${VERSION}-linux-amd64.oci.tar"
OUT=target/release
TAR_NAME="mai-operator-${VERSION}.oci.tar"
PACKAGES="mai-operator-${VERSION}.packages.txt"
CHART_TGZ="mai-operator-${VERSION}.tgz"
SBOM="mai-operator-${VERSION}.cdx.json"

# A repository reference as registries accept it: lower-case path components, an optional host with a
# port; no tag and no digest, because the release appends the digest itself.
repo_re='^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$'
[[ "${IMAGE_REPOSITORY}" =~ ${repo_re} ]] \
  || die "IMAGE_REPOSITORY '${IMAGE_REPOSITORY}' is not a repository name: lower-case letters, digits, '.', '_', '-' and '/' (an optional registry host[:port]/ first), without a :tag or @digest"

[[ -f target/quarkus-app/quarkus-run.jar ]] || die "target/quarkus-app is missing: run make package first"
[[ -f "${IMAGE_TAR}" ]] || die "${IMAGE_TAR} is missing: run make image-tarball first"
command -v jq >/dev/null || die "jq is not on PATH (Debian package jq)"
BIN="$(bash build/control-plane.sh --print-bin)" || die "the control plane's kubectl is not built: run make control-plane"
KUBECTL="${BIN}/kubectl"
HELM="$(bash build/tools.sh helm | tail -n 1)"
CRANE="$(bash build/tools.sh crane | tail -n 1)"

# Under target/ so that the temporary kustomization can name deploy/ by a relative path.
mkdir -p target
WORK="$(mktemp -d "${ROOT}/target/release-work.XXXXXX")"
REGISTRY_PID=""
cleanup() {
  [[ -z "${REGISTRY_PID}" ]] || kill "${REGISTRY_PID}" 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

# Prints the manifest digest of the OCI layout in tarball $1, after checking that index.json lists
# exactly one image manifest and that the manifest's blob in the tarball has that digest.
layout_digest() {
  local tarball="$1" index digest media blob_sum
  index="$(tar -xOf "${tarball}" index.json)" || die "${tarball} has no index.json: not an OCI image layout"
  [[ "$(jq '.manifests | length' <<<"${index}")" == 1 ]] \
    || die "${tarball}: index.json must list exactly one manifest, it lists $(jq '.manifests | length' <<<"${index}")"
  digest="$(jq -r '.manifests[0].digest' <<<"${index}")"
  media="$(jq -r '.manifests[0].mediaType' <<<"${index}")"
  [[ "${media}" == application/vnd.oci.image.manifest.v1+json ]] \
    || die "${tarball}: index.json's manifest has media type ${media}, not an OCI image manifest"
  [[ "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]] || die "${tarball}: index.json's digest '${digest}' is not sha256:<64 hex>"
  blob_sum="$(tar -xOf "${tarball}" "blobs/sha256/${digest#sha256:}" | sha256sum | cut -d' ' -f1)" \
    || die "${tarball}: the manifest blob ${digest} is missing"
  [[ "sha256:${blob_sum}" == "${digest}" ]] || die "${tarball}: the manifest blob's sha256 is ${blob_sum}, index.json says ${digest}"
  echo "${digest}"
}

write_image() {
  cp "${IMAGE_TAR}" "${OUT}/${TAR_NAME}"
  [[ -s "${IMAGE_TAR%.oci.tar}.packages.txt" ]] || die "${IMAGE_TAR%.oci.tar}.packages.txt is missing: run make image-tarball"
  cp "${IMAGE_TAR%.oci.tar}.packages.txt" "${OUT}/${PACKAGES}"
  DIGEST="$(layout_digest "${OUT}/${TAR_NAME}")"
  echo "${DIGEST}" >"${OUT}/image-digest.txt"
  IMAGE_REF="${IMAGE_REPOSITORY}@${DIGEST}"
  say "image ${TAR_NAME}: manifest ${DIGEST}"
}

write_install_yaml() {
  local k="${WORK}/kustomize"
  mkdir -p "${k}"
  # The base's images entry renames mai-operator to mai-operator:<tag>; this one, applied to the base's
  # output, replaces name and tag with the repository and the digest.
  cat >"${k}/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../deploy
images:
  - name: mai-operator
    newName: ${IMAGE_REPOSITORY}
    digest: ${DIGEST}
EOF
  "${KUBECTL}" kustomize "${k}" >"${WORK}/base.yaml" || die "kubectl kustomize deploy failed"
  {
    cat <<EOF
# mai-operator ${VERSION}: the MaiClient CRD and the operator (the Kustomize base deploy/ of commit
# $(git rev-parse --short HEAD 2>/dev/null || echo unknown)), the image by digest: ${IMAGE_REF}
#
# 1. Push the image so that the registry keeps this digest: push the unpacked OCI layout, not the tar
#    file (crane push <file>.tar reads it as a Docker archive and pushes a re-encoded manifest with
#    another digest):
#      mkdir layout && tar -xf ${TAR_NAME} -C layout
#      crane push layout ${IMAGE_REPOSITORY}:${VERSION}     # prints ${IMAGE_REF}
#    For another repository, build the release again: make release IMAGE_REPOSITORY=<registry>/<name>.
# 2. Create the namespace mai-system and the Secret mai-operator-management-key with the OpenRouter
#    management key in its entry management-key, with kubectl create (docs/install.md, "With
#    Kustomize", step 3). This file holds that Secret WITHOUT data, so applying it never overwrites the key.
# 3. kubectl apply -f install.yaml
# Never kubectl delete -f install.yaml while MaiClients exist: it deletes the CRD and with it every
# MaiClient, whose keys the operator, still stopping, revokes. Uninstall as docs/install.md, "Uninstall" says:
# kubectl delete maiclients --all -A first (each key revoked or retained by its deletionPolicy).
EOF
    cat "${CRD}"
    echo "---"
    cat "${WORK}/base.yaml"
  } >"${OUT}/install.yaml"
  say "install.yaml: ${CRD} and deploy/ with ${IMAGE_REF}"
}

write_chart() {
  local chart="${WORK}/chart/mai-operator" values strays
  # helm package takes every file of the folder that .helmignore does not name: a file git does not
  # track there (a values file with someone's settings, a management-key file) would ship in the chart
  strays="$(git ls-files --others -- "${CHART}" 2>/dev/null || true)"
  [[ -z "${strays}" ]] || die "files in ${CHART} that git does not track would be packaged into the chart; remove them: ${strays//$'\n'/ }"
  mkdir -p "${WORK}/chart"
  cp -r "${CHART}" "${chart}"
  values="${chart}/values.yaml"
  # Only the image block's repository and digest lines; the rest of values.yaml (and its comments) stays.
  sed -i -e "/^image:/,/^[^ #]/ {
      s|^  repository: .*|  repository: ${IMAGE_REPOSITORY}|
      s|^  digest: .*|  digest: \"${DIGEST}\"|
    }" "${values}"
  grep -qx "  repository: ${IMAGE_REPOSITORY}" "${values}" && grep -qx "  digest: \"${DIGEST}\"" "${values}" \
    || die "could not set image.repository and image.digest in the chart's values.yaml (its image block changed?)"
  "${HELM}" package "${chart}" --version "${VERSION}" --app-version "${VERSION}" --destination "${OUT}" >/dev/null \
    || die "helm package failed"
  [[ -f "${OUT}/${CHART_TGZ}" ]] || die "helm package did not write ${OUT}/${CHART_TGZ}"
  say "chart ${CHART_TGZ}: image ${IMAGE_REF}"
}

write_sbom() {
  # cyclonedx-maven-plugin's goals refuse Maven's offline mode (-o), so MVN must not carry it; with the
  # plugin and the dependencies in the local repository nothing is downloaded.
  ${MVN} -q cyclonedx:makeBom || die "mvn cyclonedx:makeBom failed"
  [[ -f "target/${SBOM}" ]] || die "cyclonedx:makeBom did not write target/${SBOM}"
  cp "target/${SBOM}" "${OUT}/${SBOM}"
  say "SBOM ${SBOM}: $(jq '.components | length' "${OUT}/${SBOM}") components"
}

# Prints "<kind>/<name> <image>" for every container and init container of the objects in YAML file $1
# (parsed by kubectl, without a cluster; a document that is no Kubernetes object fails).
images_in() {
  KUBECONFIG=/dev/null "${KUBECTL}" label --local -f "$1" mai.dev/release-check=1 -o json \
    | jq -rs '.[] | . as $o | (.spec.template.spec // {}) | ((.containers // []) + (.initContainers // []))[]
              | "\($o.kind)/\($o.metadata.name) \(.image)"'
}

check_images() { # file what
  local images bad
  images="$(images_in "$1")" || die "$2 does not parse as Kubernetes objects"
  [[ "$(grep -c '^Deployment/' <<<"${images}")" == 1 ]] || die "$2: expected one Deployment container, found: ${images}"
  bad="$(awk -v want="${IMAGE_REF}" '$2 != want' <<<"${images}")"
  [[ -z "${bad}" ]] || die "$2: images other than ${IMAGE_REF}: ${bad}"
}

check_install_yaml() {
  local k="${WORK}/check-install"
  mkdir -p "${k}" && cp "${OUT}/install.yaml" "${k}/"
  printf 'resources:\n  - install.yaml\n' >"${k}/kustomization.yaml"
  "${KUBECTL}" kustomize "${k}" >/dev/null || die "install.yaml does not build as a set of Kubernetes objects (kubectl kustomize)"
  KUBECONFIG=/dev/null "${KUBECTL}" label --local -f "${OUT}/install.yaml" x=y -o json \
    | jq -se 'map(select(.kind == "CustomResourceDefinition" and .metadata.name == "maiclients.mai.dev")) | length == 1' >/dev/null \
    || die "install.yaml lacks the CRD maiclients.mai.dev"
  check_images "${OUT}/install.yaml" install.yaml
}

check_chart() {
  local meta
  "${HELM}" lint --strict "${OUT}/${CHART_TGZ}" >"${WORK}/lint.log" 2>&1 || { cat "${WORK}/lint.log" >&2; die "helm lint --strict ${CHART_TGZ} failed"; }
  meta="$("${HELM}" show chart "${OUT}/${CHART_TGZ}")"
  grep -qx "version: ${VERSION}" <<<"${meta}" && grep -qx "appVersion: ${VERSION}" <<<"${meta}" \
    || die "${CHART_TGZ}'s Chart.yaml does not carry version and appVersion ${VERSION}: ${meta}"
  "${HELM}" template mai-operator "${OUT}/${CHART_TGZ}" --namespace mai-system >"${WORK}/rendered.yaml" \
    || die "helm template ${CHART_TGZ} failed"
  check_images "${WORK}/rendered.yaml" "${CHART_TGZ} rendered"
}

check_sbom() {
  jq -e --arg v "${VERSION}" '
      .bomFormat == "CycloneDX" and (.specVersion | test("^1\\.[56]$"))
      and .metadata.component.name == "mai-operator" and .metadata.component.version == $v
      and any(.components[]; .group == "io.fabric8" and .name == "kubernetes-client")
      and any(.components[]; .group == "io.quarkus" and .name == "quarkus-core")
      and all(.components[]; (.group | test("^(org\\.junit|org\\.assertj|com\\.tngtech\\.archunit|org\\.awaitility)")) | not)' \
    "${OUT}/${SBOM}" >/dev/null \
    || die "${SBOM} is not the CycloneDX SBOM expected (bomFormat, version ${VERSION}, kubernetes-client and quarkus-core in, no test libraries)"
}

# The digest a registry shows after the documented push: the unpacked layout pushed with crane into a
# registry on loopback (in memory, for this check only).
check_pushed_digest() {
  local layout="${WORK}/layout" port="" pushed
  [[ "$(layout_digest "${OUT}/${TAR_NAME}")" == "$(cat "${OUT}/image-digest.txt")" ]] \
    || die "${TAR_NAME}'s digest differs from image-digest.txt"
  mkdir -p "${layout}" && tar -xf "${OUT}/${TAR_NAME}" -C "${layout}"
  "${CRANE}" registry serve --address 127.0.0.1:0 >"${WORK}/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 100); do
    port="$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "${WORK}/registry.log" | head -n 1)"
    [[ -n "${port}" ]] && break
    kill -0 "${REGISTRY_PID}" 2>/dev/null || { cat "${WORK}/registry.log" >&2; die "crane registry serve stopped"; }
    sleep 0.1
  done
  [[ -n "${port}" ]] || die "crane registry serve did not say its port"
  pushed="$("${CRANE}" push "${layout}" "127.0.0.1:${port}/mai-operator:${VERSION}" 2>"${WORK}/push.log")" \
    || { cat "${WORK}/push.log" >&2; die "crane push of the unpacked layout failed"; }
  kill "${REGISTRY_PID}" 2>/dev/null || true
  REGISTRY_PID=""
  [[ "${pushed##*@}" == "${DIGEST}" ]] || die "crane push of the unpacked layout gave ${pushed##*@}, image-digest.txt says ${DIGEST}"
}

start=$(date +%s)
rm -rf "${OUT}" && mkdir -p "${OUT}"
write_image
write_install_yaml
write_chart
write_sbom
(cd "${OUT}" && sha256sum "${TAR_NAME}" image-digest.txt install.yaml "${CHART_TGZ}" "${SBOM}" "${PACKAGES}" >SHA256SUMS)

check_install_yaml
check_chart
check_sbom
check_pushed_digest
(cd "${OUT}" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not verify"

say "mai-operator ${VERSION} in ${OUT}/ ($(( $(date +%s) - start ))s), image ${IMAGE_REF}:"
(cd "${OUT}" && ls -l "${TAR_NAME}" image-digest.txt install.yaml "${CHART_TGZ}" "${SBOM}" "${PACKAGES}" SHA256SUMS) >&2
