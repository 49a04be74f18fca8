#!/usr/bin/env bash
# bench/run.sh - stella's TUF client side by side with tuf-js on generated
# repositories (the kit in ../shared/bench: gen-repo, serve, peer-tufjs, ab).
# Not a test: it measures. Results (one JSON line per case) go to
# $BENCH_CACHE/results.jsonl and a table to stdout; docs/benchmarks.md keeps
# the figures we recorded.
#   bench/run.sh [quick|full]    quick: fewer runs, skips the 78 s tuf-js case
# BENCH_BASELINE=/path/to/stella-tufc runs that (an earlier build) as B in
# place of tuf-js (in every case), for before/after figures on the same load.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kit=${STELLA_BENCH_KIT:-$top/../shared/bench}
cache=${BENCH_CACHE:-/tmp/stella-bench}
port=${BENCH_PORT:-8097}
mode=${1:-full}
export BENCH_CACHE=$cache
[[ -x $kit/gen-repo ]] || { echo "bench: no benchmark kit at $kit (set STELLA_BENCH_KIT)" >&2; exit 2; }

# An optimized build of our client, apart from the debug build.
[[ -f $top/build-release/build.ninja ]] ||
  meson setup "$top/build-release" "$top" --buildtype=release -Dtests=false >/dev/null
ninja -C "$top/build-release" tools/stella-tufc >/dev/null
tufc=$top/build-release/tools/stella-tufc
baseline=${BENCH_BASELINE:-}
[[ -n $baseline ]] || "$kit/peer-tufjs" --install-only

gen=$cache/gen
mkrepo() { # name gen-repo-args...
  local name=$1; shift
  [[ -f $gen/$name/manifest.json ]] || "$kit/gen-repo" --out "$gen/$name" "$@" >/dev/null
}
mkrepo n1k --targets 1000
mkrepo n16k --targets 16000
mkrepo k50 --targets 1000 --root-versions 50
mkrepo d100 --targets 1000 --delegations 100
mkrepo n100k --targets 100000

"$kit/serve" start "$gen" "$port" >/dev/null
trap '"$kit/serve" stop "$port"' EXIT
url=http://127.0.0.1:$port
results=$cache/results.jsonl
: >"$results"

# case NAME REPO COUNT RUNS [alone]
run_case() {
  local name=$1 repo=$2 count=$3 runs=$4 alone=${5:-}
  local a="$tufc --repo $gen/$repo --url $url/$repo/repo --count $count"
  local peer="$kit/peer-tufjs"
  [[ -n $baseline ]] && peer=$baseline
  local b="$peer --repo $gen/$repo --url $url/$repo/repo --count $count"
  echo "== $name (T=$count, $runs runs)"
  local out
  if [[ $alone == alone && -z $baseline ]]; then
    out=$("$kit/ab" --runs "$runs" --warmup 1 "$a")
  else
    out=$("$kit/ab" --runs "$runs" --warmup 1 "$a" "$b")
  fi
  echo "$out" | sed '$d'
  printf '{"case":"%s",%s\n' "$name" "$(echo "$out" | tail -n1 | cut -c2-)" >>"$results"
}

if [[ $mode == quick ]]; then
  run_case n1k-t1 n1k 1 3
  run_case k50-t1 k50 1 3
  run_case d100-t100 d100 100 3
  run_case n100k-t1 n100k 1 3 alone
else
  run_case n1k-t1 n1k 1 10
  run_case n1k-t100 n1k 100 5
  run_case k50-t1 k50 1 10
  run_case d100-t100 d100 100 5
  run_case n16k-t1 n16k 1 3
  run_case n100k-t1 n100k 1 10 alone
  run_case n100k-t100 n100k 100 5 alone
fi
echo "results: $results"
