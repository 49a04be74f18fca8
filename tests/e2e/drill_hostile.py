"""drill_hostile.py - the attacks of drill_hostile.sh on a drill log
(`stella drill-log serve`), over raw sockets and urllib; answers are
checked with drill_checks.py (Python hashing, openssl signatures).

  drill_hostile.py requests PORT PROP      malformed, oversized, nested,
                                           mis-typed, non-UTF-8, NUL, path
                                           and number tricks: each a proper
                                           HTTP error, the tree unchanged
  drill_hostile.py idle PORT N             N idle and half-sent connections
                                           do not keep a client waiting
  drill_hostile.py stalled PORT KIND       a request that never completes
                                           (slowloris headers, a chunked
                                           body without end, an endless
                                           body) is cut with a 408
  drill_hostile.py concurrent URL PUB DIR  every proposal in DIR at once:
                                           distinct indexes, SETs,
                                           inclusion, checkpoints, proofs
  drill_hostile.py burst URL PID DIR OUT   submits DIR with 8 threads and
                                           kill -9s PID mid-burst; the 201
                                           replies and checkpoints to OUT
  drill_hostile.py after_kill URL PUB OUT  nothing that got a 201 is lost,
                                           every checkpoint handed out is
                                           consistent with today's tree
  drill_hostile.py faults URL STELLA ADDR  every fault mode switched with
                                           requests in flight
  drill_hostile.py flood URL STELLA ADDR N MODE [ARG]
                                           N requests held by hang or
                                           slow: the operator's fault none
                                           still gets through
  drill_hostile.py idle_flood URL STELLA ADDR N
                                           N idle connections: fault none
                                           gets through within seconds
  drill_hostile.py proxy PORTFILE UP MODEFILE
                                           a hostile upstream for a
                                           replica: forwards to UP, tampered
                                           as MODEFILE says
  drill_hostile.py proposals DIR N KEY PUB N proposals into DIR
  drill_hostile.py never_answers PORTFILE  accepts and says nothing
  drill_hostile.py ok200 PORTFILE          answers anything with 200 HTML

Prints "ok: ..." lines; exit 1 with "FAIL: ..." on the first failure."""
import base64
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drill_checks as dc  # noqa: E402


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def ok(what):
    print("ok: " + what, flush=True)


# ---- raw HTTP ----------------------------------------------------------------

def exchange(port, raw, timeout=5.0):
    """Sends raw bytes, reads to EOF: (status, headers, body); status None
    when the server closed without an answer, 'timeout' when it hung."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        s.sendall(raw)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout", {}, data
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return parse_answer(data)


def parse_answer(data):
    if not data.startswith(b"HTTP/1."):
        return None, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    return int(lines[0].split()[1]), headers, body


def req(method, path, body=b"", headers=(), ctype="application/json"):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1",
         "Connection: close"]
    if ctype is not None and body:
        h.append("Content-Type: " + ctype)
    if body is not None and not any(x.lower().startswith(
            ("transfer-encoding", "content-length")) for x in headers):
        h.append("Content-Length: %d" % len(body))
    h += list(headers)
    raw = ("\r\n".join(h) + "\r\n\r\n").encode("latin-1")
    return raw + (body or b"")


def api_error_ok(status, headers, body, what):
    """A Rekor-shaped JSON error on one printable line."""
    check(headers.get("content-type", "").startswith("application/json"),
          "%s: Content-Type %r" % (what, headers.get("content-type")))
    try:
        d = json.loads(body)
    except ValueError:
        raise Fail("%s: the %s error is not JSON: %r" % (what, status,
                                                          body[:100]))
    msg = d.get("message", "")
    check(d.get("code") == status, "%s: code %r" % (what, d.get("code")))
    check(msg and all(0x20 <= ord(c) <= 0x7e for c in msg),
          "%s: message not one printable line: %r" % (what, msg))


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def log_info(url):
    return get_json(url + "/api/v1/log")


# ---- requests --------------------------------------------------------------------

def request_table(info, eid, prop):
    """(what, raw request, wanted statuses, our JSON error?); prop is a
    proposal the log holds already."""
    size, tid = info["treeSize"], info["treeID"]
    uuid = eid[16:]
    other_tree = ("1" if eid[0] == "0" else "0") + eid[1:]
    E, P, R = "/api/v1/log/entries", "/api/v1/log/proof", \
        "/api/v1/log/entries/retrieve"
    big = b"[" * 100000
    dup = json.dumps({"entryUUIDs": [uuid] * 5}).encode()
    t = [
        ("deeply nested JSON", req("POST", E, big), {400}, True),
        ("nested objects", req("POST", E, b'{"a":' * 20000), {400}, True),
        ("retrieve nested", req("POST", R, b'{"logIndexes":' + b"[" * 600 +
                                b"]" * 600 + b"}"), {400}, True),
        ("body over 1 MiB", req("POST", E, b"a" * (1024 * 1024 + 1)),
         {413}, True),
        ("3 MiB at once", req("POST", E, b"a" * (3 << 20)), {413}, True),
        ("100 MiB announced, 100-continue", req("POST", E, None, headers=[
            "Content-Length: 104857600", "Expect: 100-continue"]),
         {413}, True),
        ("truncated JSON", req("POST", E, b'{"kind":"hashedrekord",'),
         {400}, True),
        ("JSON array", req("POST", E, b"[1,2,3]"), {400}, True),
        ("text/plain garbage", req("POST", E, b"hello", ctype="text/plain"),
         {400}, True),
        ("form data", req("POST", E, b"a=b&c=d",
                          ctype="application/x-www-form-urlencoded"),
         {400}, True),
        ("multipart", req("POST", E, b"--x\r\n\r\n{}\r\n--x--\r\n",
                          ctype="multipart/form-data; boundary=x"),
         {400}, True),
        ("no body", req("POST", E, b""), {400}, True),
        # the type is not checked (curl's default is form-urlencoded): the
        # body decides, here a known entry
        ("known entry as text/plain", req("POST", E, prop,
                                          ctype="text/plain"), {409}, True),
        ("invalid UTF-8 body", req("POST", E, b'{"kind":"\xff\xfe"}'),
         {400}, True),
        ("NUL in the body", req("POST", E, b'{"kind":"hashed\x00rekord"}'),
         {400}, True),
        ("escaped NUL in JSON", req("POST", E, b'{"kind":"hashedrekord\\u0000'
                                    b'x","apiVersion":"0.0.1"}'),
         {400}, True),
        ("bad chunk size", req("POST", E, b"zz\r\n", headers=[
            "Transfer-Encoding: chunked"]), {400}, None),
        ("chunked + length", req("POST", R, b'0\r\n\r\n', headers=[
            "Transfer-Encoding: chunked", "Content-Length: 5"]),
         {400}, None),
        ("negative length", req("POST", E, None, headers=[
            "Content-Length: -5"]), {400}, None),
        ("huge length", req("POST", E, None, headers=[
            "Content-Length: 99999999999999999999999"]), {400, 413}, None),
        ("4000 headers", req("GET", "/api/v1/log", None, headers=[
            "X-%d: %s" % (i, "v" * 20) for i in range(4000)]),
         {413, 431}, None),
        ("path ../..", req("GET", E + "/../.."), {404}, True),
        ("path ..", req("GET", E + "/.."), {400}, True),
        ("escaped ../..", req("GET", E + "/%2e%2e%2f%2e%2e"), {404}, True),
        ("double slash", req("GET", "//api/v1/log"), {404}, True),
        ("trailing slash", req("GET", "/api/v1/log/"), {404}, True),
        ("%00 in the path", req("GET", "/api/v1/log%00x"), {404}, True),
        ("%00 in a UUID", req("GET", E + "/" + uuid + "%00"), {400}, True),
        ("invalid UTF-8 path", req("GET", "/api/v1/%FF%FE"), {404}, True),
        ("UTF-8 cut in the echo", req("GET", "/" + "a" * 98 + "%C3%A9"),
         {404}, True),
        ("control chars in the path", req("GET", E + "/%01%0A%1B[31m"),
         {400}, True),
        ("100 KB UUID", req("GET", E + "/" + "a" * 100000), {414, 431},
         None),
        ("1000 hex digits", req("GET", E + "/" + "a" * 1000), {400}, True),
        ("non-hex UUID", req("GET", E + "/" + "g" * 64), {400}, True),
        ("UUID of another tree", req("GET", E + "/" + other_tree), {404},
         True),
        ("logIndex -1", req("GET", E + "?logIndex=-1"), {400}, True),
        ("logIndex 2^64", req("GET", E + "?logIndex=18446744073709551616"),
         {400}, True),
        ("logIndex 20 digits", req("GET", E + "?logIndex=" + "9" * 20),
         {400}, True),
        ("logIndex INT64_MAX", req("GET", E + "?logIndex=9223372036854775807"),
         {404}, True),
        ("logIndex abc", req("GET", E + "?logIndex=abc"), {400}, True),
        ("logIndex empty", req("GET", E + "?logIndex="), {400}, True),
        ("logIndex 1e3", req("GET", E + "?logIndex=1e3"), {400}, True),
        ("logIndex 0x1", req("GET", E + "?logIndex=0x1"), {400}, True),
        ("logIndex ' 1'", req("GET", E + "?logIndex=%201"), {400}, True),
        ("logIndex 0%00", req("GET", E + "?logIndex=0%00"), {400}, True),
        ("proof first > last", req("GET", P + "?firstSize=%d&lastSize=%d" %
                                   (size, size - 1)), {400}, True),
        ("proof last > size", req("GET", P + "?firstSize=1&lastSize=%d" %
                                  (size + 1)), {400}, True),
        ("proof last 0", req("GET", P + "?lastSize=0"), {400}, True),
        ("proof first -1", req("GET", P + "?firstSize=-1&lastSize=1"),
         {400}, True),
        ("proof huge", req("GET", P + "?lastSize=" + "9" * 25), {400}, True),
        ("proof treeID invalid UTF-8", req("GET", P + "?lastSize=1&treeID="
                                           "%FF%FE"), {400}, True),
        ("proof other treeID", req("GET", P + "?lastSize=1&treeID=1" + tid),
         {400}, True),
        ("retrieve 10000 indexes", req("POST", R, json.dumps(
            {"logIndexes": list(range(10000))}).encode()), {422}, True),
        ("retrieve 10000 UUIDs", req("POST", R, json.dumps(
            {"entryUUIDs": [uuid] * 10000}).encode()), {422}, True),
        ("retrieve numbers as UUIDs", req("POST", R,
                                          b'{"entryUUIDs":[1,2]}'),
         {400}, True),
        ("retrieve index -1", req("POST", R, b'{"logIndexes":[-1]}'),
         {400}, True),
        ("retrieve index 2^70", req("POST", R, b'{"logIndexes":'
                                    b'[1180591620717411303424]}'),
         {400}, True),
        ("retrieve index as text", req("POST", R, b'{"logIndexes":["1"]}'),
         {400}, True),
        ("retrieve object", req("POST", R, b'{"logIndexes":{"a":1}}'),
         {400}, True),
        ("retrieve null", req("POST", R, b"null"), {400}, True),
        ("DELETE", req("DELETE", "/api/v1/log"), {405}, True),
        ("unknown method", req("BREW", "/api/v1/log"), {400, 405, 501},
         None),
        ("HTTP/9.9", b"GET /api/v1/log HTTP/9.9\r\nHost: x\r\n\r\n",
         {400, 505}, None),
        ("fault: hang with an arg", req("POST", "/__drill/fault",
                                        b'{"mode":"hang","arg":5}'),
         {400}, True),
        ("fault: slow -1", req("POST", "/__drill/fault",
                               b'{"mode":"slow","arg":-1}'), {400}, True),
        ("fault: error 200", req("POST", "/__drill/fault",
                                 b'{"mode":"error","arg":200}'), {400}, True),
        ("fault: non-ASCII mode", req("POST", "/__drill/fault",
                                      b'{"mode":"\xc3\xa9\xff"}'),
         {400}, True),
        ("fault: nested", req("POST", "/__drill/fault", big), {400}, True),
        ("fault: 2 MiB at once", req("POST", "/__drill/fault",
                                     b" " * (2 << 20)), {413}, True),
        ("fault: PUT", req("PUT", "/__drill/fault", b"{}"), {405}, True),
    ]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c)
                      for c in [dup[:10], dup[10:]]) + b"0\r\n\r\n"
    t.append(("chunked retrieve of a UUID 5 times", req(
        "POST", R, chunks, headers=["Transfer-Encoding: chunked"]),
        {200}, False))
    return t


def cmd_requests(port, prop_file):
    url = "http://127.0.0.1:%d" % port
    prop = open(prop_file, "rb").read()
    before = log_info(url)
    check(before["treeSize"] >= 2, "the log needs entries first")
    eid = dc.only(get_json(url + "/api/v1/log/entries?logIndex=0"))[0]
    for what, raw, want, ours in request_table(before, eid, prop):
        status, headers, body = exchange(port, raw)
        check(status in want, "%s: HTTP %r, wanted %s (%r)" % (
            what, status, sorted(want), body[:120]))
        if ours:
            api_error_ok(status, headers, body, what)
        if ours is False:  # the duplicate retrieve: 5 copies, each proven
            d = json.loads(body)
            check(len(d) == 5 and all(dc.only(x)[0] == eid and
                                      dc.entry_included(dc.only(x)[1])
                                      for x in d), what + ": " + str(d)[:100])
        ok("%s -> %s" % (what, status))
    after = log_info(url)
    check((after["treeSize"], after["rootHash"]) ==
          (before["treeSize"], before["rootHash"]), "the tree changed")
    check(get_json(url + "/__drill/fault") == {"mode": "none"},
          "a refused fault request changed the fault")
    ok("tree unchanged (size %d), fault still none" % after["treeSize"])


# ---- idle and stalled connections ----------------------------------------------

def timed_get(url, timeout):
    t0 = time.time()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        r.read()
        return r.status, time.time() - t0


def open_idle(port, n):
    """n connections that never finish a request: a third send nothing, a
    third half a GET's headers, a third a POST body cut short."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 3 == 1:
            s.sendall(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\n")
        elif i % 3 == 2:
            s.sendall(b"POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 100\r\n\r\n{")
        socks.append(s)
    return socks


def cmd_idle(port, n):
    url = "http://127.0.0.1:%d/api/v1/log" % port
    socks = open_idle(port, n)
    status, took = timed_get(url, 5)
    check(status == 200 and took < 2, "a client waited %.1f s" % took)
    ok("%d idle/half-sent connections: another client served in %.3f s" %
       (n, took))
    for s in socks:
        s.close()


def read_answer(s, until):
    """Reads what the server sends until it closes or the time is up."""
    data = b""
    s.settimeout(0.05)
    while time.time() < until:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def stalled_request(port, kind):
    """A request that never completes (slowloris: header bytes trickled;
    noend: a chunked body that stops; endless: a chunked body past the cap
    that never ends; overcap: 1.1 MiB chunked, slowly, then its end).
    Returns (seconds until the server ended it, its status or None)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    t0, data, closed = time.time(), b"", False
    s.sendall(b"POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n")
    if kind != "slowloris":
        s.sendall(b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n")
    header = iter(b"X-Slow: " + b"a" * 4000)
    sent = 0
    while not closed and time.time() - t0 < 30:
        try:
            if kind == "slowloris":
                s.sendall(bytes([next(header)]))
            elif kind == "endless" or (kind == "overcap" and
                                       sent <= 1100000):
                s.sendall(b"10000\r\n" + b" " * 0x10000 + b"\r\n")
                sent += 0x10000
            elif kind == "overcap":
                s.sendall(b"0\r\n\r\n")
                kind = "overcap sent"
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        got, closed = read_answer(s, time.time() + 0.2)
        data += got
    s.close()
    return time.time() - t0, parse_answer(data)[0]


def cmd_stalled(port, kind):
    took, status = stalled_request(port, kind)
    if kind == "overcap":
        check(took < 8 and status == 413, "a body over the cap sent slowly: "
              "%r after %.1f s" % (status, took))
    else:
        check(8 <= took <= 16, "%s: ended after %.1f s (%r)" % (
            kind, took, status))
        check(status in (408, None) if kind == "endless" else status == 408,
              "%s: answered %r" % (kind, status))
    ok("%s ended after %.1f s (%s)" % (kind, took, status or "closed"))


# ---- submissions -------------------------------------------------------------

def post(url, body, timeout=10):
    r = urllib.request.Request(url + "/api/v1/log/entries", data=body,
                               headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=timeout) as a:
        return a.status, json.load(a)


def proposals(d):
    names = sorted(f for f in os.listdir(d) if f.endswith(".json"))
    return [open(os.path.join(d, f), "rb").read() for f in names]


def post_all(url, bodies, threads, on_reply=None):
    """Posts bodies from threads at once: ([(status, reply)], [errors])."""
    replies, errors, lock = [], [], threading.Lock()
    gate = threading.Barrier(threads)

    def worker(part):
        gate.wait()
        for b in part:
            try:
                got = post(url, b)
            except Exception as e:  # noqa: BLE001 - recorded, judged later
                with lock:
                    errors.append(repr(e)[:120])
                continue
            with lock:
                replies.append(got)
                if on_reply:
                    on_reply(len(replies))
    ts = [threading.Thread(target=worker, args=(bodies[i::threads],))
          for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return replies, errors


def entry_checks(e, pub, what):
    check(dc.set_ok(e, pub), what + ": openssl rejects the SET")
    check(dc.entry_included(e), what + ": inclusion proof")
    note = e["verification"]["inclusionProof"]["checkpoint"]
    dc.checkpoint_ok(note, pub)
    size, root = dc.note_size_root(note)
    p = e["verification"]["inclusionProof"]
    check(size == p["treeSize"] and root.hex() == p["rootHash"],
          what + ": the checkpoint is not the proof's")
    return size, root


def consistent_with_now(url, seen, info):
    """Every (size, root) in seen has a consistency proof to info's."""
    now_size, now_root = info["treeSize"], bytes.fromhex(info["rootHash"])
    for size, root in sorted(seen):
        if size == 0:
            continue
        p = get_json(url + "/api/v1/log/proof?firstSize=%d&lastSize=%d" %
                     (size, now_size))
        check(p["rootHash"] == info["rootHash"], "proof root")
        check(dc.consistent(size, now_size, root, now_root,
                            dc.hexes(p["hashes"])),
              "checkpoint at size %d is not consistent with %d" %
              (size, now_size))


def all_leaves(url, size):
    leaves = []
    for first in range(0, size, 10):
        idx = list(range(first, min(size, first + 10)))
        r = urllib.request.Request(url + "/api/v1/log/entries/retrieve",
                                   data=json.dumps({"logIndexes": idx})
                                   .encode())
        with urllib.request.urlopen(r, timeout=5) as a:
            got = [dc.only(x)[1] for x in json.load(a)]
        check([e["logIndex"] for e in got] == idx, "retrieve %s" % idx)
        leaves += [dc.leaf(base64.b64decode(e["body"])) for e in got]
    return leaves


def whole_tree_ok(url, pub):
    info = log_info(url)
    dc.checkpoint_ok(info["signedTreeHead"], pub)
    root = dc.tree_root(all_leaves(url, info["treeSize"]))
    check(root.hex() == info["rootHash"], "the leaves do not give the root")
    return info


def cmd_concurrent(url, pub, d):
    before = log_info(url)
    bodies = proposals(d)
    replies, errors = post_all(url, bodies, len(bodies))
    check(not errors, "errors: %s" % errors[:3])
    check(all(s == 201 for s, _ in replies), "not all 201")
    idx = sorted(dc.only(r)[1]["logIndex"] for _, r in replies)
    first = before["treeSize"]
    check(idx == list(range(first, first + len(bodies))),
          "indexes %s" % idx)
    ok("%d concurrent submissions: indexes %d..%d, each once" %
       (len(bodies), idx[0], idx[-1]))
    seen = {(before["treeSize"], bytes.fromhex(before["rootHash"]))}
    for _, r in replies:
        eid, e = dc.only(r)
        seen.add(entry_checks(e, pub, "entry %d" % e["logIndex"]))
    ok("every SET and checkpoint verified by openssl, every inclusion "
       "proof in Python")
    info = whole_tree_ok(url, pub)
    consistent_with_now(url, seen, info)
    ok("the tree of %d leaves gives the signed root; %d checkpoints "
       "consistent with it" % (info["treeSize"], len(seen)))


def cmd_burst(url, pid, d, out):
    info = log_info(url)
    bodies, killed = proposals(d), []

    def maybe_kill(n):
        if n >= 15 and not killed:
            killed.append(n)
            os.kill(pid, signal.SIGKILL)
    replies, errors = post_all(url, bodies, 8, maybe_kill)
    check(killed, "the burst ended before the kill")
    check(errors, "no submission failed: the kill came too late")
    json.dump({"info": info, "replies": [r for _, r in replies]},
              open(out, "w"))
    ok("kill -9 after %d replies: %d got 201, %d failed" %
       (killed[0], len(replies), len(errors)))


def cmd_after_kill(url, pub, saved):
    s = json.load(open(saved))
    info = log_info(url)
    seen = {(s["info"]["treeSize"], bytes.fromhex(s["info"]["rootHash"]))}
    for r in s["replies"]:
        eid, e = dc.only(r)
        now = get_json(url + "/api/v1/log/entries?logIndex=%d" %
                       e["logIndex"])
        check(dc.only(now)[0] == eid, "entry %d changed" % e["logIndex"])
        seen.add(entry_checks(e, pub, "entry %d" % e["logIndex"]))
    ok("all %d entries that got a 201 are there at their index" %
       len(s["replies"]))
    whole_tree_ok(url, pub)
    consistent_with_now(url, seen, info)
    ok("%d checkpoints handed out before the kill are consistent with the "
       "tree after it (size %d)" % (len(seen), info["treeSize"]))


# ---- faults in flight --------------------------------------------------------

def classify(url, timeout):
    """One GET /api/v1/log: what the client saw."""
    try:
        with urllib.request.urlopen(url + "/api/v1/log",
                                    timeout=timeout) as r:
            body = r.read()
            if r.headers.get("Content-Type", "").startswith("text/html"):
                return "garbage"
            json.loads(body)
            return "200"
    except urllib.error.HTTPError as e:
        d = json.loads(e.read())
        return "error %d" % d["code"]
    except http.client.IncompleteRead:
        return "truncated"
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return "closed"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except urllib.error.URLError as e:
        if isinstance(e.reason, (socket.timeout, TimeoutError)):
            return "timeout"
        return "closed" if isinstance(e.reason, ConnectionResetError) \
            else "other: %r" % e
    except ValueError as e:
        return "other: %r" % e


def fault(stella, addr, *mode):
    r = subprocess.run([stella, "drill-log", "fault", "--addr", addr] +
                       list(mode), capture_output=True, text=True,
                       timeout=20)
    check(r.returncode == 0 and r.stdout.strip() == "fault: " +
          " ".join(mode), "fault %s: %r %r" % (mode, r.stdout, r.stderr))


def background(url, timeout, results):
    t = threading.Thread(target=lambda: results.append(
        (time.time(), classify(url, timeout))))
    t.start()
    return t


def cmd_faults(url, stella, addr):
    stop, seen, lock = [], {}, threading.Lock()
    allowed = {"200", "garbage", "truncated", "closed", "timeout",
               "error 503"}

    def hammer():
        while not stop:
            c = classify(url, 2)
            with lock:
                seen[c] = seen.get(c, 0) + 1
    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for w in workers:
        w.start()
    held = []
    fault(stella, addr, "hang")
    held += [background(url, 30, []) for _ in range(3)]
    for mode in (["slow", "400"], ["error", "503"], ["garbage"],
                 ["truncate"], ["down"], ["hang"], ["error", "503"]):
        time.sleep(0.4)
        fault(stella, addr, *mode)
    fault(stella, addr, "slow", "600000")
    released = []
    late = [background(url, 30, released) for _ in range(3)]
    time.sleep(0.5)
    fault(stella, addr, "none")
    t_none = time.time()
    for t in late + held:
        t.join(15)
        check(not t.is_alive(), "a request is still held after fault none")
    check(len(released) == 3 and all(c == "200" and at - t_none < 2
                                     for at, c in released),
          "slow 600000 not released by none: %s" % released)
    stop.append(1)
    for w in workers:
        w.join()
    check(set(seen) <= allowed, "unexpected answers: %s" % seen)
    check(classify(url, 5) == "200", "not normal after none")
    ok("faults switched under load (%s); slow 600000 and hang released "
       "by none within 2 s" % ", ".join("%s x%d" % kv for kv in
                                        sorted(seen.items())))


def held_answer(s):
    """What a flooding connection got, read to the server's close."""
    data = b""
    s.settimeout(10)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError) as e:
        return type(e).__name__, {}, data
    finally:
        s.close()
    return parse_answer(data)


def raise_fd_limit(want):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= want


def cmd_flood(url, stella, addr, n, *mode):
    """n connections, each with a request that `mode` (hang, slow MS)
    holds, more than the server takes at once: `fault none` from the
    operator still gets through at once, a normal request is answered, and
    each flooding request got 200 (held, then released) or 503 (beyond
    what the server holds)."""
    n = int(n)
    if not raise_fd_limit(n + 64):
        ok("SKIP flood %s: cannot open %d sockets" % (" ".join(mode), n))
        return
    port = int(addr.rsplit(":", 1)[1])
    fault(stella, addr, *mode)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        socks.append(s)
    time.sleep(1)
    t0 = time.time()
    fault(stella, addr, "none")
    took = time.time() - t0
    check(took < 5, "fault none took %.1f s under the flood" % took)
    status, got = timed_get(url + "/api/v1/log", 5)
    check(status == 200, "GET /api/v1/log after the flood: %s" % status)
    seen = {}
    for s in socks:
        status, headers, body = held_answer(s)
        seen[status] = seen.get(status, 0) + 1
        if status == 503:
            api_error_ok(status, headers, body, "flood 503")
            check(headers.get("connection", "").lower() == "close",
                  "a 503 without Connection: close: %r" % headers)
    # past the connection limit libmicrohttpd resets a connection; the
    # 503s usually free room fast enough for none to get there
    resets = seen.pop("ConnectionResetError", 0)
    check(set(seen) == {200, 503}, "flood %s: answers %s" % (mode, seen))
    ok("%d requests held by %s: fault none in %.2f s, a GET in %.2f s; "
       "%d released with 200, %d refused at once with 503, %d reset" % (
           n, " ".join(mode), took, got, seen[200], seen[503], resets))


def cmd_idle_flood(url, stella, addr, n):
    """n connections that never finish a request, more than the server
    takes: near its limit it cuts them within about a second, so the
    operator's `fault none` gets through within a few seconds (retried, as
    an operator would, while the server is full)."""
    n = int(n)
    if not raise_fd_limit(n + 64):
        ok("SKIP idle flood: cannot open %d sockets" % n)
        return
    port = int(addr.rsplit(":", 1)[1])
    socks = open_idle(port, n)
    t0, tries, r = time.time(), 0, None
    while time.time() - t0 < 8:
        tries += 1
        r = subprocess.run([stella, "drill-log", "fault", "--addr", addr,
                            "none"], capture_output=True, text=True,
                           timeout=20)
        if r.returncode == 0:
            break
        time.sleep(0.2)
    took = time.time() - t0
    check(r.returncode == 0 and took < 5, "fault none under %d idle "
          "connections: %.1f s, %d tries: %r" % (n, took, tries, r.stderr))
    status, got = timed_get(url + "/api/v1/log", 5)
    check(status == 200, "GET /api/v1/log after the idle flood: %s" % status)
    for s in socks:
        s.close()
    ok("%d idle and half-sent connections: fault none after %.2f s (%d "
       "tries), then a GET in %.2f s" % (n, took, tries, got))


# ---- a hostile upstream for a replica -----------------------------------------

def tamper(mode, path, body):
    """The upstream's answer, damaged as mode says (JSON answers only)."""
    try:
        d = json.loads(body)
    except ValueError:
        return body
    if path == "/api/v1/log" and mode == "badnote":
        lines = d["signedTreeHead"].split("\n")
        lines[2] = base64.b64encode(bytes(32)).decode()
        d["signedTreeHead"] = "\n".join(lines)
        d["rootHash"] = "00" * 32
    elif path == "/api/v1/log" and mode == "liesize":
        d["treeSize"] += 1
    elif path.startswith("/api/v1/log/entries") and isinstance(d, dict):
        for e in d.values():
            if mode == "badset":
                s = bytearray(base64.b64decode(
                    e["verification"]["signedEntryTimestamp"]))
                s[-1] ^= 1
                e["verification"]["signedEntryTimestamp"] = \
                    base64.b64encode(bytes(s)).decode()
            elif mode == "badbody":
                e["body"] = base64.b64encode(b'{"kind":"other"}').decode()
    if mode == "cut":
        return json.dumps(d).encode()[:-7]
    return json.dumps(d).encode()


def cmd_proxy(portfile, upstream, modefile):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            mode = open(modefile).read().strip()
            try:
                with urllib.request.urlopen(upstream + self.path,
                                            timeout=5) as r:
                    status, ctype, body = r.status, \
                        r.headers.get("Content-Type"), r.read()
            except urllib.error.HTTPError as e:
                status, ctype, body = e.code, "application/json", e.read()
            except (OSError, http.client.HTTPException) as e:
                status, ctype, body = 502, "text/plain", str(e).encode()
            if mode != "pass":
                body = tamper(mode, self.path.split("?")[0], body)
            self.send_response(status)
            self.send_header("Content-Type", ctype or "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    open(portfile + ".tmp", "w").write(str(srv.server_port))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def cmd_never_answers(portfile):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    held = []
    while True:
        held.append(s.accept()[0])


def cmd_ok200(portfile):
    """A server that answers anything with 200 and a page."""
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            page = b"<html><body>Welcome\nto the portal</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        do_GET = do_POST

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    open(portfile + ".tmp", "w").write(str(srv.server_port))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def cmd_proposals(d, n, key, pub):
    os.makedirs(d, exist_ok=True)
    for i in range(int(n)):
        art = os.path.join(d, "artifact.%03d" % i)
        open(art, "w").write("artifact %s %d %f\n" % (d, i, time.time()))
        json.dump(dc.proposal(art, key, pub),
                  open(os.path.join(d, "prop.%03d.json" % i), "w"))


COMMANDS = {
    "requests": lambda a: cmd_requests(int(a[0]), a[1]),
    "idle": lambda a: cmd_idle(int(a[0]), int(a[1])),
    "stalled": lambda a: cmd_stalled(int(a[0]), a[1]),
    "concurrent": lambda a: cmd_concurrent(*a),
    "burst": lambda a: cmd_burst(a[0], int(a[1]), a[2], a[3]),
    "after_kill": lambda a: cmd_after_kill(*a),
    "faults": lambda a: cmd_faults(*a),
    "flood": lambda a: cmd_flood(*a),
    "idle_flood": lambda a: cmd_idle_flood(*a),
    "proxy": lambda a: cmd_proxy(*a),
    "never_answers": lambda a: cmd_never_answers(*a),
    "ok200": lambda a: cmd_ok200(*a),
    "proposals": lambda a: cmd_proposals(*a),
}

if __name__ == "__main__":
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except (Fail, AssertionError, OSError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, str(e)[:400]),
              file=sys.stderr)
        sys.exit(1)
