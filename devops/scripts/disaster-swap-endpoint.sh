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
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  "${STELLA_BIN:-stella}" tuf endpoint swap --help
  [[ $# -eq 0 ]] && exit 2
  exit 0
fi
exec "${STELLA_BIN:-stella}" tuf endpoint swap "$@"
