#!/usr/bin/env bash
# fuzz/run-one.sh HARNESS SECONDS SEED_DIR [DICT] - runs one libFuzzer
# harness for SECONDS with a throw-away corpus seeded from SEED_DIR (the
# seeds themselves are never written to). Exit status is the fuzzer's.
set -euo pipefail
harness=$1 secs=$2 seeds=$3 dict=${4:-}
corpus=$(mktemp -d "${TMPDIR:-/tmp}/stella-fuzz-XXXXXX")
trap 'rm -rf "$corpus"' EXIT
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="${FUZZ_ARTIFACTS:-$PWD/}")
[ -n "$dict" ] && args+=(-dict="$dict")
echo "== $(basename "$harness"): ${secs}s, seeds from $seeds"
"$harness" "${args[@]}" "$corpus" "$seeds"
