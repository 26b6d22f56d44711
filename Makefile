# mai-operator. Every target runs from a clean clone: build/maven-standins.sh makes the Maven
# build resolvable on machines whose Maven Central copy lacks an artifact Quarkus asks for.
MVN ?= mvn -B -ntp
CRD := maiclients.mai.dev-v1.yml

.PHONY: all test verify crds demo run deps package

all: test

deps:
	@bash build/maven-standins.sh

## test: unit tests, operator-in-the-loop tests, and the packaged operator as a process (the README's test command)
test: deps
	$(MVN) verify

package: deps
	$(MVN) -DskipTests package

## crds: regenerate crds/ from the MaiClient model
crds: package
	$(MVN) -q exec:java@crds
	cp target/crds/$(CRD) crds/$(CRD)

## verify: what CI runs - the tests, then a check that a fresh build generates exactly the committed crds/
verify: test
	$(MVN) -q exec:java@crds
	@bash build/check-crds.sh crds target/crds
	@echo "verify: tests passed and crds/ matches the build"

## demo: the operator on an embedded Kubernetes API and OpenRouter simulator; prints the result
demo: package
	$(MVN) -q exec:java@demo

## run: the operator against the current kubeconfig's cluster and the real OpenRouter
##      (needs MAI_PROVISIONING_KEY_FILE or MAI_PROVISIONING_KEY in the environment)
run: package
	java -jar target/quarkus-app/quarkus-run.jar
