# SPDX-License-Identifier: Apache-2.0
"""SIGHUP reloads: new roles and keys, a bad file keeps the old configuration, keys fixed until
restart, reloads under continuous keep-alive load, and access-key rotation."""
import http.client
import http.server
import json
import re
import secrets
import signal
import threading
import time

from conftest import REQUEST_TIMEOUT, START_TIMEOUT, Service, check_client_access, decode_token

import jwt
import pytest

ROLES_A = "webpubsub.joinLeaveGroup.a"
ROLES_B = "webpubsub.sendToGroup.b"

CONFIG = """\
[server]
threads = {threads}

[service:main]
connection_string_file = {dir}/connection-string

[hub:chat]
auth = keys
roles = {roles}

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


def write_setup(directory, service, roles, key, threads=2):
    (directory / "connection-string").write_text(service.connection_string + "\n")
    (directory / "apikeys").write_text(f"alice {key}\n")
    (directory / "negotiated-0.conf").write_text(CONFIG.format(dir=directory, roles=roles, threads=threads))


def reloads_done(daemon):
    return len(re.findall(r"reload: serving the new configuration", daemon.stderr_text()))


def reload_and_wait(daemon, pattern):
    """Sends SIGHUP and waits until the log shows one more line matching pattern."""
    before = len(re.findall(pattern, daemon.stderr_text()))
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + START_TIMEOUT
    while len(re.findall(pattern, daemon.stderr_text())) <= before:
        assert daemon.proc.poll() is None, "daemon exited on SIGHUP:\n" + daemon.stderr_text()
        assert time.monotonic() < deadline, f"no '{pattern}' after SIGHUP:\n" + daemon.stderr_text()
        time.sleep(0.02)


def negotiate(daemon, key):
    return daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": key})


def start(daemon_factory, tmp_path, service, roles=ROLES_A, key=None):
    key = key or secrets.token_hex(16)
    write_setup(tmp_path, service, roles, key)
    return daemon_factory((tmp_path / "negotiated-0.conf").read_text()), key


def test_reload_applies_new_roles_keys_and_connection_string(daemon_factory, tmp_path):
    old_service = Service.new()
    daemon, old_key = start(daemon_factory, tmp_path, old_service)
    reply = negotiate(daemon, old_key)
    assert reply.status == 200
    claims = check_client_access(reply.json(), old_service.key, old_service.endpoint, "chat")
    assert claims["role"] == [ROLES_A]

    new_service, new_key = Service.new("https://other.webpubsub.azure.com"), secrets.token_hex(16)
    write_setup(tmp_path, new_service, ROLES_B, new_key)
    reload_and_wait(daemon, r"reload: serving the new configuration")

    reply = negotiate(daemon, new_key)
    assert reply.status == 200, reply.body
    claims = check_client_access(reply.json(), new_service.key, new_service.endpoint, "chat")
    assert claims["role"] == [ROLES_B]
    assert negotiate(daemon, old_key).status == 401, "the old API key file is no longer read"
    assert new_key not in daemon.stderr_text() and new_service.key not in daemon.stderr_text()


def test_bad_config_on_reload_keeps_serving(daemon_factory, tmp_path):
    service = Service.new()
    daemon, key = start(daemon_factory, tmp_path, service)
    config = tmp_path / "negotiated-0.conf"
    config.write_text(config.read_text().replace("roles = ", "roles = not-a-role "))
    reload_and_wait(daemon, r"reload failed")
    assert re.search(rf"reload failed, the running configuration stays: {re.escape(str(config))}:\d+: roles: "
                     r"'not-a-role' is not a Web PubSub role", daemon.stderr_text()), daemon.stderr_text()
    reply = negotiate(daemon, key)
    assert reply.status == 200
    assert check_client_access(reply.json(), service.key, service.endpoint, "chat")["role"] == [ROLES_A]

    (tmp_path / "apikeys").write_text("alice short\n")  # a bad key file fails the reload as well
    config.write_text(config.read_text().replace("roles = not-a-role ", "roles = "))
    reload_and_wait(daemon, r"reload failed")
    assert re.search(r"apikeys:1: a key must be", daemon.stderr_text())
    assert negotiate(daemon, key).status == 200, "the old key file's keys still admit"


def test_keys_fixed_until_restart_are_reported(daemon_factory, tmp_path):
    service = Service.new()
    daemon, key = start(daemon_factory, tmp_path, service)
    write_setup(tmp_path, service, ROLES_B, key, threads=3)
    reload_and_wait(daemon, r"reload: serving the new configuration")
    assert "reload: restart needed for threads (running with 2, the file says 3)" in daemon.stderr_text()
    reply = negotiate(daemon, key)
    assert reply.status == 200 and decode_token(
        reply.json()["token"], service.key, service.endpoint + "client/hubs/chat")["role"] == [ROLES_B]


class Hammer(threading.Thread):
    """One keep-alive connection sending /negotiate until told to stop; counts what came back."""

    def __init__(self, daemon, key, stop):
        super().__init__(daemon=True)
        self.daemon_under_test, self.key, self.stop = daemon, key, stop
        self.sent = self.failed = 0
        self.failures = []

    def run(self):
        conn = self.daemon_under_test.connection(REQUEST_TIMEOUT)
        try:
            while not self.stop.is_set():
                self.sent += 1
                try:
                    conn.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": self.key})
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or b'"token"' not in body:
                        self.failed += 1
                        self.failures.append(f"{response.status} {body[:200]!r}")
                except (OSError, http.client.HTTPException) as e:
                    self.failed += 1
                    self.failures.append(repr(e))
                    conn.close()
                    conn = self.daemon_under_test.connection(REQUEST_TIMEOUT)
        finally:
            conn.close()


def test_reloads_under_load_fail_no_request(daemon_factory, tmp_path):
    service = Service.new()
    daemon, key = start(daemon_factory, tmp_path, service)
    configs = [CONFIG.format(dir=tmp_path, roles=roles, threads=2) for roles in (ROLES_A, ROLES_B)]
    stop = threading.Event()
    hammers = [Hammer(daemon, key, stop) for _ in range(4)]
    for h in hammers:
        h.start()
    reloads = 0
    try:
        for i in range(24):
            (tmp_path / "negotiated-0.conf").write_text(configs[i % 2])
            reload_and_wait(daemon, r"reload: serving the new configuration")
            reloads += 1
            time.sleep(0.02)
    finally:
        stop.set()
        for h in hammers:
            h.join(REQUEST_TIMEOUT + 5)
    sent, failed = sum(h.sent for h in hammers), sum(h.failed for h in hammers)
    print(f"\nreload under load: {sent} requests sent, {failed} failed, {reloads} reloads performed "
          f"({reloads_done(daemon)} logged)")
    assert reloads >= 20 and reloads_done(daemon) == reloads
    assert sent > reloads, "the clients were not running during the reloads"
    assert failed == 0, [f for h in hammers for f in h.failures][:5]


def test_rotation_from_primary_to_secondary(daemon_factory, tmp_path):
    primary = Service.new()
    secondary = Service(primary.endpoint, Service.new().key)
    (tmp_path / "primary").write_text(primary.connection_string)
    (tmp_path / "secondary").write_text(secondary.connection_string)
    (tmp_path / "apikeys").write_text("alice " + (key := secrets.token_hex(16)) + "\n")
    config = CONFIG.format(dir=tmp_path, roles=ROLES_A, threads=2).replace(
        f"connection_string_file = {tmp_path}/connection-string",
        f"connection_string_file = {tmp_path}/primary\n"
        f"secondary_connection_string_file = {tmp_path}/secondary\nsign_with = primary")
    daemon = daemon_factory(config)
    audience = primary.endpoint + "client/hubs/chat"
    token = negotiate(daemon, key).json()["token"]
    decode_token(token, primary.key, audience)
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, secondary.key, audience)

    path = tmp_path / "negotiated-0.conf"
    path.write_text(path.read_text().replace("sign_with = primary", "sign_with = secondary"))
    reload_and_wait(daemon, r"reload: serving the new configuration")
    token = negotiate(daemon, key).json()["token"]
    decode_token(token, secondary.key, audience)
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, primary.key, audience)


class GatedWebhook:
    """A webhook that admits user 'u' only once the test opens the gate; `called` is set when a
    call has arrived."""

    def __init__(self):
        self.called, self.gate = threading.Event(), threading.Event()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.called.set()
                hook.gate.wait(START_TIMEOUT)
                body = json.dumps({"userId": "u"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


WEBHOOK_CONFIG = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = hook
roles = {roles}

[auth:hook]
type = webhook
url = {url}/auth
cache_ttl = 0
negative_cache_ttl = 0
"""


def test_in_flight_request_finishes_on_its_snapshot(daemon_factory, tmp_path):
    """A request suspended on a worker thread (webhook) across a reload answers with the
    configuration it started with; the next one gets the new configuration."""
    service, hook = Service.new(), GatedWebhook()
    try:
        daemon = daemon_factory(WEBHOOK_CONFIG.format(cs=service.connection_string, roles=ROLES_A, url=hook.url))
        audience = service.endpoint + "client/hubs/chat"
        result = {}
        headers = {"Authorization": "Bearer whatever"}
        in_flight = threading.Thread(
            target=lambda: result.setdefault("reply", daemon.request("GET", "/negotiate?hub=chat", headers=headers)))
        in_flight.start()
        assert hook.called.wait(START_TIMEOUT), "the webhook was not called"
        (tmp_path / "negotiated-0.conf").write_text(
            WEBHOOK_CONFIG.format(cs=service.connection_string, roles=ROLES_B, url=hook.url))
        reload_and_wait(daemon, r"reload: serving the new configuration")
        hook.gate.set()
        in_flight.join(REQUEST_TIMEOUT)
        reply = result["reply"]
        assert reply.status == 200, reply.body
        assert decode_token(reply.json()["token"], service.key, audience)["role"] == [ROLES_A]
        reply = daemon.request("GET", "/negotiate?hub=chat", headers=headers)
        assert reply.status == 200, reply.body
        assert decode_token(reply.json()["token"], service.key, audience)["role"] == [ROLES_B]
    finally:
        hook.close()
