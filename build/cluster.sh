#!/usr/bin/env bash
# A whole local Kubernetes cluster from the binaries build/control-plane.sh built: etcd,
# kube-apiserver, kube-controller-manager (garbage collector, namespace, Deployment, ReplicaSet,
# ResourceQuota controllers...), kube-scheduler and kwok's fake nodes, on which scheduled pods become
# Running and Ready without any container being run. Every component listens on 127.0.0.1 only.
#
#   build/cluster.sh up   [--name N] [--dir D] [--nodes K] [--volumes V]
#        start (or find running) cluster N; V PersistentVolumes of 10Gi (no storage class, hostPath
#        under D, reclaim policy Retain) for claims to bind to: kwok has no storage provisioner
#   build/cluster.sh down [--name N] [--dir D]               stop it and delete its files
#   build/cluster.sh operator-kubeconfig [--name N] [--dir D] [--namespace NS] [--service-account SA]
#        a kubeconfig with a 24-hour token of the ServiceAccount SA (default mai-system/mai-operator),
#        as the operator's pod would have; printed path: <dir>/operator.kubeconfig
#
# Defaults: name "mai", dir ~/.cache/mai-operator/cluster/<name>, 2 nodes. The admin kubeconfig is
# <dir>/kubeconfig (client certificate of system:masters). The tests (WholeCluster) use this script
# with their own name and directory. For a single-user development machine: etcd listens on
# 127.0.0.1 without TLS or authentication, so any local user can read everything the cluster stores
# (Secrets included); put no key there you would not show the machine's other users.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:-}"; shift || true
NAME=mai; DIR=""; NODES=2; VOLUMES=0; NS=mai-system; SA=mai-operator
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2;;
    --dir) DIR="$2"; shift 2;;
    --nodes) NODES="$2"; shift 2;;
    --volumes) VOLUMES="$2"; shift 2;;
    --namespace) NS="$2"; shift 2;;
    --service-account) SA="$2"; shift 2;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2;;
  esac
done
DIR="${DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mai-operator/cluster/$NAME}"
BIN="${MAI_CONTROL_PLANE_BIN:-$(bash "$HERE/control-plane.sh" --print-bin)}"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl; do
  [ -x "$BIN/$b" ] || { echo "cluster.sh: $BIN/$b is missing: run make control-plane" >&2; exit 1; }
done
export PATH="$BIN:$PATH"            # kwokctl runs kubectl from PATH (and would download one otherwise)
export KWOK_WORKDIR="$DIR/kwok"     # not ~/.kwok
KC="$DIR/kubeconfig"
k() { kubectl --kubeconfig "$KC" "$@"; }

case "$cmd" in
  up)
    [ ! -L "$DIR" ] || { echo "cluster.sh: $DIR is a symbolic link; refusing to use it" >&2; exit 1; }
    (umask 077; mkdir -p "$DIR")
    # the directory holds the cluster's keys and the kwokctl configuration naming the binaries it runs:
    # only ours, and only we may write it
    [ -O "$DIR" ] || { echo "cluster.sh: $DIR belongs to another user; refusing to use it" >&2; exit 1; }
    chmod 700 "$DIR"
    if [ -f "$KC" ] && k get --raw /readyz >/dev/null 2>&1; then
      echo "cluster $NAME is already running" >&2
    else
      # a cluster left by a killed run: remove it before creating it anew
      kwokctl --name "$NAME" delete cluster --kubeconfig "$KC" >/dev/null 2>&1 || true
      cat > "$DIR/kwokctl.yaml" <<'YAML'
kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  runtime: binary
  bindAddress: 127.0.0.1
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      # as hardened clusters run it: an owner reference that blocks its owner's deletion needs the
      # right to set finalizers on the owner
      - key: enable-admission-plugins
        value: OwnerReferencesPermissionEnforcement
YAML
      kwokctl --name "$NAME" create cluster --config "$DIR/kwokctl.yaml" --kubeconfig "$KC" \
        --etcd-binary "$BIN/etcd" \
        --kube-apiserver-binary "$BIN/kube-apiserver" \
        --kube-controller-manager-binary "$BIN/kube-controller-manager" \
        --kube-scheduler-binary "$BIN/kube-scheduler" \
        --kwok-controller-binary "$BIN/kwok" \
        --wait 300s >"$DIR/create.log" 2>&1 || { cat "$DIR/create.log" >&2; exit 1; }
      kwokctl --name "$NAME" scale node --replicas "$NODES" >>"$DIR/create.log" 2>&1
    fi
    k wait --for=condition=Ready node --all --timeout=300s >/dev/null
    # pods need the namespace's default ServiceAccount, which the controller manager creates
    for i in $(seq 1 120); do k -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done
    for i in $(seq 1 "$VOLUMES"); do
      cat <<EOF | k apply -f - >/dev/null
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-volume-$i
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "$DIR/volumes/$i"}
EOF
    done
    echo "$KC"
    ;;
  down)
    kwokctl --name "$NAME" delete cluster --kubeconfig "$KC" >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  operator-kubeconfig)
    [ -f "$KC" ] || { echo "cluster.sh: no cluster $NAME ($KC is missing): start it with make cluster, or name it with --name" >&2; exit 1; }
    token="$(k -n "$NS" create token "$SA" --duration=24h)"
    server="$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
    ca="$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')"
    out="$DIR/operator.kubeconfig"
    rm -f "$out"   # a new file, mode 0600: never one left with another mode, nor a symlink's target
    (umask 077; cat > "$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $NAME
  cluster:
    server: $server
    certificate-authority: $ca
users:
- name: system:serviceaccount:$NS:$SA
  user:
    token: $token
contexts:
- name: operator
  context: {cluster: $NAME, user: "system:serviceaccount:$NS:$SA", namespace: $NS}
current-context: operator
EOF
    )
    echo "$out"
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
