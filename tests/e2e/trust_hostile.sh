#!/usr/bin/env bash
# trust_hostile.sh - `stella trust` against a hostile mirror and hostile
# local state. A misbehaving server (hostile_server.py, 127.0.0.1 only)
# serves the Sigstore snapshot with one file replaced by an error page,
# truncated or oversized JSON, a hung or stalled reply, a reset, a redirect,
# gzip, NUL bytes, bad UTF-8, deep nesting, huge integers, duplicate keys.
# Every failure must be exit 1 with one line on stderr, in bounded time and
# memory, and leave only complete files that were served in the state folder.
# Then: odd command lines, damaged local state, concurrent commands, and
# syncs killed with SIGKILL at random moments.
# Env (set by tests/meson.build): STELLA_BIN, STELLA_TEST_DATA,
# STELLA_SOURCE_ROOT. HOSTILE_KILLS overrides the number of kill rounds (20).
set -uo pipefail
: "${STELLA_BIN:?}" "${STELLA_TEST_DATA:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=$STELLA_TEST_DATA/tuf-sigstore-public-good
root1=$data/metadata/root_history/1.root.json
export STELLA_NOW=2026-08-22T00:00:00Z # the snapshot verifies without tolerance

work=$(mktemp -d)
srv_pid=""
stop_server() {
  [[ -n $srv_pid ]] || return 0
  kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
failures=0
out=$work/out err=$work/err rules=$work/rules
. "$top/tests/e2e/lib.sh"


asan=$(nm -D "$STELLA_BIN" 2>/dev/null | grep -c __asan_init || true)
# Sanitizer builds are several times slower; time bounds scale with this.
slow=1; [[ ${asan:-0} -gt 0 ]] && slow=3

# ---- the mirror -------------------------------------------------------------
"$top/devops/scripts/layout-sigstore-demo.sh" "$data" "$work/repo"
echo '{}' >"$rules"
python3 -u "$top/tests/e2e/hostile_server.py" "$work/repo" "$rules" \
  >"$work/port" 2>"$work/server.log" &
srv_pid=$!
for _ in $(seq 200); do [[ -s $work/port ]] && break; sleep 0.05; done
port=$(sed -n 's/^port //p' "$work/port")
[[ -n $port ]] || { echo "FAIL: hostile server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port
set_rule() { printf '{"%s": "%s"}\n' "$1" "$2" >"$rules"; }
clear_rules() { echo '{}' >"$rules"; }

# Every file the mirror serves (and the root given to init), by SHA-256.
served=$work/served.sha256
( find "$work/repo" -type f -exec sha256sum {} +; sha256sum "$root1" ) |
  cut -d' ' -f1 | sort -u >"$served"

# check_state HOME WHAT [debris-ok]: the trusted folders hold only complete
# files that were served, nothing but *.json, and no temp files - except,
# with debris-ok, a killed write's ".NAME.tmp-XXXXXX" (which never ends in
# .json and which the next sync sweeps away).
check_state() {
  local home=$1 what=$2 debris_ok=${3:-} bad=""
  local f
  for f in "$home"/tuf/metadata/* "$home"/tuf/metadata/.[!.]* \
           "$home"/tuf/targets/* "$home"/tuf/targets/.[!.]*; do
    [[ -e $f || -L $f ]] || continue
    if [[ -n $debris_ok && $(basename "$f") == .*.tmp-* && $f != *.json ]]; then
      debris=$((debris + 1))
    elif [[ ! -f $f || $f != *.json || $(basename "$f") == .* ]]; then
      bad+=" stray:$(basename "$f")"
    elif ! grep -qx "$(sha256sum <"$f" | cut -d' ' -f1)" "$served"; then
      bad+=" not-served:$(basename "$f")"
    fi
  done
  if [[ -z $bad ]]; then pass "$what: state folder holds only served files"
  else fail "$what: state folder has$bad"; fi
}


# run WANT_RC MAX_SECS WHAT -- ARGS... (in place of lib.sh's run): stella under a hard timeout,
# checks the exit code and the time taken. Output in $out / $err.
run() {
  local want=$1 max=$(($2 * slow)) what=$3; shift 4
  local t0=$SECONDS
  timeout -s KILL $((max + 30)) "$STELLA_BIN" "$@" >"$out" 2>"$err"
  local rc=$? took=$((SECONDS - t0))
  if [[ $rc -ne $want ]]; then fail "$what: exit $rc, wanted $want"; return 1; fi
  if [[ $took -gt $max ]]; then fail "$what: took ${took}s (limit ${max}s)"; return 1; fi
  if grep -qE "Sanitizer|runtime error:" "$err"; then fail "$what: sanitizer report"; return 1; fi
  pass "$what (exit $rc, ${took}s)"
}

# A home that trusts root v1 of the mirror, copied fresh for each attack.
template=$work/template
run 0 10 "init the template home" -- --home "$template" trust init --tuf-url "$url" --root "$root1" || exit 1
fresh_home() { rm -rf "$work/h"; cp -a "$template" "$work/h"; echo "$work/h"; }

# attack PATH_GLOB BEHAVIOUR REGEX [MAX_SECS]: one sync against the mirror
# misbehaving on PATH_GLOB must fail (exit 1) with one line matching REGEX,
# leave only served files, and a following honest sync must succeed.
attack() {
  local glob=$1 how=$2 regex=$3 max=${4:-10} home
  local what="$how on $glob"
  home=$(fresh_home)
  set_rule "$glob" "$how"
  if run 1 "$max" "$what" -- --home "$home" trust sync; then
    one_line_stderr "$what"
    expect_in "$err" "^stella: trust sync: .*$regex" "$what: says why"
  fi
  check_state "$home" "$what"
  clear_rules
  run 0 10 "$what: then an honest sync" -- --home "$home" trust sync
}

# ---- replies that are not the metadata ---------------------------------------
roles=(/2.root.json /16.root.json /timestamp.json /165.snapshot.json /14.targets.json)
for p in "${roles[@]}"; do
  attack "$p" html "not valid JSON"
  attack "$p" status:500 "HTTP 500"
  # (16.root.json does not exist: a 404 there ends the root chain)
  [[ $p == /16.root.json ]] || attack "$p" truncate "not valid JSON|larger than|length|hash"
done
attack /timestamp.json nul "not valid JSON .*control character"
attack /timestamp.json badutf8 "not valid JSON .*UTF-8"
attack /timestamp.json gzip "not valid JSON"
attack /timestamp.json dupkeys "duplicate key"
attack /timestamp.json hugeint "version"
attack /timestamp.json nested "larger than its 16384-byte cap"
attack /2.root.json nested "nesting deeper"
attack /14.targets.json nested "nesting deeper|length|hash"
# Unsigned bytes quoted in an error must not reach the terminal raw.
attack /timestamp.json escape '_type is "\?\]0;PWNED'
if grep -q $'\x1b' "$err"; then fail "escape: ESC byte printed"; else pass "escape: no ESC byte printed"; fi
attack /timestamp.json reset "Failure when receiving|reset|Empty reply"
attack /timestamp.json status:403 "HTTP 403"
attack '/targets/*.trusted_root.json' html "trusted_root.json.*refused"
# Listed but missing: an error, not "the repository lists no ..."; and no
# silent fall back from signing_config.v0.2.json to the v0.1 file.
attack '/targets/*.trusted_root.json' status:404 "trusted_root.json.*HTTP 404"
attack '/targets/*.signing_config.v0.2.json' status:404 "signing_config.v0.2.json.*HTTP 404"
attack '/targets/*.signing_config.v0.2.json' html "signing_config.v0.2.json.*refused"
attack '/targets/*.signing_config.v0.2.json' gzip "signing_config.v0.2.json.*refused"

# ---- oversized bodies: cut at the cap, fast, in little memory ---------------
rss_kb() { # prints the peak RSS (KiB) of the stella run in $@
  python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
for how in big:50000000 bigchunked:50000000; do
  attack /timestamp.json "$how" "larger than its 16384-byte cap" 5
  attack /165.snapshot.json "$how" "larger than its 2000000-byte cap|length" 5
  attack '/targets/*.trusted_root.json' "$how" "longer than the 6787 bytes" 5
  home=$(fresh_home); set_rule /timestamp.json "$how"
  kb=$(rss_kb "$STELLA_BIN" --home "$home" trust sync)
  if [[ ${asan:-0} -gt 0 ]]; then echo "skip: RSS bound under ASan (${kb} KiB)"
  elif [[ $kb -lt 40000 ]]; then pass "$how timestamp: peak RSS ${kb} KiB (< 40 MB)"
  else fail "$how timestamp: peak RSS ${kb} KiB"; fi
  clear_rules
done

# ---- a hung server and a stalled body end with a timeout, not a hang --------
attack /timestamp.json hang "timed out" 30
attack /165.snapshot.json stall "timed out" 30

# A server that answers every request, but slowly: each root of the chain
# (v2..v15) takes 1.5 s, so only the overall limit stops the sync early.
home=$(fresh_home); set_rule '/*.root.json' delay:1500
if run 1 8 "slow answers, --deadline 3s: the whole sync stops" -- --home "$home" trust sync --deadline 3s; then
  one_line_stderr "--deadline"
  expect_in "$err" "^stella: trust sync: .*(overall time limit of 3 s is spent|timed out)" "--deadline: says why"
fi
check_state "$home" "--deadline"
run 2 2 "--deadline 0s is refused" -- --home "$home" trust sync --deadline 0s
expect_in "$err" "--deadline '0s' is not a duration" "--deadline 0s: says why"
clear_rules

# ---- redirects ---------------------------------------------------------------
home=$(fresh_home); set_rule '/*' "redirect:http://localhost:$port/mirror"
run 0 10 "every file redirected to another host name (signed data: followed)" -- --home "$home" trust sync
check_state "$home" "redirected sync"
attack /timestamp.json "redirect:file:///etc/passwd#" "redirect refused .*only http"
attack /timestamp.json "redirect:ftp://127.0.0.1:1" "redirect refused"
attack /timestamp.json "redirect:$url" "redirects.*maximum"
attack /14.targets.json "redirect:http://127.0.0.1:1" "after 1 redirect to http://127.0.0.1:1/.*connection refused"
clear_rules

# ---- a file:// repository works like http:// ---------------------------------
home=$work/file-url
run 0 5 "init with a file:// URL" -- --home "$home" trust init --tuf-url "file://$work/repo/" --root "$root1"
run 0 10 "sync from the file:// URL" -- --home "$home" trust sync && expect_in "$out" "root v15, timestamp v762" "file:// sync summary"
check_state "$home" "file:// sync"

# ---- command lines -------------------------------------------------------------
h=$work/cli
usage() { # DESCRIPTION ARGS...: exit 2, one line that points at help
  local what=$1; shift
  if run 2 5 "$what" -- "$@"; then
    one_line_stderr "$what"; expect_in "$err" "--help|e\\.g\\.|RFC 3339|base URL" "$what: says what to do"
  fi
}
usage "empty --home" --home "" trust status
usage "empty --tuf-url" --home "$h" trust init --tuf-url "" --root "$root1"
usage "empty --root" --home "$h" trust init --tuf-url "$url" --root ""
usage "URL without scheme" --home "$h" trust init --tuf-url 127.0.0.1:8000 --root "$root1"
usage "URL without host" --home "$h" trust init --tuf-url http:// --root "$root1"
usage "URL host missing before path" --home "$h" trust init --tuf-url http:///x --root "$root1"
usage "relative file:// URL" --home "$h" trust init --tuf-url file://repo --root "$root1"
usage "URL with a newline" --home "$h" trust init --tuf-url "$(printf 'http://a\nb')" --root "$root1"
usage "URL with a space" --home "$h" trust init --tuf-url "http://a b" --root "$root1"
long=http://$(head -c 5000 /dev/zero | tr '\0' a).example
usage "5000-character URL" --home "$h" trust init --tuf-url "$long" --root "$root1"
if [[ $(wc -c <"$err") -lt 400 ]]; then pass "long URL: error line stays short"
else fail "long URL: error line is $(wc -c <"$err") bytes"; fi
usage "--max-age 0d" --home "$h" trust sync --allow-stale --max-age 0d
usage "--max-age -5d" --home "$h" trust sync --allow-stale --max-age -5d
usage "--max-age without unit" --home "$h" trust sync --allow-stale --max-age 5
usage "--max-age overflowing" --home "$h" trust sync --allow-stale --max-age 999999999999999999999d
usage "--allow-stale without --max-age" --home "$h" trust sync --allow-stale
usage "--max-age without --allow-stale" --home "$h" trust sync --max-age 7d
usage "flag given a value" --home "$h" trust sync --allow-stale=yes --max-age 7d
usage "stray word" --home "$h" trust sync now
usage "bare --" --home "$h" -- trust status
STELLA_NOW= run 1 5 "--max-age 99999999d is a valid duration (not initialized)" -- --home "$h/none" trust sync --allow-stale --max-age 99999999d \
  && one_line_stderr "huge max-age"

# Secrets: credentials in the URL are refused, so never stored nor printed.
if run 2 5 "URL with user:password" -- --home "$h" trust init --tuf-url "http://op:hunter2@127.0.0.1:$port" --root "$root1"; then
  one_line_stderr "URL with credentials"
  expect_not_in "$err" hunter2 "the password is not echoed"
fi
if [[ -e $h/stella.db ]] && grep -qa hunter2 "$h/stella.db"; then fail "password stored in stella.db"
else pass "password not stored"; fi

# init with a root that is not a root.
run 1 5 "init --root /dev/zero (capped read)" -- --home "$h" trust init --tuf-url "$url" --root /dev/zero && one_line_stderr "/dev/zero root"
run 1 5 "init --root a folder" -- --home "$h" trust init --tuf-url "$url" --root /etc && one_line_stderr "folder as root"
run 1 5 "init --root a timestamp" -- --home "$h" trust init --tuf-url "$url" --root "$work/repo/timestamp.json" \
  && expect_in "$err" "expected \"root\"" "names the wrong _type"

# ---- damaged local state -----------------------------------------------------------
synced=$work/synced
cp -a "$template" "$synced"
run 0 10 "sync the reference home" -- --home "$synced" trust sync || exit 1
damaged() { rm -rf "$work/d"; cp -a "$synced" "$work/d"; echo "$work/d"; }

d=$(damaged); head -c 20000 /dev/urandom >"$d/stella.db"; rm -f "$d"/stella.db-*
for cmd in status sync; do
  run 1 5 "garbage stella.db: trust $cmd" -- --home "$d" trust $cmd \
    && one_line_stderr "garbage db $cmd" && expect_in "$err" "stella.db is damaged or not a stella database" "garbage db: says the database is bad"
done
d=$(damaged); { printf 'SQLite format 3\0'; head -c 8000 /dev/urandom; } >"$d/stella.db"; rm -f "$d"/stella.db-*
run 1 5 "sqlite header then garbage: status" -- --home "$d" trust status && one_line_stderr "half-garbage db"
d=$(damaged); : >"$d/stella.db"; rm -f "$d"/stella.db-*
run 1 5 "empty stella.db: status says not initialized" -- --home "$d" trust status \
  && expect_in "$err" "trust init" "empty db: says to run init"
echo not-a-folder >"$work/afile"
run 1 5 "--home is a file" -- --home "$work/afile" trust status \
  && one_line_stderr "home is a file" && expect_in "$err" "is not a folder" "says it is not a folder"
run 1 5 "--home below a file" -- --home "$work/afile/sub" trust status && one_line_stderr "home below a file"

if [[ $(id -u) -ne 0 ]]; then # root ignores file modes
  d=$(damaged); rm "$d/tuf/metadata/timestamp.json"; chmod 500 "$d/tuf/metadata"
  run 1 10 "metadata folder not writable: sync" -- --home "$d" trust sync \
    && one_line_stderr "read-only metadata" && expect_in "$err" "permissions" "says to check permissions"
  chmod 700 "$d/tuf/metadata"
  d=$(damaged); chmod 500 "$d"
  # (sqlite in WAL mode needs to create its side files next to stella.db)
  run 1 5 "state folder not writable: status" -- --home "$d" trust status \
    && one_line_stderr "read-only home" && expect_in "$err" "writable folder" "says it needs a writable folder"
  chmod 700 "$d"
else
  echo "skip: unwritable state folder checks (running as root)"
fi
for target in /etc/passwd /dev/zero /nonexistent; do
  d=$(damaged); ln -sf "$target" "$d/tuf/metadata/timestamp.json"
  run 0 5 "timestamp.json -> $target: status" -- --home "$d" trust status
  run 0 10 "timestamp.json -> $target: sync replaces the link" -- --home "$d" trust sync
  if [[ -L $d/tuf/metadata/timestamp.json ]]; then fail "the symlink is still there"
  else pass "sync wrote a real file over the symlink"; fi
done
d=$(damaged); rm -rf "$d/tuf/metadata"; ln -s "$work/elsewhere" "$d/tuf/metadata"; mkdir -p "$work/elsewhere"
run 1 10 "metadata folder is a dangling-ish symlink to an empty folder: sync" -- --home "$d" trust sync && one_line_stderr "symlinked empty metadata"

d=$(damaged); echo '{"not": "a trusted root"' >"$d/tuf/targets/trusted_root.json"
run 0 5 "corrupt stored trusted_root.json: status still answers" -- --home "$d" trust status --json
expect_in "$out" '"service_map_error": "stored service map unreadable: trusted_root' "status names the unreadable service map"
run 0 10 "corrupt stored trusted_root.json: sync repairs it" -- --home "$d" trust sync
run 0 5 "status after repair" -- --home "$d" trust status --json
expect_in "$out" '"service_map_error": null' "service map readable again"

d=$(damaged); python3 - "$d/tuf/targets/trusted_root.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["tlogs"][0]["baseUrl"] = "https://evil\x1b]0;PWNED\x07\x1b[2J\u009b\nnext"
json.dump(doc, open(sys.argv[1], "w"))
PY
run 0 5 "service map with terminal escapes: status --show-keys" -- --home "$d" trust status --show-keys
if grep -q $'\x1b' "$out"; then fail "status printed an ESC byte"; else pass "status shows escapes as '?'"; fi
expect_in "$out" 'https://evil\?\]0;PWNED' "the URL is still shown"
run 0 5 "service map with terminal escapes: status --json" -- --home "$d" trust status --json
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out"; then pass "--json stays valid JSON"; else fail "--json broken"; fi

# ---- concurrent commands -------------------------------------------------------------
d=$(damaged); rm -f "$d"/tuf/metadata/{timestamp,snapshot,targets}.json
set_rule '/*' delay:300
"$STELLA_BIN" --home "$d" trust sync >"$work/bg.out" 2>"$work/bg.err" &
bg=$!
sleep 0.5
run 1 5 "second sync while one runs fails fast" -- --home "$d" trust sync \
  && expect_in "$err" "another sync or init is running" "names the running sync"
# init --force during a sync would swap folders under the sync's writes.
run 1 5 "init --force while a sync runs fails fast" -- --home "$d" trust init --force --tuf-url "$url" --root "$root1" \
  && expect_in "$err" "another sync or init is running" "init names the running sync"
if wait $bg; then pass "the first sync finished"; else fail "the first sync failed: $(cat "$work/bg.err")"; fi
clear_rules
check_state "$d" "after concurrent syncs"

# init --force while status runs in a loop: status never crashes.
d=$(damaged)
( for _ in $(seq 30); do "$STELLA_BIN" --home "$d" trust status --json >/dev/null 2>>"$work/st.err"
    rc=$?; [[ $rc -le 1 ]] || echo "status exit $rc" >>"$work/st.bad"; done ) &
loop=$!
for _ in $(seq 10); do
  "$STELLA_BIN" --home "$d" trust init --force --tuf-url "$url" --root "$root1" >/dev/null 2>>"$work/init.err" \
    || echo "init --force failed" >>"$work/st.bad"
done
wait $loop
if [[ ! -s $work/st.bad ]]; then pass "status during init --force: exit 0/1 only, init never failed"
else fail "status during init --force: $(sort -u "$work/st.bad" | head -3)"; fi
if ! grep -qiE "sanitizer|runtime error|segv" "$work/st.err" "$work/init.err"; then pass "no sanitizer reports"
else fail "sanitizer report during status/init race: $(head -3 "$work/st.err")"; fi
leftover=$(find "$d/tuf" -mindepth 1 -maxdepth 1 ! -name metadata ! -name targets ! -name root-history)
if [[ -z $leftover ]]; then pass "init --force left no side folders"; else fail "left: $leftover"; fi

# ---- SIGKILL at random moments --------------------------------------------------------
# Each round: a fresh home syncs from a mirror that answers every request
# after 30 ms (so the sync is about a second long), killed after a random
# 0-1.2 s: the state folder must hold only served files, status must read
# it, and an honest sync must then succeed.
set_rule '/*' delay:30
debris=0
rounds=${HOSTILE_KILLS:-20}
RANDOM=7 # reproducible
for r in $(seq "$rounds"); do
  home=$(fresh_home)
  "$STELLA_BIN" --home "$home" trust sync >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", r % 1200 / 1000 * '$slow' }')"
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
  check_state "$home" "kill round $r" debris-ok
  "$STELLA_BIN" --home "$home" trust status >/dev/null 2>"$err"
  [[ $? -le 1 ]] || fail "kill round $r: status crashed"
  "$STELLA_BIN" --home "$home" trust sync >"$out" 2>"$err" || fail "kill round $r: the next sync failed"
  check_state "$home" "kill round $r, after the next sync"
done
pass "$rounds kill rounds done; $debris left a temp file, swept by the next sync"
clear_rules

if grep -qiE "sanitizer|runtime error" "$err"; then fail "sanitizer output"; fi
e2e_finish
