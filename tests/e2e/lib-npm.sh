# shellcheck shell=bash
# lib-npm.sh - sourced by the interop tests that run another implementation
# from the npm registry (tuf-js, sigstore-js): pinned versions installed
# once into a cache folder outside the source tree, never committed.
#   npm_cache_dir NAME            prints the default cache folder for NAME
#                                 ($XDG_CACHE_HOME or ~/.cache, stella-tests/NAME)
#   npm_install_cached DIR PKG@VERSION...
#                                 makes DIR/node_modules hold each PKG at
#                                 VERSION (installs only what is missing or
#                                 other); without node, npm or an answering
#                                 registry it prints SKIP and exits 77
npm_cache_dir() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/stella-tests/$1"
}

npm_skip() { echo "SKIP: $*"; exit 77; }

# npm_has DIR PKG VERSION: PKG is installed in DIR at exactly VERSION.
npm_has() {
  [[ -f $1/node_modules/$2/package.json ]] &&
    [[ $(node -p "require(process.argv[1]).version" \
      "$1/node_modules/$2/package.json" 2>/dev/null) == "$3" ]]
}

npm_install_cached() {
  local dir=$1 spec missing=()
  shift
  command -v node >/dev/null 2>&1 || npm_skip "node is not installed"
  command -v npm >/dev/null 2>&1 || npm_skip "npm is not installed"
  for spec in "$@"; do # a scoped name starts with @: split at the last @
    npm_has "$dir" "${spec%@*}" "${spec##*@}" || missing+=("$spec")
  done
  ((${#missing[@]} == 0)) && return 0
  timeout 60 npm view "${missing[0]}" version >/dev/null 2>&1 ||
    npm_skip "the npm registry does not answer"
  mkdir -p "$dir"
  timeout 300 npm install --prefix "$dir" --no-audit --no-fund --silent \
    "$@" >/dev/null 2>&1 || npm_skip "npm install ${missing[*]} failed"
}
