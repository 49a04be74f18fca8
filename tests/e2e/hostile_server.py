#!/usr/bin/env python3
"""hostile_server.py - a misbehaving TUF mirror on 127.0.0.1 for
tests/e2e/trust_hostile.sh.

usage: hostile_server.py DIR RULES_FILE
Serves DIR; prints "port N" on stdout once listening. Before each request it
re-reads RULES_FILE (JSON object: fnmatch pattern of the request path ->
behaviour; first match wins, none = serve the file). Every request is logged
to stderr as "GET /path -> behaviour". Behaviours:
  html            200 text/html error page
  truncate        the first half of the file
  big:N           N bytes of 'A' with a Content-Length
  bigchunked:N    N bytes of 'A', no Content-Length (ends when closed)
  hang            accept, read the request, never answer
  stall           headers and half the body, then nothing
  reset           close the connection with a TCP RST
  redirect:URL    302 to URL + path
Paths under /mirror/ are served from DIR with that prefix dropped and no
rule applied (a redirect target that does not redirect again).
  gzip            the file gzip-encoded, Content-Encoding: gzip
  nul             the file with a NUL byte in its middle
  badutf8         the file with bytes ff fe in its first string
  nested          100 000 '[' characters
  hugeint         the file with "version": 1e30-sized integer
  escape          the file with terminal escapes and a newline in _type
  dupkeys         {"signed": <file's signed>, "signed": {...}} (duplicate key)
  delay:MS        the file after MS milliseconds
  status:CODE     an empty reply with that HTTP status
Hung and stalled replies wait at most 600 s (threads are daemons).
"""
import fnmatch
import gzip
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler

from hostile_http import HANG_SECS, HTML_PAGE, load_rules, reset, send_big, serve

ROOT, RULES = sys.argv[1], sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per reply

    def log_message(self, fmt, *args):
        pass

    def file_bytes(self):
        path = os.path.normpath(self.plain_path()).lstrip("/")
        full = os.path.join(ROOT, path)
        if not full.startswith(os.path.abspath(ROOT)) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def plain_path(self):
        """The path without its query and without a /mirror prefix."""
        path = self.path.split("?")[0]
        return path[len("/mirror"):] if path.startswith("/mirror/") else path

    def reply(self, body, status=200, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def behave(self, how, data):
        kind, _, arg = how.partition(":")
        if kind == "html":
            self.reply(HTML_PAGE, ctype="text/html")
        elif kind == "truncate":
            self.reply(data[: len(data) // 2])
        elif kind == "big":
            send_big(self, int(arg), "length")
        elif kind == "bigchunked":  # no length: ends when closed
            send_big(self, int(arg), "close")
        elif kind == "hang":
            time.sleep(HANG_SECS)
        elif kind == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(HANG_SECS)
        elif kind == "reset":
            reset(self)
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", arg + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "gzip":
            self.reply(gzip.compress(data), extra=[("Content-Encoding", "gzip")])
        elif kind == "nul":
            self.reply(data[: len(data) // 2] + b"\0" + data[len(data) // 2:])
        elif kind == "badutf8":
            i = data.index(b'"') + 1
            self.reply(data[:i] + b"\xff\xfe" + data[i:])
        elif kind == "nested":
            self.reply(b"[" * 100000)
        elif kind == "hugeint":
            doc = json.loads(data)
            doc["signed"]["version"] = 10 ** 30
            self.reply(json.dumps(doc).encode())
        elif kind == "dupkeys":
            doc = json.loads(data)
            signed = json.dumps(doc["signed"]).encode()
            sigs = json.dumps(doc["signatures"]).encode()
            self.reply(b'{"signatures":' + sigs + b',"signed":' + signed +
                       b',"signed":{"_type":"timestamp","version":1}}')
        elif kind == "escape":
            doc = json.loads(data)
            doc["signed"]["_type"] = "\x1b]0;PWNED\x07\x1b[2J\nfake line\u009b"
            self.reply(json.dumps(doc).encode())
        elif kind == "delay":
            time.sleep(int(arg) / 1000.0)
            self.reply(data)
        elif kind == "status":
            self.reply(b"", status=int(arg))
        else:
            self.reply(b"unknown behaviour " + how.encode(), status=500)

    def do_GET(self):
        data = self.file_bytes()
        how = None
        if not self.path.startswith("/mirror/"):
            how = next((v for k, v in load_rules(RULES).items()
                        if fnmatch.fnmatch(self.path, k)), None)
        print("GET %s -> %s" % (self.path, how or "file"), file=sys.stderr,
              flush=True)
        try:
            if how and (data is not None or how.split(":")[0] in
                        ("html", "big", "bigchunked", "hang", "reset",
                         "redirect", "nested", "status")):
                self.behave(how, data or b"")
            elif data is None:
                self.reply(b"not found\n", status=404, ctype="text/plain")
            else:
                self.reply(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


serve(Handler)
