#!/usr/bin/env bash
# Makes the build resolvable from an empty local Maven repository on these machines.
#
# Quarkus' bootstrap resolves io.quarkiverse.operatorsdk:quarkus-operator-sdk-helm to evaluate a
# conditional dependency of the operator SDK, whose condition (the quarkus-helm extension being on
# the classpath) this project never meets. The Maven Central copy reachable here lacks that jar in
# every version, so the build fails before compiling anything. When - and only when - the real
# artifact cannot be resolved, this installs a stand-in into the local repository: a jar holding
# nothing but the same extension descriptor (condition and deployment coordinates), so the conditional dependency is evaluated
# (and skipped) exactly as it would be with the real jar. See shared/BUILD-NOTES.md.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's:.*<quarkus-operator-sdk.version>\(.*\)</quarkus-operator-sdk.version>.*:\1:p' "$here/pom.xml")
gav="io.quarkiverse.operatorsdk:quarkus-operator-sdk-helm:$version"
mvn=(mvn -B -q)

if "${mvn[@]}" dependency:get -Dartifact="$gav" -Dtransitive=false >/dev/null 2>&1; then
  exit 0
fi

echo "maven-standins: $gav is not resolvable here; installing a descriptor-only stand-in" >&2
work="$here/target/standins/helm"
rm -rf "$work" && mkdir -p "$work/classes/META-INF"
cat > "$work/classes/META-INF/quarkus-extension.properties" <<PROPS
dependency-condition=io.quarkiverse.helm\\:quarkus-helm
deployment-artifact=io.quarkiverse.operatorsdk\\:quarkus-operator-sdk-helm-deployment\\:$version
PROPS
jar --create --file "$work/quarkus-operator-sdk-helm-$version.jar" -C "$work/classes" .
"${mvn[@]}" install:install-file -Dfile="$work/quarkus-operator-sdk-helm-$version.jar" \
  -DgroupId=io.quarkiverse.operatorsdk -DartifactId=quarkus-operator-sdk-helm \
  -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
