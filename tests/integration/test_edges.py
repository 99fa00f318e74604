# SPDX-License-Identifier: Apache-2.0
"""Trust at the edges (issue 20), over raw sockets: headers that must be single, X-Forwarded-For read
as all its lines joined in order, the unix peer rule, the Host check (DNS rebinding), methods that
are not HTTP tokens, and client bytes escaped in log lines."""
import contextlib
import json
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import time

import pytest

from conftest import (REQUEST_TIMEOUT, START_TIMEOUT, WRAPPER, Service, check_client_access, child_env, command,
                      free_port, run_cli)

STOP_WAIT = 10

API_KEY = secrets.token_hex(16)

CONFIG = """\
[server]
{server}

[service:main]
connection_string = {cs}

[hub:chat]
auth = keys guest

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
user = guest
"""


def start(factory, tmp_path, server="", **kwargs):
    keys = tmp_path / "apikeys"
    keys.write_text(f"alice {API_KEY}\n")
    keys.chmod(0o600)
    text = CONFIG.format(server=server, cs=Service.new().connection_string, dir=tmp_path)
    return factory(text, **kwargs)


def raw(daemon, data):
    """Sends one request on a new connection; the answer as (status, headers, body bytes)."""
    if daemon.unix_path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(REQUEST_TIMEOUT)
        sock.connect(daemon.unix_path)
    else:
        sock = socket.create_connection(("127.0.0.1", daemon.port), timeout=REQUEST_TIMEOUT)
    with sock:
        sock.sendall(data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = sock.recv(65536)
            assert chunk, f"closed before an answer: {got!r}"
            got += chunk
        head, body = got.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split(" ")[1]), headers, body[:length]


def get(target, *headers, host="127.0.0.1"):
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def error_code(answer):
    status, headers, body = answer
    assert headers.get("content-type") == "application/json", (status, headers, body)
    return status, json.loads(body)["error"]["code"], json.loads(body)["error"]["message"]


# ---------------------------------------------------------------- 1. headers that must be single

SINGLE = [
    ("X-API-Key", [f"X-API-Key: {API_KEY}", "X-API-Key: nobody-key-0000000000"]),
    ("Authorization", ["Authorization: Bearer a.b.c", "Authorization: Basic YTpi"]),
    ("Origin", ["Origin: https://a.example", "Origin: https://b.example"]),
    ("X-Request-Id", ["X-Request-Id: one", "X-Request-Id: two"]),
    ("Cookie", ["Cookie: a=1", "Cookie: b=2"]),
    ("Content-Type", ["Content-Type: application/json", "Content-Type: text/plain"]),
    ("X-Auth-Request-User", ["X-Auth-Request-User: alice", "x-auth-request-user: admin"]),
]


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory):
    directory = tmp_path_factory.mktemp("edges")
    return start(module_daemon_factory, directory,
                 "trusted_proxies = 127.0.0.1\nmetrics_allow = 127.0.0.1")


@pytest.mark.parametrize("name, lines", SINGLE, ids=[case[0] for case in SINGLE])
def test_a_repeated_single_header_is_400_naming_it(daemon, name, lines):
    status, code, message = error_code(raw(daemon, get("/negotiate?hub=chat", *lines)))
    assert (status, code) == (400, "invalid_header")
    assert name.lower() in message.lower(), message


def test_list_headers_may_repeat(daemon):
    status, _, body = raw(daemon, get("/healthz", "Accept: text/plain", "Accept: application/json",
                                      "Cache-Control: no-cache", "Cache-Control: no-store"))
    assert status == 200, body


def test_forwarded_lines_are_joined_in_order(daemon):
    # a proxy that appends its own line (HAProxy) after the client's forged one
    appended = raw(daemon, get("/metrics", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-For: 203.0.113.9"))
    assert error_code(appended)[:2] == (403, "forbidden")
    merged = raw(daemon, get("/metrics", "X-Forwarded-For: 127.0.0.1, 203.0.113.9"))
    assert error_code(merged)[:2] == (403, "forbidden")
    assert raw(daemon, get("/metrics"))[0] == 200  # the trusted peer itself


def test_the_audit_line_names_the_last_line_s_client(daemon):
    answer = raw(daemon, get("/negotiate?hub=chat", f"X-API-Key: {API_KEY}", "X-Forwarded-For: 192.0.2.1",
                             "X-Forwarded-For: 198.51.100.23"))
    assert answer[0] == 200, answer
    issued = [line for line in daemon.stderr_text().splitlines()
              if "audit event=issued" in line and '"198.51.100.23"' in line]
    assert issued and all('"192.0.2.1"' not in line for line in issued)


JOIN_ROOM = 1023  # http.c joins the lines into 1 KiB (with its NUL), rightmost first


@pytest.mark.parametrize("before", [0, 1, 2, 3, 40])
def test_many_forwarded_lines_keep_the_rightmost(daemon, before):
    # past the join's room: the line that no longer fits whole is cut at an entry boundary; "before"
    # moves the cut across the separator and the line's first bytes
    last = "203.0.113.77"
    filler = ("127.0.0.1, " * 200)[: JOIN_ROOM - len(last) - 2 - before].rstrip(", ")
    forged = [f"X-Forwarded-For: 10.9.{i}.{i}, 127.0.0.1" for i in range(30)]
    answer = raw(daemon, get("/metrics", *forged, f"X-Forwarded-For: {filler}", f"X-Forwarded-For: {last}"))
    assert error_code(answer)[:2] == (403, "forbidden")


def test_a_unix_peer_forwarding_garbage_is_not_the_unix_peer(daemon_factory, tmp_path):
    unix = start(daemon_factory, tmp_path, listen=f"unix:{tmp_path / 'n.sock'}")
    assert raw(unix, get("/metrics"))[0] == 200  # the socket peer itself: metrics_allow's "unix"
    for forged in ("not-an-address", "", "unix"):
        answer = raw(unix, get("/metrics", f"X-Forwarded-For: {forged}"))
        assert error_code(answer)[:2] == (403, "forbidden"), forged


# ---------------------------------------------------------------- 2. Host

REBINDING = ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]"]
LOOPBACK = ["localhost", "LOCALHOST:9999", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8080"]


@pytest.mark.parametrize("host", REBINDING)
def test_a_tcp_listener_refuses_other_hosts_before_anything_runs(daemon, host):
    for target in ("/negotiate?hub=chat", "/metrics", "/healthz"):
        status, code, _ = error_code(raw(daemon, get(target, f"X-API-Key: {API_KEY}", host=host)))
        assert (status, code) == (421, "misdirected_request"), (target, host)
    assert not any("audit event=issued" in line and host in line for line in daemon.stderr_text().splitlines())


@pytest.mark.parametrize("host", LOOPBACK)
def test_a_tcp_listener_admits_the_loopback_names(daemon, host):
    assert raw(daemon, get("/negotiate?hub=chat", f"X-API-Key: {API_KEY}", host=host))[0] == 200


def test_dev_admits_only_the_loopback_names(daemon_factory):
    dev = daemon_factory(None, args=["--dev"])
    assert raw(dev, get("/negotiate?hub=chat", host=f"localhost:{dev.port}"))[0] == 200
    assert error_code(raw(dev, get("/negotiate?hub=chat", host="evil.example")))[:2] == (421, "misdirected_request")
    assert error_code(raw(dev, get("/metrics", host="evil.example")))[:2] == (421, "misdirected_request")


def test_allowed_hosts_lists_names_and_ports(daemon_factory, tmp_path):
    listed = start(daemon_factory, tmp_path, "allowed_hosts = negotiate.example.com api.example.com:8443 127.0.0.1")
    assert raw(listed, get("/healthz", host="negotiate.example.com"))[0] == 200
    assert raw(listed, get("/healthz", host="Negotiate.Example.COM:443"))[0] == 200
    assert raw(listed, get("/healthz", host="api.example.com:8443"))[0] == 200
    for host in ("api.example.com", "api.example.com:8444", "localhost", "example.com"):
        assert error_code(raw(listed, get("/healthz", host=host)))[0] == 421, host


def test_a_unix_listener_admits_the_proxy_s_host(daemon_factory, tmp_path):
    unix = start(daemon_factory, tmp_path, listen=f"unix:{tmp_path / 'h.sock'}")
    assert raw(unix, get("/healthz", host="negotiate.example.com"))[0] == 200


def test_a_bad_allowed_hosts_entry_names_the_line(tmp_path):
    config = tmp_path / "bad.conf"
    config.write_text(CONFIG.format(server="allowed_hosts = good.example bad/host:x", cs=Service.new().connection_string,
                                    dir=tmp_path))
    (tmp_path / "apikeys").write_text("")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode != 0
    assert re.search(rf"{re.escape(str(config))}:2: .*allowed_hosts.*bad/host", result.stderr), result.stderr


# ---------------------------------------------------------------- 5. methods and log lines

def test_a_method_that_is_not_a_token_is_400_and_never_reaches_the_log(daemon):
    request = b"P\x1b]0;pwned\x07OST /negotiate?hub=chat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    status, code, _ = error_code(raw(daemon, request))
    assert (status, code) == (400, "invalid_method")
    log = daemon.stderr_text()
    assert "\x1b" not in log and "\x07" not in log
    assert "pwned" in log  # logged, escaped


def test_client_bytes_in_a_refusal_line_are_escaped(daemon):
    status, _, _ = raw(daemon, get("/nowhere%1b%5d0;title%07?x=1"))
    assert status == 404
    log = daemon.stderr_text()
    assert "\x1b" not in log and "\x07" not in log
    assert '"/nowhere\\u001b]0;title\\u0007"' in log


# ---------------------------------------------------------------- 4. secrets never on argv, files others can read

def cli(*args, env=None, stdin=None):
    result = subprocess.run(command("token", *args), input=stdin, capture_output=True, text=True,
                            timeout=START_TIMEOUT, env=child_env(env))
    return result


def test_a_connection_string_on_argv_is_refused_without_echo():
    service = Service.new()
    result = cli("--connection-string", service.connection_string, "--hub", "chat")
    assert result.returncode == 2 and result.stdout == ""
    assert service.key not in result.stderr and "Endpoint" not in result.stderr
    assert "--connection-string-file" in result.stderr and "--connection-string-env" in result.stderr


@pytest.mark.parametrize("argv", [
    ["token", "--connection_string={cs}", "--hub", "chat"],
    ["token", "--hub", "chat", "{cs}"],
    ["--connection_string={cs}"],
])
def test_arguments_are_never_echoed_past_the_equals_sign(argv):
    service = Service.new()
    result = subprocess.run(command(*[a.format(cs=service.connection_string) for a in argv]), capture_output=True,
                            text=True, timeout=START_TIMEOUT, env=child_env())
    assert result.returncode == 2
    assert service.key not in result.stderr and "AccessKey" not in result.stderr, result.stderr


def test_the_cli_reads_stdin_a_file_a_credential_and_the_environment(tmp_path):
    service = Service.new()
    (tmp_path / "cs").write_text(service.connection_string + "\n")
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "main").write_text(service.connection_string)
    runs = {
        "stdin": cli("--connection-string-file", "-", "--hub", "chat", "--json", stdin=service.connection_string),
        "file": cli("--connection-string-file", str(tmp_path / "cs"), "--hub", "chat", "--json"),
        "credential": cli("--connection-string-credential", "main", "--hub", "chat", "--json",
                          env={"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")}),
        "env": cli("--connection-string-env", "MY_CS", "--hub", "chat", "--json",
                   env={"MY_CS": service.connection_string}),
    }
    for how, result in runs.items():
        assert result.returncode == 0, (how, result.stderr)
        check_client_access(json.loads(result.stdout), service.key, service.endpoint, "chat")


def test_the_cli_refuses_a_connection_string_file_others_can_read(tmp_path):
    service = Service.new()
    path = tmp_path / "cs"
    path.write_text(service.connection_string)
    path.chmod(0o644)
    result = cli("--connection-string-file", str(path), "--hub", "chat")
    assert result.returncode == 2 and service.key not in result.stderr
    assert f"'{path}'" in result.stderr and f"chmod o-rwx '{path}'" in result.stderr, result.stderr


SECRET_FILES = {
    # name: (config text, files {name: (text, mode)}, what the refusal says)
    "inline connection string": ("[service:main]\nconnection_string = {cs}\n[hub:chat]\nauth = guest\n"
                                 "[auth:guest]\ntype = anonymous\n", {}, "a connection string"),
    "connection_string_file": ("[service:main]\nconnection_string_file = {dir}/cs\n[hub:chat]\nauth = guest\n"
                               "[auth:guest]\ntype = anonymous\n", {"cs": ("{cs}\n", 0o644)}, "a connection string"),
    "plaintext api keys": ("[service:main]\nconnection_string_file = {dir}/cs\n[hub:chat]\nauth = keys\n"
                           "[auth:keys]\ntype = apikey\nfile = {dir}/apikeys\n",
                           {"cs": ("{cs}\n", 0o600), "apikeys": (f"alice {API_KEY}\n", 0o644)}, "plaintext API keys"),
    "jwt secret_file": ("[service:main]\nconnection_string_file = {dir}/cs\n[hub:chat]\nauth = sso\n"
                        "[auth:sso]\ntype = jwt\nissuer = https://issuer.example\naudience = a\nalgorithms = HS256\n"
                        "secret_file = {dir}/secret\n",
                        {"cs": ("{cs}\n", 0o600), "secret": (secrets.token_hex(32), 0o604)}, "a signing secret"),
}


@pytest.mark.parametrize("name", SECRET_FILES)
def test_the_daemon_refuses_a_secret_file_others_can_read(tmp_path, name):
    tmp_path = tmp_path / ("deep" * 16)  # a long path (config lines hold 198 bytes): named whole, twice
    tmp_path.mkdir()
    text, files, what = SECRET_FILES[name]
    service = Service.new()
    for file, (content, mode) in files.items():
        (tmp_path / file).write_text(content.format(cs=service.connection_string))
        (tmp_path / file).chmod(mode)
    config = tmp_path / "negotiated.conf"
    config.write_text(text.format(cs=service.connection_string, dir=tmp_path))
    config.chmod(0o644 if name == "inline connection string" else 0o600)
    bad = config if name == "inline connection string" else tmp_path / list(files)[-1]
    for argv in (["--check-config", "-c", str(config)], ["-c", str(config), "--listen", "127.0.0.1:0"]):
        result = run_cli(*argv)
        assert result.returncode == 1, (argv, result.stderr)
        assert f"'{bad}' holds {what} and is readable by every user" in result.stderr, result.stderr
        assert f"chmod o-rwx '{bad}'" in result.stderr and service.key not in result.stderr
    bad.chmod(0o640)  # the group may read it (the service's group): accepted
    assert run_cli("--check-config", "-c", str(config)).returncode == 0


def test_digests_in_a_world_readable_key_file_are_fine(tmp_path):
    service = Service.new()
    (tmp_path / "apikeys").write_text("alice sha256:" + "ab" * 32 + "\n")
    (tmp_path / "apikeys").chmod(0o644)  # as the package installs it: the dynamic user reads it
    config = tmp_path / "negotiated.conf"
    config.write_text(f"[service:main]\nconnection_string = {service.connection_string}\n[hub:chat]\nauth = keys\n"
                      f"[auth:keys]\ntype = apikey\nfile = {tmp_path}/apikeys\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 0, result.stderr


def test_the_environment_variable_read_is_gone_from_proc_and_reload_still_works(daemon_factory, tmp_path):
    service = Service.new()
    text = (CONFIG.replace("connection_string = {cs}", "connection_string_env = EDGES_CS")
            .format(server="", cs="", dir=tmp_path))
    (tmp_path / "apikeys").write_text(f"alice {API_KEY}\n")
    daemon = daemon_factory(text, env={"EDGES_CS": service.connection_string})
    environ = open(f"/proc/{daemon.proc.pid}/environ", "rb").read()
    if not WRAPPER:  # under valgrind /proc shows valgrind's own block, of which the daemon gets a copy
        assert service.key.encode() not in environ and b"Endpoint=" not in environ  # the name may stay, emptied
    daemon.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": API_KEY})
    assert reply.status == 200, reply.body
    check_client_access(reply.json(), service.key, service.endpoint, "chat")
    assert "reload" in daemon.stderr_text() and "not set" not in daemon.stderr_text()


def test_the_daemon_is_not_dumpable():
    """/proc/PID/ of a process that is not dumpable belongs to root, whoever runs it."""
    if os.geteuid() != 0:
        pytest.fail("this test runs the daemon as nobody: run the suite as root (as CI does)")
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    proc = subprocess.Popen(command("--dev", "--listen", f"127.0.0.1:{port}"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env(),
                            user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[], cwd="/")
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            time.sleep(0.05)
        assert proc.poll() is None
        assert os.stat(f"/proc/{proc.pid}/environ").st_uid == 0  # dumpable: nobody's
        assert os.stat(f"/proc/{proc.pid}/status").st_uid == 0
    finally:
        proc.terminate()
        proc.wait(STOP_WAIT)


# ---------------------------------------------------------------- 7. identity namespaces

NAMESPACES = """\
[server]
trusted_proxies = 127.0.0.1

[service:main]
connection_string = {cs}

[hub:ops]
auth = sso keys

[auth:sso]
type = trusted_header

[auth:keys]
type = apikey
file = {dir}/apikeys

[rule:admin]
hub = ops
match = {match}
roles = webpubsub.sendToGroup
groups = user-{{user}}
"""


def test_user_conditions_compare_the_authenticator_too(daemon_factory, tmp_path):
    service = Service.new()
    (tmp_path / "apikeys").write_text(f"admin {API_KEY}\n")
    daemon = daemon_factory(NAMESPACES.format(cs=service.connection_string, dir=tmp_path, match="user:keys/admin"))
    by_key = daemon.request("GET", "/negotiate?hub=ops", headers={"X-API-Key": API_KEY})
    claims = check_client_access(by_key.json(), service.key, service.endpoint, "ops")
    assert claims["sub"] == "admin" and claims["role"] == ["webpubsub.sendToGroup"]
    assert claims["webpubsub.group"] == ["user-admin"]
    # an IdP user whose id is also "admin" is someone else: the token's sub is the same, the grant is not
    by_sso = daemon.request("GET", "/negotiate?hub=ops", headers={"X-Auth-Request-User": "admin"})
    claims = check_client_access(by_sso.json(), service.key, service.endpoint, "ops")
    assert claims["sub"] == "admin" and "role" not in claims and "webpubsub.group" not in claims


def test_an_unqualified_user_condition_on_several_authenticators_is_refused(tmp_path):
    service = Service.new()
    (tmp_path / "apikeys").write_text(f"admin {API_KEY}\n")
    config = tmp_path / "negotiated.conf"
    config.write_text(NAMESPACES.format(cs=service.connection_string, dir=tmp_path, match="user:admin"))
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert (f"{config}:19: match: 'user:admin' on hub ops, which has 2 authenticators that could each admit that "
            "id: say which, as user:sso/admin") in result.stderr, result.stderr
