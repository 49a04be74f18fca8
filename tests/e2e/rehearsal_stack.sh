#!/usr/bin/env bash
# rehearsal_stack.sh - devops/scripts/rehearsal.sh as an operator uses it:
# the stack comes up and prints its commands; in "another terminal" (this
# script) the env file drives an outage: a submission through the primary,
# the primary hangs, submissions fail over and its breaker opens, recovery,
# reset; then scenario 2's key rotation to the standby log; SIGTERM stops
# every process it started and removes nothing it was told to keep. Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
: "${STELLA_BIN:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
work=$(mktemp -d)
stack_pid=""
cleanup() {
  [[ -z $stack_pid ]] || kill "$stack_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

STELLA_REHEARSAL_DIR=$work/stack "$top/devops/scripts/rehearsal.sh" "$STELLA_BIN" \
  >"$work/stack.out" 2>"$work/stack.err" &
stack_pid=$!
for _ in $(seq 300); do
  grep -q '^rehearsal stack up' "$work/stack.out" && break
  kill -0 "$stack_pid" 2>/dev/null || fail "the stack exited: $(cat "$work/stack.err")"
  sleep 0.1
done
grep -q '^rehearsal stack up' "$work/stack.out" || fail "the stack did not come up in 30 s"
grep -q "practice_submit" "$work/stack.out" || fail "no practice commands printed"
ok "the stack is up and prints its practice commands"

# shellcheck source=/dev/null
. "$work/stack/env"
[[ $(stat -c %a "$work/stack/signer.pem") == 600 ]] || fail "the practice signing key is not 0600"
practice_submit --json >"$work/s1.json" || fail "a practice submission failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["backend"].endswith(sys.argv[2]), d' \
  "$work/s1.json" "$PRIMARY_ADDR" || fail "the first entry did not go to the primary"
ok "a practice submission goes through the primary"

stella drill-log fault --addr "$PRIMARY_ADDR" hang >/dev/null || fail "fault hang"
for n in 2 3 4; do
  practice_submit --json >"$work/s$n.json" || fail "submission $n did not fail over"
done
stella trust status --show-backends --show-circuit-breaker --json >"$work/status.json" ||
  fail "trust status"
python3 - "$work/status.json" "$MIRROR_ADDR" "$work/s4.json" <<'PY' || fail "breaker/failover: $(cat "$work/status.json")"
import json, sys
b = json.load(open(sys.argv[1]))["backends"]
assert b[0]["role"] == "primary" and b[0]["state"] == "open", b[0]
assert json.load(open(sys.argv[3]))["backend"].endswith(sys.argv[2])
PY
ok "the primary hangs: submissions fail over to the mirror, its breaker is open"

stella drill-log fault --addr "$PRIMARY_ADDR" none >/dev/null || fail "fault none"
stella trust reset-circuits >"$work/reset.out" || fail "reset-circuits"
grep -q "1 breaker closed" "$work/reset.out" || fail "reset: $(cat "$work/reset.out")"
stella rekor query --after 2000-01-01T00:00:00Z --before 2100-01-01T00:00:00Z --json \
  >"$work/q.json" || fail "rekor query"
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["entries"]) == 4' \
  "$work/q.json" || fail "the ledger does not hold the 4 practice entries"
ok "recovery, reset and the ledger's 4 entries"

# Scenario 2 as printed: the standby log's key and URL in, the leaked key out.
sleep 1.1 # the compromise comes after the entries above
stella tuf rekor-key add --repo "$TUF_REPO" --new-key "$REHEARSAL/rekor-standby.pub" \
  --rekor-url "$STANDBY_URL" >/dev/null || fail "rekor-key add"
stella tuf endpoint swap --repo "$TUF_REPO" --new-rekor-url "$STANDBY_URL" \
  --note "practice: key leak" >/dev/null || fail "endpoint swap"
practice_publish >/dev/null || fail "practice_publish after the swap"
stella tuf rekor-key remove-old --repo "$TUF_REPO" --old-key-name rekor-primary \
  --compromised-since "$(date -u +%FT%TZ)" >/dev/null || fail "remove-old"
practice_publish >/dev/null || fail "practice_publish after remove-old"
practice_submit --json >"$work/s5.json" || fail "a submission after the rotation"
python3 - "$work/s5.json" "$STANDBY_URL" <<'PY' || fail "not logged by the standby: $(cat "$work/s5.json")"
import json, sys
assert json.load(open(sys.argv[1]))["backend"] == sys.argv[2]
PY
stella rekor query --after 2000-01-01T00:00:00Z --before 2100-01-01T00:00:00Z \
  --key-id rekor-primary --json >"$work/q2.json" || fail "query --key-id rekor-primary"
python3 - "$work/q2.json" <<'PY' || fail "forensics: $(cat "$work/q2.json")"
import json, sys
e = json.load(open(sys.argv[1]))["entries"]
assert len(e) == 1 and not e[0]["outside_validity"], e
PY
ok "scenario 2: the standby's key and URL published, the leaked key ended, new entries in the standby"

pids=$(pgrep -f "$work/stack"; pgrep -P "$stack_pid")
pids=$(echo $pids)
[[ $pids == *" "* ]] || fail "expected the stack's processes, found: $pids"
kill -TERM "$stack_pid"
for _ in $(seq 100); do kill -0 "$stack_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$stack_pid" 2>/dev/null && fail "the stack did not stop on SIGTERM"
stack_pid=""
sleep 0.3
for p in $pids; do
  kill -0 "$p" 2>/dev/null && fail "process $p ($(tr '\0' ' ' </proc/"$p"/cmdline)) outlived the stack"
done
[[ -d $work/stack/tuf ]] || fail "STELLA_REHEARSAL_DIR was removed though it was given"
ok "SIGTERM stops every process of the stack; the given folder is kept"
echo "PASS rehearsal_stack"
