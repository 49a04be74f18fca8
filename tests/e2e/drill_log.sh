#!/usr/bin/env bash
# drill_log.sh - the drill log (`stella drill-log`) end to end over
# loopback, checked with curl, openssl and Python, never with our own
# verifier:
#
#   serve on 127.0.0.1:0 (ready line) -> pubkey = /publicKey, key.pem 0600,
#   log ID = SHA-256(DER SPKI) -> hashedrekord proposals made with openssl:
#   201 in Rekor's shape (entry ID key, Location, canonical body, UUID =
#   leaf hash), SET and checkpoint signatures verified with openssl, the
#   inclusion proof in Python; 409 + Location on a duplicate; 400 on a bad
#   signature or shape; the key PEM with CRLF is the same entry (409), an
#   upper-case hash a 400; 413 over 1 MiB -> entries by index, UUID, entry ID,
#   /retrieve; 404/400 -> log info, consistency proof (checked in Python)
#   -> every fault mode seen by curl, then none -> a read replica catches
#   up, copies SETs, serves the upstream's verified checkpoint, refuses
#   POST -> refusals: second server on a folder, non-loopback address,
#   a --name that cannot be a checkpoint origin, a folder that is not ours,
#   role change -> restart on the same port
#   keeps key, tree and entries -> SIGTERM and SIGINT stop with exit 0.
# Every server's stderr is kept and must hold no sanitizer report.
# Env (tests/meson.build): STELLA_BIN, STELLA_SOURCE_ROOT.
set -uo pipefail
top=${STELLA_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top/tests/e2e/lib.sh"
e2e_need curl openssl python3
SIGINT_PID=""
e2e_cleanup() {
  [[ -n $SIGINT_PID ]] && kill "$SIGINT_PID" 2>/dev/null
  return 0
}
e2e_begin 60

# shellcheck source=/dev/null
. "$top/tests/e2e/lib-drill-checks.sh"
client_key

# ---- 1. start, key ------------------------------------------------------------
step "serve on 127.0.0.1 port 0; pubkey"
serve P "$work/p" || die "the drill log did not start"
[[ $P_ADDR =~ ^127\.0\.0\.1:[0-9]+$ && ${P_ADDR#*:} != 0 ]] ||
  die "ready line address: $P_ADDR"
ok "ready at $P_URL"
must 0 "drill-log pubkey" -- "$S" drill-log pubkey --state "$work/p"
cp "$out" "$work/log.pub"
has "$out" '^-----BEGIN PUBLIC KEY-----$' "pubkey prints a PEM public key"
[[ $(stat -c %a "$work/p/key.pem") == 600 ]] || die "key.pem is not 0600"
ok "key.pem is 0600"
http 200 "GET /api/v1/log/publicKey" -- "$P_URL/api/v1/log/publicKey"
cmp -s "$out" "$work/log.pub" || die "/publicKey differs from drill-log pubkey"
ok "/publicKey = drill-log pubkey"
LOG_ID=$(openssl pkey -pubin -in "$work/log.pub" -outform DER | sha256sum | cut -c1-64)
must 1 "pubkey of an empty folder" -- "$S" drill-log pubkey --state "$work/none"
one_line_error "pubkey of an empty folder"

# ---- 2. entries -------------------------------------------------------------------
step "POST /api/v1/log/entries: 201 in Rekor's shape"
proposal 1
http 201 "submit entry 1" -- -H 'Content-Type: application/json' \
  --data-binary @"$work/prop.1.json" "$P_URL/api/v1/log/entries"
cp "$out" "$work/entry.1.json"
py "201 reply: entry ID key, fields, canonical body, UUID = leaf hash" '
prop = json.load(open(A[0]))
eid, e = only(d)
assert len(eid) == 80 and int(eid, 16) >= 0, eid
body = base64.b64decode(e["body"])
assert body == json.dumps(prop, sort_keys=True, separators=(",", ":")).encode(), body
assert eid[16:] == leaf(body).hex()
assert e["logID"] == A[1] and e["logIndex"] == 0
assert abs(e["integratedTime"] - int(A[2])) < 120
v = e["verification"]; p = v["inclusionProof"]
assert set(v) == {"signedEntryTimestamp", "inclusionProof"}
assert set(p) == {"logIndex", "treeSize", "rootHash", "hashes", "checkpoint"}
assert p["logIndex"] == 0 and p["treeSize"] == 1 and p["hashes"] == []
assert p["rootHash"] == eid[16:]
open(A[3], "w").write(eid)
' "$work/prop.1.json" "$LOG_ID" "$(date +%s)" "$work/eid.1"
EID1=$(cat "$work/eid.1") UUID1=${EID1:16}
grep -qi "^Location: /api/v1/log/entries/$EID1" "$work/headers" ||
  die "no Location header with the entry ID"
ok "Location: /api/v1/log/entries/<entry ID>"
set_ok "$work/entry.1.json" "$work/log.pub" "entry 1"
python3 -c 'import json,sys; print(list(json.load(open(sys.argv[1])).values())[0]["verification"]["inclusionProof"]["checkpoint"], end="")' \
  "$work/entry.1.json" >"$work/note.1"
checkpoint_ok "$work/note.1" "$work/log.pub" "entry 1"
has "$work/note.1" "^$P_ADDR - [0-9]+\$" "origin is \"<host:port> - <tree ID>\""
[[ $(cat "$work/cp.name") == "$P_ADDR" ]] || die "note key name $(cat "$work/cp.name")"
ok "note key name = $P_ADDR"
TREE_ID=$(head -1 "$work/note.1") TREE_ID=${TREE_ID##* }

for n in 2 3; do
  proposal $n
  http 201 "submit entry $n" -- --data-binary @"$work/prop.$n.json" \
    "$P_URL/api/v1/log/entries"
  cp "$out" "$work/entry.$n.json"
done
py "entry 3: logIndex 2, its inclusion proof gives its root (Python)" '
eid, e = only(d)
p = e["verification"]["inclusionProof"]
assert e["logIndex"] == 2 and p["treeSize"] == 3 and len(p["hashes"]) == 1
r = root_from_inclusion(2, 3, leaf(base64.b64decode(e["body"])),
                        [bytes.fromhex(h) for h in p["hashes"]])
assert r is not None and r.hex() == p["rootHash"]
note = p["checkpoint"].split("\n")
assert note[1] == "3" and base64.b64decode(note[2]).hex() == p["rootHash"]
'
set_ok "$work/entry.3.json" "$work/log.pub" "entry 3"

step "409 on a duplicate, 400 on bad input, 413 over 1 MiB"
http 409 "the same proposal again" -- --data-binary @"$work/prop.1.json" \
  "$P_URL/api/v1/log/entries"
py "409 body names the UUID" 'assert d["code"] == 409 and A[0] in d["message"]' "$UUID1"
grep -qi "^Location: /api/v1/log/entries/$EID1" "$work/headers" ||
  die "409 without the Location of the existing entry"
ok "409 carries Location"
# the same entry with its key written with CRLF, and with the artifact hash
# in upper case: the first is the same entry (409), the second refused
python3 - "$work/prop.1.json" "$work/prop.crlf.json" "$work/prop.upper.json" <<'PY'
import base64, json, sys
p = json.load(open(sys.argv[1]))
key = p["spec"]["signature"]["publicKey"]
pem = base64.b64decode(key["content"]).replace(b"\n", b"\r\n")
key["content"] = base64.b64encode(pem).decode()
json.dump(p, open(sys.argv[2], "w"))
p = json.load(open(sys.argv[1]))
h = p["spec"]["data"]["hash"]
h["value"] = h["value"].upper()
json.dump(p, open(sys.argv[3], "w"))
PY
http 409 "the same proposal, its key PEM with CRLF" -- \
  --data-binary @"$work/prop.crlf.json" "$P_URL/api/v1/log/entries"
grep -qi "^Location: /api/v1/log/entries/$EID1" "$work/headers" ||
  die "409 for the CRLF key without the Location of the first entry"
http 400 "the same proposal, the hash in upper case" -- \
  --data-binary @"$work/prop.upper.json" "$P_URL/api/v1/log/entries"
py "400 says lowercase" 'assert d["code"] == 400 and "lowercase hex" in d["message"], d'
python3 - "$work/prop.1.json" "$work/prop.3.json" >"$work/prop.bad.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a["spec"]["signature"]["content"] = b["spec"]["signature"]["content"]
print(json.dumps(a))
PY
http 400 "a signature over another artifact" -- \
  --data-binary @"$work/prop.bad.json" "$P_URL/api/v1/log/entries"
py "400 says the signature does not verify" \
  'assert d["code"] == 400 and "signature" in d["message"], d'
http 400 "not JSON" -- --data-binary 'hello' "$P_URL/api/v1/log/entries"
py "400 for not JSON" 'assert d["code"] == 400 and "JSON" in d["message"]'
sed 's/hashedrekord/intoto/' "$work/prop.1.json" >"$work/prop.kind.json"
http 400 "kind intoto" -- --data-binary @"$work/prop.kind.json" \
  "$P_URL/api/v1/log/entries"
py "400 names the kind" 'assert d["code"] == 400 and "kind" in d["message"]'
head -c 1100000 /dev/zero | tr '\0' 'a' >"$work/big"
http 413 "a 1.1 MB body" -- --data-binary @"$work/big" "$P_URL/api/v1/log/entries"

step "reading entries"
http 200 "GET ?logIndex=0" -- "$P_URL/api/v1/log/entries?logIndex=0"
py "by index: the entry of submission 1, proof at size 3" '
eid, e = only(d); p = e["verification"]["inclusionProof"]
assert eid == A[0] and p["treeSize"] == 3
r = root_from_inclusion(0, 3, leaf(base64.b64decode(e["body"])),
                        [bytes.fromhex(h) for h in p["hashes"]])
assert r.hex() == p["rootHash"]
' "$EID1"
set_ok "$out" "$work/log.pub" "entry 0 read back"
http 200 "GET /entries/{uuid}" -- "$P_URL/api/v1/log/entries/$UUID1"
py "by UUID" 'assert only(d)[0] == A[0]' "$EID1"
http 200 "GET /entries/{entry ID}" -- "$P_URL/api/v1/log/entries/$EID1"
py "by entry ID" 'assert only(d)[0] == A[0]' "$EID1"
http 404 "an unknown UUID" -- "$P_URL/api/v1/log/entries/$(printf '%064d' 7)"
py "404 body" 'assert d["code"] == 404'
http 404 "logIndex past the end" -- "$P_URL/api/v1/log/entries?logIndex=3"
http 400 "logIndex=-1" -- "$P_URL/api/v1/log/entries?logIndex=-1"
http 400 "a malformed UUID" -- "$P_URL/api/v1/log/entries/xyz"
py "400 body" 'assert d["code"] == 400'
http 200 "POST /entries/retrieve" -- --data '{"logIndexes":[2,0,9]}' \
  "$P_URL/api/v1/log/entries/retrieve"
py "retrieve: the two that exist, in order" '
assert [list(x.values())[0]["logIndex"] for x in d] == [2, 0]'

step "log info and consistency proof"
http 200 "GET /api/v1/log" -- "$P_URL/api/v1/log"
cp "$out" "$work/info.json"
py "log info: size 3, root = checkpoint root, tree ID" '
assert d["treeSize"] == 3 and d["treeID"] == A[0] and d["inactiveShards"] == []
note = d["signedTreeHead"].split("\n")
assert note[0] == A[1] + " - " + A[0] and note[1] == "3"
assert base64.b64decode(note[2]).hex() == d["rootHash"]
open(A[2], "w").write(d["signedTreeHead"])
' "$TREE_ID" "$P_ADDR" "$work/sth.3"
checkpoint_ok "$work/sth.3" "$work/log.pub" "signedTreeHead"
ROOT1=$(python3 -c 'import json,sys; print(list(json.load(open(sys.argv[1])).values())[0]["verification"]["inclusionProof"]["rootHash"])' "$work/entry.1.json")
ROOT3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootHash"])' "$work/info.json")
http 200 "GET /proof?firstSize=1&lastSize=3" -- \
  "$P_URL/api/v1/log/proof?firstSize=1&lastSize=3"
py "consistency 1 -> 3 checks out (Python)" '
assert d["rootHash"] == A[1]
assert consistent(1, 3, bytes.fromhex(A[0]), bytes.fromhex(A[1]),
                  [bytes.fromhex(h) for h in d["hashes"]])
' "$ROOT1" "$ROOT3"
http 400 "lastSize past the tree" -- "$P_URL/api/v1/log/proof?firstSize=1&lastSize=9"
http 400 "firstSize > lastSize" -- "$P_URL/api/v1/log/proof?firstSize=3&lastSize=2"
http 400 "no lastSize" -- "$P_URL/api/v1/log/proof"
http 400 "another treeID" -- "$P_URL/api/v1/log/proof?lastSize=2&treeID=1"

# ---- 3. faults ------------------------------------------------------------------
step "faults, changed while running"
fault() { must 0 "fault $*" -- "$S" drill-log fault --addr "$P_ADDR" "$@"; }
fault down
has "$out" '^fault: down$' "fault prints the new mode"
curl_rc 52 "down: empty reply" -- --max-time 5 "$P_URL/api/v1/log"
curl_rc 52 "down: POST too" -- --max-time 5 --data-binary @"$work/prop.1.json" \
  "$P_URL/api/v1/log/entries"
http 200 "the fault endpoint is never faulted" -- "$P_URL/__drill/fault"
py "GET /__drill/fault says down" 'assert d == {"mode": "down"}'

fault hang
curl_rc 28 "hang: curl --max-time 2 times out" -- --max-time 2 "$P_URL/api/v1/log"
t0=$(date +%s%N)
http 200 "during a hang /__drill/fault answers" -- --max-time 2 "$P_URL/__drill/fault"
(($(date +%s%N) - t0 < 1000000000)) || die "/__drill/fault took over 1 s"
py "... and says hang" 'assert d == {"mode": "hang"}'
# a hung request is answered once the fault changes
curl -sS --max-time 20 -o "$work/released" -w '%{http_code}' \
  "$P_URL/api/v1/log" >"$work/released.code" 2>/dev/null &
hung=$!
sleep 0.5
fault none
wait "$hung"
[[ $(cat "$work/released.code") == 200 ]] ||
  die "a hung request was not answered after fault none"
ok "a hung request is answered after fault none"

fault garbage
http 200 "garbage: HTTP 200" -- "$P_URL/api/v1/log"
grep -qi '^Content-Type: text/html' "$work/headers" || die "garbage is not text/html"
has "$out" '<html>' "garbage is an HTML page"
fault truncate
curl_rc 18 "truncate: fewer bytes than announced" -- --max-time 5 "$P_URL/api/v1/log"
[[ -s $out ]] || die "truncate sent nothing at all"
ok "truncate sent a part"
fault slow 700
t0=$(date +%s%N)
http 200 "slow 700: still answers" -- "$P_URL/api/v1/log"
t=$((($(date +%s%N) - t0) / 1000000))
((t >= 650)) || die "slow 700 answered in $t ms"
ok "slow 700 answered after $t ms"
fault error 503
http 503 "error 503" -- "$P_URL/api/v1/log"
py "error 503 carries a JSON error" 'assert d["code"] == 503'
fault none
http 200 "none: normal again" -- "$P_URL/api/v1/log"
py "log info again" 'assert d["treeSize"] == 3'
must 2 "fault: unknown mode" -- "$S" drill-log fault --addr "$P_ADDR" sideways
one_line_error "fault: unknown mode"
must 2 "fault: slow without MS" -- "$S" drill-log fault --addr "$P_ADDR" slow
must 2 "fault: error 200" -- "$S" drill-log fault --addr "$P_ADDR" error 200
must 2 "fault: non-loopback" -- "$S" drill-log fault --addr 10.1.2.3:80 none
must 1 "fault: nothing listening" -- "$S" drill-log fault --addr 127.0.0.1:1 none
one_line_error "fault: nothing listening"

# ---- 4. replica --------------------------------------------------------------------
step "read replica"
serve R "$work/r" --replica-of "$P_URL" || die "the replica did not start"
wait_size "$R_URL" 3 || die "the replica did not reach size 3"
py "replica: same root and tree ID as the primary" '
assert d["rootHash"] == A[0] and d["treeID"] == A[1]' "$ROOT3" "$TREE_ID"
proposal 4
http 201 "submit entry 4 to the primary" -- --data-binary @"$work/prop.4.json" \
  "$P_URL/api/v1/log/entries"
cp "$out" "$work/entry.4.json"
wait_size "$R_URL" 4 || die "the replica did not catch up to size 4"
ok "the replica caught up to size 4"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signedTreeHead"], end="")' \
  "$out" >"$work/sth.r"
checkpoint_ok "$work/sth.r" "$work/log.pub" "replica's checkpoint (the primary's key)"
http 200 "replica: entry 3" -- "$R_URL/api/v1/log/entries?logIndex=3"
py "replica copies the SET and proves inclusion at its size" '
_, e = only(d); _, p = only(json.load(open(A[0])))
assert e["verification"]["signedEntryTimestamp"] == p["verification"]["signedEntryTimestamp"]
assert e["body"] == p["body"] and e["logID"] == p["logID"]
q = e["verification"]["inclusionProof"]
r = root_from_inclusion(3, 4, leaf(base64.b64decode(e["body"])),
                        [bytes.fromhex(h) for h in q["hashes"]])
assert q["treeSize"] == 4 and r.hex() == q["rootHash"]
' "$work/entry.4.json"
set_ok "$out" "$work/log.pub" "replica's entry 3"
proposal 5
http 405 "POST to the replica" -- --data-binary @"$work/prop.5.json" \
  "$R_URL/api/v1/log/entries"
py "405 says read replica" 'assert d["code"] == 405 and "read replica" in d["message"]'
http 200 "replica: publicKey is the upstream's" -- "$R_URL/api/v1/log/publicKey"
cmp -s "$out" "$work/log.pub" || die "the replica serves another key"
must 0 "drill-log pubkey of the replica" -- "$S" drill-log pubkey --state "$work/r"
cmp -s "$out" "$work/log.pub" || die "pubkey --state REPLICA is not the upstream's"
ok "pubkey of the replica = the upstream's key"

# ---- 5. refusals --------------------------------------------------------------
step "refusals"
must 1 "a second server on the same folder" -- \
  "$S" drill-log serve --addr 127.0.0.1:0 --state "$work/p"
has "$err" 'in use' "says the folder is in use"
one_line_error "second server"
must 2 "a non-loopback address" -- \
  "$S" drill-log serve --addr 0.0.0.0:0 --state "$work/x"
one_line_error "non-loopback address"
must 2 "no --state" -- "$S" drill-log serve --addr 127.0.0.1:0
for name in 'a b' $'a\nb' 'a+b' "$(printf '%5000s' '' | tr ' ' x)"; do
  shown="--name $(printf %q "${name:0:12}")"
  must 2 "$shown" -- \
    "$S" drill-log serve --addr 127.0.0.1:0 --state "$work/named" --name "$name"
  has "$err" 'printable ASCII characters without spaces' \
    "$shown: says what a name may hold"
  one_line_error "$shown"
  [[ ! -e $work/named ]] || die "$shown left $work/named behind"
done
mkdir -p "$work/notours" && echo data >"$work/notours/file"
must 1 "a folder that is not a drill log's" -- \
  "$S" drill-log serve --addr 127.0.0.1:0 --state "$work/notours"
has "$err" 'not a drill log folder' "says the folder is not ours"
one_line_error "not our folder"
must 1 "the busy port" -- "$S" drill-log serve --addr "$P_ADDR" --state "$work/y"
has "$err" 'cannot listen' "says it cannot listen"
[[ ! -e $work/y ]] || die "a failed start left $work/y behind"
ok "a failed start leaves no state folder"

# ---- 6. restart, stop --------------------------------------------------------------
step "SIGTERM stops with exit 0; restart keeps key, tree and entries"
kill -TERM "$R_PID"
server_rc "$R_PID" 0 "replica stopped by SIGTERM"
kill -TERM "$P_PID"
server_rc "$P_PID" 0 "primary stopped by SIGTERM"
must 1 "the replica folder as a primary" -- \
  "$S" drill-log serve --addr 127.0.0.1:0 --state "$work/r"
has "$err" 'replica' "says it holds a replica"
old_addr=$P_ADDR
DRILL_ADDR=$P_ADDR serve P "$work/p" || die "the restart failed"
[[ $P_ADDR == "$old_addr" ]] || die "restarted on $P_ADDR, not $old_addr"
ok "restarted on $P_ADDR"
http 200 "log info after restart" -- "$P_URL/api/v1/log"
py "same tree, same size and root" '
assert d["treeSize"] == 4 and d["treeID"] == A[0]' "$TREE_ID"
http 200 "publicKey after restart" -- "$P_URL/api/v1/log/publicKey"
cmp -s "$out" "$work/log.pub" || die "the key changed on restart"
ok "same key after restart"
http 201 "submit entry 5 after restart" -- --data-binary @"$work/prop.5.json" \
  "$P_URL/api/v1/log/entries"
py "entry 5 gets logIndex 4" 'assert only(d)[1]["logIndex"] == 4'
set_ok "$out" "$work/log.pub" "entry 5"
http 200 "entry 0 after restart" -- "$P_URL/api/v1/log/entries/$UUID1"
# the replica restarts from its folder and catches up from the primary
serve R "$work/r" --replica-of "$P_URL" || die "the replica did not restart"
wait_size "$R_URL" 5 || die "the restarted replica did not reach size 5"
ok "restarted replica caught up to 5"

step "SIGINT stops with exit 0"
# a background job has SIGINT ignored; Python restores the default first
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$work/stella-logged" drill-log serve \
  --addr 127.0.0.1:0 --state "$work/q" >"$work/q.out" &
SIGINT_PID=$!
for i in $(seq 100); do
  grep -q '^drill-log: serving' "$work/q.out" && break
  sleep 0.05
done
grep -q '^drill-log: serving' "$work/q.out" || die "no ready line for the SIGINT run"
kill -INT "$SIGINT_PID"
server_rc "$SIGINT_PID" 0 "stopped by SIGINT"
SIGINT_PID=""
drill_stop_all

step "servers' stderr"
no_sanitizer_report
e2e_finish
