#!/usr/bin/env bash
# Smoke test: etcd + kube-apiserver as plain processes on 127.0.0.1, RBAC on,
# system:masters client certificate. Usage: standalone-apiserver.sh [bin-dir] (default: the one build/control-plane.sh built)
# Ports: ETCD_PORT (23790), ETCD_PEER_PORT (23800), API_PORT (16443). KEEP=1 keeps the server running
# after the checks (prints KUBECONFIG=...; Ctrl-C stops it). The work folder (etcd data, keys) is
# removed on success and kept, with its logs, on failure.
set -euo pipefail
BIN="${1:-$(bash "$(dirname "$0")/../../control-plane.sh" --print-bin)}"
D="$(mktemp -d /tmp/cp-smoke.XXXXXX)"
ETCD_PORT=${ETCD_PORT:-23790}; ETCD_PEER_PORT=${ETCD_PEER_PORT:-23800}; API_PORT=${API_PORT:-16443}
pids=()
# Stop kube-apiserver before etcd (without etcd its graceful shutdown can hang), then SIGKILL
# whatever is still running after 10 s, so the script never waits forever.
cleanup() {
  local i p
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    p=${pids[i]}; kill "$p" 2>/dev/null || continue
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ "${ok:-}" == 1 ]]; then rm -rf "$D"; echo "stopped"; else echo "stopped; logs in $D"; fi
}
trap cleanup EXIT
cd "$D"

# --- PKI (openssl) ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj "/CN=smoke-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' > apiserver.ext
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 1 -extfile apiserver.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=smoke-admin" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 1 -extfile client.ext 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null

# --- etcd ---
"$BIN/etcd" --name smoke --data-dir "$D/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "smoke=http://127.0.0.1:$ETCD_PEER_PORT" > etcd.log 2>&1 &
pids+=($!)

# --- kube-apiserver ---
"$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file apiserver.crt --tls-private-key-file apiserver.key \
  --client-ca-file ca.crt \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file sa.pub --service-account-signing-key-file sa.key \
  --service-cluster-ip-range 10.0.0.0/24 \
  --cert-dir "$D/certs" > apiserver.log 2>&1 &
pids+=($!)

cat > kubeconfig <<KC
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$D/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$D/admin.crt", client-key: "$D/admin.key"}
contexts:
- name: smoke
  context: {cluster: smoke, user: admin}
current-context: smoke
KC

start=$(date +%s)
until "$BIN/kubectl" --kubeconfig kubeconfig get --raw /readyz >/dev/null 2>&1; do
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "a component exited at start (port in use?)"; tail -n 20 etcd.log apiserver.log; exit 1; }
  done
  (( $(date +%s) - start > 90 )) && { echo "apiserver not ready"; tail -n 30 apiserver.log; exit 1; }
  sleep 1
done
echo "ready after $(( $(date +%s) - start ))s"
"$BIN/kubectl" --kubeconfig kubeconfig get --raw /version; echo
"$BIN/kubectl" --kubeconfig kubeconfig version
res="$("$BIN/kubectl" --kubeconfig kubeconfig api-resources)"   # no `| head`: SIGPIPE + pipefail
echo "$res" | sed -n 1,5p; echo "api-resources: $(echo "$res" | wc -l) lines"
"$BIN/kubectl" --kubeconfig kubeconfig create namespace smoke
"$BIN/kubectl" --kubeconfig kubeconfig -n smoke create configmap c --from-literal=a=b
"$BIN/kubectl" --kubeconfig kubeconfig -n smoke get configmap c -o jsonpath='{.data}'; echo
"$BIN/kubectl" --kubeconfig kubeconfig auth whoami
if [[ "${KEEP:-}" == 1 ]]; then
  echo "KUBECONFIG=$D/kubeconfig   (Ctrl-C stops the server and removes $D)"
  ok=1; trap 'exit 0' INT TERM; while true; do sleep 3600; done
fi
ok=1
