#!/usr/bin/env bash
# layout-sigstore-demo.sh SRC DEST - lays out the Sigstore public-good TUF
# snapshot (tests/data/tuf-sigstore-public-good) in DEST the way Sigstore's
# CDN serves it with consistent snapshots: N.root.json for every root in
# root_history, timestamp.json, VERSION.snapshot.json, VERSION.targets.json,
# VERSION.<delegated>.json, and each target file as
# targets/<sha256>.<name> (a delegated target keeps its folder:
# targets/registry.npmjs.org/<sha256>.keys.json).
# Serve DEST as the repository base URL (metadata at URL/, targets at
# URL/targets/). Used by the end-to-end tests and the console demo.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 SRC DEST" >&2
  exit 2
fi
# One python3 process (it is already needed to serve the files): the
# version of each role file is its signed.version.
python3 - "$1" "$2" <<'PY'
import hashlib, json, os, shutil, sys
src, dest = sys.argv[1], sys.argv[2]
meta = os.path.join(src, "metadata")
os.makedirs(os.path.join(dest, "targets"), exist_ok=True)
hist = os.path.join(meta, "root_history")
for name in os.listdir(hist):
    if name.endswith(".root.json"):
        shutil.copyfile(os.path.join(hist, name), os.path.join(dest, name))
shutil.copyfile(os.path.join(meta, "timestamp.json"),
                os.path.join(dest, "timestamp.json"))
for role in ("snapshot", "targets", "registry.npmjs.org"):
    path = os.path.join(meta, role + ".json")
    with open(path, "rb") as f:
        version = json.loads(f.read())["signed"]["version"]
    shutil.copyfile(path, os.path.join(dest, "%d.%s.json" % (version, role)))
tsrc = os.path.join(src, "targets")
for folder, _, files in os.walk(tsrc):
    out = os.path.join(dest, "targets", os.path.relpath(folder, tsrc))
    os.makedirs(out, exist_ok=True)
    for name in files:
        with open(os.path.join(folder, name), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        shutil.copyfile(os.path.join(folder, name),
                        os.path.join(out, digest + "." + name))
PY
