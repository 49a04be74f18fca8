#!/usr/bin/env bash
# repo_ceremony.sh - the root key ceremony end to end on loopback: a
# repository with 3 root holders (threshold 2) is published and served by
# Python's http.server, a client trusts root v1 and syncs; then
# `tuf-ceremony init --threshold 3 --keys 5 --algorithm ed25519`, finalize
# refused with one old signature, signatures from 2 old + 3 new holders,
# status --json ready, finalize, sign + publish, and the client's next sync
# reaches root v2 with no reconfiguration. Also: a key in neither set, a
# duplicate signature, a tampered root file, and no private key on any
# output. Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ceremony=$top/devops/scripts/tuf-ceremony
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin
all=$work/all-output   # everything any command printed


repo=$work/repo web=$work/web home=$work/home
mkdir -p "$web"
openssl genpkey -algorithm ed25519 -out "$work/rekor.key" 2>/dev/null &&
  openssl pkey -in "$work/rekor.key" -pubout -out "$work/rekor-key-v1.pub" ||
  { echo "FAIL: openssl could not make a log key"; exit 1; }

# ---- the repository, published and served; a client on root v1 ----------------
run_cmd 0 "repo init (3 root holders, threshold 2)" -- stella tuf repo init \
  --repo "$repo" --rekor-url https://rekor.example.test \
  --rekor-key "$work/rekor-key-v1.pub" --root-keys 3 --root-threshold 2 \
  --publish-to "$web" || exit 1
run_cmd 0 "publish v1" -- stella tuf publish --repo "$repo" || exit 1
serve_start "$web" || exit 1
run_cmd 0 "client trust init" -- stella --home "$home" trust init \
  --tuf-url "$SERVE_URL" --root "$web/1.root.json" || exit 1
run_cmd 0 "client sync" -- stella --home "$home" trust sync || exit 1
run_cmd 0 "client status --json" -- stella --home "$home" trust status --json &&
  json_check 'd["roles"]["root"]["version"] == 1' "client is on root v1"

# ---- the ceremony ---------------------------------------------------------------
run_cmd 2 "init without --keys" -- "$ceremony" init --threshold 3 --repo "$repo" &&
  one_line_stderr "init without --keys"
run_cmd 2 "init with a threshold no one can meet" -- "$ceremony" init \
  --threshold 6 --keys 5 --repo "$repo" && one_line_stderr "threshold 6 of 5" &&
  expect_in "$err" "cannot be met" "says the threshold cannot be met"
run_cmd 1 "status before any ceremony" -- stella tuf ceremony status --repo "$repo" &&
  expect_in "$err" "no root ceremony is in progress" "status says none in progress"
run_cmd 0 "tuf-ceremony init --threshold 3 --keys 5 --algorithm ed25519" -- \
  "$ceremony" init --threshold 3 --keys 5 --algorithm ed25519 --repo "$repo"
for i in 1 2 3 4 5; do
  f=$repo/keys/root-next/holder-$i.pem
  expect_in "$out" "holder $i: $f  keyid [0-9a-f]{64}" "init prints holder-$i's file and keyid"
  if [[ $(stat -c %a "$f") == 600 ]]; then pass "holder-$i.pem is 0600"
  else fail "holder-$i.pem mode $(stat -c %a "$f")"; fi
done
expect_in "$out" "root v2" "init names root v2"
run_cmd 1 "second init refused" -- "$ceremony" init --threshold 3 --keys 5 \
  --repo "$repo" && one_line_stderr "second init" &&
  expect_in "$err" "already in progress" "says a ceremony is in progress"

run_cmd 0 "status --json at start" -- stella tuf ceremony status --repo "$repo" --json &&
  json_check 'd["version"] == 2 and d["ready"] is False and d["old"]["need"] == 2 and d["old"]["have"] == 0 and d["new"]["need"] == 3 and len(d["new"]["missing"]) == 5' \
    "status: 0 of 2 old, 0 of 3 new, 5 new keys missing"

# A key of neither root, and a key file others can read.
openssl genpkey -algorithm ed25519 -out "$work/stranger.pem" 2>/dev/null
chmod 600 "$work/stranger.pem"
run_cmd 1 "sign with a key in neither set" -- stella tuf ceremony sign \
  --repo "$repo" --key "$work/stranger.pem" && one_line_stderr "stranger key" &&
  expect_in "$err" "not a root key of v1 nor of v2" "says the key is in neither set"
run_cmd 1 "sign with a missing key file" -- stella tuf ceremony sign \
  --repo "$repo" --key "$work/no-such.pem" && one_line_stderr "missing key file" &&
  expect_in "$err" "no-such.pem" "names the missing key file"
run_cmd 1 "a folder that is not a repository" -- "$ceremony" status --repo "$work" &&
  one_line_stderr "not a repository" &&
  expect_in "$err" "not a repository workspace" "says it is not a workspace"
cp "$repo/keys/root/holder-2.pem" "$work/leaky.pem"; chmod 644 "$work/leaky.pem"
run_cmd 1 "sign with a group-readable key file" -- stella tuf ceremony sign \
  --repo "$repo" --key "$work/leaky.pem" && expect_in "$err" "chmod 600" "says chmod 600"

run_cmd 0 "sign with old holder-1" -- "$ceremony" sign --repo "$repo" \
  --key "$repo/keys/root/holder-1.pem" &&
  expect_in "$out" "root v1 key: it counts for the old threshold" "says which set"
run_cmd 0 "sign again with old holder-1" -- "$ceremony" sign --repo "$repo" \
  --key "$repo/keys/root/holder-1.pem"
run_cmd 0 "status --json after one old signature" -- stella tuf ceremony status \
  --repo "$repo" --json &&
  json_check 'd["old"]["have"] == 1 and d["new"]["have"] == 0 and len(d["old"]["missing"]) == 2' \
    "duplicate sign counted once, old key counts for old only"

for i in 1 2 3; do
  run_cmd 0 "sign with new holder-$i" -- "$ceremony" sign --repo "$repo" \
    --key "$repo/keys/root-next/holder-$i.pem"
done
run_cmd 1 "finalize with 1 of 2 old signatures refused" -- "$ceremony" finalize \
  --repo "$repo" && one_line_stderr "finalize refused" &&
  expect_in "$err" "root v1 keys 1 of 2 \(unsigned: keys/root/holder-2.pem, keys/root/holder-3.pem\)" \
    "refusal says which old holders are missing"
if python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["signed"]["version"] != 1)' \
     "$repo/staged/metadata/root.json"; then
  pass "staged root still v1 after the refusal"
else fail "staged root changed by a refused finalize"; fi

# A root file edited on its way between holders is refused.
cp "$repo/staged/ceremony/root.json" "$work/root.json.good"
sed -i 's/"threshold": 3/"threshold": 1/' "$repo/staged/ceremony/root.json"
run_cmd 1 "sign a tampered root" -- stella tuf ceremony sign --repo "$repo" \
  --key "$repo/keys/root/holder-2.pem" && expect_in "$err" "content changed" \
  "tampered root refused"
cp "$work/root.json.good" "$repo/staged/ceremony/root.json"

# The root file travels (a copy on "removable media") to holder 3.
cp "$repo/staged/ceremony/root.json" "$work/usb-root.json"
run_cmd 0 "sign the travelled copy with old holder-3" -- "$ceremony" sign \
  --repo "$repo" --file "$work/usb-root.json" --key "$repo/keys/root/holder-3.pem"
run_cmd 0 "status --json ready" -- "$ceremony" status --repo "$repo" --json &&
  json_check 'd["ready"] is True and d["old"]["have"] == 2 and d["new"]["have"] == 3 and d["version"] == 2' \
    "both thresholds met: 2 of 2 old, 3 of 3 new"
run_cmd 0 "status (text)" -- "$ceremony" status --repo "$repo" &&
  expect_in "$out" "READY" "text status says READY"

run_cmd 0 "finalize" -- "$ceremony" finalize --repo "$repo" &&
  expect_in "$out" "stella tuf publish" "finalize says what comes next"
if ls "$repo/keys/root/" | grep -qx holder-5.pem &&
   [[ -e $repo/keys/archive/root-v1/holder-1.pem ]]; then
  pass "new holders' keys in keys/root/, old ones archived"
else fail "key files not moved: $(ls -R "$repo/keys")"; fi
expect_in "$repo/CHANGELOG" "root-ceremony-finalize" "CHANGELOG records the ceremony"

run_cmd 0 "sign" -- stella tuf sign --repo "$repo"
run_cmd 0 "publish root v2" -- stella tuf publish --repo "$repo"
if [[ -e $web/2.root.json && -e $web/1.root.json ]]; then
  pass "web root has 2.root.json (1.root.json kept)"
else fail "web root lacks 2.root.json"; fi

run_cmd 0 "client sync after the ceremony" -- stella --home "$home" trust sync
run_cmd 0 "client status --json" -- stella --home "$home" trust status --json &&
  json_check 'd["roles"]["root"]["version"] == 2' "client reached root v2"

# Root keys never reach any output.
if grep -q "PRIVATE KEY" "$all"; then fail "a private key was printed"
else pass "no private key on any output"; fi

e2e_finish
