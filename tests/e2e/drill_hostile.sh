#!/usr/bin/env bash
# drill_hostile.sh - the drill log (`stella drill-log`) under attack, over
# loopback; answers checked with curl, openssl and Python
# (drill_hostile.py, drill_checks.py), never with our own verifier:
#
#   stalled requests (slowloris headers, a chunked body without end, an
#   endless body past the cap) are cut with a 408 while the server goes on;
#   a body over the cap sent slowly gets its 413 -> some 75 malformed,
#   oversized, nested, mis-typed, non-UTF-8, NUL, path and number
#   requests: each a proper HTTP error, the tree unchanged -> 200 idle connections keep no
#   client waiting -> 20 concurrent submissions: distinct indexes, every
#   SET, checkpoint and proof checks out -> kill -9 in a burst: nothing
#   that got a 201 is lost, every checkpoint handed out is consistent with
#   the tree after the restart -> every fault mode switched under load;
#   600 requests held by hang or slow: the excess gets a 503 at once and
#   `fault none` still gets through; so it does within seconds past 600
#   idle connections;
#   `fault` at nothing, at a web server, at a silent port, with bad
#   arguments -> a replica whose upstream is down, hangs, sends garbage or
#   truncates, is tampered with (checkpoint, SET, body, size, cut JSON) or
#   serves a fork: it keeps serving what it verified, says why in one line,
#   and catches up when the upstream recovers -> state folders: read-only,
#   key missing / 0644 / from another log, corrupt or emptied drill.db,
#   held by another process: refused in one line -> SIGTERM with hung and
#   idle clients exits 0 at once -> no sanitizer report on any stderr.
# Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_need curl openssl python3
HELPERS=()
e2e_cleanup() {
  local pid
  for pid in "${HELPERS[@]}"; do kill "$pid" 2>/dev/null; done
  chmod -R u+w "$work" 2>/dev/null
  return 0
}
e2e_begin 60
# shellcheck source=/dev/null
. "$top/tests/e2e/lib-drill-checks.sh"
HOSTILE=$top/tests/e2e/drill_hostile.py
client_key
# hostile WHAT ARGS...: one drill_hostile.py scenario; its lines pass on
hostile() {
  local what=$1
  shift
  timeout "$STEP_TIMEOUT" python3 "$HOSTILE" "$@" >"$out" 2>"$err"
  local rc=$?
  cat "$out"
  [[ $rc -eq 0 ]] || die "$what"
}
# helper VAR CMD...: a background helper, killed at exit; its PID in VAR
helper() {
  local var=$1
  shift
  "$@" &
  HELPERS+=("$!")
  printf -v "$var" '%s' "$!"
}
port_of() { # PORTFILE: waits for a helper to write its port
  local i
  for i in $(seq 100); do [[ -s $1 ]] && break; sleep 0.05; done
  cat "$1"
}
errlines() { wc -l <"$work/servers.err"; }

# ---- 1. stalled requests (on a log of their own, cut after 10 s: checked at
# the end) -------------------------------------------------------------------------
step "a primary with three entries; stalled requests start"
serve P "$work/p" || die "the drill log did not start"
for n in 1 2 3; do
  proposal $n
  http 201 "submit entry $n" -- --data-binary @"$work/prop.$n.json" \
    "$P_URL/api/v1/log/entries"
done
curl -s "$P_URL/api/v1/log/publicKey" >"$work/log.pub"
PORT=${P_ADDR#*:}
serve Q "$work/q" || die "a second drill log for stalled requests"
STALLED=()
for kind in slowloris noend endless; do
  python3 "$HOSTILE" stalled "${Q_ADDR#*:}" $kind >"$work/stalled.$kind" 2>&1 &
  STALLED+=("$!")
done
hostile "a body over the cap sent slowly" stalled "${Q_ADDR#*:}" overcap
helper SILENT_PID python3 "$HOSTILE" never_answers "$work/silent.port"
timeout 20 "$S" drill-log fault --addr "127.0.0.1:$(port_of "$work/silent.port")" \
  none >"$work/silent.out" 2>"$work/silent.err" &
SILENT_FAULT=$!

# ---- 2. malformed requests ------------------------------------------------------
step "malformed, oversized, nested, non-UTF-8, NUL, path and number tricks"
hostile "hostile requests" requests "$PORT" "$work/prop.1.json"

step "200 idle connections"
hostile "idle connections" idle "$PORT" 200

# ---- 3. concurrency ----------------------------------------------------------------
step "20 concurrent submissions"
python3 "$HOSTILE" proposals "$work/c20" 20 "$work/client.key" \
  "$work/client.pub" || die "proposals"
hostile "concurrent submissions" concurrent "$P_URL" "$work/log.pub" "$work/c20"

# ---- 4. kill -9 in a burst ---------------------------------------------------------
step "kill -9 in the middle of a burst; restart on the same state"
python3 "$HOSTILE" proposals "$work/b60" 60 "$work/client.key" \
  "$work/client.pub" || die "proposals"
hostile "burst" burst "$P_URL" "$P_PID" "$work/b60" "$work/burst.json"
wait "$P_PID" 2>/dev/null
DRILL_ADDR=$P_ADDR serve P "$work/p" || die "no restart after kill -9"
hostile "after kill -9" after_kill "$P_URL" "$work/log.pub" "$work/burst.json"

# ---- 5. faults ----------------------------------------------------------------------
step "every fault mode, switched with requests in flight"
hostile "faults in flight" faults "$P_URL" "$S" "$P_ADDR"
must 1 "fault: nothing listening" -- "$S" drill-log fault --addr 127.0.0.1:1 down
one_line_error "fault: nothing listening"
helper WEB_PID python3 -m http.server 0 --bind 127.0.0.1 --directory "$work/c20" \
  >"$work/web.out" 2>&1
for i in $(seq 50); do grep -q 'port [0-9]' "$work/web.out" && break; sleep 0.1; done
WEB_PORT=$(grep -o 'port [0-9]*' "$work/web.out" | head -1 | cut -d' ' -f2)
must 1 "fault: a web server (POST is 501)" -- \
  "$S" drill-log fault --addr "127.0.0.1:$WEB_PORT" none
one_line_error "fault: a web server"
helper OK200_PID python3 "$HOSTILE" ok200 "$work/ok200.port"
must 1 "fault: a server that answers 200 to anything" -- \
  "$S" drill-log fault --addr "127.0.0.1:$(port_of "$work/ok200.port")" none
has "$err" 'not a drill log' "says it is not a drill log"
one_line_error "fault: 200 from something else"
for bad in "sideways" "slow" "slow -5" "slow 1e3" "slow 600001" "error 200" \
  "error 600" "error 503x" "none 1" "hang 5" "slow 5 6"; do
  # shellcheck disable=SC2086
  must 2 "fault $bad" -- "$S" drill-log fault --addr "$P_ADDR" $bad
  one_line_error "fault $bad"
done
must 2 "fault none extra" -- "$S" drill-log fault --addr "$P_ADDR" none extra
has "$err" "none takes no argument \\(got 'extra'\\)" "fault none extra: says none takes no argument"
must 2 "fault slow 1e3" -- "$S" drill-log fault --addr "$P_ADDR" slow 1e3
has "$err" "slow needs a delay in ms, 0..600000, not '1e3'" "fault slow 1e3: says what slow takes"
must 2 "fault: a non-loopback address" -- "$S" drill-log fault --addr 10.0.0.1:80 none
must 2 "fault: no port" -- "$S" drill-log fault --addr 127.0.0.1 none
must 2 "fault: no mode" -- "$S" drill-log fault --addr "$P_ADDR"
http 200 "the fault after the refusals" -- "$P_URL/__drill/fault"
py "still none" 'assert d == {"mode": "none"}, d'

step "600 requests held by hang, by slow, 600 idle: the operator's fault none gets through"
# (drill_hostile.py raises its own open-file limit for the 600 sockets)
hostile "flood under hang" flood "$P_URL" "$S" "$P_ADDR" 600 hang
hostile "flood under slow" flood "$P_URL" "$S" "$P_ADDR" 600 slow 600000
hostile "idle flood" idle_flood "$P_URL" "$S" "$P_ADDR" 600

# ---- 6. replicas -----------------------------------------------------------------------
# replica_holds URL SIZE ROOT WHAT: the replica still serves that tree
replica_holds() {
  http 200 "$4: replica log info" -- "$1/api/v1/log"
  py "$4: the replica still serves size $2" \
    'assert d["treeSize"] == int(A[0]) and d["rootHash"] == A[1], d
n, r = note_size_root(d["signedTreeHead"])
assert n == int(A[0]) and r.hex() == A[1]' "$2" "$3"
}
# said_why FROM REGEX WHAT: the servers' stderr got a line matching, once
# per distinct reason (no line repeated every poll), each a whole reason
said_why() {
  local new
  new=$(tail -n +"$(($1 + 1))" "$work/servers.err")
  grep -qE -- "$2" <<<"$new" || die "$3: no /$2/ on stderr: $new"
  grep -qv '^drill-log: replica: ' <<<"$new" && die "$3: not one line: $new"
  [[ -z $(uniq -d <<<"$new") && $(wc -l <<<"$new") -le 3 ]] ||
    die "$3: repeated lines: $new"
  ok "$3: said why in one line: ${new:0:150}"
}
p_info() { # the primary's size and root
  curl -s "$P_URL/api/v1/log" >"$out"
  python3 "$DRILL_CHECKS" run "$out" 'print(d["treeSize"], d["rootHash"])'
}

step "replica: upstream down, hanging, garbage, truncated, failing"
serve R "$work/r" --replica-of "$P_URL" || die "the replica did not start"
read -r SIZE ROOT < <(p_info)
wait_size "$R_URL" "$SIZE" || die "the replica did not reach $SIZE"
ok "the replica holds $SIZE entries"
proposal 4
for mode in down hang garbage truncate "error 503"; do
  from=$(errlines)
  # shellcheck disable=SC2086
  must 0 "upstream: fault $mode" -- "$S" drill-log fault --addr "$P_ADDR" $mode
  sleep 1.2
  [[ $mode == hang ]] && sleep 3 # the replica's fetch times out after 3 s
  replica_holds "$R_URL" "$SIZE" "$ROOT" "upstream $mode"
  said_why "$from" 'drill-log: replica: .*\(retrying\)$' "upstream $mode"
done
from=$(errlines)
must 0 "upstream: fault none" -- "$S" drill-log fault --addr "$P_ADDR" none
http 201 "a new entry upstream" -- --data-binary @"$work/prop.4.json" \
  "$P_URL/api/v1/log/entries"
wait_size "$R_URL" $((SIZE + 1)) || die "the replica did not recover"
sleep 0.3
said_why "$from" 'in sync again' "upstream recovered"

step "replica: SIGTERM during a long first catch-up from a slow upstream"
must 0 "upstream: fault slow 500" -- "$S" drill-log fault --addr "$P_ADDR" slow 500
"$S" drill-log serve --addr 127.0.0.1:0 --state "$work/r3" \
  --replica-of "$P_URL" >"$work/r3.out" 2>"$work/r3.err" &
R3=$!
sleep 2
t0=$(date +%s%N)
kill -TERM "$R3"
wait "$R3"
rc=$?
t=$((($(date +%s%N) - t0) / 1000000))
cat "$work/r3.err" >>"$work/servers.err"
[[ $rc -eq 1 && $t -lt 2000 ]] || die "replica under SIGTERM: exit $rc after $t ms"
[[ $(wc -l <"$work/r3.err") -eq 1 ]] && grep -q 'stopped by a signal' "$work/r3.err" ||
  die "replica under SIGTERM said: $(cat "$work/r3.err")"
ok "stopped $t ms after SIGTERM, in one line: $(cat "$work/r3.err")"
must 0 "upstream: fault none" -- "$S" drill-log fault --addr "$P_ADDR" none

step "replica: a tampered upstream (checkpoint, SET, body, size, cut JSON)"
echo pass >"$work/proxy.mode"
helper PROXY_PID python3 "$HOSTILE" proxy "$work/proxy.port" "$P_URL" \
  "$work/proxy.mode"
PROXY_URL=http://127.0.0.1:$(port_of "$work/proxy.port")
serve T "$work/t" --replica-of "$PROXY_URL" || die "replica of the proxy"
read -r SIZE ROOT < <(p_info)
wait_size "$T_URL" "$SIZE" || die "the replica of the proxy did not sync"
n=10
for tampered in "badnote:upstream checkpoint: .*does not verify" \
  "badset:SET does not verify with the upstream's key" \
  "badbody:UUID is not the hash of its body" \
  "liesize:does not match its own checkpoint" "cut:not JSON"; do
  mode=${tampered%%:*}
  from=$(errlines)
  echo "$mode" >"$work/proxy.mode"
  proposal $n
  http 201 "entry $n upstream" -- --data-binary @"$work/prop.$n.json" \
    "$P_URL/api/v1/log/entries"
  n=$((n + 1))
  sleep 1.3
  replica_holds "$T_URL" "$SIZE" "$ROOT" "upstream $mode"
  said_why "$from" "drill-log: replica: .*${tampered#*:}.* \(retrying\)$" \
    "upstream $mode"
done
echo pass >"$work/proxy.mode"
read -r SIZE ROOT < <(p_info)
wait_size "$T_URL" "$SIZE" || die "the replica did not recover from tampering"
ok "caught up to $SIZE once the upstream is honest again"
curl -s "$T_URL/api/v1/log/entries?logIndex=$((SIZE - 1))" >"$out"
set_ok "$out" "$work/log.pub" "the replica's newest entry"

step "replica: the upstream serves a forked tree"
kill "$P_PID"; wait "$P_PID" 2>/dev/null
cp -r "$work/p" "$work/fork"
DRILL_ADDR=$P_ADDR serve P "$work/p" || die "primary restart"
for n in 20 21; do
  proposal $n
  http 201 "entry $n on the real log" -- --data-binary @"$work/prop.$n.json" \
    "$P_URL/api/v1/log/entries"
done
read -r SIZE ROOT < <(p_info)
wait_size "$R_URL" "$SIZE" || die "the replica did not reach $SIZE"
kill "$P_PID"; wait "$P_PID" 2>/dev/null
from=$(errlines)
DRILL_ADDR=$P_ADDR serve F "$work/fork" || die "the fork did not start"
for n in 30 31 32; do
  proposal $n
  http 201 "entry $n on the fork" -- --data-binary @"$work/prop.$n.json" \
    "$F_URL/api/v1/log/entries"
done
sleep 1.5
replica_holds "$R_URL" "$SIZE" "$ROOT" "forked upstream"
grep -q 'a fork?' <(tail -n +"$((from + 1))" "$work/servers.err") ||
  die "the replica did not report the fork"
ok "the replica reports the fork and keeps its tree"
kill "$F_PID"; wait "$F_PID" 2>/dev/null
DRILL_ADDR=$P_ADDR serve P "$work/p" || die "primary restart"
proposal 22
http 201 "entry 22 on the real log" -- --data-binary @"$work/prop.22.json" \
  "$P_URL/api/v1/log/entries"
wait_size "$R_URL" $((SIZE + 1)) || die "the replica did not recover from the fork"
ok "back in sync at $((SIZE + 1)) when the real upstream returns"

# ---- 7. state folders ----------------------------------------------------------------
step "state folders: read-only, keys, corrupt database, held by another process"
refused() { # WHAT REGEX STATE [USER]: serve refuses the folder in one line
  local as=()
  [[ -n ${4:-} ]] && as=(setpriv --reuid="$4" --regid="$4" --clear-groups)
  must 1 "$1" -- "${as[@]}" "$S" drill-log serve --addr 127.0.0.1:0 --state "$3"
  has "$err" "$2" "$1: says /$2/"
  one_line_error "$1"
}
kill "$P_PID"; wait "$P_PID" 2>/dev/null
cp -r "$work/p" "$work/ro"
if [[ $(id -u) -eq 0 ]]; then # root writes anywhere: run as nobody
  chown -R 65534 "$work/ro"; chmod 755 "$work"
  chmod 500 "$work/ro"
  if setpriv --reuid=65534 --regid=65534 --clear-groups "$S" --version \
    >/dev/null 2>&1; then
    refused "a read-only folder" 'must be writable' "$work/ro" 65534
  else
    ok "SKIP read-only folder: nobody cannot run $S"
  fi
else
  chmod 500 "$work/ro"
  refused "a read-only folder" 'must be writable' "$work/ro"
fi
cp -r "$work/p" "$work/k"
chmod 644 "$work/k/key.pem"
refused "key.pem mode 0644 (refused, not fixed)" 'chmod 600' "$work/k"
must 1 "pubkey with key.pem 0644" -- "$S" drill-log pubkey --state "$work/k"
chmod 600 "$work/k/key.pem"
mv "$work/k/key.pem" "$work/key.saved"
refused "key.pem missing" 'key.pem is missing' "$work/k"
serve O "$work/other" || die "another log"
kill "$O_PID"; wait "$O_PID" 2>/dev/null
cp "$work/other/key.pem" "$work/k/key.pem"
refused "another log's key.pem" "not this log's key" "$work/k"
cp "$work/key.saved" "$work/k/key.pem"
cp -r "$work/k" "$work/e" && : >"$work/e/drill.db"
refused "an emptied drill.db next to the key" 'drill.db is empty' "$work/e"
cp -r "$work/k" "$work/c" && head -c 4096 /dev/urandom >"$work/c/drill.db"
refused "random bytes for drill.db" 'not a usable drill log database' "$work/c"
cp -r "$work/k" "$work/h" && printf 'SQLite format 2\0' |
  dd of="$work/h/drill.db" conv=notrunc 2>/dev/null
refused "a damaged sqlite header" 'not a usable drill log database' "$work/h"
python3 - "$work/k/drill.db" "$work/held" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(8)
PY
HOLDER=$!
for i in $(seq 50); do [[ -e $work/held ]] && break; sleep 0.1; done
refused "drill.db held by another process" 'in use by another process' "$work/k"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
DRILL_ADDR=$P_ADDR serve P "$work/k" || die "the intact copy does not start"
ok "the intact folder serves again"

# ---- 8. what ran in the background ----------------------------------------------
step "stalled requests and a fault at a silent port"
wait "${STALLED[@]}"
for kind in slowloris noend endless; do
  cat "$work/stalled.$kind"
  grep -q '^ok:' "$work/stalled.$kind" || die "stalled $kind"
done
wait "$SILENT_FAULT"
rc=$?
[[ $rc -eq 1 && $(wc -l <"$work/silent.err") -eq 1 ]] ||
  die "fault at a silent port: exit $rc, $(cat "$work/silent.err")"
ok "fault at a silent port: exit 1, one line: $(cat "$work/silent.err")"

step "SIGTERM with hung and idle clients"
must 0 "fault hang" -- "$S" drill-log fault --addr "$P_ADDR" hang
HUNG=()
for _ in 1 2 3; do
  curl -s --max-time 30 "$P_URL/api/v1/log" >/dev/null &
  HUNG+=("$!")
done
python3 -c 'import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(50)]
time.sleep(20)' "$PORT" &
IDLE=$!
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$P_PID"
server_rc "$P_PID" 0 "SIGTERM"
t=$((($(date +%s%N) - t0) / 1000000))
((t < 3000)) || die "SIGTERM took $t ms"
ok "stopped in $t ms"
kill "$IDLE" 2>/dev/null
wait "${HUNG[@]}" "$IDLE" 2>/dev/null

drill_stop_all
step "servers' stderr"
no_sanitizer_report
e2e_finish
