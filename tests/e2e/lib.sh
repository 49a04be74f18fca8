# lib.sh - the checks the e2e scripts share. Source it, then call
# e2e_begin (or set $out and $err, the files that receive the output of the
# last command, and failures=0 yourself); $all, if set, collects every output (e.g. to prove no private
# key was ever printed). Needs $STELLA_BIN; sets $S to it (exported) and
# sources devops/scripts/lib-serve.sh and lib-drill.sh, so a script needs
# only its own $top and this file.
: "${STELLA_BIN:?}"
S=$STELLA_BIN
export STELLA_BIN
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/../../devops/scripts/lib-serve.sh"
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/../../devops/scripts/lib-drill.sh"

# $data and $root1: Sigstore's real public-good TUF snapshot (tests/data)
# and its first root, the trust anchor the Sigstore-data scripts start from.
if [[ -n ${STELLA_TEST_DATA:-} ]]; then
  data=$STELLA_TEST_DATA/tuf-sigstore-public-good
  root1=$data/metadata/root_history/1.root.json
fi

# e2e_need TOOL...: exits 77 (meson's skip) when a tool is not installed.
e2e_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
  done
}

# e2e_begin [STEP_TIMEOUT]: the start the step-by-step scripts share: a
# work folder $work (kept with KEEP_WORK=1), $out and $err, failures=0,
# STEP_TIMEOUT (default 60), and an exit trap that runs the script's
# e2e_cleanup (if it defines one), then stops what lib-serve.sh and
# lib-drill.sh started and removes $work.
e2e_begin() {
  work=$(mktemp -d)
  out=$work/out err=$work/err
  : >"$out"; : >"$err"
  failures=0
  STEP_TIMEOUT=${1:-60}
  trap e2e_exit EXIT
  trap 'exit 130' INT TERM
}
e2e_exit() {
  if declare -F e2e_cleanup >/dev/null; then e2e_cleanup; fi
  if declare -F serve_stop >/dev/null; then serve_stop; fi
  if declare -F drill_stop_all >/dev/null; then drill_stop_all; fi
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout" >&2; head -c 4000 "$out" >&2
  echo "--- stderr" >&2; head -c 4000 "$err" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# run_cmd WANT_RC DESCRIPTION -- COMMAND...: runs COMMAND with its output in
# $out / $err and checks the exit code; a sanitizer report is a failure.
run_cmd() {
  local want=$1 what=$2; shift 3
  "$@" >"$out" 2>"$err"
  local rc=$?
  [[ -n ${all:-} ]] && cat "$out" "$err" >>"$all"
  if grep -qE 'Sanitizer|runtime error:' "$err"; then
    fail "$what: sanitizer report"; return 1; fi
  if [[ $rc -ne $want ]]; then fail "$what: exit $rc, wanted $want"; return 1; fi
  pass "$what (exit $rc)"
}
# run WANT_RC DESCRIPTION -- STELLA-ARGS...: the same for the stella binary.
run() { local want=$1 what=$2; shift 3; run_cmd "$want" "$what" -- "$STELLA_BIN" "$@"; }
stella() { "$STELLA_BIN" "$@"; }

expect_in() { # FILE REGEX DESCRIPTION
  if grep -qE -- "$2" "$1"; then pass "$3"; else fail "$3: no /$2/ in $(basename "$1")"; fi
}
expect_not_in() { # FILE REGEX DESCRIPTION
  if grep -qE -- "$2" "$1"; then fail "$3: /$2/ in $(basename "$1")"; else pass "$3"; fi
}
one_line_stderr() { # DESCRIPTION
  if [[ $(wc -l <"$err") -eq 1 ]]; then pass "$1: one-line error"
  else fail "$1: stderr is not one line ($(wc -l <"$err") lines)"; fi
}
json_check() { # PYTHON_EXPR DESCRIPTION, with d = the JSON in $out
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$out" "$1"; then
    pass "$2"; else fail "$2: $1"; fi
}
# e2e_finish: the last line of a script; exit status 0 only without failures.
e2e_finish() {
  echo "$failures failure(s)"
  [[ $failures -eq 0 ]]
}

# ---- Step-by-step scripts: the checks above, stopping at the first failure
# (every step builds on the one before). STEP_TIMEOUT: seconds a command may
# take before its step fails (exit 124). -------------------------------------
STEP_TIMEOUT=${STEP_TIMEOUT:-120}
step() { printf '\n== %s\n' "$*"; }
stop_at_failure() { ((failures == 0)) || { e2e_finish; exit 1; }; }
die() { fail "$*"; stop_at_failure; }
ok() { pass "$@"; }
# must WANT WHAT -- CMD...: CMD must exit WANT within STEP_TIMEOUT; its
# output is in $out / $err (and appended to $all).
must() {
  local want=$1 what=$2
  shift 3
  run_cmd "$want" "$what" -- timeout "$STEP_TIMEOUT" "$@"
  stop_at_failure
}
has() { expect_in "$@"; stop_at_failure; }        # FILE REGEX WHAT
hasnt() { expect_not_in "$@"; stop_at_failure; }  # FILE REGEX WHAT
one_line_error() { one_line_stderr "$1"; stop_at_failure; }
# json CODE WHAT: python asserts over d = the JSON in $out; T(s) turns an
# RFC 3339 time into epoch seconds; E is os.environ.
json() {
  python3 - "$out" "$1" <<'PY' || die "$2"
import datetime, json, os, sys
d = json.load(open(sys.argv[1]))
E = os.environ
def T(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())
exec(sys.argv[2])
PY
  ok "$2"
}
now() { date -u +%s; }
