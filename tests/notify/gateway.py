#!/usr/bin/env python3
"""A local SMS/Zalo gateway for the delivery tests (tests/api/test_delivery.c).

Receives the sender's POSTs (any path but /_*), checks each request's HMAC-SHA256 signature as
docs/operations.md describes it (over "<X-Sangkien-Timestamp>.<body>" with the shared secret),
counts requests per Idempotency-Key and answers as told:

  POST /_mode  {"mode": "200"|"500"|"429"|"400"|"timeout"|"close",
                "script": ["500", "timeout", "close", "200", ...]  (per key: the n-th request of a
                           key gets script[n], then mode), "delay_ms": 0, "retry_after": null}
  GET  /_stats {"requests": N, "distinct": K, "bad_signatures": B,
                "keys": {key: [unix times of its requests]}}
  GET  /_last?key=K  {"headers": {...}, "body": {...}, "path": "/sms"}  (the last request of K)

Usage: gateway.py PORT_FILE SECRET_FILE   (binds 127.0.0.1, port 0; writes the port to PORT_FILE)
"""
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
state = {"mode": "200", "script": [], "delay_ms": 0, "retry_after": None}
keys = {}   # key -> [times]
last = {}   # key -> request
bad = 0
total = 0
secret = b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body leave in separate writes: without this, Nagle and delayed ACKs add 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, headers=()):
        data = json.dumps(obj if obj is not None else {"ok": status < 300}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        with lock:
            if u.path == "/_stats":
                return self.reply(200, {"requests": total, "distinct": len(keys), "bad_signatures": bad,
                                        "keys": keys})
            if u.path == "/_last":
                k = parse_qs(u.query).get("key", [""])[0]
                return self.reply(200 if k in last else 404, last.get(k, {}))
        self.reply(404)

    def do_POST(self):
        global bad, total
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/_mode":
            with lock:
                state.update({"mode": "200", "script": [], "delay_ms": 0, "retry_after": None})
                state.update(json.loads(body))
            return self.reply(200)
        ts = self.headers.get("X-Sangkien-Timestamp", "")
        sig = self.headers.get("X-Sangkien-Signature", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, sig) and ts.isdigit() and abs(time.time() - int(ts)) < 300
        key = self.headers.get("Idempotency-Key", "")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        with lock:
            total += 1
            if not ok:
                bad += 1
            seen = keys.setdefault(key, [])
            seen.append(time.time())
            last[key] = {"path": self.path, "headers": dict(self.headers.items()), "body": doc, "signature_ok": ok}
            i = len(seen) - 1
            act = state["script"][i] if i < len(state["script"]) else state["mode"]
            delay, retry_after = state["delay_ms"], state["retry_after"]
        if delay:
            time.sleep(delay / 1000)
        if act == "timeout":
            time.sleep(4)
            self.close_connection = True
            return
        if act == "close":
            self.close_connection = True
            return
        status = int(act)
        extra = [("Retry-After", str(retry_after))] if status == 429 and retry_after else []
        self.reply(status, {"ok": status < 300, "id": key}, extra)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gives up on a "timeout" answer resets the connection: expected here


def main():
    global secret
    port_file, secret_file = sys.argv[1], sys.argv[2]
    secret = open(secret_file, "rb").read().rstrip()
    srv = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
