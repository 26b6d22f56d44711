#!/usr/bin/env bash
# Usage: build/check-crds.sh <committed-dir> <generated-dir>
#
# The CRD drift check of `make verify`: compares every CRD file (*.yml, *.yaml) of the committed
# directory (crds/) with the one a fresh build generated (target/crds/). A file on one side only
# is a difference too. Prints a unified diff of what differs and exits 1 on any difference,
# 0 when both directories hold the same files with the same bytes, 2 when called wrongly.
set -uo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <committed-dir> <generated-dir>" >&2
  exit 2
fi
committed=${1%/}
generated=${2%/}
for dir in "$committed" "$generated"; do
  if [ ! -d "$dir" ]; then
    echo "check-crds: $dir is not a directory" >&2
    exit 2
  fi
done

# the CRD file names of a directory, one per line, sorted
crd_files() {
  local f
  for f in "$1"/*.yml "$1"/*.yaml; do
    [ -f "$f" ] && basename "$f"
  done | LC_ALL=C sort
}

names=$( { crd_files "$committed"; crd_files "$generated"; } | LC_ALL=C sort -u)
if [ -z "$names" ]; then
  echo "check-crds: no CRD files (*.yml, *.yaml) in $committed or $generated" >&2
  exit 2
fi

differs=0
while IFS= read -r name; do
  if [ ! -f "$committed/$name" ]; then
    echo "only in $generated: $name (the build generates it; $committed/ lacks it)"
    differs=1
  elif [ ! -f "$generated/$name" ]; then
    echo "only in $committed: $name (the build does not generate it)"
    differs=1
  elif ! diff -u --label "$committed/$name" --label "$generated/$name" "$committed/$name" "$generated/$name"; then
    differs=1
  fi
done <<< "$names"

if [ "$differs" -ne 0 ]; then
  echo "crds/ differs from what the build generates: run 'make crds' and commit"
  exit 1
fi
echo "check-crds: $committed matches $generated ($(echo "$names" | wc -l | tr -d ' ') file(s))"
