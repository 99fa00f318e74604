# SPDX-License-Identifier: Apache-2.0
"""[store] with Microsoft Entra ID, as Azure Cache for Redis takes it: AUTH <object id> <access token>
over TLS. A stand-in managed identity endpoint (loopback HTTP, as IMDS is) hands out tokens; a real
redis-server with TLS has an ACL user named like an object id whose password is the current token.
The rate limit works through it; when the stand-in hands out a new token the live connections log
in again (AUTH on the same connections: no new connection), and after CLIENT KILL they reconnect
with the new token. A token endpoint that refuses gives rate_on_failure's answer at once, a log
line naming the credential and never a token, and the store is used again once a token comes. An
app registration's client secret posts the form with Redis's scope to the tenant's token endpoint.

What real Azure does differently: it validates the token (a JWT signed by Entra ID, audience
https://redis.azure.com, the object id in it must be the user) where this redis-server compares a
password; and it closes a connection when the token it logged in with expires (unless AUTH came
again with a fresh one), where the test stands that in with CLIENT KILL."""
import http.server
import json
import subprocess
import threading
import time
import uuid
import secrets
import urllib.parse

from conftest import LOG_FLUSH_WAIT, START_TIMEOUT, run_cli
from test_store import SLACK_MS, TIMEOUT_MS, ask, binary, config, make_tls, ready, running_redis

RIGHTS = ["~negotiated:*", "+evalsha", "+eval", "+ping", "+select", "+time", "+get", "+set", "+del",
          "+subscribe", "+hset", "+hdel", "+hgetall", "+hkeys", "+incr", "+publish", "+exists",
          "&negotiated:*"]  # the rights docs/several-instances.md lists
TOKEN_SECONDS = 4  # the daemon fetches again half way through a token this short


class StandinIdentity:
    """The managed identity endpoint (GET ?api-version=...&resource=..., Metadata: true) on loopback:
    answers the current token, or refuses with HTTP 400 while refusing is set."""

    def __init__(self):
        self.token = None
        self.refusing = False
        self.asks = []  # (query, Metadata header, the token answered or None)
        self.forms = []  # (path, the form posted) of client credential asks
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                token = None if standin.refusing else standin.token
                standin.asks.append((query, self.headers.get("Metadata"), token))
                if token is None:
                    body, status = {"error": "invalid_request", "error_description": "refused"}, 400
                else:
                    body, status = {"access_token": token, "expires_in": str(TOKEN_SECONDS),
                                    "resource": "https://redis.azure.com", "token_type": "Bearer"}, 200
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # the tenant's token endpoint: {authority}/{tenant}/oauth2/v2.0/token
                length = int(self.headers.get("Content-Length", 0))
                standin.forms.append((self.path, urllib.parse.parse_qs(self.rfile.read(length).decode())))
                self.do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.authority = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.authority}/msi/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def wait_answered(self, token, since, limit_s=3 * TOKEN_SECONDS):
        """Until the daemon fetched TOKEN (after ask number SINCE)."""
        deadline = time.monotonic() + limit_s
        while not any(answered == token for _, _, answered in self.asks[since:]):
            assert time.monotonic() < deadline, f"the daemon did not fetch again: {len(self.asks)} asks"
            time.sleep(0.05)


class Admin:
    """redis-cli as an admin user of the TLS server."""

    def __init__(self, directory):
        self.password = secrets.token_hex(16)
        self.directory = directory
        self.argv = None
        self.calls = 0

    def at(self, port):
        self.argv = [binary("redis-cli"), "--tls", "--cacert", str(self.directory / "ca.pem"), "-h",
                     "localhost", "-p", str(port), "--user", "admin", "--pass", self.password,
                     "--no-auth-warning"]
        return self

    def __call__(self, *args):
        self.calls += 1
        result = subprocess.run([*self.argv, *args], capture_output=True, text=True, timeout=START_TIMEOUT)
        assert result.returncode == 0 and not result.stdout.startswith("ERR"), result.stdout + result.stderr
        return result.stdout

    def info(self, field):
        for line in self("INFO", "all").splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        return ""

    def user_clients(self, user):
        """The ids of USER's connections."""
        lines = self("CLIENT", "LIST").splitlines()
        return {line.split()[0] for line in lines if f" user={user} " in f" {line} "}

    def auth_calls(self):
        stat = self.info("cmdstat_auth")  # calls=N,usec=...
        return int(stat.split(",")[0].split("=")[1]) if stat else 0


def tls_server_args(directory, user, token, admin):
    return ["--tls-cert-file", str(directory / "redis.pem"), "--tls-key-file", str(directory / "redis.key"),
            "--tls-ca-cert-file", str(directory / "ca.pem"), "--tls-auth-clients", "no",
            "--user", "default", "off", "--user", "admin", "on", f">{admin.password}", "+@all", "~*", "&*",
            "--user", user, "on", f">{token}", *RIGHTS]


def entra_extra(directory, user, standin):
    return (f"user = {user}\nca_file = {directory}/ca.pem\ncredential = managed_identity\n"
            f"identity_endpoint = {standin.url}\n")


def test_entra_token_logs_in_and_connections_log_in_again_with_a_new_one(daemon_factory, tmp_path):
    make_tls(tmp_path)
    user = str(uuid.uuid4())  # Azure names the Redis user after the principal's object id
    first, second = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    with StandinIdentity() as standin:
        standin.token = first
        admin = Admin(tmp_path)
        with running_redis(tmp_path, tls_server_args(tmp_path, user, first, admin), tls=True) as redis:
            admin.at(redis.port)
            url = f"rediss://localhost:{redis.port}/0"
            daemon = daemon_factory(config(tmp_path, url, "closed", extra=entra_extra(tmp_path, user, standin)))
            query, metadata, _ = standin.asks[0]
            assert query["resource"] == ["https://redis.azure.com"] and metadata == "true", standin.asks[0]
            statuses = [ask(daemon)[0] for _ in range(11)]
            assert statuses == [200] * 10 + [429], statuses  # the bucket lives in the store
            assert ready(daemon) == 200

            # a new token: Azure accepts both while they overlap; then only the new one
            ids = admin.user_clients(user)
            auths, calls = admin.auth_calls(), admin.calls  # that run's own AUTH is in auths
            admin("ACL", "SETUSER", user, f">{second}")
            since = len(standin.asks)
            standin.token = second
            standin.wait_answered(second, since)
            admin("ACL", "SETUSER", user, "resetpass", f">{second}")
            assert [ask(daemon, "bob")[0] for _ in range(3)] == [200] * 3
            # the pool's connections (the health check's, every 500 ms, and a worker's) are the same
            # ones, logged in again; the revocation list's subscriber cannot AUTH again: it and its
            # reader reconnect (each new connection's AUTH is taken out of the count)
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                now_ids = admin.user_clients(user)
                daemon_auths = admin.auth_calls() - auths - (admin.calls - calls)  # each redis-cli run AUTHs once
                kept, new = ids & now_ids, now_ids - ids
                if len(kept) >= 2 and daemon_auths - len(new) >= len(kept):
                    break
                assert time.monotonic() < deadline, (ids, now_ids, daemon_auths)
                time.sleep(0.5)
            assert ready(daemon) == 200

            # the server drops every connection of the user (Azure does so at a token's expiry)
            admin("CLIENT", "KILL", "USER", user)
            assert [ask(daemon, "carol")[0] for _ in range(3)] == [200] * 3  # reconnected with the new token
            assert not ids & admin.user_clients(user)
            time.sleep(LOG_FLUSH_WAIT)
            log = daemon.stderr_text()
            assert first not in log and second not in log


def test_a_token_endpoint_that_refuses(daemon_factory, tmp_path):
    make_tls(tmp_path)
    user = str(uuid.uuid4())
    token = secrets.token_urlsafe(48)
    with StandinIdentity() as standin:
        standin.refusing = True
        standin.token = token
        admin = Admin(tmp_path)
        with running_redis(tmp_path, tls_server_args(tmp_path, user, token, admin), tls=True) as redis:
            url = f"rediss://localhost:{redis.port}/0"
            daemon = daemon_factory(config(tmp_path, url, "closed", extra=entra_extra(tmp_path, user, standin)))
            status, _, seconds = ask(daemon)
            assert status == 503 and seconds < (TIMEOUT_MS + SLACK_MS) / 1000, (status, seconds)
            assert ready(daemon) == 503
            time.sleep(LOG_FLUSH_WAIT)
            log = daemon.stderr_text()
            assert "[store] credential managed_identity: Microsoft Entra ID token fetch failed (HTTP status " \
                   "400, error invalid_request)" in log, log
            assert "[store] calls fail as its *_on_failure keys say" in log, log
            assert "no valid Microsoft Entra ID token" in log, log

            standin.refusing = False  # the credential retries (0.5 s, doubling): the store is used again
            deadline = time.monotonic() + 10
            while ask(daemon)[0] != 200:
                assert time.monotonic() < deadline, daemon.stderr_text()
                time.sleep(0.2)
            assert ready(daemon) == 200
            time.sleep(LOG_FLUSH_WAIT)
            assert token not in daemon.stderr_text()


def test_an_app_registrations_client_secret(daemon_factory, tmp_path):
    """The companion keys of a keyless service work the same: the form asks for Redis's scope."""
    make_tls(tmp_path)
    user, client = str(uuid.uuid4()), str(uuid.uuid4())
    token, client_secret = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
    (tmp_path / "client-secret").write_text(client_secret + "\n")
    with StandinIdentity() as standin:
        standin.token = token
        admin = Admin(tmp_path)
        with running_redis(tmp_path, tls_server_args(tmp_path, user, token, admin), tls=True) as redis:
            extra = (f"user = {user}\nca_file = {tmp_path}/ca.pem\ncredential = client_secret\n"
                     f"tenant_id = contoso\nclient_id = {client}\nauthority_host = {standin.authority}\n"
                     f"client_secret_file = {tmp_path}/client-secret\n")
            daemon = daemon_factory(config(tmp_path, f"rediss://localhost:{redis.port}/0", "closed", extra=extra))
            path, form = standin.forms[0]
            assert path == "/contoso/oauth2/v2.0/token", path
            assert form["scope"] == ["https://redis.azure.com/.default"] and form["client_id"] == [client], form
            assert form["grant_type"] == ["client_credentials"] and form["client_secret"] == [client_secret]
            assert [ask(daemon)[0] for _ in range(11)] == [200] * 10 + [429]
            time.sleep(LOG_FLUSH_WAIT)
            assert token not in daemon.stderr_text() and client_secret not in daemon.stderr_text()


def test_check_config_names_entra_mistakes(tmp_path):
    text = config(tmp_path, "redis://127.0.0.1:6379/0",
                  extra="credential = managed_identity\npassword_file = /run/pw\n")
    path = tmp_path / "bad.conf"
    path.write_text(text)
    result = run_cli("--check-config", "-c", str(path))
    assert result.returncode != 0
    for needle in ("credential: credential and password_file exclude each other",
                   "credential: needs user = the object id", "url: credential needs a rediss:// url"):
        assert needle in result.stderr, result.stderr
    path.write_text(config(tmp_path, "rediss://cache.redis.cache.windows.net:6380/0",
                           extra="user = 00000000-0000-0000-0000-000000000000\ncredential = client_secret\n"
                                 "tenant_id = t\nidentity_endpoint = http://127.0.0.1:9/\n"))
    result = run_cli("--check-config", "-c", str(path))
    assert result.returncode != 0
    for needle in ("credential: client_secret: set exactly one of client_secret_file",):
        assert needle in result.stderr, result.stderr
    path.write_text(config(tmp_path, "rediss://cache.redis.cache.windows.net:6380/0",
                           extra="user = fleet\npassword_file = /run/pw\ntenant_id = t\n"))
    result = run_cli("--check-config", "-c", str(path))
    assert result.returncode != 0 and "tenant_id: a Microsoft Entra ID key needs credential" in result.stderr, \
        result.stderr
