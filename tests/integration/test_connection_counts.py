# SPDX-License-Identifier: Apache-2.0
"""max_connections_per_user (issue 23, item 5): the connect gate counts each user's live connections
from the service's signed connect, connected and disconnected events, on one instance and, with a
[store], across a fleet. Events are built as the service sends them (CloudEvents binary mode,
ce-signature = HMAC-SHA256 of the connection id under the access key; the official handler's reading
of them is checked in tests/compat/gate.test.mjs); the real service differs in sending them itself,
after a real WebSocket handshake, and in retrying an event answered 5xx."""
import hashlib
import hmac
import json
import signal
import subprocess
import time
import uuid

import secrets

from conftest import START_TIMEOUT, Service, remember_secret, run_cli
from test_store import ACL_RIGHTS, SLACK_MS, TIMEOUT_MS, config, running_nginx, running_redis

HOST = "gate.webpubsub.azure.com"
KINDS = {"connect": "azure.webpubsub.sys.connect", "connected": "azure.webpubsub.sys.connected",
         "disconnected": "azure.webpubsub.sys.disconnected"}


def event(target, service, kind, user, connection, signed=True):
    """(status, body, seconds) of one event for USER's CONNECTION at TARGET (a daemon or an nginx port)."""
    import http.client
    key = service.key if signed else "not-the-key"
    mac = hmac.new(key.encode(), connection.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "ce-awpsversion": "1.0",
               "ce-type": KINDS[kind], "ce-hub": "chat", "ce-connectionId": connection,
               "ce-signature": f"sha256={mac}", "WebHook-Request-Origin": HOST, "ce-userId": user,
               "ce-specversion": "1.0", "ce-source": f"/hubs/chat/client/{connection}", "ce-id": "1"}
    if kind == "connect":
        body = json.dumps({"claims": {"sub": [user]}})
    elif kind == "disconnected":
        body = json.dumps({"reason": "closed by the client"})
    else:
        body = "{}"
    port = target if isinstance(target, int) else target.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.monotonic()
    try:
        conn.request("POST", "/api/webpubsub/hubs/chat/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), time.monotonic() - start
    finally:
        conn.close()


def connection_id():
    return str(uuid.uuid4())


LOCAL = """[server]
auth_failure_delay = 0
[service:main]
connection_string = {cs}
[hub:chat]
auth = anon
connect_gate = yes
{hub_extra}
[auth:anon]
type = anonymous
"""


def test_check_config_names_a_limit_that_cannot_count(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text(LOCAL.format(cs=Service.new().connection_string,
                                 hub_extra="connection_count_ttl = 60\n").replace("connect_gate = yes\n", "max_connections_per_user = 2\n"))
    result = run_cli("--check-config", "-c", str(path))
    assert result.returncode != 0
    assert f"{path}:7: max_connections_per_user: the connect gate counts connections: set connect_gate = yes" in result.stderr, result.stderr
    path.write_text(LOCAL.format(cs=Service.new().connection_string, hub_extra="connection_count_ttl = 60\n"))
    result = run_cli("--check-config", "-c", str(path))
    assert f"{path}:8: connection_count_ttl: has no effect without max_connections_per_user" in result.stderr, result.stderr
    path.write_text(LOCAL.format(cs=Service.new().connection_string, hub_extra="max_connections_per_user = 10001\n"))
    assert "max_connections_per_user: '10001' is not a whole number from 0 to 10000" in run_cli(
        "--check-config", "-c", str(path)).stderr


def test_one_instance_counts_connect_connected_disconnected(daemon_factory):
    service = Service.new(endpoint=f"https://{HOST}")
    daemon = daemon_factory(LOCAL.format(cs=service.connection_string, hub_extra="max_connections_per_user = 2\n"))
    first, second, third = connection_id(), connection_id(), connection_id()
    assert event(daemon, service, "connect", "alice", first)[0] == 204
    assert event(daemon, service, "connected", "alice", first)[0] == 200
    assert event(daemon, service, "connect", "alice", second)[0] == 204
    status, body, _ = event(daemon, service, "connect", "alice", third)
    assert (status, body) == (401, b"too many connections")
    assert "event=refused reason=too_many_connections hub=chat user=alice" in daemon.stderr_text()
    assert event(daemon, service, "connect", "alice", second)[0] == 204  # the service retried: same place
    assert event(daemon, service, "connect", "bob", third)[0] == 204  # bob counts apart
    # an unsigned disconnected event frees nothing
    assert event(daemon, service, "disconnected", "alice", first, signed=False)[0] == 401
    assert event(daemon, service, "connect", "alice", third)[0] == 401
    assert event(daemon, service, "disconnected", "alice", first)[0] == 200
    assert event(daemon, service, "connect", "alice", third)[0] == 204
    metrics = daemon.request("GET", "/metrics").body.decode()
    assert 'negotiated_connect_gate_total{result="too_many_connections"} 2' in metrics, metrics
    assert "negotiated_connect_gate_connections 3" in metrics  # alice's second and third, bob's
    # a reload keeps the count: the table is the process's
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + START_TIMEOUT
    while "reload" not in daemon.stderr_text().lower():
        assert time.monotonic() < deadline, "no reload line"
        time.sleep(0.1)
    assert event(daemon, service, "connect", "alice", connection_id())[0] == 401


def redis_cli(redis, *args, password=None):
    login = ["--user", "inspector", "--pass", password, "--no-auth-warning"] if password else []
    return subprocess.run(["redis-cli", "-p", str(redis.port), *login, *args], capture_output=True, text=True,
                          timeout=10, check=True).stdout


def fleet_text(tmp_path, redis, service, on_failure="open", prefix="conns", auth=""):
    return config(tmp_path, f"redis://127.0.0.1:{redis.port}/2", prefix=prefix, service=service,
                  extra=f"connections_on_failure = {on_failure}\nrevocations_on_failure = open\n{auth}",
                  hub_extra="connect_gate = yes\nmax_connections_per_user = 3\nconnection_count_ttl = 30\n")


def test_three_instances_count_a_users_connections_as_one(daemon_factory, tmp_path):
    service = Service.new(endpoint=f"https://{HOST}")
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    password = remember_secret(secrets.token_hex(16))
    (tmp_path / "password").write_text(password + "\n")
    (tmp_path / "password").chmod(0o600)
    acl = ["--user", "default", "off", "--user", "fleet", "on", f">{password}", *ACL_RIGHTS,
           "--user", "inspector", "on", f">{password}", "~*", "+@all"]  # the test's own look
    auth = f"user = fleet\npassword_file = {tmp_path}/password\n"  # the documented rights suffice
    with running_redis(tmp_path, acl) as redis:
        daemons = [daemon_factory(fleet_text(tmp_path, redis, service, auth=auth)) for _ in range(3)]
        with running_nginx(nginx_dir, daemons) as port:
            ids = [connection_id() for _ in range(10)]
            statuses = [event(port, service, "connect", "alice", c)[0] for c in ids]
            assert statuses.count(204) == 3 and statuses.count(401) == 7, statuses
            admitted = [c for c, s in zip(ids, statuses) if s == 204]
            for c in admitted:  # connected on whichever instance nginx picks
                assert event(port, service, "connected", "alice", c)[0] == 200
            # each instance saw some of the events, and refuses the next connect itself
            for d in daemons:
                assert event(d, service, "connect", "alice", connection_id())[0] == 401
            cli = lambda *a: redis_cli(redis, "-n", "2", *a, password=password)
            keys = cli("--scan", "--pattern", "negotiated:conns:conns:*").split()
            assert len(keys) == 1 and "alice" not in keys[0], keys
            assert cli("ZCARD", keys[0]).strip() == "3"
            assert 0 < int(cli("TTL", keys[0])) <= 30 * 60
            assert event(daemons[2], service, "disconnected", "alice", admitted[0])[0] == 200
            assert event(daemons[0], service, "connect", "alice", connection_id())[0] == 204
            assert event(port, service, "connect", "bob", connection_id())[0] == 204


def test_connection_counts_when_the_store_fails(daemon_factory, tmp_path):
    service = Service.new(endpoint=f"https://{HOST}")
    with running_redis(tmp_path) as redis:
        opened = daemon_factory(fleet_text(tmp_path, redis, service, "open", prefix="open"))
        closed = daemon_factory(fleet_text(tmp_path, redis, service, "closed", prefix="closed"))
        assert event(opened, service, "connect", "alice", connection_id())[0] == 204
        assert event(closed, service, "connect", "alice", connection_id())[0] == 204
        redis.stop()
        limit_s = (TIMEOUT_MS + SLACK_MS) / 1000
        for _ in range(3):
            status, _, seconds = event(opened, service, "connect", "alice", connection_id())
            assert status == 204 and seconds < limit_s, (status, seconds)
            status, body, seconds = event(closed, service, "connect", "alice", connection_id())
            assert status == 503 and seconds < limit_s, (status, body, seconds)
            status, _, seconds = event(opened, service, "disconnected", "alice", connection_id())
            assert status == 503 and seconds < limit_s, (status, seconds)  # the service may send it again
        assert "connections_on_failure = closed" in closed.stderr_text()
        deadline = time.monotonic() + 5
        while closed.request("GET", "/readyz").status != 503:  # the health check notices
            assert time.monotonic() < deadline, "readyz stays 200 with connections_on_failure = closed"
            time.sleep(0.1)
        assert b"connections_on_failure is closed" in closed.request("GET", "/readyz").body
        assert opened.request("GET", "/readyz").status == 200  # open: no reason to leave rotation
        redis.start()
        deadline = time.monotonic() + 5
        while event(closed, service, "connect", "alice", connection_id())[0] != 204:
            assert time.monotonic() < deadline, "no recovery after redis-server restarted"
            time.sleep(0.1)
        # the restarted store is empty: counting starts again and holds
        statuses = [event(closed, service, "connect", "alice", connection_id())[0] for _ in range(4)]
        assert statuses == [204, 204, 401, 401], statuses
