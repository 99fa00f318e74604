# SPDX-License-Identifier: Apache-2.0
"""Shared helpers and fixtures: the real negotiated daemon on a loopback port or a unix socket.

Environment:
  NEGOTIATED_BIN      the binary (default: <repo>/src/negotiated)
  NEGOTIATED_WRAPPER  a command prefix for every run of the binary, e.g. "valgrind --error-exitcode=99"
  NEGOTIATED_LOG_DIR  where the session's logs are kept for tests/secrets/check.sh (default:
                      <repo>/build/logs/daemon/integration); the secrets the session drew go to
                      <repo>/build/secrets/<that directory's name>.list; under pytest -n each worker
                      keeps its own (a gw0/ subdirectory, <name>-gw0.list)
"""
import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

# The files tests write hold secrets (keys, connection strings), and the daemon refuses one that
# every user may read: written 0600 unless a test says otherwise.
os.umask(0o077)
REPO = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("NEGOTIATED_BIN", str(REPO / "src" / "negotiated"))
WRAPPER = shlex.split(os.environ.get("NEGOTIATED_WRAPPER", ""))
START_TIMEOUT = 60 if WRAPPER else 10  # seconds to become healthy, or for a CLI run to finish
STOP_TIMEOUT = 30 if WRAPPER else 5  # seconds between SIGTERM and SIGKILL
# A running daemon writes its log lines in batches, at most LOG_FLUSH_MS (100 ms) after they were
# logged (core/log_batch.h): a test reads the log of a running daemon once that has passed.
LOG_FLUSH_WAIT = 0.6 if WRAPPER else 0.25
REQUEST_TIMEOUT = 30 if WRAPPER else 10
ENDPOINT = "https://example.webpubsub.azure.com"
CLIENT_PATHS = {
    "default": "client/hubs/{}",
    "mqtt": "clients/mqtt/hubs/{}",
    "socketio": "clients/socketio/hubs/{}",
}
ANON_USER = re.compile(r"anon-[0-9a-f]{16}")
SESSION_LOG_DIR = Path(os.environ.get("NEGOTIATED_LOG_DIR", REPO / "build" / "logs" / "daemon" / "integration"))
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1... under pytest -n: each keeps its own
LOG_DIR = SESSION_LOG_DIR / WORKER if WORKER else SESSION_LOG_DIR
SECRETS_LIST = REPO / "build" / "secrets" / f"{SESSION_LOG_DIR.name}{'-' + WORKER if WORKER else ''}.list"
THIRD_PARTY_LOGS = {"glewlwyd.log"}  # other programs' own logs: what they print is not ours to check
MIN_SECRET_CHARS = 16  # shorter random values are user ids and names, which logs may show

# Every secret the suite uses, for tests/secrets/check.sh: whatever a test draws from the secrets
# module (keys, API keys, passwords, JWT secrets), every JWT it signs and every token it is given.
used_secrets = set()


def remember_secret(text):
    if isinstance(text, str) and len(text) >= MIN_SECRET_CHARS:
        used_secrets.add(text)
    return text


def _remembering(draw, *forms):
    def wrapper(*args, **kwargs):
        value = draw(*args, **kwargs)
        for form in forms or (lambda v: v,):
            remember_secret(form(value))
        return value
    return wrapper


secrets.token_hex = _remembering(secrets.token_hex)
secrets.token_urlsafe = _remembering(secrets.token_urlsafe)
secrets.token_bytes = _remembering(secrets.token_bytes, lambda b: base64.b64encode(b).decode(),
                                   lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="), bytes.hex)
jwt.encode = _remembering(jwt.encode)
_jwt_decode = jwt.decode


def _remembering_decode(token, *args, **kwargs):  # the tokens the daemon answered
    remember_secret(token.decode() if isinstance(token, bytes) else token)
    return _jwt_decode(token, *args, **kwargs)


jwt.decode = _remembering_decode


def command(*args):
    return [*WRAPPER, BINARY, *args]


def child_env(extra=None):
    """The test's environment without a stray connection string, plus extra."""
    env = {k: v for k, v in os.environ.items() if k != "WEBPUBSUB_CONNECTION_STRING"}
    env.update(extra or {})
    return env


def without_wrapper_lines(text):
    """Drops valgrind's own "==PID== ..." lines so that the daemon's output can be checked exactly."""
    return "".join(line for line in text.splitlines(keepends=True) if not re.match(r"==\d+==", line))


def run_cli(*args, env=None):
    result = subprocess.run(command(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=START_TIMEOUT, env=child_env(env))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "cli-stderr.log", "a") as log:  # its messages, for tests/secrets/check.sh
        log.write(result.stderr)
    result.stderr = without_wrapper_lines(result.stderr)
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    """A Web PubSub service: endpoint (normalised, ending with '/') and a random access key."""
    endpoint: str
    key: str

    @classmethod
    def new(cls, endpoint=ENDPOINT):
        # 44 base64 characters ending with '=', like a real key: the parser must split on the first '='.
        return cls(endpoint.rstrip("/") + "/", base64.b64encode(secrets.token_bytes(32)).decode())

    @property
    def connection_string(self):
        return f"Endpoint={self.endpoint.rstrip('/')};AccessKey={self.key};Version=1.0;"


def decode_token(token, key, audience):
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    return jwt.decode(token, key, algorithms=["HS256"], audience=audience,
                      options={"require": ["aud", "iat", "exp"]})


def check_client_access(body, key, endpoint, hub, protocol="default"):
    """Checks a {"baseUrl","url","token"} object for HUB on ENDPOINT (http(s), ending '/'); returns the claims.
    For socketio the object also has the Socket.IO extension's "endpoint" (the URL's origin) and "path"."""
    path = CLIENT_PATHS[protocol].format(hub)
    if protocol == "socketio":
        assert set(body) == {"baseUrl", "url", "token", "endpoint", "path"}
        origin, _, rest = body["baseUrl"].partition("://")[2].partition("/")
        assert body["endpoint"] == body["baseUrl"].split("://")[0] + "://" + origin.lower()
        assert body["path"] == "/" + rest.replace("`", "%60")
    else:
        assert set(body) == {"baseUrl", "url", "token"}
    assert body["baseUrl"] == "ws" + endpoint[len("http"):] + path
    assert body["url"] == body["baseUrl"] + "?access_token=" + body["token"]
    claims = decode_token(body["token"], key, endpoint + path)
    assert abs(claims["iat"] - time.time()) < 120
    return claims


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def read_reply(response):
    return Reply(response.status, response.headers, response.read())


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Daemon:
    def __init__(self, proc, listen, log_path):
        self.proc = proc
        self.listen = listen
        self.log_path = log_path
        self.unix_path = listen[len("unix:"):] if listen.startswith("unix:") else None
        self.port = None if self.unix_path else int(listen.rsplit(":", 1)[1])
        self.url = None if self.unix_path else f"http://127.0.0.1:{self.port}"

    def stderr_text(self):
        """Everything the daemon wrote (stdout is merged into stderr), once what it logged so far
        has been written."""
        if self.proc.poll() is None:
            time.sleep(LOG_FLUSH_WAIT)
        return self.log_path.read_text(errors="replace")

    def connection(self, timeout=REQUEST_TIMEOUT):
        if self.unix_path:
            return UnixHTTPConnection(self.unix_path, timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, target, body=None, headers=None, timeout=REQUEST_TIMEOUT):
        headers = dict(headers or {})
        if body:
            headers.setdefault("Content-Type", "application/json")
        conn = self.connection(timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            return read_reply(conn.getresponse())
        finally:
            conn.close()

    def wait_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"daemon exited with {self.proc.returncode} before becoming healthy:\n"
                            + self.stderr_text())
            try:
                if self.request("GET", "/healthz", timeout=1).status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"daemon not healthy within {START_TIMEOUT}s:\n" + self.stderr_text())
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        """Signals the daemon and reaps it (SIGKILL after STOP_TIMEOUT); returns a problem or None."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return f"daemon on {self.listen} still running {STOP_TIMEOUT}s after {sig.name}; killed"
        if self.proc.returncode != 0:
            return (f"daemon on {self.listen} exited with {self.proc.returncode} (expected 0):\n"
                    + self.stderr_text()[-4000:])
        return None


@contextlib.contextmanager
def daemon_starter(directory):
    """Yields start(config_text, extra_files=None, listen=None, args=(), env=None) -> Daemon.

    extra_files maps names to contents, written next to the config in DIRECTORY. config_text None
    starts without -c (for --dev). listen defaults to 127.0.0.1 on a free port. Every daemon started
    is stopped on exit, and must have exited 0 after SIGTERM.
    """
    started = []

    def start(config_text, extra_files=None, listen=None, args=(), env=None):
        n = len(started)
        for name, text in (extra_files or {}).items():
            (directory / name).write_text(text)
        argv = list(args)
        if config_text is not None:
            config = directory / f"negotiated-{n}.conf"
            config.write_text(config_text)
            argv += ["-c", str(config)]
        listen = listen or f"127.0.0.1:{free_port()}"
        log_path = directory / f"negotiated-{n}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command(*argv, "--listen", listen), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, env=child_env(env))
        daemon = Daemon(proc, listen, log_path)
        started.append(daemon)
        daemon.wait_healthy()
        return daemon

    try:
        yield start
    finally:
        problems = [problem for daemon in started if (problem := daemon.stop())]
        if problems:
            pytest.fail("\n".join(problems))


@pytest.fixture
def daemon_factory(tmp_path):
    with daemon_starter(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def module_daemon_factory(tmp_path_factory):
    with daemon_starter(tmp_path_factory.mktemp("daemon")) as start:
        yield start


@pytest.fixture(scope="session", autouse=True)
def kept_logs(tmp_path_factory):
    """After the session: every *.log its tests wrote (daemons' stderr, access logs, nginx's logs)
    is copied under LOG_DIR, and the secrets it used are listed in SECRETS_LIST (mode 0600), for
    tests/secrets/check.sh, which fails when a log holds one of them."""
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    yield
    base = tmp_path_factory.getbasetemp()
    for log in base.rglob("*.log"):
        if log.is_file() and log.name not in THIRD_PARTY_LOGS:
            kept = LOG_DIR / log.relative_to(base)
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, kept)
    SECRETS_LIST.parent.mkdir(parents=True, exist_ok=True)
    with open(os.open(SECRETS_LIST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.writelines(secret + "\n" for secret in sorted(used_secrets) if "\n" not in secret)
