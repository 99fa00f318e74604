# SPDX-License-Identifier: Apache-2.0
"""[store]: several instances as one through Debian's redis-server (started here on loopback, stopped
after). Three instances behind a real nginx upstream share a user's bucket exactly; a store that
is killed or stops answering gives rate_on_failure's answer within timeout + 100 ms, and a
restarted one is used again without restarting negotiated; TLS with an ACL user works, and a
wrong password stops the daemon at start with a clear error. The revocation list lives in the store: a
change made on one instance is refused on the others within a second, a store that fails gives
revocations_on_failure's answer, and an instance cut off catches up when it reconnects."""
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import START_TIMEOUT, WRAPPER, Service, child_env, command, free_port, remember_secret, run_cli

TIMEOUT_MS = 2000 if WRAPPER else 250  # under valgrind a healthy round trip may take longer
SLACK_MS = 2000 if WRAPPER else 100  # the bound: timeout + 100 ms
# the rights docs/several-instances.md lists ("Supported servers"), and no more
ACL_RIGHTS = ["~negotiated:*", "&negotiated:*", "+evalsha", "+eval", "+ping", "+select", "+time", "+get", "+set",
              "+del", "+subscribe", "+hset", "+hdel", "+hgetall", "+hkeys", "+incr", "+publish", "+exists", "+zadd",
              "+zrem", "+zcard", "+zscore", "+zremrangebyscore", "+pttl", "+pexpire"]
KEYS = {user: remember_secret(secrets.token_hex(16)) for user in ("alice", "bob", "carol")}

DAEMON_CONFIG = """\
[server]
auth_failure_delay = 0
{server_extra}
[service:main]
connection_string = {cs}

[hub:chat]
auth = keys
rate_per_user = 10/min
{hub_extra}
[auth:keys]
type = apikey
file = {dir}/apikeys

[store]
url = {url}
timeout = {timeout}ms
rate_on_failure = {on_failure}
prefix = {prefix}
{extra}"""

NGINX_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
	access_log off;
	client_body_temp_path {dir}/tmp-body;
	proxy_temp_path {dir}/tmp-proxy;
	fastcgi_temp_path {dir}/tmp-fastcgi;
	uwsgi_temp_path {dir}/tmp-uwsgi;
	scgi_temp_path {dir}/tmp-scgi;
	upstream negotiated {{
{servers}
	}}
	server {{
		listen 127.0.0.1:{port};
		location / {{
			proxy_pass http://negotiated;
			proxy_set_header Host localhost;
			proxy_next_upstream off;
		}}
	}}
}}
"""


def binary(name):
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if not path:
        pytest.fail(f"{name} is not installed (see .ci/install-deps)")
    return path


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Redis:
    """Debian's redis-server on a loopback port, with ARGS; start() again on the same port."""

    def __init__(self, directory, args=()):
        self.directory = directory
        self.port = free_port()
        self.args = list(args)
        self.proc = None

    def argv(self, tls):
        ports = ["--port", "0", "--tls-port", str(self.port)] if tls else ["--port", str(self.port)]
        return [binary("redis-server"), *ports, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), *self.args]

    def start(self, tls=False):
        argv = self.argv(tls)
        log = self.directory / "redis.log"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        deadline = time.monotonic() + START_TIMEOUT
        while not port_open(self.port):
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode}:\n{log.read_text()[-2000:]}")
            assert time.monotonic() < deadline, "redis-server did not listen in time"
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)


@contextlib.contextmanager
def running_redis(directory, args=(), tls=False):
    server = Redis(directory, args)
    server.start(tls)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def running_nginx(directory, daemons):
    port = free_port()
    servers = "\n".join(f"\t\tserver 127.0.0.1:{d.port};" for d in daemons)
    user = "user root root;" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(NGINX_CONF.format(user=user, dir=directory, servers=servers, port=port))
    argv = [binary("nginx"), "-p", str(directory), "-e", str(directory / "nginx-error.log"), "-c",
            str(directory / "nginx.conf"), "-g", "daemon off;"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not port_open(port):
            if proc.poll() is not None:
                pytest.fail("nginx exited:\n" + (directory / "nginx-error.log").read_text())
            assert time.monotonic() < deadline, "nginx did not listen in time"
            time.sleep(0.05)
        yield port
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def config(tmp_path, url, on_failure="open", prefix="fleet", extra="", server_extra="", hub_extra="", service=None):
    (tmp_path / "apikeys").write_text("".join(f"{user} {key}\n" for user, key in KEYS.items()))
    (tmp_path / "apikeys").chmod(0o600)
    return DAEMON_CONFIG.format(cs=(service or Service.new()).connection_string, hub_extra=hub_extra, dir=tmp_path, url=url, timeout=TIMEOUT_MS,
                                on_failure=on_failure, prefix=prefix, extra=extra, server_extra=server_extra)


def ask(target, user="alice"):
    """(status, retry-after, seconds) of one /negotiate through TARGET (a daemon or an nginx port)."""
    import http.client
    port = target if isinstance(target, int) else target.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.monotonic()
    try:
        conn.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": KEYS[user]})
        response = conn.getresponse()
        response.read()
        return response.status, response.headers.get("Retry-After"), time.monotonic() - start
    finally:
        conn.close()


def ready(daemon):
    return daemon.request("GET", "/readyz").status


def test_three_instances_behind_nginx_share_a_users_bucket(daemon_factory, tmp_path):
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    with running_redis(tmp_path) as redis:
        text = config(tmp_path, f"redis://127.0.0.1:{redis.port}/3")
        daemons = [daemon_factory(text) for _ in range(3)]
        with running_nginx(nginx_dir, daemons) as port:
            answers = [ask(port) for _ in range(40)]
        statuses = [status for status, _, _ in answers]
        assert statuses.count(200) == 10, statuses
        assert statuses.count(429) == 30, statuses
        assert all(1 <= int(retry) <= 6 for status, retry, _ in answers if status == 429)
        for d in daemons:  # nginx spread them: every instance answered some
            assert "event=issued" in d.stderr_text() or "status=429" in d.stderr_text()
        # a reload starts no bucket afresh: the bucket lives in the store
        daemons[0].proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_TIMEOUT
        while "reload" not in daemons[0].stderr_text().lower():
            assert time.monotonic() < deadline, "no reload line"
            time.sleep(0.1)
        assert ask(daemons[0])[0] == 429
        assert ask(daemons[1], "bob")[0] == 200  # bob has his own bucket


def test_store_failure_open_and_closed_then_recovery(daemon_factory, tmp_path):
    with running_redis(tmp_path) as redis:
        url = f"redis://127.0.0.1:{redis.port}/0"
        opened = daemon_factory(config(tmp_path, url, "open", prefix="open", extra="revocations_on_failure = open\n"))
        closed = daemon_factory(config(tmp_path, url, "closed", prefix="closed",
                                       extra="revocations_on_failure = open\n"))  # the rates' answer alone
        assert ask(opened)[0] == ask(closed)[0] == 200
        assert ready(closed) == 200
        limit_s = (TIMEOUT_MS + SLACK_MS) / 1000

        for how in ("stopped", "killed"):  # silent (every step times out), then gone (refused at once)
            if how == "stopped":
                redis.proc.send_signal(signal.SIGSTOP)
            else:
                redis.stop()
            for _ in range(3):
                status, _, seconds = ask(opened)
                assert status == 200 and seconds < limit_s, (how, status, seconds)
                status, retry, seconds = ask(closed)
                assert status == 503 and retry == "1" and seconds < limit_s, (how, status, seconds)
            deadline = time.monotonic() + 5
            while ready(closed) != 503:  # the health check notices within a second or so
                assert time.monotonic() < deadline, "readyz stays 200 with the store unreachable"
                time.sleep(0.1)
            assert ready(opened) == 200  # open on failure: the store is no reason to be unready
            if how == "stopped":
                redis.proc.send_signal(signal.SIGCONT)
                deadline = time.monotonic() + 5
                while ask(closed)[0] != 200:
                    assert time.monotonic() < deadline, "no recovery after SIGCONT"
                    time.sleep(0.1)

        redis.start()  # the same port, empty: negotiated reconnects and loads the script again
        deadline = time.monotonic() + 5
        while ask(closed)[0] != 200:
            assert time.monotonic() < deadline, "no recovery after redis-server restarted"
            time.sleep(0.1)
        assert ready(closed) == 200
        statuses = [ask(closed)[0] for _ in range(12)]
        assert 429 in statuses  # counted in the store again
        metrics = closed.request("GET", "/metrics").body.decode()
        assert 'negotiated_store_rate_failures_total{decision="closed"}' in metrics
        assert "negotiated_store_up 1" in metrics


def make_tls(directory):
    if not shutil.which("openssl"):
        pytest.fail("openssl is not installed (see .ci/install-deps)")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", f"{directory}/ca.key", "-out", f"{directory}/ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", f"{directory}/redis.key",
        "-out", f"{directory}/redis.csr")
    (directory / "ext").write_text("subjectAltName=DNS:localhost\n")
    run("x509", "-req", "-in", f"{directory}/redis.csr", "-CA", f"{directory}/ca.pem", "-CAkey",
        f"{directory}/ca.key", "-CAcreateserial", "-days", "1", "-extfile", f"{directory}/ext",
        "-out", f"{directory}/redis.pem")


def start_failing(tmp_path, text):
    path = tmp_path / "failing.conf"
    path.write_text(text)
    return subprocess.run(command("-c", str(path), "--listen", f"127.0.0.1:{free_port()}"), capture_output=True,
                          text=True, timeout=START_TIMEOUT, env=child_env())


def test_tls_with_an_acl_user_and_a_wrong_password(daemon_factory, tmp_path):
    make_tls(tmp_path)
    password = remember_secret("s3cret-" + secrets.token_hex(12))
    tls_args = ["--tls-cert-file", str(tmp_path / "redis.pem"), "--tls-key-file", str(tmp_path / "redis.key"),
                "--tls-ca-cert-file", str(tmp_path / "ca.pem"), "--tls-auth-clients", "no",
                "--user", "default", "off", "--user", "fleet", "on", f">{password}", *ACL_RIGHTS]
    (tmp_path / "password").write_text(password + "\n")
    (tmp_path / "password").chmod(0o600)
    (tmp_path / "wrong").write_text("not-the-password\n")
    (tmp_path / "wrong").chmod(0o600)
    with running_redis(tmp_path, tls_args, tls=True) as redis:
        url = f"rediss://localhost:{redis.port}/0"
        extra = f"user = fleet\nca_file = {tmp_path}/ca.pem\n"
        daemon = daemon_factory(config(tmp_path, url, "closed", extra=extra + f"password_file = {tmp_path}/password\n"))
        statuses = [ask(daemon)[0] for _ in range(11)]
        assert statuses == [200] * 10 + [429], statuses
        assert ready(daemon) == 200

        # a reload with a wrong password is refused like any bad file: the running store stays
        conf = tmp_path / "negotiated-0.conf"
        conf.write_text(conf.read_text().replace(f"{tmp_path}/password", f"{tmp_path}/wrong"))
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_TIMEOUT
        while "reload failed" not in daemon.stderr_text():
            assert time.monotonic() < deadline, daemon.stderr_text()
            time.sleep(0.1)
        assert "WRONGPASS" in daemon.stderr_text()
        assert ask(daemon)[0] == 429 and ask(daemon, "bob")[0] == 200  # the same store, still counting

        wrong = start_failing(tmp_path, config(tmp_path, url, extra=extra + f"password_file = {tmp_path}/wrong\n"))
        assert wrong.returncode != 0
        assert "[store]" in wrong.stderr and "WRONGPASS" in wrong.stderr, wrong.stderr
        assert "not-the-password" not in wrong.stderr and password not in wrong.stderr

        # the server's certificate is checked: without our CA the system store refuses it
        untrusted = start_failing(tmp_path, config(
            tmp_path, url, extra=f"user = fleet\npassword_file = {tmp_path}/password\n"))
        assert untrusted.returncode != 0 and "certificate" in untrusted.stderr, untrusted.stderr
        # and its name: 127.0.0.1 is not the certificate's name
        misnamed = start_failing(tmp_path, config(
            tmp_path, f"rediss://127.0.0.1:{redis.port}/0", extra=extra + f"password_file = {tmp_path}/password\n"))
        assert misnamed.returncode != 0 and "certificate" in misnamed.stderr, misnamed.stderr


def test_unix_socket_and_requirepass(daemon_factory, tmp_path):
    sock = tmp_path / "redis.sock"
    password = remember_secret(secrets.token_hex(16))
    with running_redis(tmp_path, ["--unixsocket", str(sock), "--unixsocketperm", "700", "--requirepass", password]):
        env_text = config(tmp_path, f"unix:{sock}?db=5", "closed", extra="password_env = STORE_PASSWORD\n")
        path = tmp_path / "unix.conf"
        path.write_text(env_text)
        daemon = daemon_factory(env_text, env={"STORE_PASSWORD": password})
        statuses = [ask(daemon)[0] for _ in range(11)]
        assert statuses == [200] * 10 + [429], statuses
        # no password at all: NOAUTH is a clear error at start too
        missing = start_failing(tmp_path, config(tmp_path, f"unix:{sock}"))
        assert missing.returncode != 0 and "NOAUTH" in missing.stderr, missing.stderr


def test_check_config_names_store_mistakes(tmp_path):
    text = config(tmp_path, "redis://user:pw@127.0.0.1:6379/0", prefix="bad/prefix",
                  extra="password_file = /run/pw\npassword_env = X\n")
    path = tmp_path / "bad.conf"
    path.write_text(text)
    result = subprocess.run(command("--check-config", "-c", str(path)), capture_output=True, text=True,
                            timeout=START_TIMEOUT, env=child_env())
    assert result.returncode != 0
    for needle in ("url: the URL may not hold a user or password", "password_file: set at most one",
                   "prefix: 1 to 64", ":19: prefix"):
        assert needle in result.stderr, result.stderr
    assert "pw@" not in result.stderr


# --- the revocation list in the store (issue 23 item 3) ---

PROPAGATION_LIMIT_S = 3.0 if WRAPPER else 1.0  # the bound: within a second (valgrind: slower)


class CuttableProxy:
    """A TCP relay to redis-server that the test can cut (every connection dropped, new ones refused)
    and restore on the same port: one instance cut off while the others keep the store."""

    def __init__(self, target_port):
        import threading
        self.target = target_port
        self.port = free_port()
        self.lock = threading.Lock()
        self.conns = []
        self.listener = None
        self.restore()

    def restore(self):
        import threading
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        import threading
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self):
        self.cut()


@pytest.fixture
def sockets():
    """A short directory for the admin sockets (a unix socket path holds at most 107 bytes)."""
    import tempfile
    from pathlib import Path
    directory = Path(tempfile.mkdtemp(prefix="ngd-fleet-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


GATE_HOST = "gate.webpubsub.azure.com"


def gate(daemon, service, user):
    """The status of a signed connect event for USER at DAEMON's connect gate (hub chat)."""
    import hashlib
    import hmac
    import uuid
    connection = str(uuid.uuid4())
    mac = hmac.new(service.key.encode(), connection.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "ce-awpsversion": "1.0",
               "ce-type": "azure.webpubsub.sys.connect", "ce-hub": "chat", "ce-connectionId": connection,
               "ce-signature": f"sha256={mac}", "WebHook-Request-Origin": GATE_HOST, "ce-userId": user}
    body = json.dumps({"claims": {"sub": [user]}})
    return daemon.request("POST", "/api/webpubsub/hubs/chat/", body=body, headers=headers).status


def fleet_config(tmp_path, url, sock, on_failure="closed", prefix="revoke", service=None):
    return config(tmp_path, url, "open", prefix=prefix, extra=f"revocations_on_failure = {on_failure}\n",
                  server_extra=f"admin_socket = {sock}\n", service=service,
                  hub_extra="connect_gate = yes\n" if service else "")


def revoke_on(sock, *args):
    return run_cli("revoke", "--socket", str(sock), *args)


def until_all(daemons, user, want, limit_s):
    """Seconds until every daemon of DAEMONS answers WANT to USER (polled); fails after LIMIT_S."""
    start = time.monotonic()
    pending = list(daemons)
    while pending:
        pending = [d for d in pending if ask(d, user)[0] != want]
        elapsed = time.monotonic() - start
        assert elapsed < limit_s or not pending, f"{len(pending)} instance(s) still not {want} after {elapsed:.3f} s"
        if pending:
            time.sleep(0.005)
    return time.monotonic() - start


def test_a_revocation_reaches_every_instance_within_a_second(daemon_factory, tmp_path, sockets):
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    with running_redis(tmp_path) as redis:
        url = f"redis://127.0.0.1:{redis.port}/1"
        socks = [sockets / f"admin-{i}.sock" for i in range(3)]
        daemons = [daemon_factory(fleet_config(tmp_path, url, sock)) for sock in socks]
        a, b, c = daemons
        assert [ask(d)[0] for d in daemons] == [200, 200, 200]
        started = time.monotonic()
        out = revoke_on(socks[0], "--user", "alice", "--reason", "laptop stolen")
        answered = time.monotonic()
        assert out.returncode == 0, out.stderr
        assert ask(a)[0] == 403  # where it was made: at once
        seconds = until_all([b, c], "alice", 403, PROPAGATION_LIMIT_S)
        print(f"revocation on A refused on B and C after {seconds * 1000:.1f} ms "
              f"(CLI {(answered - started) * 1000:.1f} ms)")
        assert ask(b, "bob")[0] == 200
        listed = json.loads(revoke_on(socks[2], "--list", "--json").stdout)["entries"]
        assert [e["user"] for e in listed] == ["alice"] and listed[0]["reason"] == "laptop stolen"
        with running_nginx(nginx_dir, daemons) as port:
            assert {ask(port)[0] for _ in range(9)} == {403}

        out = revoke_on(socks[1], "--lift", "--user", "alice")  # lifted on another instance
        assert out.returncode == 0, out.stderr
        assert ask(b)[0] == 200
        seconds = until_all([a, c], "alice", 200, PROPAGATION_LIMIT_S)
        print(f"lift on B reached A and C after {seconds * 1000:.1f} ms")
        assert json.loads(revoke_on(socks[0], "--list", "--json").stdout)["entries"] == []
        # a per-hub entry and a lift of every hub of a user travel too
        assert revoke_on(socks[2], "--user", "bob", "--hub", "chat").returncode == 0
        until_all([a, b], "bob", 403, PROPAGATION_LIMIT_S)
        assert revoke_on(socks[0], "--lift", "--user", "bob").returncode == 0
        until_all([b, c], "bob", 200, PROPAGATION_LIMIT_S)
        assert "negotiated_store_revocations_current 1" in b.request("GET", "/metrics").body.decode()

        # a reload starts B's sync afresh (the list is the process's): it keeps following the store
        b.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_TIMEOUT
        while "reload: serving the new configuration" not in b.stderr_text():
            assert time.monotonic() < deadline, "no reload line"
            time.sleep(0.1)
        assert ready(b) == 200
        assert revoke_on(socks[0], "--user", "carol").returncode == 0
        until_all([b], "carol", 403, PROPAGATION_LIMIT_S)
        assert revoke_on(socks[1], "--lift", "--user", "carol").returncode == 0  # B writes through
        until_all([a, c], "carol", 200, PROPAGATION_LIMIT_S)


def test_revocations_when_the_store_fails(daemon_factory, tmp_path, sockets):
    with running_redis(tmp_path) as redis:
        url = f"redis://127.0.0.1:{redis.port}/2"
        closed_sock, open_sock = sockets / "closed.sock", sockets / "open.sock"
        service = Service.new(endpoint=f"https://{GATE_HOST}")  # the connect gate's events come from it
        closed = daemon_factory(fleet_config(tmp_path, url, closed_sock, "closed", prefix="rclosed", service=service))
        opened = daemon_factory(fleet_config(tmp_path, url, open_sock, "open", prefix="ropen"))
        for sock in (closed_sock, open_sock):
            assert revoke_on(sock, "--user", "bob").returncode == 0
        assert ask(closed, "bob")[0] == ask(opened, "bob")[0] == 403
        assert ready(closed) == ready(opened) == 200
        assert gate(closed, service, "alice") == 204 and gate(closed, service, "bob") == 401
        limit_s = (TIMEOUT_MS + SLACK_MS) / 1000

        redis.stop()
        start = time.monotonic()
        while True:  # stale once the subscriber has been down FLEET_STALE_DOWN_MS (2 s)
            status, retry, seconds = ask(closed)
            assert seconds < limit_s, seconds
            if status == 503:
                break
            assert status == 200 and time.monotonic() - start < 5, "closed keeps answering from a stale list"
            time.sleep(0.05)
        print(f"closed: 503 after {time.monotonic() - start:.2f} s without the store")
        assert retry == "2"
        assert ready(closed) == 503
        assert "negotiated_store_revocations_current 0" in closed.request("GET", "/metrics").body.decode()
        assert gate(closed, service, "alice") == 503  # the connect gate admits no connect either
        for user in ("alice", "bob"):
            status, _, seconds = ask(closed, user)
            assert status == 503 and seconds < limit_s, (user, status, seconds)
        # open: served from the local copy (bob stays refused), and ready
        assert ask(opened)[0] == 200 and ask(opened, "bob")[0] == 403
        assert ready(opened) == 200
        assert "the local copy may be stale" in opened.stderr_text()
        # a change the store cannot record is an error to the operator, never local only
        out = revoke_on(open_sock, "--user", "alice")
        assert out.returncode != 0 and "[store]" in out.stderr, (out.returncode, out.stderr)
        assert ask(opened)[0] == 200

        redis.start()  # the same port, empty: the instances give it their copies back
        deadline = time.monotonic() + 5
        while ask(closed)[0] != 200:
            assert time.monotonic() < deadline, "no recovery after redis-server restarted"
            time.sleep(0.1)
        assert ready(closed) == 200
        assert ask(closed, "bob")[0] == 403 and ask(opened, "bob")[0] == 403
        assert gate(closed, service, "alice") == 204 and gate(closed, service, "bob") == 401
        listed = json.loads(revoke_on(closed_sock, "--list", "--json").stdout)["entries"]
        assert [e["user"] for e in listed] == ["bob"]
        assert "the store held no list" in closed.stderr_text()


def test_a_change_made_while_an_instance_was_cut_off_reaches_it(daemon_factory, tmp_path, sockets):
    with running_redis(tmp_path) as redis:
        proxy = CuttableProxy(redis.port)
        try:
            a_sock, c_sock = sockets / "a.sock", sockets / "c.sock"
            a = daemon_factory(fleet_config(tmp_path, f"redis://127.0.0.1:{redis.port}/4", a_sock))
            c = daemon_factory(fleet_config(tmp_path, f"redis://127.0.0.1:{proxy.port}/4", c_sock, "open"))
            assert revoke_on(a_sock, "--user", "alice").returncode == 0
            until_all([c], "alice", 403, PROPAGATION_LIMIT_S)

            proxy.cut()
            deadline = time.monotonic() + 5
            while "the local copy may be stale" not in c.stderr_text():
                assert time.monotonic() < deadline, "the cut-off instance did not notice"
                time.sleep(0.1)
            assert revoke_on(a_sock, "--lift", "--user", "alice").returncode == 0
            assert revoke_on(a_sock, "--user", "bob").returncode == 0
            assert ask(a)[0] == 200 and ask(a, "bob")[0] == 403
            time.sleep(1)
            assert ask(c)[0] == 403 and ask(c, "bob")[0] == 200  # cut off: its last copy

            proxy.restore()
            start = time.monotonic()
            until_all([c], "alice", 200, 5)
            until_all([c], "bob", 403, 5)
            print(f"the cut-off instance caught up {time.monotonic() - start:.2f} s after the link came back")
            assert "following the store again" in c.stderr_text()
        finally:
            proxy.close()
