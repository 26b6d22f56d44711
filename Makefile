# mai-operator. Every target runs from a clean clone: build/maven-standins.sh makes the Maven
# build resolvable on machines whose Maven Central copy lacks an artifact Quarkus asks for, and
# build/control-plane.sh builds (or reuses) the real Kubernetes control plane the tests run against
# (needs Go and the Go module proxy the first time; cached outside the repository).
MVN ?= mvn -B -ntp
CRD := maiclients.mai.dev-v1.yml
IMAGE ?= mai-operator:0.1.0-SNAPSHOT

.PHONY: all test verify control-plane tools chart-files set-version crds api-docs demo run deps package image image-tarball deploy undeploy bench cluster cluster-down simulator release

all: test

deps:
	@bash build/maven-standins.sh

## control-plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl
##                built from Go modules (build/control-plane/) into ~/.cache/mai-operator/control-plane/,
##                or reused when already built; prints the bin folder last
control-plane:
	@bash build/control-plane.sh

## tools: helm, crane (for the image tarball) and promtool built from Go modules (build/tools/) into
##        ~/.cache/mai-operator/tools/, or reused when already built
tools:
	@bash build/tools.sh helm >/dev/null
	@bash build/tools.sh crane >/dev/null
	@bash build/tools.sh promtool >/dev/null

## test: every test tier: unit, operator-in-the-loop, the packaged operator as a process, the real API server and the
##       whole local cluster (the test command README.md names); the tests find the control plane through MAI_CONTROL_PLANE_BIN
test: deps control-plane
	MAI_CONTROL_PLANE_BIN="$$(bash build/control-plane.sh --print-bin)" && export MAI_CONTROL_PLANE_BIN && \
	  MAI_HELM="$$(bash build/tools.sh helm | tail -n1)" && export MAI_HELM && \
	  MAI_PROMTOOL="$$(bash build/tools.sh promtool | tail -n1)" && export MAI_PROMTOOL && \
	  $(MVN) verify

package: deps
	$(MVN) -DskipTests package

## crds: regenerate crds/ from the MaiClient model, then the API reference of docs/api.md and the chart's copy
crds: package
	$(MVN) -q exec:java@crds
	cp target/crds/$(CRD) crds/$(CRD)
	$(MVN) -q exec:java@api-docs
	$(MAKE) --no-print-directory chart-files

## api-docs: the generated part of docs/api.md (every field of crds/ with its type, description and rules)
##           rewritten from crds/; ApiReferenceTest fails when the committed page differs
api-docs: deps
	$(MVN) -q test-compile exec:java@api-docs

## chart-files: the Helm chart's copies of crds/, the spending-limit cap policy and deploy/monitoring's
##              ServiceMonitor, alert rules and dashboard (a test holds them equal)
chart-files:
	cp crds/$(CRD) deploy/helm/mai-operator/files/$(CRD)
	cp deploy/operator/spending-limit-cap.yaml deploy/helm/mai-operator/files/spending-limit-cap.yaml
	cp deploy/monitoring/service-monitor.yaml deploy/monitoring/prometheus-rule.yaml deploy/monitoring/grafana-dashboard.json \
	  deploy/helm/mai-operator/files/

## verify: what CI runs - the tests, then a check that a fresh build generates exactly the committed crds/
verify: test
	$(MVN) -q exec:java@crds
	@bash build/check-crds.sh crds target/crds
	@echo "verify: tests passed and crds/ matches the build"

## demo: the operator on an embedded Kubernetes API and OpenRouter simulator; prints the result
demo: package
	$(MVN) -q exec:java@demo

## bench: the performance goals (time to Ready, writes per client, steady state, sweep cost, memory,
##        restart) measured (not part of make test): the packaged operator as its own process, with its
##        ServiceAccount's token, provisions BENCH_N MaiClients (comma-separated, default 100,1000,10000)
##        against a real kube-apiserver with etcd (BENCH_SERVER=real, the default; embedded: fabric8's mock;
##        real,embedded: both in one report) and a simulator answering in BENCH_LATENCY_MS (50);
##        writes target/bench/report.md and .json
BENCH_N ?= 100,1000,10000
BENCH_SERVER ?= real
bench: package control-plane
	MAI_CONTROL_PLANE_BIN="$$(bash build/control-plane.sh --print-bin)" && export MAI_CONTROL_PLANE_BIN && \
	  BENCH_N="$(BENCH_N)" BENCH_SERVER="$(BENCH_SERVER)" $(MVN) -q exec:java@bench

## cluster: a whole local cluster on this machine (build/cluster.sh): the control plane built from Go
##          modules with kwok's fake nodes, on which pods become Ready without running anything;
##          prints how to use it. Stop it with make cluster-down. CLUSTER=<name> for another one.
CLUSTER ?= mai
CLUSTER_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mai-operator/cluster/$(CLUSTER)
cluster: control-plane
	@helm=$$(bash build/tools.sh helm | tail -n1) && \
	kc=$$(bash build/cluster.sh up --name $(CLUSTER) --dir $(CLUSTER_DIR) --volumes 8) && \
	echo "" && \
	echo "Cluster $(CLUSTER) is up (etcd, kube-apiserver, controller-manager, scheduler, kwok with 2 fake nodes, all on 127.0.0.1;" && \
	echo "8 PersistentVolumes of 10Gi for data claims; pods become Ready on the fake nodes without running anything)." && \
	echo "Use it:" && \
	echo "  export KUBECONFIG=$$kc" && \
	echo "  export PATH=$$(bash build/control-plane.sh --print-bin):$$(dirname $$helm):\$$PATH   # its kubectl (v1.36.3), and helm (v4.3.2)" && \
	echo "  kubectl get nodes" && \
	echo "Its folder (D in the README): $(CLUSTER_DIR)" && \
	echo "The operator's kubeconfig, with the mai-operator ServiceAccount's token (after helm install or make deploy):" && \
	echo "  build/cluster.sh operator-kubeconfig --name $(CLUSTER) --dir $(CLUSTER_DIR)" && \
	echo "Stop it and delete its files:" && \
	echo "  make cluster-down$(if $(filter-out mai,$(CLUSTER)), CLUSTER=$(CLUSTER))"

## cluster-down: stops the local cluster and deletes its files
cluster-down:
	@bash build/cluster.sh down --name $(CLUSTER) --dir $(CLUSTER_DIR)
	@echo "cluster $(CLUSTER) stopped and deleted"

## simulator: the OpenRouter simulator on 127.0.0.1:18089 (MAI_SIMULATOR_PORT), for make run against the
##            local cluster; writes a management key it accepts into $(CLUSTER_DIR) and serves until Ctrl-C
simulator: package
	$(MVN) -q exec:java@simulator -Dsimulator.dir=$(CLUSTER_DIR)

## run: the operator against the current kubeconfig's cluster and the real OpenRouter
##      (needs MAI_PROVISIONING_KEY_FILE or MAI_PROVISIONING_KEY in the environment)
run: package
	java -jar target/quarkus-app/quarkus-run.jar

## image: the operator's container image from the packaged application (needs a Docker engine);
##        make image IMAGE=<registry>/mai-operator:<tag>, then point deploy/kustomization.yaml at it
image: package
	docker build -f src/main/docker/Dockerfile.jvm -t $(IMAGE) \
	  --build-arg VERSION="$$(bash build/version.sh)" .

## image-tarball: the operator's linux/amd64 image as an OCI tarball, without a container engine
##                (build/image.sh; root and Debian's mirrors for the base, cached in ~/.cache/mai-operator/image-base/),
##                then ImageTarballIT checks it: target/image/mai-operator-<version>-linux-amd64.oci.tar
image-tarball: package
	bash build/image.sh
	$(MVN) failsafe:integration-test@image failsafe:verify@image

## set-version: sets VERSION=<x.y.z> where the version is written: the pom (the one source; make release takes
##              every artifact's version from it) and the copies tests hold equal to it: the chart's version and
##              appVersion, the images entries of deploy/ and of the namespaced overlay, IMAGE above
set-version:
	@echo "$(VERSION)" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$$' || { echo "set-version: VERSION=<x.y.z> (SemVer) is needed, got '$(VERSION)'" >&2; exit 1; }
	@old="$$(bash build/version.sh)" && \
	sed -i "0,/^  <version>$$old<\/version>/s//  <version>$(VERSION)<\/version>/" pom.xml && \
	sed -i "s/^version: $$old$$/version: $(VERSION)/; s/^appVersion: $$old$$/appVersion: $(VERSION)/" deploy/helm/mai-operator/Chart.yaml && \
	sed -i "s/^    newTag: $$old$$/    newTag: $(VERSION)/" deploy/kustomization.yaml deploy/overlays/namespaced/kustomization.yaml && \
	sed -i "s/^IMAGE ?= mai-operator:$$old$$/IMAGE ?= mai-operator:$(VERSION)/" Makefile && \
	echo "version $$old -> $(VERSION) in pom.xml, Chart.yaml, deploy/, the namespaced overlay and the Makefile; add its CHANGELOG.md section"

## release: the release artifacts of the pom's version in target/release/ (build/release.sh): the image
##          tarball and its digest, install.yaml (the CRD and deploy/, the image by digest), the Helm chart
##          package, a CycloneDX SBOM, SHA256SUMS; checks them. IMAGE_REPOSITORY=<registry>/mai-operator
##          names the repository the image will be pushed to (install.yaml and the chart pull it from there)
IMAGE_REPOSITORY ?= mai-operator
release: package image-tarball control-plane
	IMAGE_REPOSITORY="$(IMAGE_REPOSITORY)" MVN="$(MVN)" bash build/release.sh

## deploy: the CRD, then the operator (deploy/) on the current kubeconfig's cluster
##         (create the management-key Secret first: docs/install.md, "With Kustomize", step 3)
deploy:
	kubectl apply -f crds/$(CRD)
	kubectl apply -k deploy

## undeploy: the operator (with its namespace and management key) and the CRD; refuses while any
##           MaiClient exists: deleting the CRD would cascade-delete them with no operator left to
##           run their finalizers, and their deletion would hang
undeploy:
	@crd=$$(kubectl get crd maiclients.mai.dev -o name --ignore-not-found) || exit 1; \
	if [ -n "$$crd" ]; then \
	  clients=$$(kubectl get maiclients.mai.dev --all-namespaces -o name) || exit 1; \
	  if [ -n "$$clients" ]; then \
	    echo "undeploy: MaiClients still exist:"; echo "$$clients" | sed 's/^/  /'; \
	    echo "Delete them first, while the operator still runs, and wait until they are gone:"; \
	    echo "  kubectl delete maiclients --all --all-namespaces"; \
	    echo "  deletionPolicy Delete (the default): the operator deletes the client's OpenRouter key; its Secret goes with the MaiClient."; \
	    echo "  deletionPolicy Retain: the key stays on OpenRouter and its Secret, the only copy of the key, is kept."; \
	    echo "Deleting the CRD first would cascade-delete them with no operator left to run their finalizers: their deletion would hang."; \
	    exit 1; \
	  fi; \
	fi
	kubectl delete -k deploy --ignore-not-found
	kubectl delete -f crds/$(CRD) --ignore-not-found
