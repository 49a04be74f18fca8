#!/usr/bin/env bash
# repo_tufjs_interop.sh - another TUF implementation accepts what stella
# makes: tuf-js (6.0.2, installed from the npm registry into a cache folder
# outside the source tree) refreshes and downloads the service-map targets
# of repositories made, rotated (endpoint swap, log key add, signing key)
# and published by `stella tuf`, with ed25519 and with ECDSA P-256 role
# keys, both as a client that followed every version and as a fresh one.
# Without node/npm or registry access it prints SKIP and exits 77.
set -euo pipefail

S=${STELLA_BIN:?}
SRC=${STELLA_SOURCE_ROOT:?}
TUFJS_VERSION=6.0.2
# shellcheck source=/dev/null
source "$SRC/tests/e2e/lib-npm.sh"
cache=${STELLA_TUFJS_CACHE:-$(npm_cache_dir "tuf-js-$TUFJS_VERSION")}
npm_install_cached "$cache" "tuf-js@$TUFJS_VERSION"

tmp=$(mktemp -d)
# shellcheck source=/dev/null
source "$SRC/devops/scripts/lib-serve.sh"
cleanup() { serve_stop; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Our own small tuf-js client: refresh, then download and print the
# service map. Args: metadata URL, targets URL, trusted root file, folder.
cat >"$tmp/client.js" <<'EOF'
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');
const [metaUrl, targetsUrl, rootFile, dir] = process.argv.slice(2);
const metadataDir = path.join(dir, 'metadata');
const targetDir = path.join(dir, 'targets');
fs.mkdirSync(metadataDir, { recursive: true });
fs.mkdirSync(targetDir, { recursive: true });
if (!fs.existsSync(path.join(metadataDir, 'root.json')))
  fs.copyFileSync(rootFile, path.join(metadataDir, 'root.json'));
const names = ['trusted_root.json', 'signing_config.v0.2.json',
               'signing_keys.json'];
(async () => {
  const u = new Updater({ metadataBaseUrl: metaUrl, targetBaseUrl: targetsUrl,
                          metadataDir, targetDir });
  await u.refresh();
  const out = {};
  for (const name of names) {
    const info = await u.getTargetInfo(name);
    if (!info) throw new Error(`no target ${name}`);
    const file = path.join(targetDir, name);
    await u.downloadTarget(info, file);
    out[name] = JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const sc = out['signing_config.v0.2.json'];
  const open = (x) => !(x.validFor && x.validFor.end);
  console.log(JSON.stringify({
    primary: sc.rekorTlogUrls.find(open).url,
    tlogs: out['trusted_root.json'].tlogs.length,
    signing_keys: out['signing_keys.json'].signingKeys.map((k) => k.name),
    root_version: JSON.parse(fs.readFileSync(
        path.join(metadataDir, 'root.json'))).signed.version,
  }));
})().catch((e) => { console.error(`tuf-js: ${e.name}: ${e.message}`);
                    process.exit(1); });
EOF

tufjs() { NODE_PATH=$cache/node_modules node "$tmp/client.js" "$@"; }

run_case() {
  local type=$1 d=$tmp/$1
  echo "== $type repository"
  mkdir -p "$d"
  "$S" tuf signing-key generate --name rekor-key-v1 --out "$d/logkeys" >/dev/null
  "$S" tuf signing-key generate --name rekor-key-v2 --out "$d/logkeys" >/dev/null
  "$S" tuf repo init --repo "$d/repo" --key-type "$type" \
    --rekor-url https://rekor.test --rekor-key "$d/logkeys/rekor-key-v1.pub" \
    --mirror-url https://mirror.test --root-keys 2 --root-threshold 2 \
    --publish-to "$d/web" >/dev/null
  "$S" tuf publish --repo "$d/repo" >/dev/null
  serve_start "$d/web"
  local out
  out=$(tufjs "$SERVE_URL" "$SERVE_URL/targets" "$d/web/1.root.json" \
    "$d/followed") || fail "$type: tuf-js rejected the new repository"
  echo "tuf-js v1: $out"
  [[ $out == *'"primary":"https://rekor.test"'* ]] || fail "$type: primary"

  STELLA_BIN=$S "$SRC/devops/scripts/disaster-swap-endpoint.sh" \
    --repo "$d/repo" --new-rekor-url https://mirror.test --note "interop" \
    >/dev/null
  STELLA_BIN=$S "$SRC/devops/scripts/rotate-rekor-key.sh" add-key \
    --repo "$d/repo" --new-key "$d/logkeys/rekor-key-v2.pub" >/dev/null
  STELLA_BIN=$S STELLA_TUF_REPO=$d/repo \
    "$SRC/devops/scripts/rotate-signing-key.sh" generate \
    --key-type ecdsa-p256 --name ci-key --out "$d/pipeline" >/dev/null
  STELLA_BIN=$S "$d/repo/scripts/sign-metadata.sh" >/dev/null
  STELLA_BIN=$S "$d/repo/scripts/publish.sh" >/dev/null

  for who in followed fresh; do
    out=$(tufjs "$SERVE_URL" "$SERVE_URL/targets" "$d/web/1.root.json" \
      "$d/$who") || fail "$type: tuf-js ($who) rejected the rotated repository"
    echo "tuf-js v2 ($who): $out"
    [[ $out == *'"primary":"https://mirror.test"'* ]] ||
      fail "$type ($who): the swap is not visible"
    [[ $out == *'"tlogs":2'* && $out == *'"ci-key"'* ]] ||
      fail "$type ($who): the keys are not visible"
  done
  serve_stop
}

run_case ed25519
run_case ecdsa-p256
echo "PASS repo_tufjs_interop (tuf-js $TUFJS_VERSION)"
