#!/usr/bin/env bash
# Smoke test: kwokctl --runtime binary with locally built binaries, bound to 127.0.0.1;
# one fake node, a 1-replica Deployment whose pod must become Ready; cluster deleted at
# the end. Usage: kwokctl-cluster.sh [bin-dir] (default: the one build/control-plane.sh built)
set -euo pipefail
BIN="${1:-$(bash "$(dirname "$0")/../../control-plane.sh" --print-bin)}"
D="$(mktemp -d /tmp/kwok-smoke.XXXXXX)"
export PATH="$BIN:$PATH"                 # kubectl must be on PATH, else kwokctl downloads it
export KWOK_WORKDIR="$D/workdir"          # instead of ~/.kwok
KC="$D/kubeconfig"                        # instead of ~/.kube/config
NAME=smoke
cat > "$D/kwok.yaml" <<'YAML'
kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  runtime: binary
  bindAddress: 127.0.0.1
YAML
cleanup() { kwokctl --name "$NAME" delete cluster --kubeconfig "$KC" || true; echo "workdir was $D"; }
trap cleanup EXIT

start=$(date +%s)
kwokctl --name "$NAME" create cluster --config "$D/kwok.yaml" --kubeconfig "$KC" \
  --runtime binary \
  --etcd-binary "$BIN/etcd" \
  --kube-apiserver-binary "$BIN/kube-apiserver" \
  --kube-controller-manager-binary "$BIN/kube-controller-manager" \
  --kube-scheduler-binary "$BIN/kube-scheduler" \
  --kwok-controller-binary "$BIN/kwok" \
  ${EXTRA_ARGS:-} \
  --wait 120s
echo "cluster created in $(( $(date +%s) - start ))s"
kwokctl --name "$NAME" scale node --replicas 1
k() { kubectl --kubeconfig "$KC" --context "kwok-$NAME" "$@"; }
k get --raw /version; echo
k version
k wait --for=condition=Ready node --all --timeout=60s
k get nodes -o wide
k create deployment web --image=nginx --replicas=1
k rollout status deployment/web --timeout=120s
k wait --for=condition=Ready pod -l app=web --timeout=60s
k get pods -o wide
echo "listening sockets of this cluster:"
ss -ltnp | grep -E 'etcd|kube-|kwok' || true
