#!/usr/bin/env bash
# bundle_airgap.sh - trust bundles end to end: a client syncs from Sigstore's
# real snapshot served on loopback, exports its verified state, the server
# goes away, and two "air-gapped" homes import the bundle (one with no trust
# at all, taking the bundle's first root as the anchor with --force; one
# initialized from root v1 out of band) and end up with the same status.
# Also the wrapper script, usage errors, damaged bundles, what --out may
# replace, and a bundle URL a folder without one would store, through the
# CLI; refused imports and read-only commands leave no state folder behind.
# Env (set by tests/meson.build): STELLA_BIN, STELLA_TEST_DATA,
# STELLA_SOURCE_ROOT.
set -uo pipefail
: "${STELLA_TEST_DATA:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin

# same_status A B: trust status --json of two homes, equal but for the clock
# and the sync time (an import is the importing site's own sync).
same_status() {
  "$STELLA_BIN" --home "$1" trust status --json >"$work/a.json" 2>"$err" &&
  "$STELLA_BIN" --home "$2" trust status --json >"$work/b.json" 2>>"$err" || {
    fail "$3: status failed"; return; }
  if python3 - "$work/a.json" "$work/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for k in ("now", "last_sync"):
        d.pop(k, None)
sys.exit(0 if a == b else 1)
PY
  then pass "$3"; else fail "$3: $(diff "$work/a.json" "$work/b.json" | head -5)"; fi
}
tuf_sums() { (cd "$1/tuf" && find . -type f | sort | xargs sha256sum); }

export STELLA_NOW=2026-08-22T00:00:00Z
"$top/devops/scripts/layout-sigstore-demo.sh" "$data" "$work/repo"
serve_start "$work/repo" || exit 1
url=$SERVE_URL
src=$work/site-a bundle=$work/bundle.tar.zst

# ---- help and usage ----------------------------------------------------------
run 0 "stella trust --help" -- trust --help && expect_in "$out" "trust snapshot export" "trust help lists snapshot export"
run 0 "import --help" -- trust snapshot import --help && expect_in "$out" "FILE \[--force\]" "import help shows FILE [--force]"
run 0 "export --help" -- trust snapshot export --help && expect_in "$out" "--include-root" "export help shows --include-root"
run 0 "trust snapshot --help" -- trust snapshot --help && expect_in "$out" "trust snapshot import" "snapshot group help lists import"
run 2 "trust snapshot without a command" -- trust snapshot && one_line_stderr "snapshot without a command"
run 2 "export without --out" -- --home "$src" trust snapshot export && one_line_stderr "export without --out"
run 2 "import without FILE" -- --home "$src" trust snapshot import && one_line_stderr "import without FILE"
run 2 "import with two files" -- --home "$src" trust snapshot import a b

# ---- site A: online, synced ---------------------------------------------------
run 1 "export before init" -- --home "$src" trust snapshot export --out "$bundle" && one_line_stderr "export before init"
run 0 "init site A with root v1" -- --home "$src" trust init --tuf-url "$url" --root "$root1"
run 1 "export before sync" -- --home "$src" trust snapshot export --out "$bundle" && expect_in "$err" "trust sync" "says to sync first"
run 0 "sync site A" -- --home "$src" trust sync && expect_in "$out" "root v15, timestamp v762" "site A walked to root v15"
run 0 "export --include-root" -- --home "$src" trust snapshot export --include-root --out "$bundle" \
  && expect_in "$out" "root v1\.\.v15, timestamp v762, snapshot v165, targets v14 \(20 files\)" "bundle holds roots 1..15 and the top roles"
if [[ $(stat -c %a "$bundle") == 644 ]]; then pass "bundle is 0644"; else fail "bundle mode $(stat -c %a "$bundle")"; fi
if ls -a "$work" | grep -q '\.tmp-'; then fail "temp file left next to the bundle"; else pass "no temp file left"; fi
run 0 "export current root only" -- --home "$src" trust snapshot export --out "$work/current.tar.zst" \
  && expect_in "$out" "root v15\.\.v15" "current-root bundle"
run 0 "export over an older bundle (a regular file is replaced)" -- --home "$src" trust snapshot export --out "$work/current.tar.zst"
serve_stop

# ---- --out: the bundle is renamed over FILE, so only a regular file may be there
# (as root, a device node of our own: a regression must not replace /dev/null)
if [[ $(id -u) -eq 0 ]] && mknod "$work/null" c 1 3 2>/dev/null; then dev=$work/null; else dev=/dev/null; fi
mkfifo "$work/fifo"; ln -s "$bundle" "$work/link"
db_sum=$(sha256sum "$src/stella.db")
for target in "$dev:character device" "$work/fifo:FIFO" "$work/link:symbolic link" "$work:directory" \
  "$src/stella.db:inside the state folder" "$src/tuf/b.tar.zst:inside the state folder"; do
  path=${target%%:*} why=${target#*:}
  run 2 "export --out $why" -- --home "$src" trust snapshot export --out "$path" \
    && one_line_stderr "--out $why" && expect_in "$err" "$why" "--out names what is there: $why"
done
[[ -c $dev && -p $work/fifo && -L $work/link && ! -e $src/tuf/b.tar.zst ]] \
  && pass "device, FIFO and link are left as they were" || fail "--out replaced something"
[[ $(sha256sum "$src/stella.db") == "$db_sum" ]] && pass "stella.db untouched" || fail "--out stella.db changed it"

# ---- export only reads: a lock file it may not write does not stop it
# (root writes anything: then run as nobody)
cp -a "$src" "$work/ro"; mkdir "$work/ro-out"; chmod 400 "$work/ro/.sync.lock"
as=()
if [[ $(id -u) -eq 0 ]]; then
  chown -R 65534 "$work/ro" "$work/ro-out"; chmod 755 "$work"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
run_cmd 0 "export with a read-only lock file" -- "${as[@]}" "$STELLA_BIN" --home "$work/ro" \
  trust snapshot export --out "$work/ro-out/b.tar.zst"

# ---- read-only commands and a refused import create nothing --------------------
none=$work/none/x
run 1 "status on a folder that does not exist" -- --home "$none" trust status \
  && one_line_stderr "status without a folder" && expect_in "$err" "no trust is set up in .*stella trust init" "says no trust is set up"
run 1 "export from a folder that does not exist" -- --home "$none" trust snapshot export --out "$work/x.tar.zst" \
  && expect_in "$err" "no trust is set up in" "export says no trust is set up"
run 1 "sync on a folder that does not exist" -- --home "$none" trust sync
run 2 "init with a bad URL" -- --home "$none" trust init --tuf-url "http://:18471" --root "$root1"
HOME=$work/none/home XDG_DATA_HOME= STELLA_HOME= run 1 "status with HOME=/nonexistent/..." -- trust status
[[ ! -e $work/none ]] && pass "nothing created by status, export, sync, bad init" || fail "created: $(find "$work/none")"
mkdir "$work/empty"
run 1 "status on an empty folder" -- --home "$work/empty" trust status
run 1 "import into an empty folder without --force" -- --home "$work/empty" trust snapshot import "$bundle"
[[ -z $(ls -A "$work/empty") ]] && pass "empty folder left empty" || fail "empty folder got: $(ls -A "$work/empty")"

# ---- site B: air-gapped, no trust at all -----------------------------------------
anchor=$(sha256sum "$root1" | cut -d' ' -f1)
b=$work/site-b
run 1 "import into an empty home without --force" -- --home "$b" trust snapshot import "$bundle" \
  && one_line_stderr "anchor refusal" && expect_in "$err" "$anchor" "refusal prints the anchor's SHA-256" \
  && expect_in "$err" "--force" "refusal names --force"
if [[ -e $b ]]; then fail "refused import created the state folder"; else pass "refused import created no folder"; fi
run 0 "import --force into an empty home" -- --home "$b" trust snapshot import "$bundle" --force \
  && expect_in "$err" "WARNING: .*FROM THE BUNDLE ITSELF, SHA-256 $anchor" "warns that the anchor comes from the bundle" \
  && expect_in "$out" "root v15 \(new\), timestamp v762, snapshot v165, targets v14" "imported the verified state"
same_status "$src" "$b" "site B status equals site A's"

# ---- site C: root v1 from out of band, then the bundle via the wrapper -----------
c=$work/site-c
run 0 "init site C offline with root v1" -- --home "$c" trust init --tuf-url "$url" --root "$root1"
before=$(tuf_sums "$c")
STELLA_HOME=$c "$top/devops/scripts/bootstrap-trust-offline.sh" "$bundle" >"$out" 2>"$err"
if [[ $? -eq 1 ]] && grep -q "from v1 to v15" "$err"; then pass "wrapper: root change refused without --force"
else fail "wrapper: root change without --force"; fi
[[ $(tuf_sums "$c") == "$before" ]] && pass "refused import changed nothing" || fail "refused import changed trusted files"
run 1 "current-root bundle cannot reach v15 from v1" -- --home "$c" trust snapshot import "$work/current.tar.zst" --force \
  && expect_in "$err" "lacks root v2.*--include-root" "says which root is missing"
STELLA_HOME=$c STELLA_BIN=$STELLA_BIN "$top/devops/scripts/bootstrap-trust-offline.sh" "$bundle" --force >"$out" 2>"$err"
if [[ $? -eq 0 ]]; then pass "wrapper: import --force"; else fail "wrapper: import --force"; fi
expect_in "$out" "root v1 -> v15" "site C moved from root v1 to v15"
same_status "$src" "$c" "site C status equals site A's"
run 0 "import the same bundle again" -- --home "$c" trust snapshot import "$bundle" && expect_in "$out" "root v15 \(unchanged\)" "re-import is a no-op root-wise"

# ---- damaged bundles through the CLI --------------------------------------------
before=$(tuf_sums "$c")
head -c 3000 "$bundle" >"$work/cut.tar.zst"
run 1 "truncated bundle" -- --home "$c" trust snapshot import "$work/cut.tar.zst" --force && one_line_stderr "truncated bundle"
head -c 4096 /dev/urandom >"$work/noise.tar.zst"
run 1 "garbage bundle" -- --home "$c" trust snapshot import "$work/noise.tar.zst" --force && one_line_stderr "garbage bundle"
[[ $(tuf_sums "$c") == "$before" ]] && pass "damaged bundles changed nothing" || fail "damaged bundle changed trusted files"

# ---- the manifest's tuf_url (not signed) is stored only by a folder without one
if command -v zstd >/dev/null; then
  mkdir "$work/x" && tar --zstd -xf "$bundle" -C "$work/x"
  python3 - "$work/x/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["tuf_url"] = "https://user:pw@evil.example"
json.dump(m, open(sys.argv[1], "w"))
PY
  (cd "$work/x" && tar --zstd -cf "$work/evil-url.tar.zst" manifest.json $(find roots metadata targets -type f))
  run 1 "import a bundle whose URL holds a password into an empty home" -- --home "$work/d" trust snapshot import "$work/evil-url.tar.zst" --force \
    && one_line_stderr "bad bundle URL" && expect_in "$err" "repository URL .* cannot be used: user names and passwords" "says what is wrong with the URL" \
    && expect_not_in "$err" "pw@" "does not echo the password"
  [[ ! -e $work/d ]] && pass "bad URL: no folder created" || fail "bad URL: folder created"
  run 0 "the same bundle into a home with a URL of its own" -- --home "$c" trust snapshot import "$work/evil-url.tar.zst"
else
  echo "skip: bundle URL checks (no zstd)"
fi

e2e_finish
