#!/usr/bin/env bash
# disaster-swap-endpoint.sh --repo DIR --new-rekor-url URL --note TEXT
# Stages a Rekor endpoint swap in a TUF repository workspace: the new URL
# becomes the primary endpoint of signing_config, the old one's validity
# ends now (kept for history), the note and time are recorded. Then run
# scripts/sign-metadata.sh and scripts/publish.sh inside the repository;
# clients pick the swap up at their next `stella trust sync`.
# A thin wrapper over `stella tuf endpoint swap` (every flag passed
# through). STELLA_BIN names the stella binary (default: stella on PATH);
# STELLA_HOME and STELLA_NOW reach stella through the environment.
set -euo pipefail
stella=${STELLA_BIN:-stella}
if ! command -v "$stella" >/dev/null 2>&1; then
  echo "$(basename "$0"): cannot run '$stella' (install stella or set STELLA_BIN)" >&2
  exit 1
fi
if [[ $# -eq 0 ]]; then # a usage error: the usage goes to stderr
  "$stella" tuf endpoint swap --help >&2
  exit 2
fi
if [[ $1 == -h || $1 == --help ]]; then
  exec "$stella" tuf endpoint swap --help
fi
exec "$stella" tuf endpoint swap "$@"
