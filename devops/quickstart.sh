#!/usr/bin/env bash
# quickstart.sh - the README's two commands on a fresh Debian 12 machine.
#   devops/quickstart.sh console   install deps, build, open the console on
#                                  the built-in demo (real Sigstore TUF data
#                                  served on loopback)
#   devops/quickstart.sh test      install deps, build, run every test, also
#                                  under ASan+UBSan
# Set STELLA_SKIP_INSTALL=1 to skip apt-get (e.g. without root).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(gcc pkg-config meson ninja-build python3 tmux faketime
  libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev
  libcmocka-dev libncurses-dev libarchive-dev libzstd-dev libmicrohttpd-dev)

install_deps() {
  [[ ${STELLA_SKIP_INSTALL:-0} == 1 ]] && return 0
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "quickstart: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [meson options...]
  local dir=$1; shift
  [[ -f $dir/build.ninja ]] || meson setup "$dir" "$@" >/dev/null
  ninja -C "$dir"
}

case ${1:-} in
console)
  install_deps
  build build
  exec devops/scripts/demo-console.sh build/cli/stella ;;
test)
  install_deps
  build build
  meson test -C build --print-errorlogs
  build build-asan -Db_sanitize=address,undefined -Db_lundef=false
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs ;;
*)
  sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
