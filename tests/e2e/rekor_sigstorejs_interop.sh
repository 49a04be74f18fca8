#!/usr/bin/env bash
# rekor_sigstorejs_interop.sh - our Rekor side against an independent
# implementation, sigstore-js (sigstore 5.0.1, @sigstore/sign 5.1.0,
# @sigstore/verify 4.1.3, @sigstore/bundle 5.0.1, installed from the npm
# registry into a cache folder outside the source tree), both ways, over
# one drill log on loopback:
#
#   1. sigstore-js as the client of our log: @sigstore/sign's
#      MessageSignatureBundleBuilder + RekorWitness (rekorBaseURL = the
#      drill log) with an ECDSA P-256 key signer -> bundles v0.3 (entry 0:
#      protobuf JSON leaves its logIndex out) and v0.2 -> @sigstore/verify
#      accepts them under a trusted_root.json written here (the drill log's
#      key, log ID = SHA-256 of the DER key, no CA or CT log) -> `stella
#      rekor verify --bundle --trusted-root` accepts them, and refuses a
#      flipped byte of the SET, of the proof's root hash and of the
#      checkpoint signature, naming the check (sigstore-js refuses the SET
#      and checkpoint flips too: the harness can fail).
#   2. stella as the client: `stella rekor submit` through trust synced from
#      a TUF repository made with `stella tuf` (tests/e2e/lib-rekor.sh) ->
#      each entry fetched from the REST API (by entry ID, by index) and
#      turned into a bundle by RekorWitness's own conversion -> sigstore-js
#      checks its SET alone (as a v0.1 bundle), its inclusion proof +
#      checkpoint alone, and both; a flipped SET, proof hash or checkpoint is refused. Then
#      sigstore-js re-proposes one of our entries (409, fetch by Location)
#      and verifies it with trusted_root.json read through its own TUF
#      client from our repository; stella verifies that bundle too.
#
# Without node/npm or registry access it prints SKIP and exits 77.
# Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
unset STELLA_NOW STELLA_TUF_REPO # the real clock: integrated times are real
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_need curl openssl python3
SIGSTORE_PKGS=(sigstore@5.0.1 @sigstore/sign@5.1.0 @sigstore/verify@4.1.3
  @sigstore/bundle@5.0.1)
# shellcheck source=/dev/null
. "$top/tests/e2e/lib-npm.sh"
cache=${STELLA_SIGSTOREJS_CACHE:-$(npm_cache_dir sigstore-js-5.0.1)}
npm_install_cached "$cache" "${SIGSTORE_PKGS[@]}"
e2e_begin 60
export STELLA_HOME=$work/client
# shellcheck source=/dev/null
. "$top/tests/e2e/lib-rekor.sh"

# sigstore-js (rekor_sigstorejs_client.js says what each command does);
# make-fetch-happen honours proxy variables, loopback must not use one.
JS=(env "NODE_PATH=$cache/node_modules" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
  node "$top/tests/e2e/rekor_sigstorejs_client.js")
HINT=pipeline-key

# tamper SRC WHAT DST: the bundle SRC with one change: one byte flipped of
# the SET (set), the proof's root hash (root), its first hash (hash) or
# the checkpoint's signature (checkpoint); or no proof (a v0.1 bundle) /
# no SET.
tamper() {
  python3 - "$@" <<'PY' || die "tamper $2"
import base64, json, sys
src, what, dst = sys.argv[1:4]
b = json.load(open(src))
e = b["verificationMaterial"]["tlogEntries"][0]
p = e.get("inclusionProof", {})
def flip(b64):
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()
if what == "set":
    e["inclusionPromise"]["signedEntryTimestamp"] = flip(e["inclusionPromise"]["signedEntryTimestamp"])
elif what == "root":
    p["rootHash"] = flip(p["rootHash"])
elif what == "hash":
    p["hashes"][0] = flip(p["hashes"][0])
elif what == "checkpoint":
    note, sig_line = p["checkpoint"]["envelope"].split("\n\n", 1)
    dash, name, sig = sig_line.rstrip("\n").split(" ")
    p["checkpoint"]["envelope"] = "%s\n\n%s %s %s\n" % (note, dash, name, flip(sig))
elif what == "no-proof":  # only a v0.1 bundle may go without a proof
    del e["inclusionProof"]
    b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
elif what == "no-set":
    del e["inclusionPromise"]
json.dump(b, open(dst, "w"), indent=1)
PY
}
entry_id() { cat "$work/uuid.$1"; }

# ---- setup: one drill log, the repository that lists it, a synced client ----
step "drill log L and a TUF repository (stella tuf) that lists it"
T0=$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)
rekor_log L "$work/log" rekor-drill
rekor_repo "$L_URL" rekor-drill
rekor_repo_publish
rekor_client '{}'
ok "L $L_URL (log ID ${L_ID:0:16}...), TUF repository at $SERVE_URL"

# The trusted root sigstore-js and `rekor verify --trusted-root` use for
# direction 1: the drill log's key only (written here, not by stella).
python3 - "$work/rekor-drill.pub" "$L_URL" "$T0" >"$work/trusted_root.json" <<'PY' ||
import base64, hashlib, json, subprocess, sys
pub, url, start = sys.argv[1:4]
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER"],
                     check=True, capture_output=True).stdout
b64 = lambda b: base64.b64encode(b).decode()
print(json.dumps({
  "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "tlogs": [{"baseUrl": url, "hashAlgorithm": "SHA2_256",
             "publicKey": {"rawBytes": b64(der), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                           "validFor": {"start": start}},
             "logId": {"keyId": b64(hashlib.sha256(der).digest())}}],
  "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []}, indent=1))
PY
  die "could not write trusted_root.json"
TR=$work/trusted_root.json

# ---- 1. sigstore-js signs through our log ------------------------------------
step "sigstore-js (RekorWitness) logs two signatures in the drill log"
index=0
for v in v0.3 v0.2; do
  a=$work/js-$v
  echo "signed by sigstore-js, bundle $v, $(date +%s%N)" >"$a"
  must 0 "sigstore-js sign ($v bundle)" -- "${JS[@]}" sign "$a" "$work/signer.pem" \
    "$HINT" "$L_URL" "$v" "$a.bundle"
  has "$out" "^signed: .*log index $index\$" "the $v bundle holds entry $index"
  index=$((index + 1))
done
cp "$work/js-v0.3.bundle" "$out" # for json
json '
e = d["verificationMaterial"]["tlogEntries"][0]
assert d["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", d["mediaType"]
assert "logIndex" not in e, e  # protobuf JSON drops the zero
assert e["inclusionPromise"] and e["inclusionProof"]["checkpoint"]["envelope"], e' \
  "v0.3 bundle: SET, proof and checkpoint; entry 0 written without logIndex"

step "sigstore-js verifies its bundles under our log's key"
for v in v0.3 v0.2; do
  must 0 "@sigstore/verify: $v bundle" -- "${JS[@]}" verify "$work/js-$v.bundle" \
    "$work/js-$v" "$TR" "$work/signer.pub" "$HINT"
  has "$out" "SET checked, inclusion proof \+ checkpoint checked" "$v: every part checked"
done

step "stella rekor verify --bundle --trusted-root accepts sigstore-js's bundles"
for v in v0.3 v0.2; do
  must 0 "stella verifies the $v bundle" -- "$S" rekor verify --bundle "$work/js-$v.bundle" \
    --trusted-root "$TR" --json
  json '
assert d["verified"] and d["failed_check"] == "", d
assert d["checks"] == {"set": "ok", "inclusion_proof": "ok", "checkpoint": "ok",
                       "consistency": "absent"}, d # offline: no stored checkpoint
assert d["entry"]["log_id"] == E["L_ID"], d' "$v: SET, inclusion proof, checkpoint ok"
done

step "one flipped byte: stella names the check (and sigstore-js refuses too)"
for w in set:set root:inclusion_proof checkpoint:checkpoint; do
  part=${w%%:*} check=${w##*:}
  tamper "$work/js-v0.3.bundle" "$part" "$work/flip-$part.json"
  must 1 "stella refuses a flipped $part" -- "$S" rekor verify \
    --bundle "$work/flip-$part.json" --trusted-root "$TR"
  has "$err" "\(failed check: $check\)" "stella: failed check $check"
  one_line_error "flipped $part"
  must 1 "stella --json: flipped $part" -- "$S" rekor verify \
    --bundle "$work/flip-$part.json" --trusted-root "$TR" --json
  CHECK=$check json 'assert not d["verified"] and d["failed_check"] == E["CHECK"], d' \
    "stella --json: failed_check $check"
done
for w in set:TLOG_INCLUSION_PROMISE_ERROR checkpoint:TLOG_INCLUSION_PROOF_ERROR; do
  part=${w%%:*}
  must 1 "sigstore-js refuses a flipped $part" -- "${JS[@]}" verify \
    "$work/flip-$part.json" "$work/js-v0.3" "$TR" "$work/signer.pub" "$HINT"
  has "$out" "^${w##*:}:" "sigstore-js: ${w##*:}"
done
# sigstore-js recomputes the root from the proof and compares it with the
# checkpoint's, never reading inclusionProof.rootHash: not asserted here.
"${JS[@]}" verify "$work/flip-root.json" "$work/js-v0.3" "$TR" "$work/signer.pub" \
  "$HINT" | sed 's/^/  (sigstore-js on the flipped proof root hash: /; s/$/)/'

# ---- 2. stella submits, sigstore-js verifies ----------------------------------
step "stella rekor submit (trust synced from the TUF repository)"
for n in 1 2 3; do
  submit "$n"
  [[ $(backend_of "$n") == "$L_URL" ]] || die "entry $n did not go to L"
done
ok "entries 1-3 logged by stella in L (log indexes 2-4)"

# js_verify N FORM TIMESTAMPS WANT: @sigstore/verify on entry N's bundle
# $work/artifact.N.FORM under the trusted root of our TUF repository.
js_verify() {
  must 0 "@sigstore/verify: entry $1, $2" -- "${JS[@]}" verify \
    "$work/artifact.$1.$2" "$work/artifact.$1" "$work/web/targets/"*.trusted_root.json \
    "$work/signer.pub" "$HINT" "$3"
  has "$out" "$4" "entry $1, $2: ${4//\\/}"
}
step "each entry from the REST API, turned into a bundle by sigstore-js, verified"
for n in 1 2 3; do
  a=$work/artifact.$n
  must 0 "GET /api/v1/log/entries/{entry ID} (entry $n)" -- curl -sf --max-time 10 \
    -o "$a.rest.json" "$L_URL/api/v1/log/entries/$(entry_id "$n")"
  must 0 "sigstore-js: bundle from the REST entry $n" -- "${JS[@]}" from-entry \
    "$a" "$a.rest.json" "$HINT" "$a.bundle"
  tamper "$a.bundle" no-proof "$a.set-only.json"
  tamper "$a.bundle" no-set "$a.proof-only.json"
  js_verify "$n" bundle 1 "SET checked, inclusion proof \+ checkpoint checked"
  js_verify "$n" set-only.json 1 "SET checked, inclusion proof \+ checkpoint absent"
  js_verify "$n" proof-only.json 0 "SET absent, inclusion proof \+ checkpoint checked"
done
must 0 "GET /api/v1/log/entries?logIndex=4" -- curl -sf --max-time 10 \
  -o "$work/by-index.json" "$L_URL/api/v1/log/entries?logIndex=4"
must 0 "sigstore-js: bundle from the entry by index" -- "${JS[@]}" from-entry \
  "$work/artifact.3" "$work/by-index.json" "$HINT" "$work/by-index.bundle"
has "$out" "log index 4\$" "index 4 is entry 3"
must 0 "@sigstore/verify: entry by index" -- "${JS[@]}" verify "$work/by-index.bundle" \
  "$work/artifact.3" "$TR" "$work/signer.pub" "$HINT"

step "sigstore-js refuses a flipped SET, proof hash or checkpoint of our entry"
for w in set:TLOG_INCLUSION_PROMISE_ERROR hash:TLOG_INCLUSION_PROOF_ERROR \
  checkpoint:TLOG_INCLUSION_PROOF_ERROR; do
  part=${w%%:*}
  tamper "$work/artifact.1.bundle" "$part" "$work/ours-flip-$part.json"
  must 1 "sigstore-js refuses entry 1 with a flipped $part" -- "${JS[@]}" verify \
    "$work/ours-flip-$part.json" "$work/artifact.1" "$TR" "$work/signer.pub" "$HINT"
  has "$out" "^${w##*:}:" "sigstore-js: ${w##*:}"
done

step "sigstore-js re-proposes our entry 2: 409, fetched by Location; TUF trust"
must 0 "RekorWitness on an entry the log holds" -- "${JS[@]}" resubmit \
  "$work/artifact.2" "$work/artifact.2.sig" "$work/signer.pub" "$HINT" "$L_URL" \
  "$work/resubmit.bundle"
has "$out" "log index 3\$" "the existing entry (index 3), not a new one"
must 0 "sigstore: trusted_root.json through its TUF client from our repository" -- \
  "${JS[@]}" verify-tuf "$work/resubmit.bundle" "$work/artifact.2" "$SERVE_URL" \
  "$work/web/1.root.json" "$work/sigstore-tuf" "$work/signer.pub" "$HINT"
must 0 "stella verifies that bundle with the synced trust" -- "$S" rekor verify \
  --bundle "$work/resubmit.bundle" --json
json 'assert d["verified"] and d["entry"]["log_index"] == 3 and d["entry"]["key_name"] == "rekor-drill", d' \
  "stella: entry 3 under rekor-drill"
e2e_finish
