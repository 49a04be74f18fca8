#!/usr/bin/env bash
# bootstrap-trust-offline.sh FILE [--force] - installs a trust bundle made by
# `stella trust snapshot export` on a site without network access. A thin
# wrapper: every check is `stella trust snapshot import` (full TUF
# verification from the locally trusted root; a root change, or a state
# folder with no trust yet, needs --force; nothing changes unless all of it
# verifies). Honours STELLA_HOME (the state folder) and STELLA_BIN (the
# stella binary, default: stella on PATH); every argument is passed through.
set -euo pipefail
usage="usage: $0 FILE [--force]   (see \`stella trust snapshot import --help\`)"
if [[ $# -lt 1 ]]; then
  echo "$usage" >&2
  exit 2
fi
if [[ $1 == -h || $1 == --help ]]; then
  echo "$usage"
  exit 0
fi
stella=${STELLA_BIN:-stella}
if ! command -v "$stella" >/dev/null 2>&1; then
  echo "$(basename "$0"): cannot run '$stella' (install stella or set STELLA_BIN)" >&2
  exit 1
fi
exec "$stella" trust snapshot import "$@"
