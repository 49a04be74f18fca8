#!/usr/bin/env bash
# trust_sigstore.sh - `stella trust` end to end on Sigstore's real public-good
# TUF repository (tests/data/tuf-sigstore-public-good), served on loopback in
# its consistent-snapshot layout: init from root v1, the stale and fresh
# syncs, status --json, rollback and garbage replies, usage errors, faketime.
# Env (set by tests/meson.build): STELLA_BIN, STELLA_TEST_DATA,
# STELLA_SOURCE_ROOT.
set -uo pipefail
: "${STELLA_TEST_DATA:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin

meta_sums() { sha256sum "$1"/tuf/metadata/*.json "$1"/tuf/targets/*.json; }

"$top/devops/scripts/layout-sigstore-demo.sh" "$data" "$work/repo"
serve_start "$work/repo" || exit 1
url=$SERVE_URL

# ---- help and usage errors -------------------------------------------------
run 0 "stella --help" -- --help && expect_in "$out" "trust sync" "help lists trust sync"
run 0 "stella help" -- help && expect_in "$out" "trust status" "help lists trust status"
run 0 "stella trust --help" -- trust --help && expect_in "$out" "trust init" "trust help lists init"
run 0 "trust init --help" -- trust init --help && expect_in "$out" "--tuf-url URL" "init help shows --tuf-url"
run 0 "trust sync --help" -- trust sync --help && expect_in "$out" "--max-age DUR" "sync help shows --max-age"
run 0 "trust status --help" -- trust status --help && expect_in "$out" "--json" "status help shows --json"
home=$work/stale
run 2 "unknown flag" -- --home "$home" trust sync --bogus && one_line_stderr "unknown flag" && expect_in "$err" "--help" "unknown flag hints at --help"
run 2 "--allow-stale without --max-age" -- --home "$home" trust sync --allow-stale && one_line_stderr "--allow-stale alone"
run 2 "bad --max-age" -- --home "$home" trust sync --allow-stale --max-age forever
run 2 "init without --root" -- --home "$home" trust init --tuf-url "$url"
run 2 "init with a bad URL" -- --home "$home" trust init --tuf-url ftp://x --root "$root1"
run 2 "unknown command" -- frobnicate
run 2 "trust without a command" -- trust
STELLA_NOW=yesterday run 2 "bad STELLA_NOW" -- --home "$home" trust status

# ---- stale repository: today (2026-12-03) root v15 and timestamp have expired
export STELLA_NOW=2026-12-03T00:00:00Z
run 1 "status before init" -- --home "$home" trust status && one_line_stderr "status before init"
run 0 "init with root v1" -- --home "$home" trust init --tuf-url "$url" --root "$root1"
run 1 "init again without --force" -- --home "$home" trust init --tuf-url "$url" --root "$root1" \
  && expect_in "$err" "--force" "refusal names --force"
run 1 "sync without --allow-stale" -- --home "$home" trust sync \
  && one_line_stderr "expired sync" && expect_in "$err" "^stella: trust sync: .*root v15 expired 2026-11-20T13:58:18Z" "names the expired role and its expiry"
run 0 "sync --allow-stale --max-age 120d" -- --home "$home" trust sync --allow-stale --max-age 120d \
  && expect_in "$out" "root v15, timestamp v762, snapshot v165, targets v14" "walked roots to v15 and verified the top roles" \
  && expect_in "$out" "trusted_root.json, signing_config.v0.2.json" "fetched the service map" \
  && expect_in "$err" "WARNING: .*EXPIRED root" "warns about stale root" \
  && expect_in "$err" "WARNING: .*EXPIRED timestamp" "warns about stale timestamp"
run 0 "status --json" -- --home "$home" trust status --json
json_check 'd["roles"]["root"]=={"version":15,"expires":"2026-11-20T13:58:18Z","state":"STALE"}' "root v15 STALE"
json_check 'd["roles"]["timestamp"]["version"]==762 and d["roles"]["timestamp"]["state"]=="STALE"' "timestamp v762 STALE"
json_check 'd["roles"]["snapshot"]["state"]=="ok" and d["roles"]["targets"]["version"]==14' "snapshot ok, targets v14"
json_check 'd["last_sync"]=="2026-12-03T00:00:00Z" and d["alert"]=="ok"' "last sync and alert"
json_check 'any(k["base_url"]=="https://rekor.sigstore.dev" and k["kind"]=="tlog" and k["log_id"]=="c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d" and k["fingerprint_sha256"]=="c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d" and k["key_type"]=="PKIX_ECDSA_P256_SHA_256" for k in d["keys"])' "rekor.sigstore.dev key with log id and fingerprint"
json_check 'any(e["url"]=="https://rekor.sigstore.dev" and e["kind"]=="rekor" and e["api_version"]==1 and e["operator"]=="sigstore.dev" and e["valid_until"] is None for e in d["endpoints"])' "Rekor endpoint"
run 0 "status (text)" -- --home "$home" trust status --show-endpoints --show-keys \
  && expect_in "$out" "STALE" "text status shows STALE" && expect_in "$out" "https://rekor.sigstore.dev" "text status shows the Rekor URL"
run 0 "sync --force again" -- --home "$home" trust sync --force --allow-stale --max-age 120d

# ---- a fresh home on 2026-08-22 needs no tolerance ---------------------------
fresh=$work/fresh
export STELLA_NOW=2026-08-22T00:00:00Z
run 0 "init fresh home" -- --home "$fresh" trust init --tuf-url "$url" --root "$root1"
run 0 "sync at 2026-08-22 without --allow-stale" -- --home "$fresh" trust sync \
  && expect_in "$out" "root v15, timestamp v762" "fresh sync summary"
if [[ -s $err ]]; then fail "fresh sync printed warnings"; else pass "fresh sync is quiet"; fi
STELLA_HOME=$fresh run 0 "status via STELLA_HOME" -- trust status --json
json_check 'all(r["state"]=="ok" for r in d["roles"].values())' "all roles ok at 2026-08-22"

# ---- rollback: the older timestamp v761 is refused, trusted state unchanged --
before=$(meta_sums "$fresh")
cp "$work/repo/timestamp.json" "$work/timestamp.good"
cp "$STELLA_TEST_DATA/tuf-sigstore-negative/real/timestamp.v761.json" "$work/repo/timestamp.json"
run 1 "sync with timestamp v761 served" -- --home "$fresh" trust sync \
  && one_line_stderr "rollback" && expect_in "$err" "rollback" "names the rollback"
if [[ $(meta_sums "$fresh") == "$before" ]]; then pass "trusted files unchanged after rollback"
else fail "trusted files changed after rollback"; fi

# ---- an HTML 200 page as timestamp.json ------------------------------------
printf '<!doctype html><html><body>Welcome to nginx!</body></html>\n' >"$work/repo/timestamp.json"
run 1 "sync with an HTML timestamp" -- --home "$fresh" trust sync \
  && one_line_stderr "HTML reply" && expect_in "$err" "timestamp" "HTML error names the timestamp"
if [[ $(meta_sums "$fresh") == "$before" ]]; then pass "trusted files unchanged after HTML reply"
else fail "trusted files changed after HTML reply"; fi
cp "$work/timestamp.good" "$work/repo/timestamp.json"

# ---- status --json of state an older stella wrote: never fails silently ------
# (init refuses such a URL now; a raw 0xe9 byte made json_dumps fail)
cp -a "$fresh" "$work/old"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update settings set value=? where key=?", (b"http://caf\xe9.example", "tuf_url")); c.commit()' "$work/old/stella.db"
run 0 "status --json with a raw 0xe9 byte stored" -- --home "$work/old" trust status --json
json_check 'd["tuf_url"]=="http://caf?.example" and d["roles"]["root"]["version"]==15' "the byte is shown as ?, the rest as usual"
run_cmd 1 "status --json into a full disk" -- bash -c '"$0" --home "$1" trust status --json >/dev/full' "$STELLA_BIN" "$fresh" \
  && one_line_stderr "full disk" && expect_in "$err" "No space left on device" "says why writing failed"

run 0 "init --force" -- --home "$fresh" trust init --tuf-url "$url/" --root "$root1" --force
if [[ $(ls "$fresh/tuf/metadata") == root.json && -z $(ls "$fresh/tuf/targets") ]]; then
  pass "--force left only the new root"; else fail "--force left old state: $(ls "$fresh"/tuf/*)"; fi
run 0 "status after --force" -- --home "$fresh" trust status --json
json_check 'd["roles"]["root"]["version"]==1 and d["last_sync"] is None and d["alert"]=="critical"' "re-initialized state shows root v1, never synced"

# ---- server down: one clear line ---------------------------------------------
serve_stop
run 1 "sync with the server down" -- --home "$fresh" trust sync \
  && one_line_stderr "server down" && expect_in "$err" "is the server up" "says the server is down"

# ---- the real clock under libfaketime (not with ASan: it breaks preloading) --
unset STELLA_NOW
# (grep -c, not -q: an early exit would SIGPIPE nm and fail under pipefail)
asan_syms=$(nm -D "$STELLA_BIN" 2>/dev/null | grep -c __asan_init || true)
if ! command -v faketime >/dev/null; then
  echo "skip: faketime not installed"
elif [[ -n ${STELLA_ASAN:-} || ${asan_syms:-0} -gt 0 ]]; then
  echo "skip: faketime check (ASan-instrumented binary)"
else
  serve_start "$work/repo" || exit 1
  ft=$work/faketime
  run 0 "init (faketime home)" -- --home "$ft" trust init --tuf-url "$SERVE_URL" --root "$root1"
  if faketime '2026-08-22 00:00:00' "$STELLA_BIN" --home "$ft" trust sync >"$out" 2>"$err"; then
    pass "faketime 2026-08-22 sync succeeds"
    expect_in "$out" "timestamp v762" "faketime sync summary"
  else fail "faketime 2026-08-22 sync failed"; fi
fi

e2e_finish
