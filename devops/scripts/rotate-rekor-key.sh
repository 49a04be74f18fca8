#!/usr/bin/env bash
# rotate-rekor-key.sh add-key|remove-old [FLAGS] - transparency log key
# rotation in a TUF repository workspace (stages only; then
# scripts/sign-metadata.sh and scripts/publish.sh in the repository):
#   add-key --repo DIR --new-key FILE.pub [--name NAME] [--rekor-url URL]
#       = stella tuf rekor-key add: the key is trusted from now
#   remove-old --repo DIR --old-key-name NAME [--compromised-since T] [--skip-grace]
#       = stella tuf rekor-key remove-old: its validity ends (at T for a
#         compromise); refused within the grace period unless --skip-grace
# Every flag is passed through. STELLA_BIN names the stella binary
# (default: stella on PATH); STELLA_HOME and STELLA_NOW reach stella
# through the environment.
set -euo pipefail
stella=${STELLA_BIN:-stella}
if ! command -v "$stella" >/dev/null 2>&1; then
  echo "$(basename "$0"): cannot run '$stella' (install stella or set STELLA_BIN)" >&2
  exit 1
fi
case ${1:-} in
  add-key) shift; exec "$stella" tuf rekor-key add "$@" ;;
  remove-old) shift; exec "$stella" tuf rekor-key remove-old "$@" ;;
  -h|--help)
    echo "usage: $0 add-key|remove-old [FLAGS]"
    "$stella" tuf rekor-key add --help | sed -n 1p
    "$stella" tuf rekor-key remove-old --help | sed -n 1p
    exit 0 ;;
  *) echo "$0: which command? add-key or remove-old (see $0 --help)" >&2
     exit 2 ;;
esac
