#!/usr/bin/env bash
# fuzz/rekor-seeds.sh ROOT DIR - gathers the seeds of fuzz_rekor_response
# into DIR: fuzz/rekor-seeds plus the real entries and bundles of
# tests/data/rekor-bundles and tests/data/rekor-api-entries.
set -euo pipefail
root=$1 dir=$2
mkdir -p "$dir"
cp "$root"/fuzz/rekor-seeds/* "$dir"/
for sub in valid invalid-upstream tampered; do
  cp "$root"/tests/data/rekor-bundles/"$sub"/*.json "$dir"/
done
for sub in valid tampered; do
  cp "$root"/tests/data/rekor-api-entries/"$sub"/*.json "$dir"/
done
