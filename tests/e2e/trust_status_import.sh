#!/usr/bin/env bash
# trust_status_import.sh - what operators meet in an incident. Commands
# that only read (metrics, rekor query) create no state folder where there
# is none. Text status of a state folder an older stella wrote with hostile
# bytes in its URL (raw 0xff and 0x9b, U+202E RIGHT-TO-LEFT OVERRIDE) shows
# them as '?', never raw. An air-gapped site imports an expired bundle only
# with --allow-stale --max-age, as sync does: warned loudly, status shows
# STALE.
# Env (set by tests/meson.build): STELLA_BIN, STELLA_TEST_DATA,
# STELLA_SOURCE_ROOT.
set -uo pipefail
: "${STELLA_TEST_DATA:?}"
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin

export STELLA_NOW=2026-08-22T00:00:00Z
"$top/devops/scripts/layout-sigstore-demo.sh" "$data" "$work/repo"
url=file://$work/repo src=$work/src bundle=$work/bundle.tar.zst
run 0 "init" -- --home "$src" trust init --tuf-url "$url" --root "$root1"
run 0 "sync" -- --home "$src" trust sync
run 0 "export" -- --home "$src" trust snapshot export --include-root --out "$bundle"

# ---- commands that only read create nothing ----------------------------------------
none=$work/none/x
run 1 "metrics without trust" -- --home "$none" metrics \
  && one_line_stderr "metrics without trust" && expect_in "$err" "no trust is set up in" "metrics says no trust is set up"
run 1 "rekor query without trust" -- --home "$none" rekor query --after 2026-08-01T00:00:00Z --before 2026-08-22T00:00:00Z \
  && expect_in "$err" "no trust is set up in" "query says no trust is set up"
[[ ! -e $work/none ]] && pass "metrics and rekor query created nothing" || fail "created: $(find "$work/none")"

# ---- stored bytes are shown escaped ---------------------------------------------
cp -a "$src" "$work/old"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update settings set value=? where key=?", (b"http://a\xff\x9b[31m\xe2\x80\xaeevil.example", "tuf_url")); c.commit()' "$work/old/stella.db"
run 0 "text status with raw 0xff, 0x9b and U+202E stored" -- --home "$work/old" trust status
if LC_ALL=C grep -q $'[\xff\x9b]\|\xe2\x80\xae' "$out"; then fail "status printed a raw byte"
else pass "no raw 0xff, 0x9b or U+202E on the terminal"; fi
expect_in "$out" 'repository  http://a\?\?\[31m\?evil\.example' "each shown as ?"
run 0 "the same as --json" -- --home "$work/old" trust status --json
json_check 'd["tuf_url"]=="http://a??[31m?evil.example"' "JSON shows them as ? too"

# ---- an expired bundle, accepted knowingly -----------------------------------------
export STELLA_NOW=2026-12-03T00:00:00Z
site=$work/site
run 0 "init the air-gapped site with root v1" -- --home "$site" trust init --tuf-url "$url" --root "$root1"
run 0 "import --help shows --allow-stale" -- trust snapshot import --help && expect_in "$out" "--max-age DUR" "import help shows --max-age"
run 1 "import an expired bundle" -- --home "$site" trust snapshot import "$bundle" --force \
  && one_line_stderr "expired bundle" && expect_in "$err" "expired.*--allow-stale --max-age" "names the options"
run 2 "--allow-stale without --max-age" -- --home "$site" trust snapshot import "$bundle" --allow-stale \
  && one_line_stderr "--allow-stale alone"
run 2 "bad --max-age" -- --home "$site" trust snapshot import "$bundle" --allow-stale --max-age forever
run 1 "--max-age too short" -- --home "$site" trust snapshot import "$bundle" --force --allow-stale --max-age 30d
run 0 "import --allow-stale --max-age 120d" -- --home "$site" trust snapshot import "$bundle" --force --allow-stale --max-age 120d \
  && expect_in "$out" "root v1 -> v15" "imported" \
  && expect_in "$err" "WARNING: accepted EXPIRED root metadata.*within --max-age 120d" "warns about the root" \
  && expect_in "$err" "WARNING: accepted EXPIRED timestamp metadata" "warns about the timestamp"
run 0 "status after the stale import" -- --home "$site" trust status --json
json_check 'd["roles"]["root"]["state"]=="STALE" and d["roles"]["timestamp"]["state"]=="STALE" and d["roles"]["snapshot"]["state"]=="ok"' "status shows STALE"

e2e_finish
