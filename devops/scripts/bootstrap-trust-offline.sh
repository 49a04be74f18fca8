#!/usr/bin/env bash
# bootstrap-trust-offline.sh FILE [--force] - installs a trust bundle made by
# `stella trust snapshot export` on a site without network access. A thin
# wrapper: every check is `stella trust snapshot import` (full TUF
# verification from the locally trusted root; a root change, or a state
# folder with no trust yet, needs --force; nothing changes unless all of it
# verifies). Honours STELLA_HOME (the state folder) and STELLA_BIN (the
# stella binary, default: stella on PATH); every argument is passed through.
set -euo pipefail
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  echo "usage: $0 FILE [--force]   (see \`stella trust snapshot import --help\`)" >&2
  [[ $# -ge 1 ]] && exit 0
  exit 2
fi
exec "${STELLA_BIN:-stella}" trust snapshot import "$@"
