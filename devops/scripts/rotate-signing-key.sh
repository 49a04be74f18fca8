#!/usr/bin/env bash
# rotate-signing-key.sh generate|retire [FLAGS] - attestation signing keys
# published through the TUF repository (signing_keys.json; stages only,
# then scripts/sign-metadata.sh and scripts/publish.sh in the repository):
#   generate --key-type ecdsa-p256 [--name NAME] [--out DIR] [--repo DIR]
#       = stella tuf signing-key generate: NAME.pem (0600) for the pipeline,
#         NAME.pub, and the key staged as trusted ("active")
#   retire --old-key NAME [--compromised-since T] [--repo DIR]
#       = stella tuf signing-key retire: "retired" (or "compromised" from T)
# --repo defaults to $STELLA_TUF_REPO; --out to the current folder. Every
# flag is passed through. STELLA_BIN names the stella binary (default:
# stella on PATH); STELLA_HOME and STELLA_NOW reach stella unchanged.
set -euo pipefail
stella=${STELLA_BIN:-stella}
if ! command -v "$stella" >/dev/null 2>&1; then
  echo "$(basename "$0"): cannot run '$stella' (install stella or set STELLA_BIN)" >&2
  exit 1
fi
case ${1:-} in
  generate) shift; exec "$stella" tuf signing-key generate "$@" ;;
  retire) shift; exec "$stella" tuf signing-key retire "$@" ;;
  -h|--help)
    echo "usage: $0 generate|retire [FLAGS]"
    "$stella" tuf signing-key generate --help | sed -n 1p
    "$stella" tuf signing-key retire --help | sed -n 1p
    exit 0 ;;
  *) echo "$0: which command? generate or retire (see $0 --help)" >&2
     exit 2 ;;
esac
