# lib-rekor.sh - the setup the Rekor e2e scripts share: drill logs, a TUF
# repository built with `stella tuf` that lists them, a client synced to it,
# and the submit / breaker helpers. Source it after lib.sh, lib-serve.sh and
# lib-drill.sh, with $S (the stella binary), $work, $out, $err and
# STELLA_HOME set.
#   rekor_log VAR STATE KEYFILE [SERVE-ARGS...]
#       starts drill log VAR (lib-drill.sh's drill_start) and writes its
#       public key to $work/KEYFILE.pub (the key's name in the repository
#       is KEYFILE); sets ${VAR}_ID, its log ID in hex
#   rekor_repo PRIMARY_URL KEYFILE [TUF-REPO-INIT-ARGS...]
#       $work/repo with that Rekor URL and key (published to $work/web)
#   rekor_repo_key KEYFILE URL     another log key, under that base URL
#   rekor_repo_publish             sign, publish, serve: SERVE_URL
#   rekor_client CONFIG-JSON       trust init + sync, HOME/config.json, and
#                                  the pipeline's signing key
#   submit N [WANT_RC]             signs artifact N and submits it (--json);
#                                  uuid and backend in $work/uuid.N,
#                                  $work/backend.N (when it succeeded)
#   backend_of N                   the backend entry N went to
#   post_direct URL N              signs artifact N and POSTs its entry to
#                                  the log at URL with curl (not the client)
#   breaker                        the status JSON with the breakers in $out

rekor_log() {
  local var=$1 state=$2 key=$3 id
  shift 3
  drill_start "$var" "$state" "$@" || die "drill log $var did not start"
  must 0 "$var's public key" -- "$S" drill-log pubkey --state "$state"
  cp "$out" "$work/$key.pub"
  id=$(openssl pkey -pubin -in "$work/$key.pub" -outform DER | sha256sum | cut -c1-64)
  printf -v "${var}_ID" '%s' "$id"
  export "${var}_URL" "${var}_ID"
}

rekor_repo() {
  local url=$1 key=$2
  shift 2
  must 0 "tuf repo init" -- "$S" tuf repo init --repo "$work/repo" --rekor-url "$url" \
    --rekor-key "$work/$key.pub" --publish-to "$work/web" "$@"
}

rekor_repo_key() {
  must 0 "tuf rekor-key add ($1 under $2)" -- "$S" tuf rekor-key add \
    --repo "$work/repo" --new-key "$work/$1.pub" --rekor-url "$2"
}

rekor_repo_publish() {
  must 0 "tuf sign" -- "$S" tuf sign --repo "$work/repo"
  must 0 "tuf publish" -- "$S" tuf publish --repo "$work/repo"
  serve_start "$work/web" || die "the web server did not start"
}

rekor_client() {
  must 0 "trust init" -- "$S" trust init --tuf-url "$SERVE_URL" --root "$work/web/1.root.json"
  must 0 "trust sync" -- "$S" trust sync
  printf '%s\n' "$1" >"$STELLA_HOME/config.json"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$work/signer.pem" 2>/dev/null &&
    openssl pkey -in "$work/signer.pem" -pubout -out "$work/signer.pub" ||
    die "openssl could not make the pipeline's signing key"
}

# sign_artifact N: a new artifact $work/artifact.N and its signature.
sign_artifact() {
  local a=$work/artifact.$1
  echo "release $1 built at $(date -u +%s%N)" >"$a"
  openssl dgst -sha256 -sign "$work/signer.pem" -out "$a.sig" "$a" ||
    die "openssl could not sign artifact $1"
}

submit() {
  local n=$1 want=${2:-0} a=$work/artifact.$1
  sign_artifact "$n"
  must "$want" "submit artifact $n" -- "$S" rekor submit --artifact "$a" \
    --signature "$a.sig" --public-key "$work/signer.pub" --json
  ((want == 0)) || return 0
  python3 - "$out" "$work" "$n" <<'PY' || die "submit $n: unexpected JSON"
import json, sys
d = json.load(open(sys.argv[1]))
open("%s/uuid.%s" % (sys.argv[2], sys.argv[3]), "w").write(d["uuid"])
open("%s/backend.%s" % (sys.argv[2], sys.argv[3]), "w").write(d["backend"])
PY
}
backend_of() { cat "$work/backend.$1"; }

post_direct() {
  local url=$1 a=$work/artifact.$2
  sign_artifact "$2"
  python3 - "$a" "$work/signer.pub" >"$a.entry.json" <<'PY' || die "entry $2"
import base64, hashlib, json, sys
art, pub = sys.argv[1], sys.argv[2]
b64 = lambda f: base64.b64encode(open(f, "rb").read()).decode()
print(json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
  "data": {"hash": {"algorithm": "sha256",
                    "value": hashlib.sha256(open(art, "rb").read()).hexdigest()}},
  "signature": {"content": b64(art + ".sig"), "publicKey": {"content": b64(pub)}}}}))
PY
  must 0 "entry $2 posted to $url (curl)" -- curl -sf -X POST \
    -H 'Content-Type: application/json' --data @"$a.entry.json" "$url/api/v1/log/entries"
}

breaker() {
  must 0 "trust status --show-circuit-breaker --json" -- \
    "$S" trust status --show-backends --show-circuit-breaker --json
}
