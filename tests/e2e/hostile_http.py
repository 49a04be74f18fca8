"""hostile_http.py - what the misbehaving test servers share
(hostile_rekor.py for rekor_hostile.sh, hostile_server.py for
trust_hostile.sh): the rules file, huge and reset replies, and the loopback
server that prints its port. Imported from the scripts' own folder."""
import json
import socket
import struct
from http.server import ThreadingHTTPServer

HANG_SECS = 600  # hung and stalled replies wait at most this long
HTML_PAGE = (b"<!doctype html><html><body><h1>502 Bad Gateway</h1>"
             b"</body></html>\n")


def load_rules(path):
    """The rules file (JSON object: fnmatch pattern -> behaviour), read
    again for every request so a test can change it while the server runs;
    {} when it is missing or half written."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def send_big(handler, n, framing, ctype=None):
    """n bytes of 'A' framed by a Content-Length ("length"), chunked
    transfer encoding ("chunked") or the end of the connection ("close").
    The client hanging up at its size cap is what should happen."""
    handler.send_response(200)
    if ctype:
        handler.send_header("Content-Type", ctype)
    if framing == "close":
        handler.send_header("Connection", "close")
        handler.close_connection = True
    elif framing == "chunked":
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(n))
    handler.end_headers()
    block = b"A" * 65536
    try:
        while n > 0:
            part = block[: min(n, len(block))]
            if framing == "chunked":
                part = b"%x\r\n%s\r\n" % (len(part), part)
            handler.wfile.write(part)
            n -= len(block)
        if framing == "chunked":
            handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass


def reset(handler):
    """Closes the connection with a TCP RST instead of a reply."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                  struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung reply never keeps the process alive
    allow_reuse_address = True


def serve(handler_cls):
    """Listens on 127.0.0.1 (a free port), prints "port N" once ready,
    serves until interrupted."""
    srv = Server(("127.0.0.1", 0), handler_cls)
    print("port %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
