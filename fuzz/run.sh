#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] - builds the libFuzzer harnesses with clang
# (ASan+UBSan) in build-fuzz/ and runs each for SECONDS (default 60),
# seeded with the real TUF metadata in tests/data/tuf-canonical-json/input
# (fuzz_tuf_metadata: with its simulated repository's files;
# fuzz_rekor_response: with the Rekor entries and bundles of tests/data).
# Crashing inputs are saved in build-fuzz/artifacts/.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
harnesses=(fuzz_json_parse fuzz_json_canonical)
if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} meson setup "$build" "$root" -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$build" "${harnesses[@]/#/fuzz/}" fuzz/fuzz_tuf_metadata \
  fuzz/fuzz_checkpoint fuzz/fuzz_rekor_response
mkdir -p "$build/artifacts"
for h in "${harnesses[@]}"; do
  FUZZ_ARTIFACTS="$build/artifacts/" bash "$root/fuzz/run-one.sh" \
    "$build/fuzz/$h" "$secs" "$root/tests/data/tuf-canonical-json/input" \
    "$root/fuzz/json.dict"
done
# The TUF client harness is seeded with the honest files of its own
# simulated repository, which it writes itself.
tuf_seeds=$build/fuzz/tuf-seeds
mkdir -p "$tuf_seeds"
FUZZ_TUF_WRITE_SEEDS=$tuf_seeds "$build/fuzz/fuzz_tuf_metadata"
FUZZ_ARTIFACTS="$build/artifacts/" bash "$root/fuzz/run-one.sh" \
  "$build/fuzz/fuzz_tuf_metadata" "$secs" "$tuf_seeds" "$root/fuzz/json.dict"
# Checkpoints (signed notes), seeded with real Rekor notes.
FUZZ_ARTIFACTS="$build/artifacts/" bash "$root/fuzz/run-one.sh" \
  "$build/fuzz/fuzz_checkpoint" "$secs" "$root/fuzz/checkpoint-seeds" \
  "$root/fuzz/checkpoint.dict"
# The Rekor reply parsers and verifier, seeded with real entries, bundles
# and replies built around them (fuzz/rekor-seeds.sh).
rekor_seeds=$build/fuzz/rekor-seeds
bash "$root/fuzz/rekor-seeds.sh" "$root" "$rekor_seeds"
FUZZ_ARTIFACTS="$build/artifacts/" bash "$root/fuzz/run-one.sh" \
  "$build/fuzz/fuzz_rekor_response" "$secs" "$rekor_seeds" \
  "$root/fuzz/json.dict"
