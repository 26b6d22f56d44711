#!/usr/bin/env bash
# Prints the project's version: the pom's first <version> at two spaces (the project's own; the pom has
# no parent). The one place the Makefile (make image, make set-version), build/image.sh and
# build/release.sh read it from, so every artifact's name and label agree.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="$(sed -n 's:^  <version>\([^<]*\)</version>.*:\1:p' pom.xml | head -n 1)"
[[ -n "${version}" ]] || { echo "version: no <version> found in pom.xml" >&2; exit 1; }
echo "${version}"
