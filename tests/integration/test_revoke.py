# SPDX-License-Identifier: Apache-2.0
"""The revocation list (issue 22): revoke through `negotiated revoke` (the admin socket) and through
the admin HTTP API; the next /negotiate is 403 revoked at once, a lift restores 200, a restart keeps
the list, --for expires, the admin socket refuses other users and accepts admin_group, and the
public listener has no admin path."""
import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BINARY, START_TIMEOUT, Service, check_client_access, child_env, free_port, run_cli

KEY_ALICE = secrets.token_hex(16)
KEY_BOB = secrets.token_hex(16)
ADMIN_TOKEN = secrets.token_hex(24)
ADMIN_GROUP = "adm"  # a Debian group the test user nobody is not in

CONFIG = """\
[server]
state_directory = {dir}/state
admin_socket = {dir}/admin.sock
admin_group = {group}
admin_listen = 127.0.0.1:{admin_port}
admin_token_file = {dir}/admin-token

[service:main]
connection_string = {cs}

[hub:chat]
auth = keys

[hub:news]
auth = keys

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


@pytest.fixture
def place():
    """A directory nobody may traverse (for the setpriv runs), with the state directory in it."""
    directory = Path(tempfile.mkdtemp(prefix="negotiated-revoke-"))
    directory.chmod(0o755)
    (directory / "state").mkdir(mode=0o700)
    (directory / "apikeys").write_text(f"alice {KEY_ALICE}\nbob {KEY_BOB}\n")
    (directory / "admin-token").write_text(ADMIN_TOKEN + "\n")
    yield directory
    shutil.rmtree(directory)


@pytest.fixture
def service():
    return Service.new()


@pytest.fixture
def config(place, service):
    port = free_port()
    return CONFIG.format(dir=place, group=ADMIN_GROUP, admin_port=port, cs=service.connection_string), port


@pytest.fixture
def daemon(daemon_factory, config):
    return daemon_factory(config[0])


def negotiate(daemon, key, hub="chat"):
    return daemon.request("GET", f"/negotiate?hub={hub}", headers={"Authorization": f"Bearer {key}"})


def revoke(place, *args):
    return run_cli("revoke", "--socket", str(place / "admin.sock"), *args)


def admin(config, method, path, body=None, token=ADMIN_TOKEN):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", config[1], timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def assert_revoked(reply):
    assert reply.status == 403, reply.body
    error = reply.json()["error"]
    assert error["code"] == "revoked"
    assert "revoked" in error["message"]


def test_cli_revoke_refuses_at_once_and_lift_restores(daemon, place, service):
    assert negotiate(daemon, KEY_ALICE).status == 200
    out = revoke(place, "--user", "alice", "--reason", "laptop stolen")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "revoked alice on every hub\n"
    reply = negotiate(daemon, KEY_ALICE)
    assert_revoked(reply)
    assert "laptop" not in reply.body.decode(), "the operator's reason is not shown to the caller"
    assert reply.json()["error"]["message"] == "this user's access was revoked until an operator lifts it"
    assert negotiate(daemon, KEY_BOB).status == 200, "another user is not affected"
    log = daemon.stderr_text()
    assert 'audit event=revoked' in log and 'user="alice"' in log and 'by="uid 0 (root)"' in log
    assert 'reason="laptop stolen"' in log
    assert 'event=refused' in log and 'reason="revoked"' in log
    metrics = daemon.request("GET", "/metrics").body.decode()
    assert 'negotiated_revoked_total{hub="chat"} 1' in metrics
    listed = revoke(place, "--list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0][0] == "USER" and len(rows) == 2 and rows[1][:2] == ["alice", "*"]
    assert rows[1][5:] == ["uid 0 (root)", "laptop stolen"]
    out = revoke(place, "--lift", "--user", "alice")
    assert out.returncode == 0 and out.stdout == "lifted 1 revocation(s) of alice\n", out.stderr
    reply = negotiate(daemon, KEY_ALICE)
    assert reply.status == 200
    check_client_access(reply.json(), service.key, service.endpoint, "chat")
    again = revoke(place, "--lift", "--user", "alice")
    assert again.returncode == 1 and "no revocation" in again.stderr


def test_per_hub_and_issued_before(daemon, place):
    assert revoke(place, "--user", "bob", "--hub", "chat").returncode == 0
    assert_revoked(negotiate(daemon, KEY_BOB, "chat"))
    assert negotiate(daemon, KEY_BOB, "news").status == 200
    assert revoke(place, "--lift", "--user", "bob", "--hub", "chat").returncode == 0
    # "tokens issued before now" does not stop a new token: the connect gate checks old ones
    assert revoke(place, "--user", "bob", "--issued-before", "now").returncode == 0
    assert negotiate(daemon, KEY_BOB, "chat").status == 200
    listed = json.loads(revoke(place, "--list", "--json").stdout)
    assert listed["entries"][0]["issued_before"] > 0


def test_for_expires(daemon, place):
    assert revoke(place, "--user", "alice", "--for", "2s").returncode == 0
    reply = negotiate(daemon, KEY_ALICE)
    assert_revoked(reply)
    assert "until 20" in reply.json()["error"]["message"]
    time.sleep(2.2)
    assert negotiate(daemon, KEY_ALICE).status == 200


def test_restart_keeps_the_list(daemon_factory, config, place):
    first = daemon_factory(config[0])
    assert revoke(place, "--user", "alice", "--reason", "kept").returncode == 0
    assert first.stop() is None
    state = place / "state" / "revocations.jsonl"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert json.loads(state.read_text().splitlines()[0])["user"] == "alice"
    second = daemon_factory(config[0])
    assert_revoked(negotiate(second, KEY_ALICE))
    assert "revocation list: 1 entries" in second.stderr_text()


def test_corrupt_state_file_stops_the_start(config, place):
    (place / "state" / "revocations.jsonl").write_text(
        '{"user":"alice","by":"root","set_at":1}\n{"user":"bob",\n')
    conf = place / "negotiated.conf"
    conf.write_text(config[0])
    out = run_cli("--check-config", "-c", str(conf))
    assert out.returncode == 1
    assert f"{place}/state/revocations.jsonl:2: not valid JSON" in out.stderr


def test_admin_api(daemon, config):
    assert admin(config, "GET", "/admin/revocations", token=None)[0] == 401
    assert admin(config, "GET", "/admin/revocations", token="x" * 48)[0] == 401
    status, body = admin(config, "PUT", "/admin/revocations/alice", {"hub": "chat", "for": "1h", "reason": "api"})
    assert status == 200 and body["entry"]["by"] == "admin-api", body
    assert_revoked(negotiate(daemon, KEY_ALICE))
    status, body = admin(config, "GET", "/admin/revocations")
    assert status == 200 and [e["user"] for e in body["entries"]] == ["alice"]
    assert body["entries"][0]["expires_at"] - body["entries"][0]["set_at"] == 3600
    assert admin(config, "PUT", "/admin/revocations/bob", {"for": "soon"})[0] == 400
    status, body = admin(config, "DELETE", "/admin/revocations/alice?hub=chat")
    assert status == 200 and body["lifted"] == 1
    assert negotiate(daemon, KEY_ALICE).status == 200
    assert admin(config, "DELETE", "/admin/revocations/alice")[0] == 404


def test_public_listener_has_no_admin_path(daemon):
    for method in ("GET", "PUT", "DELETE"):
        assert daemon.request(method, "/admin/revocations/alice").status in (404, 405)
    assert daemon.request("GET", "/admin/revocations").status == 404


def test_close_is_reported_when_the_service_is_down(daemon_factory, place):
    """--close is accepted and the revocation holds at once; the REST calls run in the background
    and, the service being unreachable (a closed loopback port), each attempt is a log line
    (the REST requests themselves: tests/compat/revoke-close.test.mjs)."""
    down = Service.new(endpoint=f"http://127.0.0.1:{free_port()}")
    daemon = daemon_factory(CONFIG.format(dir=place, group=ADMIN_GROUP, admin_port=free_port(),
                                          cs=down.connection_string))
    out = revoke(place, "--user", "alice", "--close")
    assert out.returncode == 0, out.stderr
    assert negotiate(daemon, KEY_ALICE).status == 403
    deadline = time.monotonic() + 5
    want = ("closeUserConnections hub=chat user=alice: attempt 1 failed",
            "closeUserConnections hub=news user=alice: attempt 1 failed")
    while time.monotonic() < deadline and not all(w in daemon.stderr_text() for w in want):
        time.sleep(0.2)
    log = daemon.stderr_text()
    assert all(w in log for w in want), log
    assert "retrying in 500 ms" in log


def as_nobody(place, *args, groups=None):
    group_args = ["--groups", ",".join(groups)] if groups else ["--clear-groups"]
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", *group_args, BINARY, "revoke", "--socket",
            str(place / "admin.sock"), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=START_TIMEOUT, env=child_env())


def test_admin_socket_refuses_another_user(daemon, place):
    sock = place / "admin.sock"
    assert stat.S_IMODE(sock.stat().st_mode) == 0o660
    out = as_nobody(place, "--user", "alice")
    assert out.returncode == 1
    assert "permission denied" in out.stderr and "admin_group" in out.stderr
    os.chmod(sock, 0o666)  # a socket opened up by mistake: the daemon checks the peer itself
    out = as_nobody(place, "--user", "alice")
    assert out.returncode == 1
    assert "uid 65534 (nobody) is neither root nor a member of group 'adm'" in out.stderr
    assert "admin socket: refused uid 65534 (nobody)" in daemon.stderr_text()
    assert negotiate(daemon, KEY_ALICE).status == 200


def test_admin_socket_accepts_a_member_of_admin_group(daemon, place):
    out = as_nobody(place, "--user", "alice", "--reason", "from adm", groups=[ADMIN_GROUP])
    assert out.returncode == 0, out.stderr
    assert_revoked(negotiate(daemon, KEY_ALICE))
    assert 'by="uid 65534 (nobody)"' in daemon.stderr_text()


def test_cli_usage_errors():
    for args, message in ((["--list", "--user", "a"], "--list takes no other option"),
                          (["--for", "2s"], "--user ID is required"),
                          (["--user", "a", "--for", "soon"], "--for: a duration"),
                          (["--lift", "--user", "a", "--reason", "r"], "--lift takes only")):
        out = run_cli("revoke", "--socket", "/nonexistent", *args)
        assert out.returncode == 2 and message in out.stderr, (args, out.stderr)
    out = run_cli("revoke", "--socket", "/nonexistent/admin.sock", "--list")
    assert out.returncode == 1 and "cannot connect" in out.stderr


def test_reload_keeps_the_list(daemon, place):
    import signal
    assert revoke(place, "--user", "alice").returncode == 0
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + START_TIMEOUT
    while "reload: serving the new configuration" not in daemon.stderr_text():
        assert time.monotonic() < deadline, daemon.stderr_text()
        time.sleep(0.05)
    assert_revoked(negotiate(daemon, KEY_ALICE))
    assert revoke(place, "--lift", "--user", "alice").returncode == 0
    assert negotiate(daemon, KEY_ALICE).status == 200


def test_admin_keys_are_checked_together(tmp_path, service):
    conf = tmp_path / "negotiated.conf"
    conf.write_text(f"[server]\nadmin_listen = 127.0.0.1:1\nadmin_group = {ADMIN_GROUP}\n"
                    f"[service:main]\nconnection_string = {service.connection_string}\n"
                    "[hub:chat]\nauth = anon\n[auth:anon]\ntype = anonymous\n")
    out = run_cli("--check-config", "-c", str(conf))
    assert out.returncode == 1
    assert "negotiated.conf:3: admin_group: needs admin_socket" in out.stderr
    assert "negotiated.conf:2: admin_listen: needs admin_token_file" in out.stderr


def test_state_directory_must_be_writable(tmp_path, service):
    conf = tmp_path / "negotiated.conf"
    conf.write_text(f"[server]\nstate_directory = {tmp_path}/missing\n"
                    f"[service:main]\nconnection_string = {service.connection_string}\n"
                    "[hub:chat]\nauth = anon\n[auth:anon]\ntype = anonymous\n")
    out = run_cli("--check-config", "-c", str(conf))
    assert out.returncode == 1
    assert f"state_directory: {tmp_path}/missing: No such file or directory" in out.stderr
