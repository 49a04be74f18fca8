#!/usr/bin/env bash
# console_tmux.sh - drives the real `stella console` inside tmux (send-keys,
# capture-pane) and checks the screen as text: the dashboard of Sigstore's
# real public-good TUF repository (served on loopback, synced by the CLI with
# --allow-stale) at 80x24, the `?` overlay from the key table, a background
# sync that must not freeze the screen (the server is slowed down for it),
# resize to 100x30 and back, a scenario pane, the Backends panel when a
# local mirror's breaker opens (tripped by the CLI on a dead loopback port)
# and when config.json is broken, `q`, and a run without state.
# Env (set by tests/meson.build): STELLA_BIN, STELLA_TEST_DATA,
# STELLA_SOURCE_ROOT. STELLA_UPDATE_GOLDEN=1 rewrites console_80x24.golden
# (look at it before committing).
set -uo pipefail
: "${STELLA_BIN:?}" "${STELLA_TEST_DATA:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=$STELLA_TEST_DATA/tuf-sigstore-public-good
golden=$top/tests/e2e/console_80x24.golden
export STELLA_NOW=2026-12-03T00:00:00Z
command -v tmux >/dev/null || { echo "SKIP: no tmux"; exit 77; }

work=$(mktemp -d)
sock=stella-e2e-$$-$RANDOM
server_pid=""
sock_path=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null
  [[ -n $sock_path ]] && rm -f "$sock_path" # tmux may leave it behind
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
screen=$work/screen

fail() { echo "FAIL: $*" >&2; echo "--- screen" >&2; cat "$screen" >&2;
         failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# A loopback file server that answers each request 1.5 s late (or as many
# seconds as it holds) while the file $work/slow exists, so a sync takes
# long enough to prove the screen lives.
start_server() {
  python3 -u - "$1" "$work/slow" >"$work/http.log" 2>&1 <<'EOF' &
import functools, http.server, os, sys, time
root, slow = sys.argv[1], sys.argv[2]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if os.path.exists(slow):  # holds the delay in seconds, or nothing
            time.sleep(float(open(slow).read().strip() or 1.5))
        super().do_GET()
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Handler, directory=root))
print("Serving HTTP on 127.0.0.1 port %d" % srv.server_address[1])
srv.serve_forever()
EOF
  server_pid=$!
  local i port=""
  for i in $(seq 100); do
    port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/http.log")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { echo "FAIL: server did not start" >&2; exit 1; }
  url=http://127.0.0.1:$port
}

capture() { tmux -L "$sock" capture-pane -p -t "$1" >"$screen"; }

# wait_for TARGET REGEX [SECONDS]: polls the screen until REGEX shows up.
wait_for() {
  local i
  for i in $(seq $((${3:-10} * 10))); do
    capture "$1"
    grep -qE -- "$2" "$screen" && return 0
    sleep 0.1
  done
  return 1
}
expect() { # TARGET REGEX DESCRIPTION [SECONDS]
  if wait_for "$1" "$2" "${4:-10}"; then pass "$3"; else fail "$3: no /$2/"; fi
}
expect_not() { # TARGET REGEX DESCRIPTION
  capture "$1"
  if grep -qE -- "$2" "$screen"; then fail "$3: /$2/ still shown"
  else pass "$3"; fi
}
keys() { tmux -L "$sock" send-keys -t "$1" "${@:2}"; sleep 0.2; }

# start_console NAME ARGS...: a new 80x24 window running the console; the
# pane stays after exit (remain-on-exit) so its exit status can be read.
start_console() {
  local name=$1; shift
  local cmd="env LANG=C.UTF-8 STELLA_NOW=$STELLA_NOW NO_COLOR=1"
  cmd+=" $(printf '%q ' "$STELLA_BIN" "$@") 2>$(printf '%q' "$work/$name.err")"
  cmd+="; echo \$? >$(printf '%q' "$work/$name.rc")"
  if tmux -L "$sock" has-session 2>/dev/null; then
    tmux -L "$sock" new-window -d -n "$name" "$cmd"
  else
    tmux -L "$sock" -f "$work/tmux.conf" -u new-session -d -x 80 -y 24 \
      -s e2e -n "$name" "$cmd"
    sock_path=$(tmux -L "$sock" display-message -p '#{socket_path}')
  fi
}
# The pane's shell writes the console's exit status to NAME.rc; the pane
# dies with it (remain-on-exit keeps it around to be asked).
wait_exit() { # NAME TARGET: "dead RC" within 10 s, else what is known
  local i dead rc
  for i in $(seq 100); do
    dead=$(tmux -L "$sock" display-message -p -t "$2" '#{pane_dead}')
    rc=$(cat "$work/$1.rc" 2>/dev/null)
    [[ $dead == 1 && -n $rc ]] && break
    sleep 0.1
  done
  echo "${dead:-?} ${rc:-?}"
}

# Every row fits the width, and the screen has exactly the rows asked for.
check_geometry() { # TARGET COLS ROWS
  capture "$1"
  local rows widest
  rows=$(wc -l <"$screen")
  widest=$(LC_ALL=C.UTF-8 wc -L <"$screen") # display width, not bytes
  if [[ $rows -eq $3 && $widest -le $2 ]]; then pass "screen is $2x$3"
  else fail "screen is ${widest}x$rows, wanted $2x$3"; fi
}

# ---- a state folder synced from the real Sigstore snapshot --------------
bash "$top/devops/scripts/layout-sigstore-demo.sh" "$data" "$work/repo"
start_server "$work/repo"
home=$work/home
"$STELLA_BIN" --home "$home" trust init --tuf-url "$url" \
  --root "$data/metadata/root_history/1.root.json" >/dev/null ||
  { echo "FAIL: trust init" >&2; exit 1; }
"$STELLA_BIN" --home "$home" trust sync --allow-stale --max-age 120d \
  >/dev/null 2>&1 || { echo "FAIL: trust sync" >&2; exit 1; }
printf 'set -g remain-on-exit on\nset -g status off\n' >"$work/tmux.conf"

# ---- the dashboard at 80x24 ---------------------------------------------
start_console main --home "$home" console --allow-stale --max-age 120d
t=e2e:main
expect $t 'targets +14 ' "dashboard drawn"
expect $t ' root +15 +2026-11-20T13:58:18Z STALE' "root v15 STALE"
expect $t ' timestamp +762 .*STALE' "timestamp v762 STALE"
expect $t ' snapshot +165 .* ok' "snapshot v165 ok"
expect $t ' targets +14 .* ok' "targets v14 ok"
expect $t '^ tlog +rekor\.sigstore\.dev +PKIX_ECDSA_P256_SHA_256 c0d23d6a' \
  "rekor.sigstore.dev key with its fingerprint"
expect $t '^ https://rekor\.sigstore\.dev +rekor +v1 +sigstore\.dev' \
  "Rekor endpoint"
for s in '1 Rekor outage' '2 Rekor key compromise' \
         '3 TUF repository unavailable' '4 Signing key compromise' \
         '5 Root key ceremony'; do
  expect $t "$s" "scenario '$s' listed"
done
expect $t "Sync  from $url" "sync source shown"
expect $t '^ Backends  serving: primary rekor\.sigstore\.dev' \
  "Backends: the primary serves"
expect $t '^ primary +rekor\.sigstore\.dev +CLOSED +- +- +0 +- *$' \
  "Backends: the primary's breaker is CLOSED, never used"
expect $t '^ primary CLOSED: no state change recorded' "Backends: cause line"
check_geometry $t 80 24
# The whole screen, with the temporary folder and port normalised.
capture $t
# (the title bar pads between the home path and the time: squeeze that).
sed -e "s|$work|WORK|g" -e "s|$url|URL|g" -e 's/ *$//' -e '1s/  */ /g' \
  "$screen" \
  >"$work/normalised"
if [[ ${STELLA_UPDATE_GOLDEN:-} == 1 ]]; then
  cp "$work/normalised" "$golden" && pass "golden screen written"
elif [[ ! -f $golden ]]; then
  fail "no golden screen $golden"
elif diff -u "$golden" "$work/normalised" >&2; then
  pass "80x24 screen matches $(basename "$golden")"
else
  fail "80x24 screen differs from the golden screen"
fi

# ---- `?`: the overlay is generated from the key table --------------------
keys $t '?'
expect $t 'sync trust metadata in the background' "help: sync line"
expect $t 'Up k +up +move up in the focused list' "help: Up/k line"
expect $t 'Tab +focus' "help: Tab line"
expect $t 'press any key to close' "help: close hint"
keys $t Escape
expect_not $t 'press any key to close' "help closes on a key"

# ---- `s`: a slow background sync; the screen keeps answering ------------
touch "$work/slow"
keys $t s
expect $t 'syncing… ' "status line says syncing…" 5
keys $t j
capture $t
if grep -q '^> 2 Rekor key compromise' "$screen" && grep -q 'syncing…' "$screen"
then pass "keys handled while the sync runs (no freeze)"
else fail "screen did not move during the sync"; fi
rm -f "$work/slow"
expect $t '^ sync ok: WARNING: 2 expired item\(s\) accepted as STALE' \
  "sync outcome leads with the stale warning" 60
expect $t 'synced: root v15' "sync outcome names the verified versions"
expect $t 'last sync 2026-12-03T00:00:00Z' "last sync shown after the sync"

# ---- resize to 100x30 and back -------------------------------------------
tmux -L "$sock" resize-window -t $t -x 100 -y 30
sleep 0.5
check_geometry $t 100 30
expect $t 'STALE expired 12d 10h ago' "100 columns show how long ago roles expired"
expect $t '^ tlog +rekor\.sigstore\.dev ' "keys still shown at 100x30"
tmux -L "$sock" resize-window -t $t -x 80 -y 24
sleep 0.5
check_geometry $t 80 24
expect_not $t 'expired 12d 10h ago' "back at 80 columns the note gives way"
expect $t ' timestamp +762 .*STALE' "roles redrawn at 80x24"
expect $t '^ https://rekor\.sigstore\.dev ' "endpoints redrawn at 80x24"

# ---- a scenario pane, then back ------------------------------------------
keys $t Enter
expect $t 'Scenario 2: Rekor key compromise' "Enter opens the scenario"
expect $t 'runbook pane: coming in a later release' "runbook placeholder"
keys $t Escape
expect $t '^ Endpoints' "Esc goes back to the dashboard"

# ---- a breaker opens: the console shows it and why ------------------------
# A local mirror on a loopback port nobody listens on; two `rekor loginfo`
# calls to it (CLI, same clock) open its breaker. The console only reads.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mirror=http://127.0.0.1:$dead
printf '{"rekor": {"mirrors": ["%s"], "timeout_ms": 2000, "breaker": %s}}\n' \
  "$mirror" '{"consecutive_failures": 2, "min_calls": 2, "cooldown_s": 30}' \
  >"$home/config.json"
for i in 1 2; do
  "$STELLA_BIN" --home "$home" rekor loginfo --backend "$mirror" \
    >"$work/loginfo.$i.out" 2>&1
done
keys $t r
expect $t "^ mirror 1 +$mirror +OPEN +0s " \
  "Backends: the local mirror's breaker is OPEN"
expect $t '^ Backends  serving: primary rekor\.sigstore\.dev' \
  "the primary still serves"
expect $t '^ mirror 1 \(local\) OPEN \(probe in 30s\): .*fail' \
  "the last line says why the mirror's breaker opened"
check_geometry $t 80 24
keys $t Tab
expect $t '^\[Backends  serving: primary ' "Tab focuses Backends"
expect $t '^ mirror 1 \(local\) OPEN \(' "focus selects the open mirror"
keys $t k
expect $t '^ primary CLOSED: no state change recorded' \
  "Up selects the primary and the last line follows"
keys $t Tab
keys $t Tab
keys $t Tab
expect $t '^\[Scenarios\]' "Tab comes back round to Scenarios"
# A broken config.json: no rows, the reason in one line.
echo '{"rekor": {"breaker": []}}' >"$home/config.json"
keys $t r
expect $t '^ no Rekor backends: .*config\.json' \
  "a broken config.json: the reason instead of rows"
expect $t 'rekor\.breaker' "the reason names the bad setting"
rm -f "$home/config.json"
keys $t r
expect $t '^ primary +rekor\.sigstore\.dev +CLOSED' "config removed: rows back"

# ---- Ctrl-S is a key, not XOFF: the screen must not freeze -------------------
capture $t
before=$(grep -c '^> ' "$screen")
keys $t C-s
keys $t j
capture $t
if grep -q '^> 3 TUF repository unavailable' "$screen"; then
  pass "after Ctrl-S the screen still moves"
else fail "Ctrl-S froze the screen (selection rows before: $before)"; fi
keys $t k

# ---- quitting during a slow sync cancels it instead of waiting ----------------
echo 30 >"$work/slow" # each request hangs 30 s
start_console slowq --home "$home" console --allow-stale --max-age 120d
t2=e2e:slowq
expect $t2 'targets +14 ' "a second console drawn"
keys $t2 s
expect $t2 'syncing' "its sync runs against the slow server" 5
t0=$SECONDS
keys $t2 q
state=$(wait_exit slowq $t2)
took=$((SECONDS - t0))
rm -f "$work/slow"
if [[ $state == "1 0" && $took -le 5 ]]; then
  pass "q during a slow sync quits in ${took}s"
else fail "q during a slow sync: pane '$state' after ${took}s"; fi
if grep -q 'cancelling the running sync' "$work/slowq.err"; then
  pass "it says the sync was cancelled"
else fail "no cancel message: $(cat "$work/slowq.err")"; fi

# ---- Ctrl-\ (SIGQUIT) ends it like q, terminal restored ----------------------
start_console quitsig --home "$home" console --allow-stale --max-age 120d
t3=e2e:quitsig
expect $t3 'targets +14 ' "a third console drawn"
keys $t3 'C-\'
state=$(wait_exit quitsig $t3)
if [[ $state == "1 0" ]]; then pass "Ctrl-\\ quits cleanly with status 0"
else fail "after Ctrl-\\ the pane is '$state'"; fi

# ---- `q` ends the process -------------------------------------------------
keys $t q
state=$(wait_exit main $t)
if [[ $state == "1 0" ]]; then pass "q quits with status 0, the pane's process ends"
else fail "after q the pane is '$state' (dead? status)"; cat "$work/main.err" >&2; fi

# ---- no trusted state: guidance instead of a crash ------------------------
start_console empty --home "$work/empty" console
t=e2e:empty
expect $t 'no trusted root: run stella --home' "no-state guidance"
expect $t 'trust init' "guidance names trust init"
expect $t '--root FILE' "guidance names the root file"
expect $t '^ no Rekor backends yet: press s to sync the service map' \
  "no-state Backends hint"
keys $t s
expect $t 'sync failed' "sync without state reports, no crash"
keys $t q
state=$(wait_exit empty $t)
if [[ $state == "1 0" ]]; then pass "no-state console quits cleanly"
else fail "no-state console pane is '$state'"; fi

# Nothing on stderr: no sanitizer report, no stray output under the screen.
for name in main empty; do
  if [[ -s $work/$name.err ]]; then
    fail "console '$name' wrote to stderr:"; cat "$work/$name.err" >&2
  else
    pass "console '$name' left stderr empty"
  fi
done

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all console checks passed"
