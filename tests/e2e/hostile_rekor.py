#!/usr/bin/env python3
"""hostile_rekor.py - a misbehaving Rekor in front of a real one (a drill
log) on 127.0.0.1, for tests/e2e/rekor_hostile.sh.

usage: hostile_rekor.py UPSTREAM_URL RULES_FILE
Prints "port N" on stdout once listening. Before each request it re-reads
RULES_FILE (JSON object: fnmatch pattern of "METHOD /path?query" ->
behaviour; first match wins, none = pass to UPSTREAM). Every request is
logged to stderr as "METHOD /path -> behaviour". Behaviours:
  pass              forward to UPSTREAM
  delay:MS          forward to UPSTREAM after MS milliseconds (a slow log)
  upstream:URL      forward to another log (its key, its entries)
  html              200 text/html error page
  truncate          the first half of the upstream reply
  big:N             N bytes of 'A' with a Content-Length
  bigchunked:N      N bytes of 'A' in chunked transfer encoding
  bigclose:N        N bytes of 'A', no length at all (ends when closed)
  hang              read the request, never answer
  stall             headers and half the upstream body, then nothing
  reset             close the connection with a TCP RST, no reply
  resetmid          headers and half the upstream body, then a TCP RST
  redirect:URL      302 to URL + path
  status:CODE       that status, with an empty JSON object
  body:CODE:TEXT    that status with TEXT as the body (\\e ESC, \\a BEL,
                    \\r CR, \\n LF)
  py:CODE           forward, then run CODE (Python) with d = the upstream
                    JSON (None if not JSON), raw = its bytes, status,
                    headers (dict), req = the request path, and mem (a dict
                    kept across requests); CODE may change any of them: a
                    changed d is re-serialized, else raw is sent.
Hung and stalled replies wait at most 600 s (threads are daemons).
"""
import fnmatch
import http.client
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from hostile_http import HANG_SECS, HTML_PAGE, load_rules, reset, send_big, serve

UPSTREAM, RULES = sys.argv[1], sys.argv[2]
MEM = {}
BIG = {"big": "length", "bigchunked": "chunked", "bigclose": "close"}


def forward(base, method, path, body, ctype):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Content-Type": ctype} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    hdrs = {k: v for k, v in resp.getheaders()
            if k.lower() in ("content-type", "location")}
    conn.close()
    return resp.status, hdrs, data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def reply(self, body, status=200, headers=None):
        self.send_response(status)
        hdrs = dict(headers or {})
        hdrs.setdefault("Content-Type", "application/json")
        for k, v in hdrs.items():
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def upstream(self, base=UPSTREAM):
        return forward(base, self.command, self.path, self.req_body,
                       self.headers.get("Content-Type", "application/json"))

    def half(self, then):
        status, hdrs, data = self.upstream()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        then()

    def run_py(self, code):
        status, hdrs, raw = self.upstream()
        try:
            d = json.loads(raw)
        except ValueError:
            d = None
        env = {"d": d, "raw": raw, "status": status, "headers": hdrs,
               "req": self.path, "mem": MEM, "json": json}
        before = json.dumps(d)
        exec(code, env)
        raw = env["raw"]
        if json.dumps(env["d"]) != before:
            raw = json.dumps(env["d"]).encode()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self.reply(raw, env["status"], env["headers"])

    def behave(self, how):
        kind, _, arg = how.partition(":")
        if kind == "pass":
            status, hdrs, data = self.upstream()
            self.reply(data, status, hdrs)
        elif kind == "delay":
            time.sleep(int(arg) / 1000)
            status, hdrs, data = self.upstream()
            self.reply(data, status, hdrs)
        elif kind == "upstream":
            status, hdrs, data = self.upstream(arg)
            self.reply(data, status, hdrs)
        elif kind == "html":
            self.reply(HTML_PAGE, headers={"Content-Type": "text/html"})
        elif kind == "truncate":
            status, hdrs, data = self.upstream()
            self.reply(data[: len(data) // 2], status, hdrs)
        elif kind in BIG:
            send_big(self, int(arg), BIG[kind], "application/json")
        elif kind == "hang":
            time.sleep(HANG_SECS)
        elif kind == "stall":
            self.half(lambda: time.sleep(HANG_SECS))
        elif kind == "reset":
            reset(self)
        elif kind == "resetmid":
            self.half(lambda: reset(self))
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", arg + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "status":
            self.reply(b"{}", int(arg))
        elif kind == "body":
            code, _, text = arg.partition(":")
            for esc, byte in (("\\e", "\x1b"), ("\\a", "\x07"),
                              ("\\r", "\r"), ("\\n", "\n")):
                text = text.replace(esc, byte)
            self.reply(text.encode("utf-8", "surrogateescape"), int(code))
        elif kind == "py":
            self.run_py(arg)
        else:
            self.reply(b"unknown behaviour " + how.encode(), 500)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.req_body = self.rfile.read(n) if n else None
        key = "%s %s" % (self.command, self.path)
        how = next((v for k, v in load_rules(RULES).items()
                    if fnmatch.fnmatch(key, k)), "pass")
        print("%s -> %s" % (key, how[:60]), file=sys.stderr, flush=True)
        try:
            self.behave(how)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as x:  # a broken rule: say so, answer 500
            print("rule error: %r" % x, file=sys.stderr, flush=True)
            self.reply(b"rule error", 500)

    do_GET = handle_any
    do_POST = handle_any


serve(Handler)
