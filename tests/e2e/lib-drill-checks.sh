# shellcheck shell=bash
# lib-drill-checks.sh - sourced by the drill log e2e scripts (drill_log.sh,
# drill_hostile.sh) after lib.sh and lib-drill.sh, with $work (a scratch
# folder), $out, $err and $top set. Servers run with their stderr kept in
# $work/servers.err; answers are checked with curl, openssl and
# drill_checks.py (Python), never with stella's own verifier.
DRILL_CHECKS=$top/tests/e2e/drill_checks.py

# Servers run through this wrapper so their stderr is kept (lib-drill.sh
# keeps only the ready line); exec keeps the PID that drill_start records.
printf '#!/bin/sh\nexec "%s" "$@" 2>>"%s"\n' "$STELLA_BIN" \
  "$work/servers.err" >"$work/stella-logged"
chmod +x "$work/stella-logged"
serve() { STELLA_BIN=$work/stella-logged drill_start "$@"; }

# http WANT WHAT -- CURL-ARGS...: one curl call; status in $work/status,
# headers in $work/headers, body in $out.
http() {
  local want=$1 what=$2 code
  shift 3
  code=$(curl -sS --max-time 10 -D "$work/headers" -o "$out" \
    -w '%{http_code}' "$@" 2>"$err")
  echo "$code" >"$work/status"
  [[ $code == "$want" ]] || die "$what: HTTP $code, wanted $want"
  ok "$what (HTTP $code)"
}
# curl_rc WANT WHAT -- CURL-ARGS...: curl's exit code (0, 28 timeout ...)
curl_rc() {
  local want=$1 what=$2 rc
  shift 3
  curl -sS -o "$out" -w '%{http_code}' "$@" >"$work/status" 2>"$err"
  rc=$?
  [[ $rc -eq $want ]] || die "$what: curl exit $rc, wanted $want ($(cat "$err"))"
  ok "$what (curl exit $rc)"
}
# py WHAT CODE [ARGS...]: Python asserts over d = the JSON in $out, A =
# ARGS, with drill_checks.py's helpers (leaf, node, tree_root,
# root_from_inclusion, consistent, only, entry_included, set_ok ...).
py() {
  local what=$1 code=$2
  shift 2
  python3 "$DRILL_CHECKS" run "$out" "$code" "$@" || die "$what"
  ok "$what"
}
# proposal N: artifact N signed with the client key -> $work/prop.N.json
proposal() {
  local a=$work/artifact.$1
  echo "artifact $1 $(date +%s%N)" >"$a"
  python3 "$DRILL_CHECKS" proposal "$a" "$work/client.key" \
    "$work/client.pub" >"$work/prop.$1.json" ||
    die "could not make proposal $1"
}
client_key() { # the key proposals are signed with
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/client.key" &&
    openssl ec -in "$work/client.key" -pubout -out "$work/client.pub" \
      2>/dev/null || die "openssl could not make the client key"
}
# checkpoint_ok NOTE_FILE PUB WHAT: the note's signature checks out with
# openssl (key id = SHA-256(DER SPKI)[0:4]); its key name in $work/cp.name.
checkpoint_ok() {
  python3 "$DRILL_CHECKS" checkpoint "$1" "$2" >"$work/cp.name" ||
    die "$3: the checkpoint does not verify"
  ok "$3: checkpoint signature verified by openssl"
}
# set_ok ENTRY_JSON_FILE PUB WHAT: the SET checks out with openssl.
set_ok() {
  python3 "$DRILL_CHECKS" set "$1" "$2" || die "$3: openssl rejects the SET"
  ok "$3: SET verified by openssl"
}
server_rc() { # PID WANT WHAT: waits for the server and checks its exit code
  local rc
  wait "$1"
  rc=$?
  [[ $rc -eq $2 ]] || die "$3: exit $rc, wanted $2"
  ok "$3 (exit $rc)"
}
# wait_size URL N: polls URL/api/v1/log until treeSize is N (10 s)
wait_size() {
  local i
  for i in $(seq 100); do
    curl -s --max-time 2 "$1/api/v1/log" >"$out" 2>/dev/null &&
      python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["treeSize"] != int(sys.argv[2]))' \
        "$out" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
no_sanitizer_report() { # every server's stderr so far
  if grep -qE 'Sanitizer|runtime error:' "$work/servers.err"; then
    head -c 4000 "$work/servers.err" >&2
    die "a server printed a sanitizer report"
  fi
  ok "no sanitizer report from any server"
}
