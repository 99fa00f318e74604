# SPDX-License-Identifier: Apache-2.0
"""A small, controllable OpenID key server for the jwt tests: serves a JWKS and a discovery
document on 127.0.0.1, and can be switched to answer 500, garbage, hang, or answer late."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG_LIMIT = 30  # seconds a hanging answer lasts at most (teardown releases it at once)


class KeyServer:
    """mode: "keys" (serve self.jwks), "500", "garbage", "hang" or "slow" (the keys after self.delay s)."""

    def __init__(self):
        self.jwks = {"keys": []}
        self.mode = "keys"
        self.fetches = 0
        self.delay = 0.0
        self.fetch_times = []  # monotonic times at which each fetch began
        self.release = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

            do_POST = do_GET  # for subclasses that stand in for a webhook

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def jwks_url(self):
        return self.url + "/jwks.json"

    def serve(self, *jwks):
        """Serves the union of the given JWK lists."""
        with self.lock:
            self.jwks = {"keys": [k for keys in jwks for k in keys]}
            self.mode = "keys"

    def set_mode(self, mode, delay=None):
        with self.lock:
            self.mode = mode
            if delay is not None:
                self.delay = delay

    def handle(self, req):
        with self.lock:
            mode, body, self.fetches = self.mode, json.dumps(self.jwks), self.fetches + 1
            self.fetch_times.append(time.monotonic())
        if req.path == "/.well-known/openid-configuration" and mode == "keys":
            body = json.dumps({"issuer": self.url, "jwks_uri": self.jwks_url})
        elif req.path not in ("/jwks.json", "/.well-known/openid-configuration"):
            return self.reply(req, 404, b"not found")
        if mode == "hang":
            self.release.wait(HANG_LIMIT)
            return self.reply(req, 200, body.encode())
        if mode == "slow":
            self.release.wait(self.delay)
        if mode == "500":
            return self.reply(req, 500, b"internal error")
        if mode == "garbage":
            return self.reply(req, 200, b"\x00<html>not a key set{{{")
        self.reply(req, 200, body.encode())

    @staticmethod
    def reply(req, status, body):
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout): nothing to do

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)
