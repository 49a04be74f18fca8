#!/usr/bin/env bash
# demo-console.sh STELLA_BIN - the console's built-in default until a
# rehearsal stack exists: Sigstore's real public-good TUF repository (a
# snapshot taken 2026-08-21, shipped in tests/data) served on loopback,
# verified from its first root, and shown in the console.
# The snapshot's timestamp expired 2026-08-28, so the sync must tolerate
# stale metadata; it says so loudly and the console shows those roles STALE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stella=${1:-$top/build/cli/stella}
data=$top/tests/data/tuf-sigstore-public-good
home=${STELLA_DEMO_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/stella-demo}
. "$here/lib-serve.sh"

work=$(mktemp -d)
trap 'serve_stop; rm -rf "$work"' EXIT
"$here/layout-sigstore-demo.sh" "$data" "$work/repo"
serve_start "$work/repo"

# Tolerate exactly as much staleness as this frozen snapshot needs (at least
# the 120 days of the README demo): days since the timestamp expired + 30.
expired=$(date -u -d 2026-08-28T19:25:56Z +%s)
days=$(( ($(date -u +%s) - expired) / 86400 + 30 ))
(( days < 120 )) && days=120
"$stella" --home "$home" trust init --tuf-url "$SERVE_URL" \
  --root "$data/metadata/root_history/1.root.json" --force
"$stella" --home "$home" trust sync --allow-stale --max-age "${days}d" || true
"$stella" --home "$home" console --allow-stale --max-age "${days}d"
