#!/usr/bin/env bash
# rekor_hostile.sh - the Rekor client against a hostile log. A misbehaving
# proxy H (hostile_rekor.py, 127.0.0.1 only) stands in front of a real
# drill log P and is the primary of a TUF repository built with `stella
# tuf` (P signs its checkpoints under H's name). For each API call the
# client makes - GET /api/v1/log, /log/proof, /entries?logIndex=,
# /entries/{uuid}, POST /entries, /entries/retrieve - H answers with an
# HTML page, a truncated or huge body, a hang, a stall, a reset, a
# redirect, 4xx/5xx, escape bytes: every time exit 1 with one line that
# says what was wrong, in bounded time and memory, no escape byte echoed,
# no sanitizer report, and the breaker counting it right (a failure, or
# neutral for an expected 404). Then tampered answers (py: rules, and other
# logs behind H: C whose key ended before its entries, X not trusted at
# all, F a fork of P, M another trusted log) are refused for the right
# reason, never reach the ledger, and count against H's breaker when H
# lied: F's tree is a split view for loginfo, verify --uuid and submit
# alike; M's entry is refused for a submission and shown as "served by H,
# logged in M" for a verification. With M as a local mirror, H's failures
# fail over, an entry H holds but cannot prove consistent is not sent to
# M; a slow log trips the breaker and a killed half-open probe expires;
# concurrent and SIGKILLed clients leave the store readable and consistent.
# Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
unset STELLA_NOW STELLA_TUF_REPO # the real clock: integrated times are real
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
proxy_pid=""
e2e_cleanup() {
  [[ -n $proxy_pid ]] && { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; }
  return 0
}
e2e_begin 30
rules=$work/rules
# shellcheck source=/dev/null
. "$top/tests/e2e/lib-rekor.sh"
export STELLA_HOME=$work/client
db=$STELLA_HOME/stella.db
# Sanitizer builds are slower: time bounds scale, memory is not measured.
asan=$(nm -D "$S" 2>/dev/null | grep -c __asan_init || true)
slow=1; [[ ${asan:-0} -gt 0 ]] && slow=3
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
py=$(python3 -c 'import sys; print(sys.executable)') # not a version shim: faster
uuid_of() { cat "$work/uuid.$1"; }
# jcheck FILE EXPR: EXPR (Python) holds for d = the JSON in FILE (E: env).
jcheck() {
  "$py" -c 'import json, os, sys
E = os.environ
try:
    d = json.load(open(sys.argv[1]))
    sys.exit(0 if eval(sys.argv[2]) else 1)
except (ValueError, LookupError, TypeError):
    sys.exit(1)' "$1" "$2"
}
uuid_in() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["uuid"])' "$1"; }

# ledger_rows: how many entries the ledger holds (rekor query --json).
ledger_rows() {
  "$S" rekor query --after 2000-01-01T00:00:00Z --before 2100-01-01T00:00:00Z --json |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["count"])'
}
submit_args() { # N: a new signed artifact N, its submit arguments in $args
  sign_artifact "$1"
  args=(rekor submit --artifact "$work/artifact.$1" --signature "$work/artifact.$1.sig"
        --public-key "$work/signer.pub")
}
h_breaker() { # CHECK WHAT: python over b = H's breaker in the status
  breaker
  json "b = [x for x in d[\"backends\"] if x[\"url\"] == E[\"H_URL\"]][0]
$1" "$2"
}
first_key() { "$py" -c 'import json, sys; print(next(iter(json.load(open(sys.argv[1])))))' "$1"; }
log_size() { # URL: the tree size a log shows (straight, not through the client)
  curl -sf "$1/api/v1/log" | "$py" -c 'import json, sys; print(json.load(sys.stdin)["treeSize"])'
}

# ---- the proxy -------------------------------------------------------------------
# set_rule PATTERN BEHAVIOUR: H answers requests matching PATTERN so (the file
# is replaced at once: H reads it for every request).
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
set_rules() { # PATTERN BEHAVIOUR ...: several rules at once, first match wins
  local body="" sep=""
  while (($# >= 2)); do body+="$sep$(jstr "$1"): $(jstr "$2")"; sep=", "; shift 2; done
  printf '{%s}\n' "$body" >"$rules.new" && mv "$rules.new" "$rules"
}
set_rule() { set_rules "$1" "$2"; }
clear_rules() { echo '{}' >"$rules.new" && mv "$rules.new" "$rules"; }
proxy_start() { # UPSTREAM: H_URL, H_ADDR
  clear_rules
  "$py" -u "$top/tests/e2e/hostile_rekor.py" "$1" "$rules" >"$work/proxy.port" \
    2>"$work/proxy.log" &
  proxy_pid=$!
  for _ in $(seq 100); do [[ -s $work/proxy.port ]] && break; sleep 0.05; done
  local port
  port=$(sed -n 's/^port //p' "$work/proxy.port")
  [[ -n $port ]] || die "the hostile proxy did not start"
  H_ADDR=127.0.0.1:$port H_URL=http://127.0.0.1:$port
  export H_URL
}

# ---- 1. logs, repository, client ---------------------------------------------------
step "drill logs P (behind the proxy H), M, C, X; F a fork of P"
rekor_log P "$work/p" rekor-primary
proxy_start "$P_URL"
drill_stop_all # P signs as H from now on; F starts as a copy of it, empty
cp -a "$work/p" "$work/f"
DRILL_ADDR=$P_ADDR rekor_log P "$work/p" rekor-primary --name "$H_ADDR"
drill_start F "$work/f" --name "$H_ADDR" || die "F did not start"
rekor_log M "$work/m" rekor-mirror
rekor_log C "$work/c" rekor-compromised
rekor_log X "$work/x" rekor-untrusted
ok "H $H_URL -> P $P_URL; M $M_URL, C $C_URL, X $X_URL, F $F_URL"

step "TUF repository: H primary with P's key; M's and C's keys; C compromised"
rekor_repo "$H_URL" rekor-primary
rekor_repo_key rekor-mirror "$M_URL"
rekor_repo_key rekor-compromised "$C_URL"
must 0 "tuf rekor-key remove-old rekor-compromised" -- "$S" tuf rekor-key remove-old \
  --repo "$work/repo" --old-key-name rekor-compromised \
  --compromised-since "$(rfc3339 "$(now)")" --skip-grace --note "drill"
rekor_repo_publish
# No mirror: every failure of H is the command's failure. The breaker counts
# but never opens (64 calls, 100 %, 1000 in a row) unless a test says so.
policy='{"rekor": {"timeout_ms": 600, "connect_timeout_ms": 500,
  "breaker": {"window_calls": 64, "min_calls": 64, "failure_rate_pct": 100,
              "consecutive_failures": 1000, "slow_call_ms": 5000}}}'
rekor_client "$policy"
T0=$(now)
sleep 1.1 # entries are integrated after T0 and after C's key ended
submit 1
submit 2
submit 3
[[ $(backend_of 1) == "$H_URL" ]] || die "entry 1 did not go through H"
must 0 "loginfo: the baseline" -- "$S" rekor loginfo --json
json 'assert d["backends"][0]["tree_size"] == 3, d' "P holds 3 entries, checkpoint stored"

step "split view: H answers with F's tree (P's key and tree ID, other entries)"
for n in 1 2 3 4; do post_direct "$F_URL" f$n; done
F4=$(first_key "$out") # the UUID of F's entry 4
set_rule 'GET /api/v1/log*' "upstream:$F_URL"
must 1 "loginfo against F's view" -- "$S" rekor loginfo --json
json 'b = d["backends"][0]
assert d["split_view"] and b["split_view"] and b["tree_size"] == 4, b
assert "consistency proof fails" in b["error"], b' "F's 4 entries cannot extend P's 3: SPLIT VIEW"
must 1 "loginfo, text" -- "$S" rekor loginfo
has "$err" "^stella: rekor loginfo: SPLIT VIEW of log $H_ADDR - " "one line naming the split view"
one_line_error "split view"
h_breaker 'assert "SPLIT VIEW" in b["last_error"] and b["failure_rate"] > 0, b' \
  "H's breaker counts the split view as a failure, its last error names it"

step "split view through entries: verify and submit, H serving F"
rows=$(ledger_rows)
must 0 "reset-circuits" -- "$S" trust reset-circuits
must 1 "verify --uuid of F's entry 4 (signed by P's key, in F's tree)" -- \
  "$S" rekor verify --uuid "$F4" --json
json 'assert not d["verified"] and d["failed_check"] == "consistency", d
assert d["checks"]["set"] == "ok" and d["checks"]["checkpoint"] == "ok", d
assert d["checks"]["consistency"] == "FAILED", d' "SET and checkpoint verify; consistency FAILED"
must 1 "verify --uuid, text" -- "$S" rekor verify --uuid "$F4"
has "$err" "SPLIT VIEW of log $H_ADDR - .*failed check: consistency" "one line naming the split view"
one_line_error "verify: split view"
h_breaker 'assert "SPLIT VIEW" in b["last_error"] and b["failure_rate"] > 0, b' \
  "H's breaker counts it"
must 0 "metrics --json" -- "$S" metrics --json
json 'm = d["metrics"]["stella_rekor_verify_failure_ratio"]
assert m["value"] > 0 and m["alert"] != "ok", m' "the verification failure rate sees it"
set_rules 'POST /api/v1/log/entries' "upstream:$F_URL" 'GET /api/v1/log*' "upstream:$F_URL"
submit_args 11
must 1 "submit through H into F" -- "$S" "${args[@]}"
has "$err" "SPLIT VIEW of log $H_ADDR - " "one line naming the split view"
one_line_error "submit: split view"
[[ $(ledger_rows) == "$rows" ]] && ok "nothing of F's reached the ledger" ||
  die "an entry from F's view reached the ledger"
clear_rules
must 0 "reset-circuits" -- "$S" trust reset-circuits
must 0 "P's own view is still consistent" -- "$S" rekor loginfo

# ---- 2. every call, every bad behaviour ------------------------------------------
# hostile WANT BREAKER REGEX PATTERN BEHAVIOUR -- STELLA-ARGS...: with H
# answering PATTERN with BEHAVIOUR (everything else passes), stella exits
# WANT within the time bound, with one line on stderr matching REGEX (none
# when it succeeds), no escape byte, no sanitizer report, at most 30 MB of
# memory; H's breaker (reset before) then holds a failure (BREAKER F), no
# failure (N) or either (-).
hostile() {
  local want=$1 brk=$2 regex=$3 pat=$4 how=$5 rc t0 ms
  shift 6
  local what="$how on $pat"
  "$S" trust reset-circuits >/dev/null 2>&1 || die "reset-circuits failed"
  set_rule "$pat" "$how"
  t0=$(date +%s%N)
  timeout -s KILL $((10 * slow)) /usr/bin/time -f %M -o "$work/rss" "$S" "$@" >"$out" 2>"$err"
  rc=$? ms=$((($(date +%s%N) - t0) / 1000000))
  clear_rules
  echo "$what: $(head -c 600 "$err")" >>"$work/errors.log"
  if grep -qE 'Sanitizer|runtime error:' "$err"; then fail "$what: sanitizer report"
  elif ((rc != want)); then fail "$what: exit $rc, wanted $want"
  elif ((ms > 2500 * slow)); then fail "$what: took $ms ms"
  elif LC_ALL=C grep -q $'\x1b' "$out" "$err"; then fail "$what: an escape byte was printed"
  elif ((want && $(wc -l <"$err") != 1)); then fail "$what: stderr is not one line"
  elif ((!want)) && [[ -s $err ]]; then fail "$what: stderr is not empty"
  elif [[ " $* " == *" --json "* && -s $out ]] && ! jcheck "$out" 'd'; then
    fail "$what: --json printed no valid JSON"
  elif ((want)) && ! grep -qE -- "$regex" "$err"; then fail "$what: no /$regex/ in stderr"
  elif ((asan == 0 && $(tail -n1 "$work/rss") > 30000)); then
    fail "$what: $(tail -n1 "$work/rss") kB of memory"
  else
    [[ $brk == - ]] || breaker_counted "$what" "$brk"
    pass "$what (exit $rc, $ms ms, $(tail -n1 "$work/rss") kB)"
  fi
}
# breaker_counted WHAT F|N: H's window holds a failure (F) or none (N).
breaker_counted() {
  "$S" trust status --show-backends --show-circuit-breaker --json >"$work/status" 2>&1 ||
    { fail "$1: trust status failed"; return; }
  WANT=$2 jcheck "$work/status" '[round(b["failure_rate"] * b["calls_in_window"]) > 0
    for b in d["backends"] if b["url"] == E["H_URL"]] == [E["WANT"] == "F"]' ||
    fail "$1: breaker: wanted $2"
}

# The behaviours every call meets, and what the line must say.
ESCAPES='\e]0;PWNED\a\e[2J\e[31m\r\nSECOND LINE'
common=(
  "html|not JSON|F"
  "truncate|not JSON|F"
  "big:50000000|over the 4194304-byte limit|F"
  "bigchunked:50000000|over the 4194304-byte limit|F"
  "bigclose:50000000|over the 4194304-byte limit|F"
  "hang|timed out|F"
  "stall|timed out|F"
  "reset|connection lost|closed the connection|F"
  "resetmid|connection lost|cut off|F"
  "redirect:$H_URL|redirects|HTTP 302|F"
  "status:500|HTTP 500|F"
  "status:503|HTTP 503|F"
  "status:429|HTTP 429|F"
  "body:502:$ESCAPES|HTTP 502|F"
  "body:200:${ESCAPES}not json|not JSON|F"
  "body:200:$(printf '[%.0s' {1..20000})|not JSON|nesting|F"
)
# matrix WANT-OVERRIDES PATTERN -- ARGS...: every common behaviour on
# PATTERN (the last |-field is the breaker verdict, the rest the regex).
matrix() {
  local pat=$1 spec how regex brk
  shift 2
  for spec in "${common[@]}"; do
    how=${spec%%|*} regex=${spec#*|}
    brk=${regex##*|} regex=${regex%|*}
    hostile 1 "$brk" "$regex" "$pat" "$how" -- "$@"
  done
}

step "GET /api/v1/log (rekor loginfo)"
matrix 'GET /api/v1/log' -- rekor loginfo
hostile 1 F "no signature from a trusted key" 'GET /api/v1/log' "redirect:$X_URL" -- rekor loginfo
hostile 1 F "HTTP 404" 'GET /api/v1/log' status:404 -- rekor loginfo
hostile 1 F "not JSON" 'GET /api/v1/log' "body:200:${ESCAPES}" -- rekor loginfo --json
jcheck "$out" 'not d["ok"] and "not JSON" in d["backends"][0]["error"]' &&
  pass "loginfo --json: ok false, the error in the view" || fail "loginfo --json: $(cat "$out")"

step "GET /api/v1/log/proof (rekor loginfo after the log grew)"
post_direct "$P_URL" 4 # behind the client's back: loginfo must prove 3 -> 4
matrix 'GET /api/v1/log/proof*' -- rekor loginfo
hostile 1 F "HTTP 404" 'GET /api/v1/log/proof*' status:404 -- rekor loginfo

step "GET /api/v1/log/entries?logIndex= (rekor verify --log-index)"
matrix 'GET /api/v1/log/entries[?]logIndex=*' -- rekor verify --log-index 1
hostile 1 N "no such entry" 'GET /api/v1/log/entries[?]logIndex=*' status:404 -- rekor verify --log-index 1
hostile 1 F "timed out" 'GET /api/v1/log/entries[?]logIndex=*' stall -- rekor verify --log-index 1 --json
jcheck "$out" 'not d["verified"] and "timed out" in d["error"]' &&
  pass "verify --json: verified false, the error" || fail "verify --json: $(cat "$out")"

step "GET /api/v1/log/entries/{uuid} (rekor verify --uuid)"
matrix 'GET /api/v1/log/entries/*' -- rekor verify --uuid "$(uuid_of 2)"
hostile 1 N "no such entry" 'GET /api/v1/log/entries/*' status:404 -- rekor verify --uuid "$(uuid_of 2)"

step "POST /api/v1/log/entries/retrieve (rekor query --remote)"
T1=$(($(now) + 1))
remote=(rekor query --remote --after "$(rfc3339 "$T0")" --before "$(rfc3339 "$T1")")
matrix 'POST /api/v1/log/entries/retrieve' -- "${remote[@]}"
hostile 0 N "" 'POST /api/v1/log/entries/retrieve' status:404 -- "${remote[@]}"

step "POST /api/v1/log/entries (rekor submit)"
n=100
for spec in "${common[@]}" "status:404|HTTP 404|F" "redirect:$X_URL|HTTP 302|F" \
  "body:400:${ESCAPES}bad entry|refused the entry: HTTP 400|N" "status:409|without naming it|N" \
  "status:405|does not take entries \(HTTP 405|N"; do
  how=${spec%%|*} regex=${spec#*|}
  brk=${regex##*|} regex=${regex%|*}
  n=$((n + 1))
  sign_artifact $n
  hostile 1 "$brk" "$regex" 'POST /api/v1/log/entries' "$how" -- rekor submit \
    --artifact "$work/artifact.$n" --signature "$work/artifact.$n.sig" --public-key "$work/signer.pub"
done

# ---- 3. tampered answers ------------------------------------------------------------
# tamper BREAKER REGEX PATTERN BEHAVIOUR -- ARGS...: refused (exit 1, one line
# matching REGEX), the ledger holds no new entry, and H's breaker holds a
# failure (F: the backend lied) or none (N: the entry's own verdict).
tamper() {
  local brk=$1 before
  shift
  before=$(ledger_rows)
  hostile 1 "$brk" "$@"
  [[ $(ledger_rows) == "$before" ]] && pass "$3: nothing new in the ledger" ||
    fail "$3 on $2: the ledger grew"
}
ENTRY='k = list(d)[0]; e = d[k]; v = e["verification"]; '
FLIP='import base64; b = bytearray(base64.b64decode(v["signedEntryTimestamp"])); b[-1] ^= 1; v["signedEntryTimestamp"] = base64.b64encode(b).decode()'

step "tampered log info, entries and checkpoints are refused for the right reason"
tamper F "rootHash does not match its signed tree head" 'GET /api/v1/log' 'py:d["rootHash"] = "00" * 32' -- rekor loginfo
tamper F "no signature from a trusted key \(signed by $X_ADDR" 'GET /api/v1/log' "upstream:$X_URL" -- rekor loginfo
tamper F "inclusion proof: the root computed .* differs.*failed check: inclusion_proof" \
  'GET /api/v1/log/entries/*' "py:${ENTRY}v['inclusionProof']['rootHash'] = '00' * 32" -- \
  rekor verify --uuid "$(uuid_of 1)"
tamper F "SET: the signed entry timestamp does not verify.*failed check: set" \
  'GET /api/v1/log/entries[?]logIndex=*' "py:${ENTRY}${FLIP}" -- rekor verify --log-index 2
tamper F "SET: .*failed check: set" 'GET /api/v1/log/entries/*' \
  "py:${ENTRY}e['integratedTime'] -= 3600" -- rekor verify --uuid "$(uuid_of 2)"
tamper F "not the entry asked for" 'GET /api/v1/log/entries[?]logIndex=*' \
  "py:${ENTRY}e['logIndex'] += 1" -- rekor verify --log-index 1
set_rule 'GET /api/v1/log/entries[?]logIndex=*' \
  "py:${ENTRY}v['inclusionProof'] = mem.setdefault('proof0', v['inclusionProof'])"
must 0 "verify --log-index 0 (H keeps its inclusion proof)" -- "$S" rekor verify --log-index 0
tamper F "inclusion proof: the root computed from leaf 0 .*failed check: inclusion_proof" \
  'GET /api/v1/log/entries[?]logIndex=*' \
  "py:${ENTRY}v['inclusionProof'] = mem.setdefault('proof0', v['inclusionProof'])" -- \
  rekor verify --log-index 1
post_direct "$X_URL" x1
tamper F "no trusted log key has log ID $X_ID.*failed check: key" \
  'GET /api/v1/log/entries[?]logIndex=*' "upstream:$X_URL" -- rekor verify --log-index 0
post_direct "$C_URL" c1
tamper N "validity: integrated time .* is outside log key ${C_ID:0:16}.*failed check: validity" \
  'GET /api/v1/log/entries[?]logIndex=*' "upstream:$C_URL" -- rekor verify --log-index 0

step "tampered submissions are refused and never recorded"
submit_args 201
tamper F "SET: the signed entry timestamp does not verify" 'POST /api/v1/log/entries' \
  "py:${ENTRY}e['logIndex'] += 1" -- "${args[@]}"
submit_args 202
tamper F "SET: the signed entry timestamp does not verify" 'POST /api/v1/log/entries' \
  "py:${ENTRY}${FLIP}" -- "${args[@]}"
submit_args 203
tamper F "no trusted log key has log ID $X_ID" 'POST /api/v1/log/entries' "upstream:$X_URL" -- "${args[@]}"
submit_args 204
tamper F "validity: integrated time .* outside log key ${C_ID:0:16}" 'POST /api/v1/log/entries' \
  "upstream:$C_URL" -- "${args[@]}"
set_rule 'POST /api/v1/log/entries' 'py:mem["reply"] = raw'
submit 205 # its reply is kept ...
submit_args 206
tamper F "an entry that is not ours" 'POST /api/v1/log/entries' 'py:raw = mem["reply"]' -- "${args[@]}"
submit_args 208
tamper F "409.*$(uuid_of 1).*not ours" 'POST /api/v1/log/entries' \
  "body:409:{\"message\": \"an equivalent entry already exists with UUID $(uuid_of 1)\"}" -- "${args[@]}"
submit_args 209
tamper F "files entry [0-9]* under abababab.*not its UUID" 'POST /api/v1/log/entries' \
  "py:k = list(d)[0]; d = {'ab' * 32: d[k]}" -- "${args[@]}"

step "another trusted log behind H: refused for a submission, said for a verification"
submit_args 210
tamper F "answered with entry 0 of another log \(key rekor-mirror.*not logged where it was sent" \
  'POST /api/v1/log/entries' "upstream:$M_URL" -- "${args[@]}"
set_rule 'GET /api/v1/log/entries[?]logIndex=*' "upstream:$M_URL"
must 0 "verify --log-index 0: H serves M's entry 0 (the one above)" -- "$S" rekor verify --log-index 0
has "$out" "served by $H_URL, logged in $M_URL \(key rekor-mirror\)" "says where it was logged"
must 0 "the same, --json" -- "$S" rekor verify --log-index 0 --json
json 'e = d["entry"]
assert d["verified"] and e["other_log"] and e["backend"] == E["H_URL"], d
assert e["log_url"] == E["M_URL"] and e["key_name"] == "rekor-mirror", d' \
  "entry: backend H, other_log, log_url M"
clear_rules

step "rollback: H replays an old signed tree head"
set_rule 'GET /api/v1/log' 'py:mem["log"] = raw'
must 0 "loginfo (H's answer kept)" -- "$S" rekor loginfo
clear_rules
submit 207
must 0 "loginfo: the log grew, proven" -- "$S" rekor loginfo --json
json 'assert d["backends"][0]["consistency_proven"], d' "consistency proven"
tamper F "ROLLBACK of log $H_ADDR - .* smaller than the size" 'GET /api/v1/log' 'py:raw = mem["log"]' -- \
  rekor loginfo

# ---- 4. failover: with a mirror, H's failures are not the command's --------------
step "M as a local mirror: H's failures fail over; a 404 asks the next log"
rekor_config() { printf '%s\n' "$1" >"$STELLA_HOME/config.json"; }
rekor_config "${policy/\"rekor\": \{/\"rekor\": {\"mirrors\": [\"$M_URL\"], }"
set_rule 'POST /api/v1/log/entries' hang
submit 301
[[ $(backend_of 301) == "$M_URL" ]] || die "entry 301 did not fail over to M"
ok "H hung: entry 301 went to M"
set_rule 'POST /api/v1/log/entries' "py:${ENTRY}${FLIP}"
submit 302
[[ $(backend_of 302) == "$M_URL" ]] || die "entry 302 did not fail over to M"
ok "H's reply did not verify: entry 302 went to M"
set_rule 'POST /api/v1/log/entries' status:405
submit 303
[[ $(backend_of 303) == "$M_URL" ]] || die "entry 303 did not go to M"
ok "H takes no entries (405, a read replica): entry 303 went to M"
clear_rules
must 0 "verify --uuid of M's entry 301 (H: 404, then M)" -- "$S" rekor verify --uuid "$(uuid_of 301)" --json
json 'assert d["entry"]["backend"] == E["M_URL"], d' "found in M after H's 404"
m0=$(log_size "$M_URL")
set_rule 'POST /api/v1/log/entries' "upstream:$M_URL"
submit 304
[[ $(backend_of 304) == "$M_URL" ]] || die "entry 304 did not fail over to M"
json 'assert "another log" in d["route"], d' "H put entry 304 into M's log: refused, M took it"
[[ $(log_size "$M_URL") == $((m0 + 1)) ]] || die "M holds entry 304 twice"
ok "M holds it once (its 409 named the entry H had put there)"

step "a submission H holds but cannot prove consistent ends there: no second log"
set_rule 'GET /api/v1/log/proof*' status:503
submit_args 305
m0=$(log_size "$M_URL") rows=$(ledger_rows)
must 1 "submit 305: H logs it, its proof fails" -- "$S" "${args[@]}"
has "$err" "consistency with the stored size [0-9]* not proven" "says not proven"
one_line_error "not proven"
[[ $(log_size "$M_URL") == "$m0" && $(ledger_rows) == "$rows" ]] ||
  die "the entry went to M, or reached the ledger unproven"
ok "not sent to M, nothing recorded"
clear_rules
must 0 "submit 305 again: H's 409, its entry checked and proven" -- "$S" "${args[@]}" --json
json 'assert d["backend"] == E["H_URL"] and not d["failed_over"], d' "recorded from H"
rekor_config "$policy"

# ---- 5. the breaker: what counts, hung probes -------------------------------------------
requests() { grep -c "$1" "$work/proxy.log"; }
step "breaker: expected 404s are neutral; slow calls open it; a killed probe expires"
rekor_config '{"rekor": {"timeout_ms": 600, "connect_timeout_ms": 500,
  "breaker": {"window_calls": 10, "min_calls": 10, "failure_rate_pct": 100,
              "consecutive_failures": 3, "cooldown_s": 2, "cooldown_max_s": 8,
              "half_open_probes": 1, "probe_timeout_s": 1, "slow_call_ms": 200}}}'
must 0 "reset-circuits" -- "$S" trust reset-circuits
absent=$(printf '0%.0s' $(seq 64))
for i in 1 2 3 4 5; do
  must 1 "verify an unknown uuid ($i)" -- "$S" rekor verify --uuid "$absent"
done
has "$err" "no such entry in the log \(HTTP 404 from $H_URL\)" "says no such entry"
h_breaker 'assert b["state"] == "closed" and b["calls_in_window"] == 0, b' \
  "five 404s for an unknown uuid: closed, nothing counted"
set_rule 'GET /api/v1/log/entries[?]logIndex=*' delay:350
for i in 1 2 3; do
  must 0 "a slow answer ($i)" -- "$S" rekor verify --log-index 0
done
h_breaker 'assert b["state"] == "open", b
assert "3 consecutive failures" in b["cause"] and "slow call" in b["cause"], b' \
  "three slow calls (350 ms, limit 200 ms): OPEN, the cause says so"
n0=$(requests 'logIndex')
must 1 "verify while open" -- "$S" rekor verify --log-index 0
has "$err" "skipped \(breaker open until" "skipped: breaker open"
one_line_error "breaker open"
[[ $(requests 'logIndex') == "$n0" ]] || die "an open breaker let a request through"
ok "no request reached H"
sleep 2.1 # the cool-down (whole seconds)
set_rule 'GET /api/v1/log/entries[?]logIndex=*' hang
"$S" rekor verify --log-index 0 >/dev/null 2>&1 &
probe=$!
for _ in $(seq 40); do [[ $(requests 'logIndex') -gt $n0 ]] && break; sleep 0.05; done
kill -9 "$probe"; wait "$probe" 2>/dev/null
ok "the half-open probe was killed in flight (kill -9)"
h_breaker 'assert b["state"] == "half_open", b' "HALF_OPEN, its probe never reported"
must 1 "verify while the dead probe holds the slot" -- "$S" rekor verify --log-index 0
has "$err" "probe is in flight" "skipped: the probe is in flight"
sleep 2.1 # probe_timeout_s 1, in whole seconds
must 1 "verify after the probe timeout" -- "$S" rekor verify --log-index 0
h_breaker 'assert b["state"] == "open" and "probe not reported within 1s" in b["cause"], b' \
  "the dead probe re-opened the breaker: it cannot stay half-open"
clear_rules
rekor_config "$policy"
must 0 "reset-circuits" -- "$S" trust reset-circuits

# ---- 6. concurrent and killed clients ---------------------------------------------------
step "two submits at once; clients killed mid-submit; the store stays sound"
set_rule 'POST /api/v1/log/entries' delay:300
submit_args 401; a1=("${args[@]}")
submit_args 402; a2=("${args[@]}")
"$S" "${a1[@]}" --json >"$work/c1.out" 2>"$work/c1.err" & c1=$!
"$S" "${a2[@]}" --json >"$work/c2.out" 2>"$work/c2.err" & c2=$!
wait "$c1"; r1=$? ; wait "$c2"; r2=$?
((r1 == 0 && r2 == 0)) || { cat "$work"/c?.err >&2; die "concurrent submits: exit $r1, $r2"; }
ok "two submits at once both succeeded"
clear_rules
# loginfo's answer (size n) waits in H while a submit stores H's head n+1:
# the older answer only lags, it is no rollback.
rekor_config "${policy/\"timeout_ms\": 600/\"timeout_ms\": 5000}"
set_rule 'GET /api/v1/log' 'py:__import__("time").sleep(1.5)'
"$S" rekor loginfo --json >"$work/l.out" 2>"$work/l.err" & lpid=$!
sleep 0.5
submit 403
wait "$lpid"; rl=$?
((rl == 0)) || { cat "$work/l.err" >&2; die "loginfo during a submit: exit $rl"; }
ok "loginfo answered before a concurrent submit stored a bigger head: no rollback"
clear_rules
rekor_config "$policy"
set_rule 'POST /api/v1/log/entries' delay:300
for round in 1 2 3 4 5 6; do
  submit_args $((410 + round))
  "$S" "${args[@]}" >/dev/null 2>&1 & victim=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 "$victim" 2>/dev/null; wait "$victim" 2>/dev/null
done
ok "six submits killed with SIGKILL at random moments"
clear_rules
[[ $("$py" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$db") == ok ]] ||
  die "stella.db fails its integrity check"
ok "stella.db passes PRAGMA integrity_check"
must 0 "rekor query after the kills" -- "$S" rekor query --after "$(rfc3339 "$T0")" \
  --before "$(rfc3339 $(($(now) + 1)))" --json
U1=$(uuid_in "$work/c1.out") U2=$(uuid_in "$work/c2.out") json '
u = [e["uuid"] for e in d["entries"]]
assert E["U1"] in u and E["U2"] in u, u
assert len(u) == len(set(u)), u' "both concurrent entries recorded, once each"
h_breaker 'assert b["state"] == "closed", b' "H's breaker closed: the killed calls left no probe"
must 0 "a killed submission, again: the log has it (409) or takes it now" -- \
  "$S" "${args[@]}" --json
must 0 "metrics" -- "$S" metrics --json

# ---- 7. hostile inputs: empty replies, files, keys, arguments -------------------------
step "an empty reply body is said to be empty"
hostile 1 F "log entries: empty \(0 bytes\)" 'GET /api/v1/log/entries[?]logIndex=*' \
  "body:200:" -- rekor verify --log-index 1
hostile 1 F "log info: empty \(0 bytes\)" 'GET /api/v1/log' "body:200:" -- rekor loginfo

step "rekor submit: a folder, device, FIFO, empty or oversized file is refused at once"
sign_artifact 501
a=$work/artifact.501 pub=$work/signer.pub
mkfifo "$work/fifo"
: >"$work/empty"
head -c 70000 /dev/zero | tr '\0' A >"$work/big.pub"
# bad_input WHAT REGEX ARTIFACT SIGNATURE PUBLIC-KEY: exit 1 within 2 s
# (the step timeout otherwise), one line matching REGEX, nothing sent.
bad_input() {
  local what=$1 regex=$2 t0 ms n0
  n0=$(grep -c 'POST /api/v1/log/entries' "$work/proxy.log")
  t0=$(date +%s%N)
  must 1 "submit: $what" -- "$S" rekor submit --artifact "$3" --signature "$4" \
    --public-key "$5"
  ms=$((($(date +%s%N) - t0) / 1000000))
  has "$err" "$regex" "$what: says so"
  one_line_error "$what"
  ((ms < 2000 * slow)) || die "$what: took $ms ms"
  [[ $(grep -c 'POST /api/v1/log/entries' "$work/proxy.log") == "$n0" ]] ||
    die "$what: something was sent to the log"
}
bad_input "artifact /dev/zero" "artifact /dev/zero is a character device: it must be a regular file" \
  /dev/zero "$a.sig" "$pub"
bad_input "artifact a FIFO" "artifact .*/fifo is a FIFO: it must be a regular file" \
  "$work/fifo" "$a.sig" "$pub"
bad_input "artifact a folder" "artifact .* is a directory: it must be a regular file" \
  "$work" "$a.sig" "$pub"
bad_input "signature a folder" "signature .* is a directory: it must be a regular file" \
  "$a" "$work" "$pub"
bad_input "public key /dev/null" "public key /dev/null is a character device: it must be a regular file" \
  "$a" "$a.sig" /dev/null
bad_input "signature empty" "signature .*/empty is empty" "$a" "$work/empty" "$pub"
bad_input "public key empty" "public key .*/empty is empty" "$a" "$a.sig" "$work/empty"
bad_input "public key of 70000 bytes" \
  "public key .*/big.pub is over the 65536-byte limit \(64 KiB\)" "$a" "$a.sig" "$work/big.pub"
bad_input "artifact absent" "artifact .*/absent: no such file" "$work/absent" "$a.sig" "$pub"

step "rekor submit: a 512-bit RSA key is refused before anything is sent, 2048 bits taken"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out "$work/weak.pem" 2>/dev/null &&
  openssl pkey -in "$work/weak.pem" -pubout -out "$work/weak.pub" &&
  openssl dgst -sha256 -sign "$work/weak.pem" -out "$a.weak.sig" "$a" ||
  die "openssl could not make a 512-bit RSA key"
rows=$(ledger_rows)
bad_input "a 512-bit RSA key" \
  "the public key is an RSA key of 512 bits \(at least 2048 are needed\)" "$a" "$a.weak.sig" \
  "$work/weak.pub"
[[ $(ledger_rows) == "$rows" ]] || die "the weak key's entry reached the ledger"
ok "nothing recorded"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null &&
  openssl pkey -in "$work/rsa.pem" -pubout -out "$work/rsa.pub" &&
  openssl dgst -sha256 -sign "$work/rsa.pem" -out "$a.rsa.sig" "$a" ||
  die "openssl could not make a 2048-bit RSA key"
must 0 "submit with a 2048-bit RSA key" -- "$S" rekor submit --artifact "$a" \
  --signature "$a.rsa.sig" --public-key "$work/rsa.pub"
[[ $(ledger_rows) == $((rows + 1)) ]] || die "the RSA-2048 entry is not in the ledger"
ok "a 2048-bit RSA key is still taken and recorded"

step "reset-circuits: a huge or hostile BACKEND and USER are shown capped and escaped"
long=$(head -c 100000 /dev/zero | tr '\0' x)
must 1 "reset-circuits with a 100000-character BACKEND" -- "$S" trust reset-circuits "$long"
one_line_error "reset-circuits: unknown long BACKEND"
has "$err" "no backend x{200}\.\.\. \(see .stella trust status --show-backends" \
  "the first 200 characters and ..."
(($(wc -c <"$err") < 400)) || die "reset-circuits echoed $(wc -c <"$err") bytes"
ok "echo capped ($(wc -c <"$err") bytes)"
must 1 "reset-circuits with escapes in BACKEND" -- "$S" trust reset-circuits \
  $'http://x\e]0;PWNED\a\e[2J'
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f]' "$err" && die "reset-circuits echoed a control byte"
ok "no control byte echoed"
must 0 "reset-circuits with escapes in USER" -- env USER=$'ops\e[2J\e]0;PWNED\a\rFORGED' \
  "$S" trust reset-circuits
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f]' "$out" && die "reset-circuits printed a control byte of USER"
has "$out" "recorded as done by ops\?\[2J\?\]0;PWNED\?\?FORGED$" "USER shown as trust status shows text"

step "impossible dates are refused, not moved to another day"
must 2 "STELLA_NOW=2026-02-31T00:00:00Z" -- env STELLA_NOW=2026-02-31T00:00:00Z "$S" rekor loginfo
has "$err" "STELLA_NOW='2026-02-31T00:00:00Z' is not an RFC" "says STELLA_NOW is not a time"
must 2 "query --after 2026-04-31" -- "$S" rekor query --after 2026-04-31T00:00:00Z \
  --before 2026-05-02T00:00:00Z
has "$err" "--after '2026-04-31T00:00:00Z' is not an RFC 3339 time" "says --after is not a time"
e2e_finish
