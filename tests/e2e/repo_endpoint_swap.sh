#!/usr/bin/env bash
# repo_endpoint_swap.sh - the repository side end to end over loopback: a
# repository made by `stella tuf repo init`, published to a web root served
# by python3 http.server, a client that trusts it, then the disaster
# changes through devops/scripts/ + the repository's own scripts, each
# picked up by the client's `trust sync` with no client reconfiguration:
# Rekor endpoint swap and swap back, log key add + remove-old, a signing key
# generated then retired (status lists it by name with its status).
set -euo pipefail

S=${STELLA_BIN:?}
SRC=${STELLA_SOURCE_ROOT:?}
SCRIPTS=$SRC/devops/scripts
tmp=$(mktemp -d)
# shellcheck source=/dev/null
source "$SCRIPTS/lib-serve.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
export STELLA_BIN=$S STELLA_HOME=$tmp/home
repo=$tmp/repo web=$tmp/web

# jq-free JSON checks: python3 reads status --json from stdin.
check_json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" ||
  fail "$2"; }

step "log keys (made by stella itself, no openssl needed)"
"$S" tuf signing-key generate --key-type ecdsa-p256 --name rekor-key-v1 \
  --out "$tmp/logkeys" >/dev/null
"$S" tuf signing-key generate --key-type ecdsa-p256 --name rekor-key-v2 \
  --out "$tmp/logkeys" >/dev/null

step "repo init (3 root holders, threshold 2) and first publish"
"$S" tuf repo init --repo "$repo" --rekor-url http://rekor.test \
  --rekor-key "$tmp/logkeys/rekor-key-v1.pub" --root-keys 3 \
  --root-threshold 2 --mirror-url http://mirror.test --publish-to "$web" \
  >/dev/null
[[ $(stat -c %a "$repo/keys/root/holder-2.pem") == 600 ]] ||
  fail "root key file is not 0600"
(cd "$repo" && scripts/publish.sh) >/dev/null
[[ -f $web/1.root.json && -f $web/timestamp.json ]] || fail "no web root"

step "client: trust init + sync from the served web root"
serve_start "$web"
"$S" trust init --tuf-url "$SERVE_URL" --root "$web/1.root.json" >/dev/null
"$S" trust sync
"$S" trust status --show-endpoints --json | check_json '
e=[x for x in d["endpoints"] if x["kind"]=="rekor"]
assert [x["url"] for x in e]==["http://rekor.test", "http://mirror.test"], e
assert all(x["valid_until"] is None for x in e), e' \
  "initial endpoints not served"

step "disaster-swap-endpoint.sh to the mirror, sign, publish"
"$SCRIPTS/disaster-swap-endpoint.sh" --repo "$repo" \
  --new-rekor-url http://127.0.0.1:1/mirror --note "rekor.test down (INC-42)"
"$S" tuf diff --repo "$repo" | tee "$tmp/diff.txt"
grep -q "Rekor primary endpoint: http://rekor.test -> http://127.0.0.1:1/mirror" \
  "$tmp/diff.txt" || fail "diff does not name the swap"
"$repo/scripts/sign-metadata.sh" | tail -n1
"$repo/scripts/publish.sh"
grep -q "INC-42" "$repo/CHANGELOG" || fail "note not in CHANGELOG"
grep -q "INC-42" "$web"/*.targets.json || fail "note not in targets custom"

step "client sync: new primary, old validity ended, same client config"
"$S" trust sync
"$S" trust status --show-endpoints --json | tee "$tmp/st1.json" | check_json '
e=[x for x in d["endpoints"] if x["kind"]=="rekor"]
assert e[0]["url"]=="http://127.0.0.1:1/mirror" and e[0]["valid_until"] is None, e
old=[x for x in e if x["url"]=="http://rekor.test"]
assert old and old[0]["valid_until"] is not None, e
m=[x for x in e if x["url"]=="http://mirror.test"]
assert m and m[0]["valid_until"] is None, e
assert d["roles"]["targets"]["version"]==2, d["roles"]' \
  "swap not visible to the client"

step "swap back on recovery"
"$SCRIPTS/disaster-swap-endpoint.sh" --repo "$repo" \
  --new-rekor-url http://rekor.test --note "rekor.test recovered (INC-42)"
"$repo/scripts/sign-metadata.sh" >/dev/null
"$repo/scripts/publish.sh" >/dev/null
"$S" trust sync
"$S" trust status --show-endpoints --json | check_json '
e=[x for x in d["endpoints"] if x["kind"]=="rekor"]
assert e[0]["url"]=="http://rekor.test" and e[0]["valid_until"] is None, e
m=[x for x in e if x["url"]=="http://127.0.0.1:1/mirror"]
assert m and all(x["valid_until"] is not None for x in m), e' \
  "swap back not visible"

step "rotate-rekor-key.sh add-key, then remove-old (grace, then --skip-grace)"
"$SCRIPTS/rotate-rekor-key.sh" add-key --repo "$repo" \
  --new-key "$tmp/logkeys/rekor-key-v2.pub"
"$repo/scripts/sign-metadata.sh" >/dev/null
"$repo/scripts/publish.sh" >/dev/null
"$S" trust sync >/dev/null
if "$SCRIPTS/rotate-rekor-key.sh" remove-old --repo "$repo" \
    --old-key-name rekor-key-v1 2>"$tmp/err"; then
  fail "remove-old within the grace period was accepted"
fi
grep -q "skip-grace" "$tmp/err" || fail "grace refusal does not say what to do"
"$SCRIPTS/rotate-rekor-key.sh" remove-old --repo "$repo" \
  --old-key-name rekor-key-v1 --skip-grace
"$repo/scripts/sign-metadata.sh" >/dev/null
"$repo/scripts/publish.sh" >/dev/null
"$S" trust sync
"$S" trust status --show-keys --json | tee "$tmp/keys.json" | check_json '
k=[x for x in d["keys"] if x["kind"]=="tlog"]
assert len(k)==2, k
old=[x for x in k if x["valid_until"] is not None]
new=[x for x in k if x["valid_until"] is None]
assert len(old)==1 and len(new)==1, k
assert old[0]["valid_from"] <= new[0]["valid_from"] <= old[0]["valid_until"], k
assert old[0]["log_id"] != new[0]["log_id"], k
assert new[0].get("name")=="rekor-key-v2", k' \
  "key rotation not visible with the right validity windows and names"

step "rotate-signing-key.sh generate, sign, publish: status lists it active"
STELLA_TUF_REPO=$repo "$SCRIPTS/rotate-signing-key.sh" generate \
  --key-type ecdsa-p256 --name attest-2026 --out "$tmp/sk" >/dev/null
[[ $(stat -c %a "$tmp/sk/attest-2026.pem") == 600 ]] ||
  fail "signing key file is not 0600"
"$repo/scripts/sign-metadata.sh" >/dev/null
"$repo/scripts/publish.sh" >/dev/null
"$S" trust sync | tee "$tmp/sync.txt"
grep -q "signing_keys.json" "$tmp/sync.txt" ||
  fail "sync summary does not name signing_keys.json"
"$S" trust status --show-keys --json | check_json '
s=[x for x in d["keys"] if x["kind"]=="signing"]
assert [(x["name"], x["status"]) for x in s]==[("attest-2026", "active")], s
assert s[0]["valid_until"] is None and len(s[0]["fingerprint_sha256"])==64, s
assert d["service_map_error"] is None, d' "signing key not listed as active"
"$S" trust status --show-keys >"$tmp/keys.txt"
grep -q "name *attest-2026" "$tmp/keys.txt" &&
  grep -q "status *active" "$tmp/keys.txt" ||
  fail "text status does not name the signing key and its status"

step "rotate-signing-key.sh retire: status says retired"
STELLA_TUF_REPO=$repo "$SCRIPTS/rotate-signing-key.sh" retire \
  --old-key attest-2026 >/dev/null
"$repo/scripts/sign-metadata.sh" >/dev/null
"$repo/scripts/publish.sh" >/dev/null
"$S" trust sync >/dev/null
"$S" trust status --show-keys --json | check_json '
s=[x for x in d["keys"] if x["kind"]=="signing"]
assert [(x["name"], x["status"]) for x in s]==[("attest-2026", "retired")], s
assert s[0]["valid_until"] is not None, s' "signing key not shown retired"

step "old versions kept, timestamp last"
for v in 1 2 3 4 5 6 7; do
  [[ -f $web/$v.targets.json ]] || fail "targets v$v not kept"
done
python3 - "$web" <<'EOF' || fail "web root references a missing file"
import json, os, sys
web = sys.argv[1]
ts = json.load(open(os.path.join(web, "timestamp.json")))["signed"]
sv = ts["meta"]["snapshot.json"]["version"]
sn = json.load(open(os.path.join(web, "%d.snapshot.json" % sv)))["signed"]
tv = sn["meta"]["targets.json"]["version"]
tg = json.load(open(os.path.join(web, "%d.targets.json" % tv)))["signed"]
for name, t in tg["targets"].items():
    p = os.path.join(web, "targets", t["hashes"]["sha256"] + "." + name)
    assert os.path.exists(p), p
EOF
step "20 endpoint adds at once: none lost (each one locks the workspace)"
par=$tmp/par
"$S" tuf repo init --repo "$par" --rekor-url http://r.example \
  --rekor-key "$tmp/logkeys/rekor-key-v1.pub" >/dev/null
pids=()
for i in $(seq 1 20); do
  (rc=0; "$S" tuf endpoint add --repo "$par" --rekor-url "http://m$i.example" \
     --note "n$i" >/dev/null 2>"$tmp/par-$i.err" || rc=$?
   echo $rc >"$tmp/par-$i.rc") &
  pids+=($!)
done
wait "${pids[@]}" # not the web server
added=0
for i in $(seq 1 20); do
  rc=$(cat "$tmp/par-$i.rc")
  if [[ $rc == 0 ]]; then added=$((added + 1)); continue; fi
  [[ $rc == 1 ]] && grep -q "another stella tuf command is changing" \
    "$tmp/par-$i.err" || fail "parallel add $i: exit $rc: $(cat "$tmp/par-$i.err")"
  "$S" tuf endpoint add --repo "$par" --rekor-url "http://m$i.example" \
    --note "n$i (retry)" >/dev/null || fail "retry of add $i"
done
mirrors() { python3 -c 'import json,sys
print(len(json.load(open(sys.argv[1]))["rekorTlogUrls"]))' \
  "$par/staged/targets/signing_config.v0.2.json"; }
[[ $(mirrors) == 21 ]] ||
  fail "$(mirrors) endpoints after 20 adds ($added at the first try), not 21"
[[ $(grep -c "endpoint add" "$par/CHANGELOG") == 20 ]] ||
  fail "CHANGELOG does not list the 20 adds once each"
echo "ok: $added of 20 at the first try, the rest refused cleanly; 21 endpoints"

step "server down: one statement, the URL once, one hint"
serve_stop
if "$S" trust sync 2>"$tmp/down.txt"; then fail "sync with the server down"; fi
cat "$tmp/down.txt"
[[ $(wc -l <"$tmp/down.txt") -eq 1 ]] || fail "server down: not one line"
[[ $(grep -o "$SERVE_URL" "$tmp/down.txt" | wc -l) -eq 1 ]] ||
  fail "server down: the URL is not named exactly once"
[[ $(grep -o "(" "$tmp/down.txt" | wc -l) -eq 1 ]] ||
  fail "server down: not exactly one hint"
grep -q "failed: connection refused (is the server up?)$" "$tmp/down.txt" ||
  fail "server down: does not say what failed and why"
echo "PASS repo_endpoint_swap"
