# SPDX-License-Identifier: Apache-2.0
"""webhook: the operator's HTTP service decides who the caller is. A controllable webhook server runs
on 127.0.0.1 in a thread; its answer depends on the presented Authorization header."""
import concurrent.futures
import http.client
import http.server
import json
import secrets
import threading
import time

import pytest

from conftest import REQUEST_TIMEOUT, WRAPPER, Service, decode_token, free_port, run_cli

SLOW_SECONDS = 2.0
FAST_LIMIT = 2.0 if WRAPPER else 0.2  # seconds for a request that must not wait behind the webhook

CONFIG = """\
[server]
log_level = debug
trusted_proxies = 127.0.0.1
auth_failure_delay = {delay}
auth_workers = {workers}
auth_queue = {queue}

[service:main]
connection_string = {cs}

[hub:wh]
auth = hook

[hub:short]
auth = quick

[hub:down]
auth = nobody

[hub:one]
auth = single

[hub:open]
auth = guest

[hub:mixed]
auth = keys hook

[hub:keyed]
auth = keys

[auth:hook]
type = webhook
url = {url}/auth
forward_headers = Authorization Cookie
timeout = 5000
cache_ttl = 30
negative_cache_ttl = 30

[auth:quick]
type = webhook
url = {url}/auth
method = GET
forward_headers = Authorization
timeout = 500
cache_ttl = 0
negative_cache_ttl = 0

[auth:nobody]
type = webhook
url = http://127.0.0.1:{closed_port}/auth

[auth:single]
type = webhook
url = {url}/auth
max_concurrent = 1
timeout = 5000
cache_ttl = 0

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
user = guest
"""

API_KEY = secrets.token_hex(16)


class Webhook:
    """Answers by the token after "Bearer ": ok-USER, deny401-*, deny403-*, err500-*, garbage-*,
    notobject-*, oversize-*, slow-USER; records every call."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.handle_call(b"")

            def do_POST(self):
                self.handle_call(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def handle_call(self, body):
                with hook.lock:
                    hook.calls.append({"method": self.command, "path": self.path, "peer": self.client_address,
                                       "headers": dict(self.headers), "body": body})
                try:
                    self.answer(self.headers.get("Authorization", "").removeprefix("Bearer "))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the daemon gave up waiting (timeout tests)

            def send(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def answer(self, token):
                kind, _, user = token.partition("-")
                if kind == "ok":
                    self.send(200, json.dumps({"userId": user, "attributes": {
                        "groups": ["admins", "dev"], "email": f"{user}@example.org"}}).encode())
                elif kind == "slow":
                    time.sleep(SLOW_SECONDS)
                    self.send(200, json.dumps({"userId": user}).encode())
                elif kind in ("deny401", "deny403", "err500"):
                    self.send(int(kind[-3:]), b"{}")
                elif kind == "garbage":
                    self.send(200, b"{not json")
                elif kind == "notobject":
                    self.send(200, b'{"userId": 42}')
                elif kind == "oversize":
                    self.send(200, json.dumps({"userId": "big", "pad": "x" * 100_000}).encode())
                else:
                    self.send(400, b"{}")

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that hangs up (libcurl after a timeout) is no test failure

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def calls_with(self, token):
        with self.lock:
            return [c for c in self.calls if c["headers"].get("Authorization") == f"Bearer {token}"]

    def wait_for(self, tokens):
        """Waits until a call with each token has arrived (it may still be running)."""
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while not all(self.calls_with(t) for t in tokens):
            assert time.monotonic() < deadline, f"webhook never called with {tokens}"
            time.sleep(0.01)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def webhook():
    hook = Webhook()
    try:
        yield hook
    finally:
        hook.close()


@pytest.fixture(scope="module")
def service():
    return Service.new()


def start(factory, directory, service, webhook, delay=0, workers=8, queue=256):
    (directory / "apikeys").write_text(f"svc {API_KEY}\n")
    return factory(CONFIG.format(cs=service.connection_string, url=webhook.url, closed_port=free_port(),
                                 dir=directory, delay=delay, workers=workers, queue=queue))


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service, webhook):
    return start(module_daemon_factory, tmp_path_factory.mktemp("wh"), service, webhook)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def unique(kind):
    return f"{kind}-u{secrets.token_hex(6)}"


def user_of(reply, service, hub):
    assert reply.status == 200, reply.body
    return decode_token(reply.json()["token"], service.key, service.endpoint + f"client/hubs/{hub}")["sub"]


def assert_refused(reply, status, code):
    assert reply.status == status, reply.body
    assert reply.json()["error"]["code"] == code, reply.body


def timed(daemon, target, headers=None):
    began = time.monotonic()
    reply = daemon.request("GET", target, headers=headers)
    return reply, time.monotonic() - began


def test_success_with_attributes(daemon, webhook, service):
    token = unique("ok")
    reply = daemon.request("GET", "/negotiate/wh", headers={**bearer(token), "X-Forwarded-For": "198.51.100.9"})
    user = token.split("-", 1)[1]
    assert user_of(reply, service, "wh") == user
    log = daemon.stderr_text()
    assert f"principal user={user} auth=hook attributes: groups=admins groups=dev email={user}@example.org" in log
    [call] = webhook.calls_with(token)
    assert call["method"] == "POST" and call["path"] == "/auth"
    assert call["headers"]["X-Forwarded-For"] == "198.51.100.9"  # the client, read right to left
    assert call["headers"]["X-Negotiated-Hub"] == "wh"
    assert json.loads(call["body"]) == {"hub": "wh", "clientAddress": "198.51.100.9"}
    assert token not in log


def test_get_method_and_cookie_forwarding(daemon, webhook, service):
    token = unique("ok")
    reply = daemon.request("GET", "/negotiate/short", headers={**bearer(token), "Cookie": "session=abc"})
    assert user_of(reply, service, "short") == token.split("-", 1)[1]
    [call] = webhook.calls_with(token)
    assert call["method"] == "GET" and call["body"] == b""
    assert "Cookie" not in call["headers"]  # quick forwards only Authorization
    cookie_token = unique("ok")
    daemon.request("GET", "/negotiate/wh", headers={**bearer(cookie_token), "Cookie": "session=abc"})
    assert webhook.calls_with(cookie_token)[0]["headers"]["Cookie"] == "session=abc"


@pytest.mark.parametrize("kind,status,code", [
    ("deny401", 401, "invalid_credentials"),
    ("deny403", 403, "forbidden"),
    ("err500", 503, "unavailable"),
    ("garbage", 503, "unavailable"),
    ("notobject", 503, "unavailable"),
    ("oversize", 503, "unavailable"),
])
def test_refusals_and_failures(daemon, kind, status, code):
    reply = daemon.request("GET", "/negotiate/wh", headers=bearer(unique(kind)))
    assert_refused(reply, status, code)
    if status == 401:
        assert reply.headers["WWW-Authenticate"]
    if status == 503:
        assert reply.headers["Retry-After"] == "1"


def test_no_credentials_is_declined(daemon, webhook):
    before = len(webhook.calls)
    assert_refused(daemon.request("GET", "/negotiate/wh"), 401, "unauthenticated")
    assert len(webhook.calls) == before


def test_down_is_unavailable(daemon):
    reply = daemon.request("GET", "/negotiate/down", headers=bearer(unique("ok")))
    assert_refused(reply, 503, "unavailable")
    assert "webhook call failed" in daemon.stderr_text()


def test_slow_times_out(daemon):
    reply, elapsed = timed(daemon, "/negotiate/short", bearer(unique("slow")))
    assert_refused(reply, 503, "unavailable")
    assert elapsed < SLOW_SECONDS or WRAPPER, elapsed
    assert "[auth:quick] webhook timed out after 500 ms" in daemon.stderr_text()


def test_positive_and_negative_caches(daemon, webhook, service):
    ok, deny = unique("ok"), unique("deny401")
    for _ in range(3):
        assert user_of(daemon.request("GET", "/negotiate/wh", headers=bearer(ok)), service, "wh") == ok[3:]
        assert_refused(daemon.request("GET", "/negotiate/wh", headers=bearer(deny)), 401, "invalid_credentials")
    assert len(webhook.calls_with(ok)) == 1
    assert len(webhook.calls_with(deny)) == 1
    # errors are not cached, and the cache key covers every forwarded header
    err = unique("err500")
    for _ in range(2):
        daemon.request("GET", "/negotiate/wh", headers=bearer(err))
    assert len(webhook.calls_with(err)) == 2
    daemon.request("GET", "/negotiate/wh", headers={**bearer(ok), "Cookie": "a=b"})
    assert len(webhook.calls_with(ok)) == 2


def test_chain_falls_through_to_webhook(daemon, webhook, service):
    assert user_of(daemon.request("GET", "/negotiate/mixed", headers={"X-API-Key": API_KEY}), service, "mixed") == "svc"
    token = unique("ok") + ".jwt.like"  # apikey leaves a JWT-shaped bearer token to others
    assert user_of(daemon.request("GET", "/negotiate/mixed", headers=bearer(token)), service, "mixed") == token[3:]


def test_max_concurrent_fails_fast(daemon, webhook):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        token = unique("slow")
        first = pool.submit(timed, daemon, "/negotiate/one", bearer(token))
        webhook.wait_for([token])
        reply, elapsed = timed(daemon, "/negotiate/one", bearer(unique("slow")))
        assert_refused(reply, 503, "unavailable")
        assert elapsed < SLOW_SECONDS / 2 or WRAPPER, elapsed
        assert first.result()[0].status == 200
    assert "[auth:single] webhook busy: max_concurrent = 1" in daemon.stderr_text()


def test_slow_webhook_does_not_delay_other_hubs(daemon, webhook, service):
    """Four 2-second webhook calls in flight; requests to other hubs are answered at once."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        tokens = [unique("slow") for _ in range(4)]
        slow = [pool.submit(timed, daemon, "/negotiate/wh", bearer(token)) for token in tokens]
        webhook.wait_for(tokens)
        for _ in range(10):
            reply, elapsed = timed(daemon, "/negotiate/open")
            assert user_of(reply, service, "open") == "guest"
            assert elapsed < FAST_LIMIT, elapsed
            reply, elapsed = timed(daemon, "/negotiate/keyed", {"X-API-Key": API_KEY})
            assert user_of(reply, service, "keyed") == "svc"
            assert elapsed < FAST_LIMIT, elapsed
        assert not any(f.done() for f in slow)  # all still pending while the others were answered
        for future in slow:
            reply, elapsed = future.result()
            assert reply.status == 200, reply.body
            assert elapsed >= SLOW_SECONDS * 0.9


def test_failure_delay_does_not_delay_others(daemon_factory, tmp_path, service, webhook):
    daemon = start(daemon_factory, tmp_path, service, webhook, delay=1000)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        # refused inline (keyed) and on a worker (mixed): both wait out the delay off the HTTP threads
        failing = [pool.submit(timed, daemon, f"/negotiate/{hub}", {"X-API-Key": "w" * 32})
                   for hub in ("keyed", "mixed") * 3]
        time.sleep(0.2)
        for _ in range(5):
            reply, elapsed = timed(daemon, "/negotiate/open")
            assert reply.status == 200 and elapsed < FAST_LIMIT, elapsed
        assert not any(f.done() for f in failing)  # still waiting out their delay
        for future in failing:
            reply, elapsed = future.result()
            assert_refused(reply, 401, "invalid_credentials")
            assert elapsed >= 0.45, elapsed  # 1000 ms with +-50% jitter


def test_calls_reuse_a_connection(daemon_factory, tmp_path, service, webhook):
    daemon = start(daemon_factory, tmp_path, service, webhook, workers=1)
    tokens = [unique("ok") for _ in range(3)]
    for token in tokens:
        assert user_of(daemon.request("GET", "/negotiate/short", headers=bearer(token)), service, "short") == token[3:]
    peers = {webhook.calls_with(token)[0]["peer"] for token in tokens}
    assert len(peers) == 1, peers  # one worker thread, one kept-alive connection


def test_queue_full_is_unavailable(daemon_factory, tmp_path, service, webhook):
    daemon = start(daemon_factory, tmp_path, service, webhook, workers=1, queue=1)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        token = unique("slow")
        running = pool.submit(timed, daemon, "/negotiate/wh", bearer(token))
        webhook.wait_for([token])
        queued = pool.submit(timed, daemon, "/negotiate/wh", bearer(unique("slow")))
        time.sleep(0.3)
        reply, elapsed = timed(daemon, "/negotiate/wh", bearer(unique("slow")))
        assert_refused(reply, 503, "unavailable")
        assert reply.headers["Retry-After"] == "1"
        assert elapsed < FAST_LIMIT, elapsed
        assert running.result()[0].status == 200
        assert queued.result()[0].status == 200


def test_stop_with_requests_in_flight(daemon_factory, tmp_path, service, webhook):
    """SIGTERM while one webhook call runs and two wait: the daemon exits 0 (checked by the fixture)
    and every client gets an answer or a closed connection, never a hang."""
    daemon = start(daemon_factory, tmp_path, service, webhook, workers=1, queue=4)
    calls_before = len(webhook.calls)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        def attempt():
            try:
                return timed(daemon, "/negotiate/wh", bearer(unique("slow")))[0].status
            except (OSError, http.client.HTTPException):
                return "closed"
        futures = [pool.submit(attempt) for _ in range(3)]
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while len(webhook.calls) == calls_before:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)
        assert daemon.stop() is None
        assert all(f.result() in (200, 503, "closed") for f in futures)


@pytest.mark.parametrize("line,message", [
    ("url = ftp://example.org/", "url: must be an http:// or https:// URL"),
    ("url = https://user:pw@example.org/", "url: must not carry credentials"),
    ("url = http://hooks.example/auth", "url: must be an https:// URL: plain http:// only to a loopback host"),
    ("method = PUT", "method: 'PUT' is not POST or GET"),
    ("timeout = 10", "timeout: '10' is not a whole number from 50 to 60000"),
    ("max_concurrent = 0", "max_concurrent: '0' is not a whole number from 1 to 1024"),
    ("cache_ttl = -1", "cache_ttl: '-1' is not a whole number from 0 to 3600"),
    ("forward_headers = Bad:Name", "forward_headers: 'Bad:Name' is not a header name"),
    ("forward_headers = A B C D E F G H I", "forward_headers: at most 8 names"),
    ("colour = blue", "colour: unknown key for type webhook"),
])
def test_config_errors(tmp_path, service, line, message):
    url = "" if line.startswith("url") else "url = http://127.0.0.1:9/\n"
    (tmp_path / "n.conf").write_text(f"[service:main]\nconnection_string = {service.connection_string}\n"
                                     f"[hub:wh]\nauth = hook\n[auth:hook]\ntype = webhook\n{url}{line}\n")
    result = run_cli("--check-config", "-c", str(tmp_path / "n.conf"))
    assert result.returncode == 1
    assert f"n.conf:{7 + bool(url)}: {message}" in result.stderr, result.stderr
    assert "pw" not in result.stderr
