#!/usr/bin/env bash
# rekor_failover.sh - issue 4's "Done when", end to end, over loopback with
# real server processes:
#
#   two drill logs, primary P and mirror M, each a log with its own key,
#   listed in a TUF repository built with `stella tuf` (M's key added with
#   `tuf rekor-key add --rekor-url`) -> client trust init + sync
#   -> submissions go through P -> P hangs: each call times out, the
#      submission fails over to M, and after the configured failures P's
#      breaker is OPEN (status: state, cause); the next submission skips P
#   -> P recovers: after the cool-down one half-open probe goes to P and
#      closes the breaker
#   -> P answers 503: OPEN again -> `trust reset-circuits` closes it,
#      recording who
#   -> `rekor query` over a time window and a key ID (name or log ID
#      prefix) returns exactly the entries submitted in it; a second client
#      with an empty ledger finds them with --remote (binary search on
#      integrated time, then POST /entries/retrieve)
#   -> `rekor loginfo` stores each log's checkpoint, then proves
#      consistency; a forked copy of P (same key, same tree ID, other
#      entries) listed as a local mirror raises the split-view alarm
#   -> `rekor verify --uuid` through the breakers; `metrics --prometheus`.
#
# The client's timeouts and breaker policy come from HOME/config.json so
# the run takes seconds. Env (tests/meson.build): STELLA_BIN,
# STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
unset STELLA_NOW STELLA_TUF_REPO # the real clock: integrated times are real
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_begin 60
web=$work/web
export STELLA_HOME=$work/client

rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# shellcheck source=/dev/null
. "$top/tests/e2e/lib-rekor.sh"

# ---- 1. two drill logs and the repository that lists them ------------------------
step "drill logs: primary P and mirror M (each a log with its own key)"
rekor_log P "$work/p" rekor-primary
rekor_log M "$work/m" rekor-mirror
ok "P $P_URL (log ID ${P_ID:0:16}...), M $M_URL (log ID ${M_ID:0:16}...)"

step "TUF repository: P primary, M mirror, both log keys"
rekor_repo "$P_URL" rekor-primary --mirror-url "$M_URL"
rekor_repo_key rekor-mirror "$M_URL"
rekor_repo_publish

step "client: trust init + sync; breaker policy and timeouts for the drill"
rekor_client '{"rekor": {"timeout_ms": 1500, "connect_timeout_ms": 1000,
           "breaker": {"consecutive_failures": 3, "window_calls": 10,
                       "min_calls": 3, "failure_rate_pct": 90,
                       "cooldown_s": 2, "cooldown_max_s": 8,
                       "half_open_probes": 1, "probe_timeout_s": 5}}}'
breaker
json '
b = d["backends"]
assert [x["url"] for x in b] == [E["P_URL"], E["M_URL"]], b
assert [x["role"] for x in b] == ["primary", "mirror"], b
assert all(x["state"] == "closed" for x in b), b' "status lists P (primary) and M (mirror), both closed"

# ---- 2. submissions, outage, failover, breaker ----------------------------------------
step "submissions go through the primary"
T0=$(now)
submit 1
submit 2
[[ $(backend_of 1) == "$P_URL" && $(backend_of 2) == "$P_URL" ]] ||
  die "entries 1 and 2 did not go to P"
ok "entries 1, 2 in P"

step "P hangs: failover to M, breaker opens after 3 failures"
must 0 "drill-log fault hang" -- "$S" drill-log fault --addr "$P_ADDR" hang
for n in 3 4 5; do
  submit $n
  [[ $(backend_of $n) == "$M_URL" ]] || die "entry $n did not fail over to M"
done
ok "entries 3-5 failed over to M"
breaker
json '
p = d["backends"][0]
assert p["state"] == "open", p
assert "consecutive" in p["cause"] or "failed" in p["cause"], p
assert p["last_error"], p
assert p["opens_last_hour"] == 1, p' "P's breaker is OPEN, with its cause and last error"
t=$(date +%s%N)
submit 6
ms=$(( ($(date +%s%N) - t) / 1000000 ))
[[ $(backend_of 6) == "$M_URL" ]] || die "entry 6 did not go to M"
((ms < 1400)) || die "entry 6 took ${ms} ms: the open breaker did not skip P"
ok "entry 6 went straight to M (${ms} ms, under the 1.5 s timeout)"

step "P recovers: one half-open probe closes the breaker"
must 0 "drill-log fault none" -- "$S" drill-log fault --addr "$P_ADDR" none
sleep 2.2 # the cool-down (2 s)
T1=$(now)
submit 7
[[ $(backend_of 7) == "$P_URL" ]] || die "entry 7 (the probe) did not go to P"
breaker
json '
p = d["backends"][0]
assert p["state"] == "closed", p' "P's breaker is CLOSED again after the probe"
submit 8
[[ $(backend_of 8) == "$P_URL" ]] || die "entry 8 did not go to P"

step "P answers 503: OPEN again; reset-circuits closes it"
must 0 "drill-log fault error 503" -- "$S" drill-log fault --addr "$P_ADDR" error 503
for n in 9 10 11; do submit $n; done
breaker
json 'assert d["backends"][0]["state"] == "open", d["backends"][0]' "P OPEN after three 503s"
must 0 "drill-log fault none" -- "$S" drill-log fault --addr "$P_ADDR" none
must 0 "trust reset-circuits" -- "$S" trust reset-circuits
has "$out" "$P_URL" "reset-circuits names the backend it closed"
breaker
json '
p = d["backends"][0]
assert p["state"] == "closed", p
assert "reset" in p["cause"], p' "P CLOSED by the reset, recorded as such"
submit 12
[[ $(backend_of 12) == "$P_URL" ]] || die "entry 12 did not go to P"
sleep 1.1
T2=$(now)

# ---- 3. forensics ----------------------------------------------------------------------
step "rekor query: a time window and a key ID return exactly the entries in it"
expect_uuids() { # WHAT N... : the query JSON in $out holds exactly these entries
  local what=$1; shift
  local want=""
  for n in "$@"; do want+="$(cat "$work/uuid.$n") "; done
  WANT=$want python3 - "$out" <<'PY' || die "$what"
import json, os, sys
d = json.load(open(sys.argv[1]))
got = sorted(e["uuid"] for e in d["entries"])
want = sorted(os.environ["WANT"].split())
assert got == want, (got, want)
PY
  ok "$what"
}
must 0 "query P by name, whole run" -- "$S" rekor query --after "$(rfc3339 "$T0")" \
  --before "$(rfc3339 "$T2")" --key-id rekor-primary --json
expect_uuids "P's entries: 1 2 7 8 12" 1 2 7 8 12
must 0 "query M by log ID prefix" -- "$S" rekor query --after "$(rfc3339 "$T0")" \
  --before "$(rfc3339 "$T2")" --key-id "${M_ID:0:12}" --json
expect_uuids "M's entries: 3 4 5 6 9 10 11" 3 4 5 6 9 10 11
must 0 "query P from the recovery on" -- "$S" rekor query --after "$(rfc3339 "$T1")" \
  --before "$(rfc3339 "$T2")" --key-id "$P_ID" --json
expect_uuids "P's entries since recovery: 7 8 12" 7 8 12
must 0 "query every log, text" -- "$S" rekor query --after "$(rfc3339 "$T0")" \
  --before "$(rfc3339 "$T2")"
[[ $(grep -c "$(cat "$work/uuid.1")" "$out") -eq 1 ]] || die "text query misses entry 1"
ok "text query lists the entries"
must 2 "query without --before is a usage error" -- "$S" rekor query --after "$(rfc3339 "$T0")"
one_line_error "query usage"
must 1 "query with an unknown key" -- "$S" rekor query --after "$(rfc3339 "$T0")" \
  --before "$(rfc3339 "$T2")" --key-id no-such-key
one_line_error "unknown key"
has "$err" "trust status --show-keys" "the unknown key error says where the keys are listed"

step "rekor query --remote: a client with an empty ledger scans the log itself"
mkdir -p "$work/client2"
cp "$STELLA_HOME/config.json" "$work/client2/"
must 0 "second client: trust init" -- "$S" --home "$work/client2" trust init \
  --tuf-url "$SERVE_URL" --root "$web/1.root.json"
must 0 "second client: trust sync" -- "$S" --home "$work/client2" trust sync
must 0 "second client: ledger query finds nothing" -- "$S" --home "$work/client2" \
  rekor query --after "$(rfc3339 "$T0")" --before "$(rfc3339 "$T2")" --json
json 'assert d["entries"] == [], d' "an empty ledger"
must 0 "second client: query --remote, P by name" -- "$S" --home "$work/client2" \
  rekor query --remote --after "$(rfc3339 "$T1")" --before "$(rfc3339 "$T2")" \
  --key-id rekor-primary --json
expect_uuids "found in P by binary search on time: 7 8 12" 7 8 12
json 'assert all(e["source"] == "remote" for e in d["entries"]), d' "marked as found remotely"

# ---- 4. log health, consistency, split view --------------------------------------------
step "rekor loginfo: checkpoints stored, then consistency proven"
must 0 "loginfo (first: baselines)" -- "$S" rekor loginfo --json
json '
v = {x["backend"]: x for x in d["backends"]}
assert v[E["P_URL"]]["tree_size"] == 5 and v[E["M_URL"]]["tree_size"] == 7, v
assert v[E["P_URL"]]["log_id"] == E["P_ID"] and v[E["M_URL"]]["log_id"] == E["M_ID"], v' \
  "P has 5 entries, M 7, each signed by its own key"
post_direct "$P_URL" 13 # not through the client: loginfo must prove 5 -> 6
must 0 "loginfo (again: consistency proofs)" -- "$S" rekor loginfo --json
json '
p = [x for x in d["backends"] if x["backend"] == E["P_URL"]][0]
assert p["tree_size"] == 6 and p["consistency_proven"] and p["previous_size"] == 5, p
assert not p["split_view"], p' "P grew 5 -> 6, consistency proven"

step "a forked view of P (same key and tree ID, other entries): split view"
drill_stop_all # P and M stop; P's state is copied while nothing writes it
cp -a "$work/p" "$work/fork"
DRILL_ADDR=$P_ADDR drill_start P "$work/p" || die "P did not restart on its port"
DRILL_ADDR=$M_ADDR drill_start M "$work/m" || die "M did not restart on its port"
# The fork signs with P's key under P's name, like a log showing two views.
drill_start F "$work/fork" --name "$P_ADDR" || die "the fork did not start"
export F_URL
python3 - "$STELLA_HOME/config.json" "$F_URL" <<'PY' || die "config: local mirror"
import json, sys
c = json.load(open(sys.argv[1]))
c["rekor"]["mirrors"] = [sys.argv[2]]
json.dump(c, open(sys.argv[1], "w"))
PY
submit 14 # P: 7 entries
post_direct "$F_URL" fork # an entry only the fork has
must 1 "loginfo: split view" -- "$S" rekor loginfo --json
json '
v = {x["backend"]: x for x in d["backends"]}
f = v[E["F_URL"]]
assert f["split_view"] and f["tree_size"] == 7, f
assert v[E["P_URL"]]["tree_size"] == 7, v' "the fork's view (7 entries, other root) is a split view"
must 1 "loginfo, text" -- "$S" rekor loginfo
grep -qi "split view" "$out" "$err" || die "the text output does not say split view"
ok "the text output says split view"

# ---- 5. verify through the breakers, metrics ---------------------------------------------
step "rekor verify --uuid / --log-index; metrics"
must 0 "verify --uuid (entry 1, in P)" -- "$S" rekor verify --uuid "$(cat "$work/uuid.1")"
must 0 "verify --log-index 0 (P's first entry)" -- "$S" rekor verify --log-index 0 --json
must 1 "verify an unknown uuid" -- "$S" rekor verify --uuid "$(printf '0%.0s' $(seq 64))"
one_line_error "unknown uuid"
must 1 "verify a public-good bundle against the drill logs' keys" -- "$S" rekor verify \
  --bundle "$top/tests/data/rekor-bundles/valid/prod-v1-79571823-hashedrekord.bundle-v0.3.json"
one_line_error "bundle from another log instance"
has "$err" "failed check: key.*--trusted-root FILE" "the key refusal points at --trusted-root"
must 0 "metrics --prometheus" -- "$S" metrics --prometheus
has "$out" '^# TYPE stella_breaker_opens_last_hour gauge' "Prometheus TYPE lines"
has "$out" '^stella_breaker_opens_last_hour 2$' "two opens in the last hour"
has "$out" '^stella_rekor_submit_failure_ratio 0$' "no submission failed (failover saved them)"
grep -q "PRIVATE KEY" "$work"/out "$work"/err && die "a private key was printed"
ok "no private key printed"
e2e_finish
