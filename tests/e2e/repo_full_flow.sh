#!/usr/bin/env bash
# repo_full_flow.sh - issue 3's "Done when", in one run, with only the
# documented commands and devops/scripts wrappers, the way an admin and an
# operator would type them, over loopback (python3 http.server serving the
# web root the repository publishes to):
#
#   stella tuf repo init -> sign + publish -> client trust init + sync
#   -> disaster-swap-endpoint.sh (+ tuf diff) + sign + publish -> sync: new
#      Rekor URL in status --show-endpoints, text and --json, same client
#   -> swap back -> rotate-rekor-key.sh add-key, remove-old --skip-grace
#      -> status --show-keys --json: both keys, windows within seconds
#   -> tuf-ceremony 3-of-5 ed25519: finalize refused with too few old-root
#      signatures, ready with enough of both, finalize, sign + publish
#      -> the client syncs to root v2 (and tuf-js too, when it is installed)
#   -> trust snapshot export --include-root -> server stopped ->
#      bootstrap-trust-offline.sh --force into a fresh home ("another
#      site"): same status; a site holding root v1 needs --force for the
#      root change; an older bundle is refused as a rollback
#   -> no private key on any output, in the web root or in the bundle.
#
# Every step checks its exit code and the facts it is there for; the first
# failure stops the run and shows that step's output.
# Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
scripts=$top/devops/scripts
unset STELLA_NOW STELLA_TUF_REPO # the real clock: windows are checked
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin 120 # KEEP_WORK=1 keeps the folders and every output for a look
repo=$work/repo web=$work/web keys=$work/logkeys
all=$work/all-output # every byte printed

# The SHA-256 of a PEM public key's DER: the log ID and fingerprint status
# shows for it.
der_sha256() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -c1-64; }
tuf_sums() { (cd "$1/tuf" && find . -type f | sort | xargs sha256sum); }
mtime_ns() { stat -c %.9Y "$1" 2>/dev/null | tr -d . || echo 0; }
# web_consistent WHAT TS_MTIME_BEFORE: after a publish, a rewritten
# timestamp.json is no older than any file (written last), every file the
# timestamp leads to is there, and old versions are kept.
web_consistent() {
  python3 - "$web" "$2" <<'PY' || die "$1: web root inconsistent after publish"
import json, os, sys
web, before = sys.argv[1], int(sys.argv[2])
ts_mtime = os.stat(os.path.join(web, "timestamp.json")).st_mtime_ns
for folder, _, files in os.walk(web):
    for f in files:
        p = os.path.join(folder, f)
        assert ts_mtime == before or os.stat(p).st_mtime_ns <= ts_mtime, \
            p + " newer than timestamp.json"
ts = json.load(open(os.path.join(web, "timestamp.json")))["signed"]
sv = ts["meta"]["snapshot.json"]["version"]
sn = json.load(open(os.path.join(web, "%d.snapshot.json" % sv)))["signed"]
tv = sn["meta"]["targets.json"]["version"]
tg = json.load(open(os.path.join(web, "%d.targets.json" % tv)))["signed"]
for name, t in tg["targets"].items():
    assert os.path.exists(os.path.join(web, "targets",
                          t["hashes"]["sha256"] + "." + name)), name
for v in range(1, tv + 1):  # old versions kept
    assert os.path.exists(os.path.join(web, "%d.targets.json" % v)), v
PY
  ok "$1: timestamp.json written last, old versions kept, nothing dangling"
}
# sign_and_publish WHAT: the repository's own scripts, run from inside it.
sign_and_publish() {
  must 0 "$1: scripts/sign-metadata.sh" -- sh -c 'cd "$1" && scripts/sign-metadata.sh' _ "$repo"
  has "$out" "ready to publish" "$1: sign says ready"
  local ts_before
  ts_before=$(mtime_ns "$web/timestamp.json")
  must 0 "$1: scripts/publish.sh" -- sh -c 'cd "$1" && scripts/publish.sh' _ "$repo"
  has "$out" "^published root v" "$1: published"
  web_consistent "$1" "$ts_before"
}

# ---- the log operator's keys (standard tools) -------------------------------
step "log keys from the log operator (openssl, PEM)"
mkdir -p "$keys"
for v in 1 2; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$keys/rekor-key-v$v.key" 2>/dev/null &&
    openssl pkey -in "$keys/rekor-key-v$v.key" -pubout \
      -out "$keys/rekor-key-v$v.pub" 2>/dev/null ||
    die "openssl could not make log key v$v"
done
export V1_SHA=$(der_sha256 "$keys/rekor-key-v1.pub")
export V2_SHA=$(der_sha256 "$keys/rekor-key-v2.pub")
ok "rekor-key-v1 $V1_SHA, rekor-key-v2 $V2_SHA"

# ---- 1. the repository -----------------------------------------------------------
step "stella tuf repo init (3 root holders, threshold 2, two mirrors)"
export T_INIT0=$(now)
must 0 "tuf repo init" -- "$S" tuf repo init --repo "$repo" \
  --rekor-url https://rekor.example.test \
  --rekor-key "$keys/rekor-key-v1.pub" --root-keys 3 --root-threshold 2 \
  --key-type ed25519 --mirror-url https://rekor-mirror.example.test \
  --mirror-url https://rekor-mirror-b.example.test --publish-to "$web"
export T_INIT1=$(now)
has "$out" "created repository" "init says what it made"
npem=0
while IFS= read -r -d '' pem; do
  npem=$((npem + 1))
  [[ $(stat -c %a "$pem") == 600 ]] || die "$pem is not 0600"
  [[ $(head -n1 "$pem") == "-----BEGIN PRIVATE KEY-----" ]] ||
    die "$pem is not PEM PKCS#8"
  openssl pkey -in "$pem" -noout 2>/dev/null || die "openssl cannot read $pem"
done < <(find "$repo" -name '*.pem' -print0)
[[ $npem -eq 6 ]] || die "expected 6 private keys (3 root, 3 online), found $npem"
ok "6 private keys: PEM PKCS#8, 0600, readable by openssl"
[[ -x $repo/scripts/sign-metadata.sh && -x $repo/scripts/publish.sh ]] ||
  die "the repository's scripts are missing"
ok "scripts/sign-metadata.sh and scripts/publish.sh in the repository"

step "first sign + publish"
sign_and_publish "v1"
has "$out" "published root v1 targets v1 snapshot v1 timestamp v1" "v1 published"
cp "$web/1.root.json" "$work/root-v1.json" # what the security team hands out

# ---- 2. a client ---------------------------------------------------------------
step "client: trust init + trust sync over http"
serve_start "$web" || die "the web server did not start"
export TUF_URL=$SERVE_URL
export STELLA_HOME=$work/site-a # the client's state, for every trust command
must 0 "trust init" -- "$S" trust init --tuf-url "$TUF_URL" --root "$work/root-v1.json"
must 0 "trust sync" -- "$S" trust sync
has "$out" "synced: root v1, timestamp v1, snapshot v1, targets v1" "client on v1"
must 0 "status --show-endpoints --json" -- "$S" trust status --show-endpoints --json
json '
r = [e for e in d["endpoints"] if e["kind"] == "rekor"]
assert [e["url"] for e in r] == ["https://rekor.example.test",
                                 "https://rekor-mirror.example.test",
                                 "https://rekor-mirror-b.example.test"], r
assert all(e["valid_until"] is None for e in r), r
assert d["tuf_url"] == E["TUF_URL"]' "primary and both mirrors (--mirror-url twice), open"
must 0 "an early bundle (for the rollback check)" -- \
  "$S" trust snapshot export --out "$work/B-v1.tar.zst"

# ---- 3. Rekor outage: endpoint swap ----------------------------------------------
step "disaster-swap-endpoint.sh, tuf diff, sign, publish"
export T_SWAP0=$(now)
must 0 "disaster-swap-endpoint.sh" -- "$scripts/disaster-swap-endpoint.sh" \
  --repo "$repo" --new-rekor-url https://rekor-dr.example.test \
  --note "INC-42: rekor.example.test down"
export T_SWAP1=$(now)
must 0 "tuf diff before signing" -- "$S" tuf diff --repo "$repo"
has "$out" "Rekor primary endpoint: https://rekor.example.test -> https://rekor-dr.example.test" \
  "diff names the new primary"
has "$out" "Rekor endpoint https://rekor.example.test: validity ends" \
  "diff names the end of the old endpoint"
has "$out" "INC-42: rekor.example.test down" "diff shows the note"
sign_and_publish "swap"
has "$out" "targets v2 snapshot v2 timestamp v2" "swap published as v2"
has "$repo/CHANGELOG" "INC-42: rekor.example.test down" "CHANGELOG has the note"

step "client: sync, the new URL with no reconfiguration"
must 0 "trust sync" -- "$S" trust sync
has "$out" "timestamp v2, snapshot v2, targets v2" "client on v2"
must 0 "status --show-endpoints (text)" -- "$S" trust status --show-endpoints
has "$out" "rekor .*https://rekor-dr\.example\.test .*\.\. open" \
  "text: the new URL, open-ended"
has "$out" "rekor .*https://rekor\.example\.test .*\.\. 20[0-9-]+T" \
  "text: the old URL with an end"
must 0 "status --show-endpoints --json" -- "$S" trust status --show-endpoints --json
json '
r = [e for e in d["endpoints"] if e["kind"] == "rekor"]
new, old = r[0], [e for e in r if e["url"] == "https://rekor.example.test"]
assert new["url"] == "https://rekor-dr.example.test", r
assert new["valid_until"] is None, new
assert int(E["T_SWAP0"]) <= T(new["valid_from"]) <= int(E["T_SWAP1"]), new
assert len(old) == 1 and old[0]["valid_until"] is not None, old
assert int(E["T_SWAP0"]) <= T(old[0]["valid_until"]) <= int(E["T_SWAP1"]), old
m = [e for e in r if e["url"] == "https://rekor-mirror.example.test"]
assert len(m) == 1 and m[0]["valid_until"] is None, m
assert d["tuf_url"] == E["TUF_URL"], d["tuf_url"]' \
  "json: new primary from the swap, old ended at the swap, mirror kept, same tuf_url"

step "swap back on recovery"
export T_BACK0=$(now)
must 0 "disaster-swap-endpoint.sh back" -- "$scripts/disaster-swap-endpoint.sh" \
  --repo "$repo" --new-rekor-url https://rekor.example.test \
  --note "INC-42: rekor.example.test recovered"
export T_BACK1=$(now)
sign_and_publish "swap back"
must 0 "trust sync" -- "$S" trust sync
must 0 "status --show-endpoints --json" -- "$S" trust status --show-endpoints --json
json '
r = [e for e in d["endpoints"] if e["kind"] == "rekor"]
assert r[0]["url"] == "https://rekor.example.test", r
assert r[0]["valid_until"] is None, r[0]
assert int(E["T_BACK0"]) <= T(r[0]["valid_from"]) <= int(E["T_BACK1"]), r[0]
dr = [e for e in r if e["url"] == "https://rekor-dr.example.test"]
assert len(dr) == 1 and int(E["T_BACK0"]) <= T(dr[0]["valid_until"]) <= int(E["T_BACK1"]), dr' \
  "json: original URL primary again, the DR endpoint ended at the swap back"

step "stella tuf endpoint add | remove (mirrors)"
must 0 "endpoint add" -- "$S" tuf endpoint add --repo "$repo" \
  --rekor-url https://rekor-mirror-c.example.test --note "CHG-7: new mirror"
export T_RMEP0=$(now)
must 0 "endpoint remove" -- "$S" tuf endpoint remove --repo "$repo" \
  --rekor-url https://rekor-mirror-b.example.test --note "CHG-7: mirror b retired"
export T_RMEP1=$(now)
sign_and_publish "mirrors"
must 0 "trust sync" -- "$S" trust sync
must 0 "status --show-endpoints --json" -- "$S" trust status --show-endpoints --json
json '
r = [e for e in d["endpoints"] if e["kind"] == "rekor"]
assert r[0]["url"] == "https://rekor.example.test", r
c = [e for e in r if e["url"] == "https://rekor-mirror-c.example.test"]
b = [e for e in r if e["url"] == "https://rekor-mirror-b.example.test"]
assert len(c) == 1 and c[0]["valid_until"] is None, c
assert len(b) == 1 and int(E["T_RMEP0"]) <= T(b[0]["valid_until"]) <= int(E["T_RMEP1"]), b' \
  "json: mirror c added (open), mirror b ended at the remove, entry kept"

# ---- 4. Rekor key rotation ---------------------------------------------------
step "rotate-rekor-key.sh add-key, sign, publish, sync"
export T_ADD0=$(now)
must 0 "rotate-rekor-key.sh add-key" -- "$scripts/rotate-rekor-key.sh" add-key \
  --repo "$repo" --new-key "$keys/rekor-key-v2.pub"
export T_ADD1=$(now)
has "$out" "rekor-key-v2" "the key is named from its file"
must 0 "tuf diff" -- "$S" tuf diff --repo "$repo"
has "$out" "new Rekor log key rekor-key-v2 .log ID ${V2_SHA:0:16}" \
  "diff shows the log ID in hex, as status and --key-id do"
sign_and_publish "add-key"
must 0 "trust sync" -- "$S" trust sync

step "rotate-rekor-key.sh remove-old (grace, then --skip-grace)"
must 1 "remove-old within the grace period" -- "$scripts/rotate-rekor-key.sh" \
  remove-old --repo "$repo" --old-key-name rekor-key-v1
one_line_error "grace refusal"
has "$err" "--skip-grace" "the refusal says how to override"
export T_RM0=$(now)
must 0 "remove-old --skip-grace" -- "$scripts/rotate-rekor-key.sh" remove-old \
  --repo "$repo" --old-key-name rekor-key-v1 --skip-grace
export T_RM1=$(now)
must 0 "tuf diff" -- "$S" tuf diff --repo "$repo"
has "$out" "Rekor log key rekor-key-v1: validity ends" "diff names the key's end"
sign_and_publish "remove-old"
must 0 "trust sync" -- "$S" trust sync
must 0 "status --show-keys --json" -- "$S" trust status --show-keys --json
json '
k = [x for x in d["keys"] if x["kind"] == "tlog"]
assert len(k) == 2, k
old = [x for x in k if x["fingerprint_sha256"] == E["V1_SHA"]]
new = [x for x in k if x["fingerprint_sha256"] == E["V2_SHA"]]
assert len(old) == 1 and len(new) == 1, k
old, new = old[0], new[0]
assert old["log_id"] == E["V1_SHA"] and new["log_id"] == E["V2_SHA"], k
assert int(E["T_INIT0"]) <= T(old["valid_from"]) <= int(E["T_INIT1"]), old
assert int(E["T_RM0"]) <= T(old["valid_until"]) <= int(E["T_RM1"]), old
assert int(E["T_ADD0"]) <= T(new["valid_from"]) <= int(E["T_ADD1"]), new
assert new["valid_until"] is None, new
assert (old.get("name"), new.get("name")) == ("rekor-key-v1", "rekor-key-v2"), k' \
  "json: v1 valid init..remove-old, v2 valid from add-key, open, both named"
must 0 "status --show-keys (text)" -- "$S" trust status --show-keys
has "$out" "sha256:$V1_SHA" "text: the old key"
has "$out" "sha256:$V2_SHA" "text: the new key"

# ---- 5. root key ceremony -------------------------------------------------------
step "tuf-ceremony init --threshold 3 --keys 5 --algorithm ed25519"
export T_CER0=$(now)
must 0 "tuf-ceremony init" -- "$scripts/tuf-ceremony" init --threshold 3 \
  --keys 5 --algorithm ed25519 --repo "$repo"
export T_CER1=$(now)
for i in 1 2 3 4 5; do
  f=$repo/keys/root-next/holder-$i.pem
  has "$out" "holder $i: $f  keyid [0-9a-f]{64}" "init prints holder $i's file and keyid"
  [[ $(stat -c %a "$f") == 600 && $(head -n1 "$f") == "-----BEGIN PRIVATE KEY-----" ]] ||
    die "$f is not a 0600 PEM PKCS#8 file"
done
must 0 "ceremony status --json" -- "$S" tuf ceremony status --repo "$repo" --json
json '
assert d["version"] == 2 and d["ready"] is False, d
assert (d["old"]["have"], d["old"]["need"]) == (0, 2), d["old"]
assert (d["new"]["have"], d["new"]["need"]) == (0, 3), d["new"]
year = 365 * 86400  # expires.root of the policy
assert int(E["T_CER0"]) + year <= T(d["expires"]) <= int(E["T_CER1"]) + year, d' \
  "status: old 0 of 2, new 0 of 3, not ready; expires in the policy's 365d"

step "one old + three new signatures: finalize refused"
must 0 "sign: old holder-1" -- "$scripts/tuf-ceremony" sign --repo "$repo" \
  --key "$repo/keys/root/holder-1.pem"
for i in 1 2 3; do
  must 0 "sign: new holder-$i" -- "$S" tuf ceremony sign --repo "$repo" \
    --key "$repo/keys/root-next/holder-$i.pem"
done
must 1 "finalize with 1 of 2 old signatures" -- "$scripts/tuf-ceremony" \
  finalize --repo "$repo"
one_line_error "finalize refusal"
has "$err" "root v1 keys 1 of 2 \(unsigned: keys/root/holder-2.pem, keys/root/holder-3.pem\)" \
  "the refusal names the missing old holders"
must 0 "tuf diff after the refusal" -- "$S" tuf diff --repo "$repo"
hasnt "$out" "root: staged v2" "a refused finalize staged nothing"

step "enough of both: status ready, finalize, sign, publish"
must 0 "sign: old holder-2" -- "$S" tuf ceremony sign --repo "$repo" \
  --key "$repo/keys/root/holder-2.pem"
must 0 "ceremony status (text)" -- "$S" tuf ceremony status --repo "$repo"
has "$out" "root v1 keys \(old\): 2 of 2 signatures" "text: the old threshold"
has "$out" "root v2 keys \(new\): 3 of 3 signatures" "text: the new threshold"
must 0 "ceremony status --json" -- "$S" tuf ceremony status --repo "$repo" --json
json '
assert d["ready"] is True, d
assert (d["old"]["have"], d["old"]["need"]) == (2, 2), d["old"]
assert (d["new"]["have"], d["new"]["need"]) == (3, 3), d["new"]' \
  "status --json: ready, old 2 of 2, new 3 of 3"
must 0 "finalize" -- "$scripts/tuf-ceremony" finalize --repo "$repo"
must 0 "tuf diff" -- "$S" tuf diff --repo "$repo"
has "$out" "root: staged v2, published v1" "diff names the new root"
has "$out" "root: root keys: 5 added, 3 removed, 5 in all; threshold 2 -> 3" \
  "diff says what the new root changes"
sign_and_publish "root v2"
has "$out" "published root v2" "root v2 published"
[[ -f $web/1.root.json && -f $web/2.root.json ]] || die "root versions not both in the web root"

step "client: sync reaches root v2"
must 0 "trust sync" -- "$S" trust sync
has "$out" "synced: root v2" "sync names root v2"
must 0 "status --json" -- "$S" trust status --show-endpoints --show-keys --json
json '
assert d["roles"]["root"]["version"] == 2, d["roles"]
assert all(r["state"] == "ok" for r in d["roles"].values()), d["roles"]
assert d["tuf_url"] == E["TUF_URL"]' "client: roles.root.version 2, all ok, same tuf_url"

# Another TUF client over the same web root, from root v1: tuf-js, when
# repo_tufjs_interop.sh has installed it in its cache (never installed here).
tufjs=${STELLA_TUFJS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stella-tests/tuf-js-6.0.2}
if command -v node >/dev/null 2>&1 && [[ -f $tufjs/node_modules/tuf-js/package.json ]]; then
  step "tuf-js follows the ceremony too (from root v1)"
  cat >"$work/tufjs.js" <<'EOF'
const fs = require('fs'), path = require('path');
const { Updater } = require('tuf-js');
const [url, root, dir] = process.argv.slice(2);
const metadataDir = path.join(dir, 'metadata'), targetDir = path.join(dir, 'targets');
fs.mkdirSync(metadataDir, { recursive: true });
fs.mkdirSync(targetDir, { recursive: true });
fs.copyFileSync(root, path.join(metadataDir, 'root.json'));
(async () => {
  const u = new Updater({ metadataBaseUrl: url, targetBaseUrl: url + '/targets',
                          metadataDir, targetDir });
  await u.refresh();
  const info = await u.getTargetInfo('signing_config.v0.2.json');
  await u.downloadTarget(info, path.join(targetDir, 'sc.json'));
  const root = JSON.parse(fs.readFileSync(path.join(metadataDir, 'root.json')));
  console.log('tuf-js: root v' + root.signed.version);
})().catch((e) => { console.error('tuf-js: ' + e.message); process.exit(1); });
EOF
  must 0 "tuf-js refresh from root v1" -- env NODE_PATH="$tufjs/node_modules" \
    node "$work/tufjs.js" "$TUF_URL" "$work/root-v1.json" "$work/tufjs"
  has "$out" "tuf-js: root v2" "tuf-js reached root v2"
else
  echo "(tuf-js not installed in $tufjs: repo_tufjs_interop.sh installs it)"
fi

# ---- 6. air gap -----------------------------------------------------------
step "export a bundle, stop the server"
must 0 "trust snapshot export --include-root" -- "$S" trust snapshot export \
  --include-root --out "$work/B.tar.zst"
has "$out" "root v1\.\.v2" "the bundle holds roots v1..v2"
serve_stop
must 1 "trust sync with the server gone" -- "$S" trust sync
ok "the repository is unreachable from here on"

step "another site: bootstrap-trust-offline.sh --force into a fresh home"
site_b=$work/site-b
STELLA_HOME=$site_b must 0 "bootstrap-trust-offline.sh --force" -- \
  "$scripts/bootstrap-trust-offline.sh" "$work/B.tar.zst" --force
has "$out" "root v2 \(new\)" "imported up to root v2"
# The same status: everything but the clock and the sync time.
"$S" trust status --show-endpoints --show-keys --json >"$work/a.json" ||
  die "status of site A"
STELLA_HOME=$site_b "$S" trust status --show-endpoints --show-keys --json \
  >"$work/b.json" || die "status of site B"
python3 - "$work/a.json" "$work/b.json" <<'PY' || die "site B differs from site A"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("now"); d.pop("last_sync")
assert a == b, (a, b)
assert b["roles"]["root"]["version"] == 2
PY
ok "site B's status --json equals site A's except now/last_sync"

step "a site holding root v1: the root change needs --force, rollback refused"
site_c=$work/site-c
export STELLA_HOME=$site_c
must 0 "trust init with root v1 (out of band)" -- "$S" trust init \
  --tuf-url "$TUF_URL" --root "$work/root-v1.json"
before=$(tuf_sums "$site_c")
must 1 "bootstrap-trust-offline.sh without --force" -- \
  "$scripts/bootstrap-trust-offline.sh" "$work/B.tar.zst"
has "$err" "from v1 to v2" "says the root changes"
has "$err" "--force" "says how to confirm"
[[ $(tuf_sums "$site_c") == "$before" ]] || die "a refused import changed files"
ok "refused import changed nothing"
must 0 "bootstrap-trust-offline.sh --force" -- \
  "$scripts/bootstrap-trust-offline.sh" "$work/B.tar.zst" --force
has "$out" "root v1 -> v2" "site C moved from root v1 to v2"
before=$(tuf_sums "$site_c")
must 1 "an older bundle" -- "$scripts/bootstrap-trust-offline.sh" \
  "$work/B-v1.tar.zst" --force
one_line_error "older bundle"
has "$err" "rollback|older than" "says it is a rollback"
[[ $(tuf_sums "$site_c") == "$before" ]] || die "a refused rollback changed files"
ok "refused rollback changed nothing"

# ---- 7. private keys ---------------------------------------------------------
step "private keys never leave the key files"
hasnt "$all" "PRIVATE KEY" "no private key on any command's output"
if grep -rlq "PRIVATE KEY" "$web" "$repo/published" "$repo/staged" "$repo/CHANGELOG"; then
  die "a private key in the web root, published/, staged/ or CHANGELOG"
fi
ok "no private key in the web root, published/, staged/ or CHANGELOG"
# The bundle's files (tar + zstd: the zstd tool unpacks it).
if command -v zstd >/dev/null 2>&1; then
  mkdir -p "$work/unpacked"
  tar --zstd -xf "$work/B.tar.zst" -C "$work/unpacked" || die "cannot unpack the bundle"
  if grep -rlq "PRIVATE KEY" "$work/unpacked"; then die "a private key in the bundle"; fi
  ok "no private key in the bundle"
  python3 - "$work/unpacked" <<'PY' || die "the bundle's manifest does not match its files"
import hashlib, json, os, sys
top = sys.argv[1]
m = json.load(open(os.path.join(top, "manifest.json")))
assert m.get("exported_at", "").endswith("Z"), m.get("exported_at")
files = m["files"]
roots = sorted(f["path"] for f in files if f["path"].startswith("roots/"))
assert len(roots) == 2, roots  # --include-root: v1 and v2
for f in files:
    data = open(os.path.join(top, f["path"]), "rb").read()
    assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], f
PY
  ok "manifest.json: export time, roots v1 and v2, every file's size and sha256"
else
  echo "(zstd not installed: the bundle's files are not inspected)"
fi

echo
echo "PASS repo_full_flow"
e2e_finish
