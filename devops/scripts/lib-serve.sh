# lib-serve.sh - sourced by scripts and tests: a static file server on
# 127.0.0.1 with a free port, stopped by serve_stop (or the caller's trap).
#   serve_start DIR   sets SERVE_URL (http://127.0.0.1:PORT) and SERVE_PID
#   serve_stop
serve_start() {
  local dir=$1 log
  log=$(mktemp)
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$dir" >"$log" 2>&1 &
  SERVE_PID=$!
  local port="" i
  for i in $(seq 100); do
    port=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$log" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$log"
  if [[ -z $port ]]; then
    echo "serve_start: python3 http.server did not start" >&2
    return 1
  fi
  SERVE_URL="http://127.0.0.1:$port"
}

serve_stop() {
  [[ -n ${SERVE_PID:-} ]] || return 0
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=""
}
