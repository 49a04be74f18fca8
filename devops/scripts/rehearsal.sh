#!/usr/bin/env bash
# rehearsal.sh [--console] [STELLA_BIN] - a practice stack for scenarios 1
# and 2 on loopback, nothing of it reaching production:
#   two drill logs (primary and mirror, each a log with its own key), a
#   third one on standby (a new log with a new key, for scenario 2), a TUF
#   repository made with `stella tuf` listing both, served on 127.0.0.1, and
#   a practice client (its own --home) synced to it, with short timeouts and
#   a quick breaker policy so an outage shows within seconds.
# Prints the commands to practise with, writes them to DIR/env (source it in
# another terminal), then waits until Ctrl-C (or SIGTERM) and stops
# everything. --console opens the console on the practice client instead of
# waiting. DIR: $STELLA_REHEARSAL_DIR, else a new temporary folder (removed
# at the end unless STELLA_REHEARSAL_DIR was given).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
console=0
if [[ ${1:-} == --console ]]; then console=1; shift; fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
export STELLA_BIN=${1:-${STELLA_BIN:-$top/build/cli/stella}}
S=$STELLA_BIN
[[ -x $S ]] || { echo "rehearsal: no stella binary at $S (build first, or pass its path)" >&2; exit 2; }
. "$here/lib-serve.sh"
. "$here/lib-drill.sh"

keep=${STELLA_REHEARSAL_DIR:+1}
work=${STELLA_REHEARSAL_DIR:-$(mktemp -d)}
mkdir -p "$work"
sleeper=""
stop() {
  [[ -z $sleeper ]] || kill "$sleeper" 2>/dev/null || true
  serve_stop
  drill_stop_all
  [[ -n $keep ]] || rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM
log() { printf '%s\n' "$*" >&2; }
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }

log "rehearsal: starting the drill logs"
drill_start PRIMARY "$work/primary"
drill_start MIRROR "$work/mirror"
drill_start STANDBY "$work/standby"
"$S" drill-log pubkey --state "$work/primary" >"$work/rekor-primary.pub"
"$S" drill-log pubkey --state "$work/mirror" >"$work/rekor-mirror.pub"
"$S" drill-log pubkey --state "$work/standby" >"$work/rekor-standby.pub"

log "rehearsal: building and publishing the practice TUF repository"
quiet "$S" tuf repo init --repo "$work/tuf" --rekor-url "$PRIMARY_URL" \
  --rekor-key "$work/rekor-primary.pub" --mirror-url "$MIRROR_URL" \
  --publish-to "$work/web"
quiet "$S" tuf rekor-key add --repo "$work/tuf" \
  --new-key "$work/rekor-mirror.pub" --rekor-url "$MIRROR_URL"
quiet "$S" tuf sign --repo "$work/tuf"
quiet "$S" tuf publish --repo "$work/tuf"
serve_start "$work/web"

log "rehearsal: syncing the practice client"
export STELLA_HOME=$work/client
quiet "$S" trust init --tuf-url "$SERVE_URL" --root "$work/web/1.root.json"
quiet "$S" trust sync
cat >"$STELLA_HOME/config.json" <<'EOF'
{"rekor": {"timeout_ms": 2000, "connect_timeout_ms": 1000,
           "breaker": {"consecutive_failures": 3, "cooldown_s": 10,
                       "cooldown_max_s": 60}}}
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out "$work/signer.pem" 2>/dev/null
openssl pkey -in "$work/signer.pem" -pubout -out "$work/signer.pub"
chmod 600 "$work/signer.pem"

cat >"$work/env" <<EOF
# source this file in another terminal to practise on the rehearsal stack
export STELLA_BIN='$S' STELLA_HOME='$STELLA_HOME'
export PRIMARY_ADDR='$PRIMARY_ADDR' MIRROR_ADDR='$MIRROR_ADDR'
export STANDBY_URL='$STANDBY_URL' REHEARSAL='$work' TUF_REPO='$work/tuf'
stella() { "\$STELLA_BIN" "\$@"; }
# practice_publish: signs and publishes the practice repository, syncs
practice_publish() {
  stella tuf sign --repo "\$TUF_REPO" >/dev/null &&
    stella tuf publish --repo "\$TUF_REPO" >/dev/null && stella trust sync --force
}
# practice_submit: signs a new artifact and submits it through the breakers
practice_submit() {
  local a; a=\$(mktemp '$work/artifact.XXXXXX')
  date -u +"artifact made %Y-%m-%dT%H:%M:%S.%NZ" >"\$a"
  openssl dgst -sha256 -sign '$work/signer.pem' -out "\$a.sig" "\$a" &&
    stella rekor submit --artifact "\$a" --signature "\$a.sig" \\
      --public-key '$work/signer.pub' "\$@"
}
EOF
cat <<EOF
rehearsal stack up (Ctrl-C stops it; state in $work)
  primary log  $PRIMARY_URL   mirror log  $MIRROR_URL
  TUF repo     $work/tuf served at $SERVE_URL
Scenario 1 (Rekor outage), in another terminal:
  . $work/env
  practice_submit                                   # an entry through the breakers
  stella drill-log fault --addr \$PRIMARY_ADDR hang  # the outage (also: down, error 503, slow 3000)
  practice_submit; practice_submit; practice_submit  # fail over; the breaker opens
  stella trust status --show-backends --show-circuit-breaker
  stella drill-log fault --addr \$PRIMARY_ADDR none  # the recovery; after 10 s a probe closes it
  stella trust reset-circuits
  stella rekor query --after 2000-01-01T00:00:00Z --before 2100-01-01T00:00:00Z
Scenario 2 (the primary's key leaked; the standby log $STANDBY_URL has a new key):
  stella tuf rekor-key add --repo \$TUF_REPO --new-key \$REHEARSAL/rekor-standby.pub --rekor-url \$STANDBY_URL
  stella tuf endpoint swap --repo \$TUF_REPO --new-rekor-url \$STANDBY_URL --note "practice: key leak"
  practice_publish                                  # tuf sign + publish, trust sync --force
  stella tuf rekor-key remove-old --repo \$TUF_REPO --old-key-name rekor-primary --compromised-since \$(date -u +%FT%TZ)
  practice_publish; stella trust status --show-keys; practice_submit   # now logged by the standby
  stella rekor query --after 2000-01-01T00:00:00Z --before 2100-01-01T00:00:00Z --key-id rekor-primary
EOF
if ((console)); then
  # The console takes the screen: give time to note the env file's path.
  [[ -t 0 ]] && read -r -p "press Enter to open the console (env file: $work/env) " _
  "$S" console
else
  sleep infinity &
  sleeper=$!
  wait "$sleeper" || true
fi
