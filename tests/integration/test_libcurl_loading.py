# SPDX-License-Identifier: Apache-2.0
"""libcurl is dlopen'ed only by a configuration that fetches URLs (a jwks_url, discovery, a webhook,
a keyless service): with none, neither it nor what it pulls in is mapped (peak RSS, issue 13); when
it cannot be loaded, such a configuration is refused with a message naming the library."""
import http.server
import json
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import BINARY, START_TIMEOUT, Service, child_env, run_cli
from jwks_server import KeyServer

API_KEY = "curl-loading-key-0123456789"

BASE = """\
[server]
log_level = info

[service:main]
connection_string = {cs}

[hub:chat]
auth = {auth}

[auth:keys]
type = apikey
file = {dir}/apikeys
"""

WEBHOOK = """
[auth:hook]
type = webhook
url = {url}/auth
forward_headers = Authorization
"""

JWKS = """
[auth:remote]
type = jwt
issuer = https://issuer.example
audience = negotiated
algorithms = RS256
jwks_url = {url}
fetch_timeout = 1
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture
def hook():
    """A webhook that admits every caller as alice."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.dumps({"userId": "alice"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def config(service, tmp_path, auth="keys", extra=""):
    (tmp_path / "apikeys").write_text(f"bob {API_KEY}\n")
    return BASE.format(cs=service.connection_string, auth=auth, dir=tmp_path) + extra


def maps_libcurl(daemon):
    return "libcurl" in Path(f"/proc/{daemon.proc.pid}/maps").read_text()


def test_no_url_maps_no_libcurl(daemon_factory, service, tmp_path):
    daemon = daemon_factory(config(service, tmp_path))
    assert daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": API_KEY}).status == 200
    assert not maps_libcurl(daemon)


def test_webhook_loads_libcurl_and_works(daemon_factory, service, tmp_path, hook):
    daemon = daemon_factory(config(service, tmp_path, auth="hook", extra=WEBHOOK.format(url=hook)))
    assert maps_libcurl(daemon)
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Authorization": "Bearer anything"})
    assert reply.status == 200, reply.body


def test_jwks_url_loads_libcurl(daemon_factory, service, tmp_path):
    with KeyServer() as keys:
        daemon = daemon_factory(config(service, tmp_path, auth="remote", extra=JWKS.format(url=keys.jwks_url)))
        assert maps_libcurl(daemon)
        assert keys.fetches >= 1  # the key set was fetched through it


def test_reload_that_adds_a_webhook_loads_libcurl(daemon_factory, service, tmp_path, hook):
    daemon = daemon_factory(config(service, tmp_path))
    assert not maps_libcurl(daemon)
    conf = next(tmp_path.glob("negotiated-*.conf"))
    conf.write_text(config(service, tmp_path, auth="hook", extra=WEBHOOK.format(url=hook)))
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + START_TIMEOUT
    while "reload: serving the new configuration" not in daemon.stderr_text():
        assert daemon.proc.poll() is None and time.monotonic() < deadline, daemon.stderr_text()
        time.sleep(0.02)
    assert maps_libcurl(daemon)
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Authorization": "Bearer anything"})
    assert reply.status == 200, reply.body


def libcurl_file():
    """The file the dynamic linker opens for libcurl.so.4, or None."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    paths = [line.rsplit("=>", 1)[1].strip() for line in out.splitlines()
             if line.split() and line.split()[0] == "libcurl.so.4" and "=>" in line]
    return str(Path(paths[0]).resolve()) if paths else None


def without_libcurl(*args):
    """Runs the daemon in a mount namespace where libcurl.so.4 is an empty file (as if removed).
    Never under NEGOTIATED_WRAPPER: glibc's failed dlopen leaks the path its cache lookup strdup'ed
    (dl-cache.c), which valgrind would count against the daemon."""
    target = libcurl_file()
    if not target or not shutil.which("unshare"):
        pytest.skip("no libcurl.so.4 in ldconfig's cache, or no unshare")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    argv = ["unshare", "--map-root-user", "--mount", "sh", "-c", script, target, BINARY, *args]
    probe = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script, target, "true"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a mount namespace here: " + probe.stderr.decode(errors="replace"))
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=START_TIMEOUT,
                          env=child_env())


@pytest.mark.parametrize("kind", ["webhook", "jwks_url", "keyless"])
def test_missing_libcurl_refuses_the_configuration_by_name(service, tmp_path, kind):
    extra = {"webhook": WEBHOOK.format(url="http://127.0.0.1:1"), "jwks_url": JWKS.format(url="http://127.0.0.1:1/k")}
    text = config(service, tmp_path, auth={"webhook": "hook", "jwks_url": "remote"}.get(kind, "keys"),
                  extra=extra.get(kind, ""))
    if kind == "keyless":
        text = text.replace(f"connection_string = {service.connection_string}",
                            "endpoint = https://127.0.0.1:1\ncredential = managed_identity")
    (tmp_path / "c.conf").write_text(text)
    result = without_libcurl("--check-config", "-c", str(tmp_path / "c.conf"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot load libcurl.so.4" in result.stderr and "file too short" in result.stderr, result.stderr
    if kind == "jwks_url":  # the refusal itself names the key and the reason, on one line
        assert "jwks_url: cannot load libcurl.so.4" in result.stderr, result.stderr
    assert "Segmentation" not in result.stderr


def test_missing_libcurl_is_fine_without_a_url(service, tmp_path):
    (tmp_path / "c.conf").write_text(config(service, tmp_path))
    result = without_libcurl("--check-config", "-c", str(tmp_path / "c.conf"))
    assert result.returncode == 0, result.stderr
    assert run_cli("--check-config", "-c", str(tmp_path / "c.conf")).returncode == 0
