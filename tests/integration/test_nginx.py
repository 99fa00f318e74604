"""A real nginx (Debian's nginx-light) in front of the daemon, from the shipped site file
etc/nginx/negotiated.conf: TLS on a loopback port, the daemon on a unix socket. Checks answers and
error bodies through it, the client address and request id the daemon sees, that a client's own
X-Forwarded-For is not believed, and the limit_req example."""
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import REQUEST_TIMEOUT, START_TIMEOUT, Service, check_client_access, free_port

REPO_SITE = os.path.join(os.path.dirname(__file__), "..", "..", "etc", "nginx", "negotiated.conf")
KEY = secrets.token_hex(16)
HEX32 = re.compile(r"[0-9a-f]{32}")

DAEMON_CONFIG = """\
[server]
access_log = {dir}/daemon-access.log

[service:main]
connection_string = {cs}

[hub:chat]
auth = keys
roles = webpubsub.joinLeaveGroup.lobby

[auth:keys]
type = apikey
file = {dir}/apikeys
"""

MAIN_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
	client_body_temp_path {dir}/tmp-body;
	proxy_temp_path {dir}/tmp-proxy;
	fastcgi_temp_path {dir}/tmp-fastcgi;
	uwsgi_temp_path {dir}/tmp-uwsgi;
	scgi_temp_path {dir}/tmp-scgi;
	include {dir}/site.conf;
}}
"""


def nginx_binary():
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not path:
        pytest.fail("nginx is not installed: apt-get install nginx-light (see .ci/install-deps)")
    return path


def site_for_test(directory, port, socket_path):
    """The shipped site with only what a test must change: port, certificate, socket, log."""
    text = open(REPO_SITE).read()
    replacements = [
        ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        ("/etc/ssl/certs/negotiate.example.com.pem", f"{directory}/cert.pem"),
        ("/etc/ssl/private/negotiate.example.com.key", f"{directory}/key.pem"),
        ("unix:/run/negotiated/negotiated.sock", f"unix:{socket_path}"),
        ("/var/log/nginx/negotiated.access.log", f"{directory}/nginx-access.log"),
    ]
    for old, new in replacements:
        assert text.count(old) == 1, f"the shipped site no longer has {old!r}"
        text = text.replace(old, new)
    return text


def make_certificate(directory):
    if not shutil.which("openssl"):
        pytest.fail("openssl is not installed (see .ci/install-deps)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=negotiate.example.com", "-addext", "subjectAltName=DNS:negotiate.example.com,IP:127.0.0.1",
                    "-keyout", f"{directory}/key.pem", "-out", f"{directory}/cert.pem"],
                   check=True, capture_output=True, timeout=60)


class Nginx:
    def __init__(self, directory, port):
        self.directory = directory
        self.port = port
        self.context = ssl.create_default_context(cafile=f"{directory}/cert.pem")

    def request(self, method, target, headers=None, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT, context=self.context)
        try:
            conn.request(method, target, body=body, headers={"Host": "negotiate.example.com", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def front(module_daemon_factory, tmp_path_factory):
    directory = tmp_path_factory.mktemp("nginx")
    os.chmod(directory, 0o755)  # nginx's workers read the certificate and reach the socket
    service = Service.new()
    socket_path = directory / "negotiated.sock"
    (directory / "apikeys").write_text(f"alice {KEY}\n")
    daemon = module_daemon_factory(DAEMON_CONFIG.format(dir=directory, cs=service.connection_string),
                                   listen=f"unix:{socket_path}")
    make_certificate(directory)
    port = free_port()
    (directory / "site.conf").write_text(site_for_test(directory, port, socket_path))
    user = "user root root;" if os.geteuid() == 0 else ""  # root: workers may read the private tmp dir
    (directory / "nginx.conf").write_text(MAIN_CONF.format(user=user, dir=directory))
    nginx = nginx_binary()
    argv = [nginx, "-p", str(directory), "-e", str(directory / "nginx-error.log"), "-c", str(directory / "nginx.conf"),
            "-g", "daemon off;"]
    check = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    front = Nginx(directory, port)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nginx exited with {proc.returncode}: {proc.stderr.read().decode()}")
            try:
                if front.request("GET", "/healthz")[0] == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                pytest.fail("nginx did not answer /healthz in time:\n" + (directory / "nginx-error.log").read_text())
            time.sleep(0.05)
        front.service = service
        front.daemon = daemon
        yield front
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful stop; then make sure
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def daemon_access_line(front, request_id):
    for line in (front.directory / "daemon-access.log").read_text().splitlines():
        if line.endswith(" " + request_id):
            return line.split(" ")
    pytest.fail(f"no daemon access-log line for request {request_id}")


def test_negotiate_through_nginx(front):
    status, headers, body = front.request("GET", "/negotiate?hub=chat", {"X-API-Key": KEY})
    assert status == 200, body
    claims = check_client_access(json.loads(body), front.service.key, front.service.endpoint, "chat")
    assert claims["sub"] == "alice" and claims["role"] == ["webpubsub.joinLeaveGroup.lobby"]
    assert headers.get("Cache-Control") == "no-store"
    assert "max-age" in headers.get("Strict-Transport-Security", "")


def test_client_address_and_request_id_reach_the_daemon(front):
    status, headers, _ = front.request("GET", "/negotiate/chat", {"X-API-Key": KEY})
    assert status == 200
    request_id = headers.get("X-Request-Id")
    assert HEX32.fullmatch(request_id), request_id  # nginx's $request_id, echoed by the daemon
    fields = daemon_access_line(front, request_id)
    # the daemon's peer is the unix socket; the client it logs is X-Forwarded-For's, nginx's $remote_addr
    assert fields[1:5] == ["127.0.0.1", "GET", "/negotiate/chat", "200"], fields
    # nginx writes its log line after the answer has left: wait for it
    deadline = time.monotonic() + START_TIMEOUT
    while request_id not in (front.directory / "nginx-access.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    nginx_log = (front.directory / "nginx-access.log").read_text()
    assert request_id in nginx_log and KEY not in nginx_log and "X-API-Key" not in nginx_log


def test_spoofed_forwarded_for_and_request_id_are_not_believed(front):
    status, headers, _ = front.request("GET", "/negotiate?hub=chat",
                                       {"X-API-Key": KEY, "X-Forwarded-For": "203.0.113.66",
                                        "X-Request-Id": "chosen-by-client"})
    assert status == 200
    request_id = headers.get("X-Request-Id")
    assert request_id != "chosen-by-client" and HEX32.fullmatch(request_id)
    fields = daemon_access_line(front, request_id)
    assert fields[1] == "127.0.0.1", fields  # nginx appended the real peer; the daemon read from the right


@pytest.mark.parametrize("target, headers, status, code", [
    ("/negotiate?hub=chat", {}, 401, "unauthenticated"),
    ("/negotiate?hub=chat", {"X-API-Key": secrets.token_hex(16)}, 401, "invalid_credentials"),
    ("/negotiate?hub=nope", {"X-API-Key": KEY}, 404, "unknown_hub"),
    ("/negotiate?hub=chat&userId=mallory", {"X-API-Key": KEY}, 400, "invalid_parameter"),
])
def test_error_bodies_are_the_daemons(front, target, headers, status, code):
    got, response_headers, body = front.request("GET", target, headers)
    assert got == status, body
    assert response_headers.get_content_type() == "application/json"
    assert json.loads(body)["error"]["code"] == code
    if status == 401:
        assert response_headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_paths_outside_the_site_are_nginx_json_404(front):
    for target in ("/", "/metrics", "/negotiatex"):
        status, headers, body = front.request("GET", target)
        assert status == 404 and headers.get_content_type() == "application/json", (target, body)
        assert b'"not_found"' in body


def test_limit_req(front):
    """The shipped example, 10r/s with bursts of 20 answered at once. Requests go in parallel batches
    of 60, so nginx sees them arrive together however slow the daemon is; on a loaded machine the
    arrivals spread, so what is checked is the bound: at most 21 plus 10 a second pass."""
    time.sleep(2.5)  # the earlier tests' requests have left the bucket by now
    refused = []
    for batch in range(4):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=60) as pool:
            replies = list(pool.map(lambda _: front.request("GET", "/negotiate?hub=chat", {"X-API-Key": KEY}),
                                    range(60)))
        elapsed = time.monotonic() - started
        codes = sorted(status for status, _, _ in replies)
        assert set(codes) <= {200, 429}, codes
        if batch == 0:
            assert codes.count(200) >= 21, codes  # the burst, at once
        assert codes.count(200) <= 22 + 10 * (elapsed + 0.5), (codes, elapsed)
        refused += [r for r in replies if r[0] == 429]
        if refused:
            break
    assert refused, "limit_req never answered 429"
    status, headers, body = refused[0]
    assert headers.get_content_type() == "application/json" and headers.get("Retry-After") == "1"
    assert json.loads(body)["error"]["code"] == "rate_limited"
