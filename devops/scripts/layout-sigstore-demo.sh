#!/usr/bin/env bash
# layout-sigstore-demo.sh SRC DEST - lays out the Sigstore public-good TUF
# snapshot (tests/data/tuf-sigstore-public-good) in DEST the way Sigstore's
# CDN serves it with consistent snapshots: N.root.json for every root in
# root_history, timestamp.json, VERSION.snapshot.json, VERSION.targets.json,
# VERSION.<delegated>.json, and each target file as targets/<sha256>.<name>
# (a delegated target keeps its folder: targets/registry.npmjs.org/<sha256>.keys.json).
# Serve DEST as the repository base URL (metadata at URL/, targets at
# URL/targets/). Used by the end-to-end tests and the console demo.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 SRC DEST" >&2
  exit 2
fi
src=$1 dest=$2
meta=$src/metadata

# The version a metadata file declares (signed.version), for its served name.
version_of() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$1"
}

mkdir -p "$dest/targets"
for f in "$meta"/root_history/*.root.json; do
  cp "$f" "$dest/$(basename "$f")"
done
cp "$meta/timestamp.json" "$dest/timestamp.json"
for role in snapshot targets registry.npmjs.org; do
  cp "$meta/$role.json" "$dest/$(version_of "$meta/$role.json").$role.json"
done

# Target files: hash-prefixed basenames, folders kept.
(cd "$src/targets" && find . -type f -print) | while read -r rel; do
  rel=${rel#./}
  dir=$(dirname "$rel") base=$(basename "$rel")
  sum=$(sha256sum "$src/targets/$rel" | cut -d' ' -f1)
  mkdir -p "$dest/targets/$dir"
  cp "$src/targets/$rel" "$dest/targets/$dir/$sum.$base"
done
