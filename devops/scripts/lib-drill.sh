# lib-drill.sh - sourced by scripts and tests: start and stop drill logs
# (`stella drill-log serve`) on 127.0.0.1 with a free port.
#   drill_start VAR STATE [SERVE-ARGS...]  sets ${VAR}_URL, ${VAR}_ADDR and
#                                          ${VAR}_PID once the log is ready;
#                                          DRILL_ADDR=127.0.0.1:PORT in the
#                                          environment picks the port (a
#                                          restart where clients expect it)
#   drill_stop_all                         stops every log started here
# Needs STELLA_BIN (default: stella on PATH).
# Sourcing twice must not forget the logs already started.
declare -p DRILL_PIDS >/dev/null 2>&1 || DRILL_PIDS=()

drill_start() {
  local var=$1 state=$2 log pid line="" i
  shift 2
  log=$(mktemp)
  "${STELLA_BIN:-stella}" drill-log serve --addr "${DRILL_ADDR:-127.0.0.1:0}" \
    --state "$state" \
    "$@" >"$log" 2>&1 &
  pid=$!
  DRILL_PIDS+=("$pid")
  for i in $(seq 200); do
    line=$(grep -m1 '^drill-log: serving http://' "$log" || true)
    [[ -n $line ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $line ]]; then
    echo "drill_start: the drill log did not start:" >&2
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  local url=${line#drill-log: serving }
  url=${url%% *}
  printf -v "${var}_URL" '%s' "$url"
  printf -v "${var}_ADDR" '%s' "${url#http://}"
  printf -v "${var}_PID" '%s' "$pid"
}

drill_stop_all() {
  local pid
  for pid in "${DRILL_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  DRILL_PIDS=()
}
