# SPDX-License-Identifier: Apache-2.0
"""[store] through Redis Sentinel (url = redis-sentinel://...#MASTER): Debian's redis-server as a
primary, a replica (--replicaof) and a sentinel (redis-server FILE --sentinel), all on loopback and
stopped after. The daemon finds the primary through the sentinels (the first in its list is down:
the next is asked), logs in to the sentinel as its own ACL user; when the primary is killed and
the sentinel promotes the replica, the same negotiated process counts in the new primary (a user's
bucket stays exact, the key is there), its revocation subscriber follows too, and the log names the
new primary; a -READONLY answer closes the connection. rediss-sentinel:// checks the sentinel's and
the primary's certificates. Every sentinel unreachable or silent: the configured failure answer within timeout +
100 ms. A primary name no sentinel knows, or a wrong sentinel password: a clear error at start."""
import contextlib
import secrets
import socket
import subprocess
import threading
import time

from conftest import START_TIMEOUT, WRAPPER, command, child_env, free_port, remember_secret
from test_store import ACL_RIGHTS, SLACK_MS, TIMEOUT_MS, Redis, ask, binary, config, ready, start_failing

MASTER = "fleetmaster"
DOWN_AFTER_MS = 500  # how long the primary must be silent before the sentinel fails over
# from the promotion until negotiated answers from the new primary: the health check (500 ms), the
# circuit's backoff (at most 2 s) and the revocation subscriber's reconnect and full read
RECOVERY_S = 15.0 if WRAPPER else 5.0
FAILOVER_S = 15.0  # the sentinel's own work: down-after, the election (one sentinel), the promotion

SENTINEL_CONF = """\
port {port}
bind 127.0.0.1
dir {dir}
sentinel monitor {master} 127.0.0.1 {primary} 1
sentinel down-after-milliseconds {master} {down_after}
sentinel failover-timeout {master} 2000
user default off
user watcher on >{password} +sentinel|get-master-addr-by-name
user admin on >{admin} +@all
"""


def resp(port, *args, auth=None, db=None, timeout=2.0):
    """One command to the Redis server or sentinel on PORT (after AUTH *auth, SELECT db): its reply,
    errors as RuntimeError. A few lines of RESP, so the test needs no client library."""
    first = ([("AUTH", *auth)] if auth else []) + ([("SELECT", db)] if db is not None else [])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        reader = s.makefile("rb")
        for command_args in first + [args]:
            s.sendall(b"".join([f"*{len(command_args)}\r\n".encode()] + [
                f"${len(str(a).encode())}\r\n{a}\r\n".encode() for a in command_args]))
            reply = read_resp(reader)
        return reply


def read_resp(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RuntimeError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if rest == "-1" else reader.read(int(rest) + 2)[:-2].decode()
    if kind == b"*":
        return None if rest == "-1" else [read_resp(reader) for _ in range(int(rest))]
    raise RuntimeError(f"unexpected reply {line!r}")


class Sentinel(Redis):
    """A sentinel watching PRIMARY_PORT's server as MASTER, with its own config file (it rewrites it)."""

    def __init__(self, directory, primary_port, password, admin):
        super().__init__(directory)
        self.conf = directory / "sentinel.conf"
        self.conf.write_text(SENTINEL_CONF.format(port=self.port, dir=directory, master=MASTER, primary=primary_port,
                                                  down_after=DOWN_AFTER_MS, password=password, admin=admin))
        self.admin = ("admin", admin)

    def argv(self, tls):
        return [binary("redis-server"), str(self.conf), "--sentinel"]

    def primary_port(self):
        host, port = resp(self.port, "SENTINEL", "get-master-addr-by-name", MASTER, auth=self.admin)
        assert host == "127.0.0.1"
        return int(port)

    def knows_a_healthy_replica(self):
        replicas = resp(self.port, "SENTINEL", "replicas", MASTER, auth=self.admin)
        fields = [dict(zip(r[::2], r[1::2])) for r in replicas]
        return any(f["flags"] == "slave" and f["master-link-status"] == "ok" for f in fields)


@contextlib.contextmanager
def stale_sentinel(primary_port):
    """A sentinel on a free port that names 127.0.0.1:PRIMARY_PORT to every command, as one that
    has not yet heard of a failover would. Yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    answer = f"*2\r\n$9\r\n127.0.0.1\r\n${len(str(primary_port))}\r\n{primary_port}\r\n".encode()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError, RuntimeError):
                    read_resp(conn.makefile("rb"))
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@contextlib.contextmanager
def started(servers):
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in reversed(servers):
            server.stop()


def until(what, limit_s, step=0.05):
    deadline = time.monotonic() + limit_s
    while not what():
        assert time.monotonic() < deadline, f"not within {limit_s} s: {what.__doc__ or what}"
        time.sleep(step)
    return time.monotonic()


def secret_file(path, value):
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path


def hourly(text):
    """test_store's config with 10 tokens an hour rather than a minute: none comes back while a
    test counts, even under valgrind."""
    assert "rate_per_user = 10/min" in text
    return text.replace("rate_per_user = 10/min", "rate_per_user = 10/hour")


def rate_keys(port, db, prefix):
    return resp(port, "KEYS", f"negotiated:{prefix}:rate:*", db=db)


def test_a_failover_moves_every_connection_to_the_new_primary(daemon_factory, tmp_path):
    data_password = remember_secret("data-" + secrets.token_hex(12))
    sentinel_password = remember_secret("watch-" + secrets.token_hex(12))
    admin = secrets.token_hex(12)
    # the default user (no password) replicates and is what the sentinel uses; negotiated logs in
    # as "fleet" with the rights several-instances.md lists for a sentinel url, and no more
    data_acl = ["--user", "fleet", "on", f">{data_password}", *ACL_RIGHTS, "+role",
                "--user", "norole", "on", f">{data_password}", *ACL_RIGHTS]
    dirs = [tmp_path / name for name in ("primary", "replica", "sentinel")]
    for d in dirs:
        d.mkdir()
    primary = Redis(dirs[0], data_acl)
    replica = Redis(dirs[1], data_acl + ["--replicaof", "127.0.0.1", str(primary.port)])
    sentinel = Sentinel(dirs[2], primary.port, sentinel_password, admin)
    down = free_port()  # the first sentinel of the list does not answer: the next is asked
    url = f"redis-sentinel://127.0.0.1:{down},127.0.0.1:{sentinel.port}/2#{MASTER}"
    login = (f"user = fleet\npassword_file = {secret_file(tmp_path / 'data-password', data_password)}\n"
             f"sentinel_user = watcher\n")
    sentinel_file = secret_file(tmp_path / "sentinel-password", sentinel_password)
    with started([primary, replica, sentinel]):
        until(sentinel.knows_a_healthy_replica, FAILOVER_S, step=0.1)
        daemon = daemon_factory(hourly(config(tmp_path, url, "closed", prefix="sentinel",
                                              extra=login + f"sentinel_password_file = {sentinel_file}\n")))
        assert [ask(daemon)[0] for _ in range(4)] == [200] * 4
        assert f"the primary of '{MASTER}' is 127.0.0.1:{primary.port}" in daemon.stderr_text()
        assert len(rate_keys(primary.port, 2, "sentinel")) == 1
        assert resp(primary.port, "WAIT", 1, 5000) == 1  # alice's bucket is on the replica too

        # configuration errors are clear at start: a name no sentinel knows, a wrong sentinel password
        unknown = start_failing(tmp_path, config(tmp_path, url.replace(MASTER, "nosuch"), extra=login +
                                                 f"sentinel_password_file = {sentinel_file}\n"))
        assert unknown.returncode != 0, unknown.stderr
        assert "no sentinel knows a primary named 'nosuch'" in unknown.stderr, unknown.stderr
        wrong = start_failing(tmp_path, config(tmp_path, url, extra=login + "sentinel_password_file = "
                                               f"{secret_file(tmp_path / 'wrong', 'not-the-password')}\n"))
        assert wrong.returncode != 0 and "WRONGPASS" in wrong.stderr, wrong.stderr
        assert sentinel_password not in wrong.stderr and "not-the-password" not in wrong.stderr
        # and a data user without +role: the primary cannot be checked
        norole = start_failing(tmp_path, config(tmp_path, url, extra=login.replace("user = fleet", "user = norole")
                                                + f"sentinel_password_file = {sentinel_file}\n"))
        assert norole.returncode != 0 and "ROLE refused: NOPERM" in norole.stderr, norole.stderr

        # a write answered -READONLY (as a demoted primary would) closes that connection, so that
        # the next call opens a new one: here, a url naming the replica itself
        to_replica = daemon_factory(config(tmp_path, f"redis://127.0.0.1:{replica.port}/2", "closed", prefix="ro",
                                           extra=login.replace("sentinel_user = watcher\n", "")
                                           + "revocations_on_failure = open\n"))
        assert ask(to_replica)[0] == 503
        assert "read-only replica now (READONLY)" in to_replica.stderr_text(), to_replica.stderr_text()

        # a sentinel's stale answer (it names the replica) never has us write to a replica: ROLE
        # says slave, the sentinels are asked again until the timeout, then the failure answer
        with stale_sentinel(replica.port) as stale:
            misled = daemon_factory(config(tmp_path, f"redis-sentinel://127.0.0.1:{stale}/2#{MASTER}", "closed",
                                           prefix="misled", extra=login.replace("sentinel_user = watcher\n", "")
                                           + "revocations_on_failure = open\n"))
            status, _, seconds = ask(misled)
            assert status == 503 and seconds < (TIMEOUT_MS + SLACK_MS) / 1000, (status, seconds)
            assert "it says it is not the primary (ROLE)" in misled.stderr_text(), misled.stderr_text()
            assert rate_keys(replica.port, 2, "misled") == []

        killed_at = time.monotonic()
        primary.stop()  # SIGKILL: the sentinel fails over to the replica
        limit_s = (TIMEOUT_MS + SLACK_MS) / 1000
        statuses = []

        def promoted():
            """the sentinel names the replica as the primary"""
            status, retry, seconds = ask(daemon, "bob")
            statuses.append(status)
            assert status in (200, 503) and seconds < limit_s, (status, retry, seconds)
            return sentinel.primary_port() == replica.port

        promoted_at = until(promoted, FAILOVER_S, step=0.1)
        assert 503 in statuses  # rate_on_failure = closed while no primary answered
        assert resp(replica.port, "ROLE")[0] == "master"

        def answers():
            """negotiated answers from the new primary"""
            return ask(daemon, "bob")[0] == 200
        recovered_s = until(answers, RECOVERY_S) - promoted_at
        # alice's bucket went on in the new primary: 4 before, exactly 6 more now
        statuses = [ask(daemon)[0] for _ in range(9)]
        assert statuses == [200] * 6 + [429] * 3, (statuses, recovered_s)
        assert len(rate_keys(replica.port, 2, "sentinel")) == 2  # alice's and bob's
        assert ready(daemon) == 200  # the revocation subscriber follows the primary too
        assert daemon.proc.poll() is None  # the same process: no restart
        assert f"the primary of '{MASTER}' is 127.0.0.1:{replica.port}" in daemon.stderr_text()
        print(f"promoted {promoted_at - killed_at:.2f} s after the kill; answers from the new primary "
              f"{recovered_s:.2f} s after that")


def test_every_sentinel_unreachable_or_silent_gives_the_failure_answer_in_time(daemon_factory, tmp_path):
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"redis-sentinel://127.0.0.1:{silent.getsockname()[1]},127.0.0.1:{free_port()}#{MASTER}"
        extra = "revocations_on_failure = open\n"  # the rates' answer alone
        closed = daemon_factory(config(tmp_path, url, "closed", prefix="closed", extra=extra))
        opened = daemon_factory(config(tmp_path, url, "open", prefix="open", extra=extra))
        limit_s = (TIMEOUT_MS + SLACK_MS) / 1000
        for _ in range(3):
            status, retry, seconds = ask(closed)
            assert status == 503 and retry == "1" and seconds < limit_s, (status, seconds)
            status, _, seconds = ask(opened)
            assert status == 200 and seconds < limit_s, (status, seconds)
        text = closed.stderr_text()
        assert "no sentinel named the primary" in text and "Connection refused" in text, text


def test_check_config_names_sentinel_mistakes(tmp_path):
    cases = [
        ("redis-sentinel://127.0.0.1:26379", "", "url: a sentinel URL ends with #MASTER"),
        ("redis-sentinel://" + ",".join(["127.0.0.1"] * 9) + "#m", "", "url: at most 8 sentinels"),
        ("redis-sentinel://a:1,b:0#m", "", "url: sentinel 2 of the list"),
        ("redis-sentinel://u:pw@a#m", "", "url: the URL may not hold a user or password"),
        ("redis://127.0.0.1:6379", "sentinel_password_env = X\n", "sentinel_password_env: only a redis-sentinel://"),
        ("redis-sentinel://a#m", "sentinel_user = w\n", "sentinel_user: a sentinel ACL user needs its password"),
        ("redis-sentinel://a#m", "sentinel_password_env = X\nsentinel_password_file = /x\n",
         "sentinel_password_file: set at most one"),
    ]
    for url, extra, needle in cases:
        path = tmp_path / "bad.conf"
        path.write_text(config(tmp_path, url, extra=extra))
        result = subprocess.run(command("--check-config", "-c", str(path)), capture_output=True, text=True,
                                timeout=START_TIMEOUT, env=child_env())
        assert result.returncode != 0 and needle in result.stderr, (url, extra, result.stderr)
        assert "pw@" not in result.stderr


def test_the_sentinels_own_password_from_the_environment(daemon_factory, tmp_path):
    # a sentinel that requires a password, for a primary that is not running: the password is read
    # from the environment (and sent: no NOAUTH), and the primary's absence is only a warning
    password = remember_secret(secrets.token_hex(16))
    (tmp_path / "sentinel").mkdir()
    sentinel = Sentinel(tmp_path / "sentinel", free_port(), password, secrets.token_hex(8))
    with started([sentinel]):
        daemon = daemon_factory(config(tmp_path, f"redis-sentinel://127.0.0.1:{sentinel.port}#{MASTER}", "closed",
                                       extra="sentinel_user = watcher\nsentinel_password_env = SENTINEL_PW\n"
                                       "revocations_on_failure = open\n"), env={"SENTINEL_PW": password})
        assert ask(daemon)[0] == 503
        text = daemon.stderr_text()
        assert f"the primary the sentinels name for '{MASTER}'" in text and "NOAUTH" not in text, text
        assert password not in text


def make_certificates(directory):
    """A CA, "named" (subjectAltName DNS:localhost) and "addressed" (IP:127.0.0.1) signed by it."""
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
        "-keyout", f"{directory}/ca.key", "-out", f"{directory}/ca.pem")
    for name, san in (("named", "DNS:localhost"), ("addressed", "IP:127.0.0.1")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{directory}/{name}.key",
            "-out", f"{directory}/{name}.csr")
        (directory / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        run("x509", "-req", "-in", f"{directory}/{name}.csr", "-CA", f"{directory}/ca.pem", "-CAkey",
            f"{directory}/ca.key", "-CAcreateserial", "-days", "1", "-extfile", f"{directory}/{name}.ext",
            "-out", f"{directory}/{name}.pem")


def tls_args(directory, name):
    return ["--tls-cert-file", f"{directory}/{name}.pem", "--tls-key-file", f"{directory}/{name}.key",
            "--tls-ca-cert-file", f"{directory}/ca.pem", "--tls-auth-clients", "no", "--tls-replication", "yes"]


def test_rediss_sentinel_checks_each_servers_certificate(daemon_factory, tmp_path):
    # the sentinel's certificate names localhost; the primary's holds the address the sentinel
    # announces (127.0.0.1); "other" is a primary whose certificate names only localhost
    binary("openssl")
    make_certificates(tmp_path)
    dirs = [tmp_path / name for name in ("primary", "other", "sentinel")]
    for d in dirs:
        d.mkdir()
    primary = Redis(dirs[0], tls_args(tmp_path, "addressed"))
    other = Redis(dirs[1], tls_args(tmp_path, "named"))
    password = secrets.token_hex(12)
    sentinel = Sentinel(dirs[2], primary.port, password, secrets.token_hex(8))
    tls = tls_args(tmp_path, "named")
    sentinel.conf.write_text(sentinel.conf.read_text().replace(f"port {sentinel.port}\n", "port 0\n").replace(
        "user default off\n", "user default on nopass +@all\n") + f"tls-port {sentinel.port}\n" + "".join(
        f"{tls[i][2:]} {tls[i + 1]}\n" for i in range(0, len(tls), 2)) +
        f"sentinel monitor other 127.0.0.1 {other.port} 1\n")
    primary.start(tls=True)
    other.start(tls=True)
    try:
        with started([sentinel]):
            extra = f"ca_file = {tmp_path}/ca.pem\n"
            daemon = daemon_factory(hourly(config(
                tmp_path, f"rediss-sentinel://localhost:{sentinel.port}/1#{MASTER}", "closed", extra=extra)))
            statuses = [ask(daemon)[0] for _ in range(11)]
            assert statuses == [200] * 10 + [429], statuses
            assert f"the primary of '{MASTER}' is 127.0.0.1:{primary.port}" in daemon.stderr_text()
            # the sentinel's name is checked: 127.0.0.1 is not in its certificate
            misnamed = start_failing(tmp_path, config(
                tmp_path, f"rediss-sentinel://127.0.0.1:{sentinel.port}#{MASTER}", extra=extra))
            assert misnamed.returncode != 0 and "certificate" in misnamed.stderr, misnamed.stderr
            # and the primary's address: "other" names only localhost, the sentinel announces 127.0.0.1
            unaddressed = start_failing(tmp_path, config(
                tmp_path, f"rediss-sentinel://localhost:{sentinel.port}#other", extra=extra))
            assert unaddressed.returncode != 0 and "certificate" in unaddressed.stderr, unaddressed.stderr
            assert f"127.0.0.1:{other.port}" in unaddressed.stderr, unaddressed.stderr
    finally:
        other.stop()
        primary.stop()
