#!/usr/bin/env bash
# repo_bad_input.sh - the `stella tuf` command line on bad input: each case
# fails with exit code 1 (2 for usage), ONE line on stderr that says what
# and why, and the published folders byte-for-byte unchanged (a hash of the
# whole tree before and after). The same cases are unit-tested in
# tests/unit/test_repo.c; this checks what an operator sees.
set -euo pipefail

S=${STELLA_BIN:?}
tmp=$(mktemp -d)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
repo=$tmp/repo web=$tmp/web

tree_hash() {
  (cd "$1" && find . -type f -printf '%p %m\n' | sort &&
    find . -type f -print0 | sort -z | xargs -0 cat) | sha256sum
}
before() { h_web=$(tree_hash "$web"); h_pub=$(tree_hash "$repo/published"); }
untouched() {
  [[ $(tree_hash "$web") == "$h_web" ]] || fail "$1: web root changed"
  [[ $(tree_hash "$repo/published") == "$h_pub" ]] ||
    fail "$1: published/ changed"
}

# expect CODE PATTERN CMD...: exit code, one stderr line matching PATTERN.
expect() {
  local code=$1 pattern=$2 rc=0
  shift 2
  "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [[ $rc == "$code" ]] || fail "$* exited $rc, not $code: $(cat "$tmp/err")"
  [[ $(wc -l <"$tmp/err") == 1 ]] || fail "$*: not one line: $(cat "$tmp/err")"
  grep -q -- "$pattern" "$tmp/err" || fail "$*: '$pattern' not in: $(cat "$tmp/err")"
  echo "ok ($rc): $(cat "$tmp/err")"
}

"$S" tuf signing-key generate --name rekor --out "$tmp/lk" >/dev/null
"$S" tuf repo init --repo "$repo" --rekor-url https://rekor.test \
  --rekor-key "$tmp/lk/rekor.pub" --root-keys 2 --root-threshold 2 \
  --publish-to "$web" >/dev/null
"$S" tuf publish --repo "$repo" >/dev/null
"$S" tuf endpoint add --repo "$repo" --rekor-url https://m.test >/dev/null
before

expect 1 "not a repository workspace" "$S" tuf sign --repo "$tmp/lk"
expect 1 "not a repository workspace" "$S" tuf publish --repo "$tmp/nowhere"
expect 1 "not signed yet" "$S" tuf publish --repo "$repo"
expect 1 "no such file\|No such file" "$S" tuf sign --repo "$repo" \
  --role root --key "$tmp/missing.pem"
install -m 600 "$repo/stella-repo.json" "$tmp/notakey.pem"
expect 1 "not a PEM private key" "$S" tuf sign --repo "$repo" \
  --role root --key "$tmp/notakey.pem"
expect 1 "not authorized for role targets" "$S" tuf sign --repo "$repo" \
  --role targets --key "$repo/keys/root/holder-1.pem"
chmod 644 "$repo/keys/targets/targets.pem"
expect 1 "readable by group or others" "$S" tuf sign --repo "$repo"
chmod 600 "$repo/keys/targets/targets.pem"
expect 2 "can never be met" "$S" tuf repo init --repo "$tmp/r2" \
  --rekor-url https://r.test --rekor-key "$tmp/lk/rekor.pub" \
  --root-keys 2 --root-threshold 3
[[ ! -e $tmp/r2 ]] || fail "a refused init left $tmp/r2"
untouched "refusals before signing"

"$S" tuf sign --repo "$repo" >/dev/null
before
expect 1 "cannot write to the web root" "$S" tuf publish --repo "$repo" \
  --to "$web/timestamp.json/sub"
untouched "unwritable web root"
STELLA_NOW=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ) \
  expect 1 "preflight refused the publish.*expired" "$S" tuf publish --repo "$repo"
untouched "expired timestamp"
"$S" tuf publish --repo "$repo" >/dev/null

# A root change staged by hand (threshold 2 -> 3) with the holders' files
# away: sign lists who is missing, --json with the keyid prefixes as arrays.
mkdir "$tmp/holders"
mv "$repo"/keys/root/holder-*.pem "$tmp/holders/"
python3 - "$repo/staged/metadata/root.json" <<'EOF' || fail "staging a root change"
import json, sys
d = json.load(open(sys.argv[1]))
d["signed"]["roles"]["root"]["threshold"] = 3
json.dump(d, open(sys.argv[1], "w"))
EOF
"$S" tuf sign --repo "$repo" --json >"$tmp/sign.json" || fail "tuf sign --json"
python3 - "$tmp/sign.json" <<'EOF' || fail "tuf sign --json: $(cat "$tmp/sign.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ready"] is False, d
root = d["missing"][0]
assert root["role"] == "root" and root["need"] == 3 and root["keys"] == 2, root
assert len(root["keyids"]) == 2, root
assert all(len(k) == 16 and int(k, 16) >= 0 for k in root["keyids"]), root
EOF
echo "ok: tuf sign --json lists the missing root keyids as an array"

# A compromise time in the future would keep the leaked key valid for
# years; 1970-01-01T00:00:00Z is a time (before any key's start).
"$S" tuf signing-key generate --repo "$repo" --name ci --out "$tmp/sk" \
  >/dev/null
future=$(date -u -d '+5 years' +%Y-%m-%dT%H:%M:%SZ)
expect 2 "is in the future" "$S" tuf signing-key retire --repo "$repo" \
  --old-key ci --compromised-since "$future"
expect 2 "is in the future" "$S" tuf rekor-key remove-old --repo "$repo" \
  --old-key-name rekor --compromised-since "$future"
expect 2 "before the key's validity started" "$S" tuf signing-key retire \
  --repo "$repo" --old-key ci --compromised-since 1970-01-01T00:00:00Z
expect 2 "not an RFC 3339 time" "$S" tuf signing-key retire --repo "$repo" \
  --old-key ci --compromised-since yesterday
grep -q '"end"' "$repo/staged/targets/signing_keys.json" &&
  fail "a refused retire ended the key"

# URLs with a password or an escape sequence would be stored, published
# and shown (status, metrics, the console): refused without echoing them;
# a trailing '/' does not make another endpoint.
esc=$'http://h.test/\e]0;PWNED\a\e[2J'
expect 2 "--rekor-url ... is not usable: user names and passwords" \
  "$S" tuf repo init --repo "$tmp/r3" --rekor-url https://admin:S3cretPW@h.test \
  --rekor-key "$tmp/lk/rekor.pub"
[[ ! -e $tmp/r3 ]] || fail "a refused init left $tmp/r3"
expect 2 "--mirror-url .* control character" "$S" tuf repo init \
  --repo "$tmp/r3" --rekor-url https://h.test --mirror-url "$esc" \
  --rekor-key "$tmp/lk/rekor.pub"
expect 2 "control character" "$S" tuf endpoint add --repo "$repo" \
  --rekor-url "$esc"
expect 2 "user names and passwords" "$S" tuf endpoint swap --repo "$repo" \
  --new-rekor-url https://admin:S3cretPW@h.test --note n
expect 2 "user names and passwords" "$S" tuf rekor-key add --repo "$repo" \
  --new-key "$tmp/sk/ci.pub" --rekor-url https://admin:S3cretPW@h.test
if grep -q S3cretPW "$tmp/err" || grep -q $'\e' "$tmp/err"; then
  fail "a refused URL was echoed"; fi
expect 1 "already the primary" "$S" tuf endpoint swap --repo "$repo" \
  --new-rekor-url https://rekor.test/ --note n
expect 1 "already a valid Rekor endpoint" "$S" tuf endpoint add \
  --repo "$repo" --rekor-url https://m.test//
# Key names are printable ASCII words, notes one line of text: they are
# published and shown. A workspace an older stella filled with escapes is
# shown safely by `tuf diff` and still signs and publishes.
expect 2 "--name must be 1..64 printable ASCII" "$S" tuf rekor-key add \
  --repo "$repo" --new-key "$tmp/sk/ci.pub" --name $'evil\e]0;t\a'
expect 2 "--name must be 1..64 printable ASCII" "$S" tuf signing-key generate \
  --repo "$repo" --name "two words" --out "$tmp/sk2"
[[ ! -e $tmp/sk2 ]] || fail "a refused name made key files"
expect 2 "--note has a control character" "$S" tuf endpoint add \
  --repo "$repo" --rekor-url https://m9.test --note $'n\e[2J'
expect 2 "--note has a control character" "$S" tuf signing-key retire \
  --repo "$repo" --old-key ci --note $'c1 \xc2\x9b31m'
python3 - "$repo" <<'EOF' || fail "planting old control characters"
import json, sys
repo = sys.argv[1]
p = repo + "/staged/custom.json"
d = json.load(open(p))
d["signing_keys.json"]["note"] = "x\x1b]0;PWNED\x07\x1b[2J"
json.dump(d, open(p, "w"))
p = repo + "/staged/targets/signing_keys.json"
d = json.load(open(p))
d["signingKeys"][0]["name"] = "ci\x1b[2J"
json.dump(d, open(p, "w"))
EOF
"$S" tuf diff --repo "$repo" >"$tmp/diff.txt" || fail "tuf diff"
grep -q $'\e' "$tmp/diff.txt" && fail "tuf diff printed an escape: $(cat -v "$tmp/diff.txt")"
grep -q "x?]0;PWNED??\[2J" "$tmp/diff.txt" || fail "diff lost the note: $(cat "$tmp/diff.txt")"
cp "$repo/published/1.root.json" "$repo/staged/metadata/root.json" # no root change
"$S" tuf sign --repo "$repo" >"$tmp/sign.txt" || fail "sign over old bytes"
grep -q "signed with '?' in their place" "$tmp/sign.txt" ||
  fail "sign does not say it replaced control characters"
"$S" tuf publish --repo "$repo" >/dev/null 2>"$tmp/err" ||
  fail "publish after sign said ready: $(cat "$tmp/err")"
echo "ok: names and notes checked; old control characters shown as '?'"

# An option given twice is a usage error naming it, not "the last one
# wins"; --mirror-url is the one that repeats.
expect 2 "--threshold is given twice" "$S" tuf ceremony init --repo "$repo" \
  --threshold 2 --threshold 3 --keys 3
expect 2 "--new-rekor-url is given twice" "$S" tuf endpoint swap \
  --repo "$repo" --new-rekor-url https://a.test --new-rekor-url=https://b.test \
  --note n
expect 2 "--repo is given twice" "$repo/scripts/sign-metadata.sh" --repo "$repo"
"$S" tuf repo init --repo "$tmp/r4" --rekor-url https://r.test \
  --rekor-key "$tmp/lk/rekor.pub" --mirror-url https://m1.test \
  --mirror-url=https://m2.test >/dev/null || fail "two --mirror-url refused"
[[ $(grep -c '"url"' "$tmp/r4/staged/targets/signing_config.v0.2.json") == 3 ]] ||
  fail "init did not keep both --mirror-url"

# A closed stdout (| head -1) or a signal in the middle of init leaves the
# whole repository or nothing, never DIR.init-XXXXXX with private keys.
{ rc=0
  "$S" tuf repo init --repo "$tmp/r5" --rekor-url https://r.test \
    --rekor-key "$tmp/lk/rekor.pub" --root-keys 5 2>"$tmp/err" || rc=$?
  echo $rc >"$tmp/rc"; } | head -1 >/dev/null
[[ $(cat "$tmp/rc") == 1 ]] || fail "init | head -1 exited $(cat "$tmp/rc"), not 1"
grep -q "writing the output failed" "$tmp/err" ||
  fail "init | head -1 does not say the output failed: $(cat "$tmp/err")"
[[ -f $tmp/r5/scripts/publish.sh ]] || fail "init | head -1 did not finish"
for delay in 0.005 0.01 0.02 0.04 0.08; do
  timeout -s INT "$delay" "$S" tuf repo init --repo "$tmp/r6-$delay" \
    --rekor-url https://r.test --rekor-key "$tmp/lk/rekor.pub" \
    --root-keys 32 --key-type ecdsa-p256 >/dev/null 2>&1 || true
  [[ ! -e $tmp/r6-$delay || -f $tmp/r6-$delay/scripts/publish.sh ]] ||
    fail "init stopped by SIGINT after ${delay}s left half a repository"
done
if ls -d "$tmp"/*.init-* 2>/dev/null; then fail "init left a temp folder"; fi
echo "ok: init | head -1 and SIGINT leave no DIR.init-XXXXXX"

mkdir "$tmp/home"
for bad in '"https://admin:S3cretPW@h.test"' '"http://h.test/\u001b]0;PWNED"'; do
  printf '{"rekor": {"mirrors": [%s]}}\n' "$bad" >"$tmp/home/config.json"
  expect 1 "rekor.mirrors\[0\] is not a usable" "$S" --home "$tmp/home" \
    trust reset-circuits --trusted-root "$repo/staged/targets/trusted_root.json"
  if grep -q S3cretPW "$tmp/err"; then fail "config.json password echoed"; fi
done
echo "PASS repo_bad_input"
