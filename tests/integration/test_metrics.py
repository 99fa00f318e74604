# SPDX-License-Identifier: Apache-2.0
"""Observability: GET /metrics after known traffic (exact values), metrics_allow, /readyz, the request
id (generated, or a trusted proxy's, echoed and in the log lines) and the access log."""
import re
import secrets
import signal
import time

import pytest

from conftest import START_TIMEOUT, Service

ALICE_KEY = secrets.token_hex(16)
WRONG_KEY = secrets.token_hex(16)

CONFIG = """\
[server]
{server}

[service:main]
connection_string = {cs}

[hub:chat]
auth = keys

[hub:lobby]
auth = keys guest

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
user = guest
"""
HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def service():
    return Service.new()


def start(daemon_factory, tmp_path, service, server="", **kwargs):
    text = CONFIG.format(server=server, cs=service.connection_string, dir=tmp_path)
    return daemon_factory(text, extra_files={"apikeys": f"alice {ALICE_KEY}\n"}, **kwargs)


def samples(text):
    """{'name{labels}': value} for every sample line of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics_after_known_traffic(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service)
    key = {"X-API-Key": ALICE_KEY}
    for _ in range(3):
        assert daemon.request("GET", "/negotiate?hub=chat", headers=key).status == 200
    assert daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": WRONG_KEY}).status == 401
    assert daemon.request("GET", "/negotiate?hub=chat").status == 401  # no credentials: unauthenticated
    assert daemon.request("GET", "/negotiate/lobby").status == 200  # keys declines, guest admits
    assert daemon.request("GET", "/negotiate?hub=nope").status == 404
    assert daemon.request("GET", "/negotiate").status == 400
    assert daemon.request("GET", "/healthz").status == 200  # not a /negotiate answer: not counted
    reply = daemon.request("GET", "/metrics")
    assert reply.status == 200, reply.body
    assert reply.headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    text = reply.body.decode()
    got = samples(text)
    want = {
        'negotiated_requests_total{hub="chat",status="200"}': 3,
        'negotiated_requests_total{hub="chat",status="401"}': 2,
        'negotiated_requests_total{hub="lobby",status="200"}': 1,
        'negotiated_requests_total{hub="unknown",status="404"}': 1,
        'negotiated_requests_total{hub="unknown",status="400"}': 1,
        'negotiated_tokens_issued_total{hub="chat"}': 3,
        'negotiated_tokens_issued_total{hub="lobby"}': 1,
        'negotiated_rate_limited_total{hub="chat",limit="user"}': 0,
        'negotiated_rate_limited_total{hub="chat",limit="address"}': 0,
        'negotiated_auth_outcomes_total{authenticator="keys",outcome="ok"}': 3,
        'negotiated_auth_outcomes_total{authenticator="keys",outcome="deny"}': 1,
        'negotiated_auth_outcomes_total{authenticator="keys",outcome="declined"}': 2,
        'negotiated_auth_outcomes_total{authenticator="keys",outcome="error"}': 0,
        'negotiated_auth_outcomes_total{authenticator="guest",outcome="ok"}': 1,
        'negotiated_auth_outcomes_total{authenticator="guest",outcome="declined"}': 0,
        'negotiated_request_duration_seconds_bucket{le="+Inf"}': 8,
        "negotiated_request_duration_seconds_count": 8,
        "negotiated_reloads_total": 0,
        "negotiated_reload_failures_total": 0,
        "negotiated_jwks_refresh_errors_total": 0,
        "negotiated_ready": 1,
    }
    for name, value in want.items():
        assert got.get(name) == value, f"{name}: {got.get(name)} != {value}\n{text}"
    assert sum(v for k, v in got.items() if k.startswith("negotiated_requests_total")) == 8
    buckets = [v for k, v in got.items() if k.startswith("negotiated_request_duration_seconds_bucket")]
    assert buckets == sorted(buckets) and len(buckets) == 13, "histogram buckets are cumulative"
    assert 0 < got["negotiated_request_duration_seconds_sum"] < 60
    for family in ("requests_total", "tokens_issued_total", "auth_outcomes_total", "request_duration_seconds"):
        assert f"# TYPE negotiated_{family} " in text
    assert ALICE_KEY not in text and service.key not in text


def test_metrics_allow_refuses_others(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service, "metrics_allow = 10.0.0.0/8 ::1")
    reply = daemon.request("GET", "/metrics")
    assert reply.status == 403 and reply.json()["error"]["code"] == "forbidden"
    assert b"negotiated_" not in reply.body
    assert daemon.request("POST", "/metrics").status == 405


def test_metrics_allow_judges_the_forwarded_client(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service, "trusted_proxies = 127.0.0.1\nmetrics_allow = 127.0.0.1")
    assert daemon.request("GET", "/metrics").status == 200
    forwarded = daemon.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status == 403


def test_metrics_default_allows_loopback_and_unix(daemon_factory, tmp_path, service):
    assert start(daemon_factory, tmp_path, service).request("GET", "/metrics").status == 200
    socket_path = tmp_path / "n.sock"
    unix = start(daemon_factory, tmp_path, service, listen=f"unix:{socket_path}")
    assert unix.request("GET", "/metrics").status == 200
    # a unix peer (nginx) that forwards for a remote client does not open /metrics to it
    assert unix.request("GET", "/metrics", headers={"X-Forwarded-For": "198.51.100.4"}).status == 403


def test_readyz(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service)
    reply = daemon.request("GET", "/readyz")
    assert reply.status == 200 and reply.json() == {"status": "ready"}
    assert daemon.request("HEAD", "/readyz").status == 200
    assert daemon.request("POST", "/readyz").status == 405
    assert daemon.request("GET", "/healthz").json() == {"status": "ok"}


def test_request_id_is_generated_and_echoed(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service)
    ids = [daemon.request("GET", "/negotiate?hub=nope").headers.get("X-Request-Id") for _ in range(2)]
    assert all(HEX32.fullmatch(i or "") for i in ids) and ids[0] != ids[1], ids
    assert HEX32.fullmatch(daemon.request("GET", "/healthz").headers.get("X-Request-Id"))
    # a refusal answered after auth_failure_delay (the connection was suspended) keeps its id
    delayed = daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": WRONG_KEY})
    assert delayed.status == 401 and HEX32.fullmatch(delayed.headers.get("X-Request-Id"))
    assert re.search(rf'\[{delayed.headers.get("X-Request-Id")}\] audit event=refused .*status=401',
                     daemon.stderr_text())
    # from an untrusted peer the client's own id is not believed
    theirs = daemon.request("GET", "/negotiate?hub=nope", headers={"X-Request-Id": "client-chosen-1"})
    assert HEX32.fullmatch(theirs.headers.get("X-Request-Id"))
    assert re.search(rf'\[{ids[0]}\] audit event=refused .*status=404 reason="unknown_hub"', daemon.stderr_text())


@pytest.mark.parametrize("incoming, believed", [
    ("req-42.a:b_c", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("has space", False),
    ("new\\nline", False),
    ("", False),
])
def test_request_id_from_a_trusted_proxy(daemon_factory, tmp_path, service, incoming, believed):
    daemon = start(daemon_factory, tmp_path, service, "trusted_proxies = 127.0.0.1")
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"X-Request-Id": incoming, "X-API-Key": ALICE_KEY})
    assert reply.status == 200
    echoed = reply.headers.get("X-Request-Id")
    if believed:
        assert echoed == incoming
        assert re.search(rf'\[{re.escape(incoming)}\] audit event=issued .*hub="chat" user="alice"',
                         daemon.stderr_text())
    else:
        assert HEX32.fullmatch(echoed), echoed


def test_access_log(daemon_factory, tmp_path, service):
    log = tmp_path / "access.log"
    # an app's own query parameter (let through unread) carrying a secret: the access log has no query
    text = CONFIG.format(server=f"trusted_proxies = 127.0.0.1\naccess_log = {log}", cs=service.connection_string,
                         dir=tmp_path).replace("[hub:chat]\nauth = keys\n", "[hub:chat]\nauth = keys\nignore_parameters = secret\n")
    daemon = daemon_factory(text, extra_files={"apikeys": f"alice {ALICE_KEY}\n"})
    ok = daemon.request("GET", f"/negotiate?hub=chat&secret={WRONG_KEY}",
                        headers={"X-API-Key": ALICE_KEY, "X-Forwarded-For": "198.51.100.7", "X-Request-Id": "rid-1"})
    assert ok.status == 200
    bad = daemon.request("POST", "/nope%01x%22", body="{}")
    assert bad.status == 404
    lines = [line for line in log.read_text().splitlines() if " /healthz " not in line]  # start-up probes
    assert len(lines) == 2, lines
    fields = lines[0].split(" ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields[0])
    assert fields[1:6] == ["198.51.100.7", "GET", "/negotiate", "200", str(len(ok.body))]
    assert 0 <= float(fields[6]) < 60 and fields[7] == "rid-1"
    second = lines[1].split(" ")
    assert second[1:5] == ["127.0.0.1", "POST", "/nope?x?", "404"], second
    assert second[7] == bad.headers.get("X-Request-Id")
    text = log.read_text()
    for secret in (ALICE_KEY, WRONG_KEY, ok.json()["token"], "secret="):
        assert secret not in text


def test_access_log_to_stderr(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service, "access_log = stderr")
    reply = daemon.request("GET", "/healthz")
    rid = reply.headers.get("X-Request-Id")
    assert re.search(rf"Z 127\.0\.0\.1 GET /healthz 200 \d+ [0-9.]+ {rid}\n", daemon.stderr_text())


def test_access_log_that_cannot_be_opened_is_a_config_error(tmp_path, service):
    from conftest import run_cli
    config = tmp_path / "n.conf"
    config.write_text(CONFIG.format(server="access_log = /nonexistent/dir/a.log", cs=service.connection_string,
                                    dir=tmp_path))
    (tmp_path / "apikeys").write_text(f"alice {ALICE_KEY}\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{config}:2: access_log: cannot open '/nonexistent/dir/a.log'" in result.stderr


def wait_for(predicate, what):
    deadline = time.monotonic() + START_TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_reloads_are_counted(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, tmp_path, service)
    config = next(tmp_path.glob("negotiated-*.conf"))
    good = config.read_text()

    def counters():
        got = samples(daemon.request("GET", "/metrics").body.decode())
        return got["negotiated_reloads_total"], got["negotiated_reload_failures_total"]

    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: counters() == (1, 0), "a counted reload")
    config.write_text(good + "[hub:broken]\nauth = nobody\n")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: counters() == (1, 1), "a counted reload failure")
    assert daemon.request("GET", "/readyz").status == 200  # the running configuration still serves
    config.write_text(good)


def test_jwks_refresh_errors_are_counted(daemon_factory, tmp_path, service):
    from conftest import free_port
    dead = free_port()  # nothing listens there: every fetch of the key set fails
    text = CONFIG.format(server="", cs=service.connection_string, dir=tmp_path) + f"""
[hub:oidc]
auth = dead

[auth:dead]
type = jwt
issuer = https://issuer.example
audience = negotiated
algorithms = RS256
jwks_url = http://127.0.0.1:{dead}/jwks.json
refresh_interval = 1
refetch_cooldown = 1
fetch_timeout = 1
"""
    daemon = daemon_factory(text, extra_files={"apikeys": f"alice {ALICE_KEY}\n"})

    def errors():
        return samples(daemon.request("GET", "/metrics").body.decode())["negotiated_jwks_refresh_errors_total"]

    wait_for(lambda: errors() >= 2, "counted JWKS refresh failures")


def test_metrics_label_every_configured_hub(daemon_factory, tmp_path, service):
    """More hubs than the old 256 label slots: hub number 300 and the last one are counted by name."""
    hubs = "".join(f"[hub:h{i}]\nauth = keys\n\n" for i in range(1, 401))
    text = CONFIG.format(server="", cs=service.connection_string, dir=tmp_path) + hubs
    daemon = daemon_factory(text, extra_files={"apikeys": f"alice {ALICE_KEY}\n"})
    key = {"X-API-Key": ALICE_KEY}
    for hub in ("h300", "h400", "h300"):
        assert daemon.request("GET", f"/negotiate?hub={hub}", headers=key).status == 200
    body = daemon.request("GET", "/metrics").body.decode()
    got = samples(body)
    assert got.get('negotiated_tokens_issued_total{hub="h300"}') == 2, body
    assert got.get('negotiated_requests_total{hub="h400",status="200"}') == 1, body
    assert got.get('negotiated_tokens_issued_total{hub="h1"}') == 0, body
    assert not any('hub="unknown"' in name for name in got), body
    # a reload keeps every hub's counters
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + START_TIMEOUT
    while samples(daemon.request("GET", "/metrics").body.decode()).get("negotiated_reloads_total") != 1:
        assert time.monotonic() < deadline, "the reload did not take over"
        time.sleep(0.05)
    got = samples(daemon.request("GET", "/metrics").body.decode())
    assert got.get('negotiated_tokens_issued_total{hub="h300"}') == 2
