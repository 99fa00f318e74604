# SPDX-License-Identifier: Apache-2.0
"""Audit lines are batched (core/log_batch.c) yet none is lost: a clean stop (SIGTERM, SIGINT), a
reload (SIGHUP) and a restart each leave exactly one whole `audit event=issued` line per token
issued, and an idle daemon writes what waits within its flush period."""
import json
import re
import secrets
import signal
import threading
import time

from conftest import START_TIMEOUT, Service, check_client_access

import pytest

CONFIG = """\
[server]
threads = 2

[service:main]
connection_string = {connection_string}

[hub:chat]
auth = keys
roles = webpubsub.joinLeaveGroup.room1 webpubsub.sendToGroup.room1
groups = room1

[auth:keys]
type = apikey
file = {dir}/apikeys
"""

# One whole line: its prefix, every field, and nothing of another line inside it.
ISSUED = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ negotiated: info: \[[^\]\s]+\] audit event=issued '
                    r'time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ hub="chat" user="alice" auth="keys" '
                    r'client="127\.0\.0\.1" exp=\d+ token_sha256="[0-9a-f]{12}" '
                    r'roles=\["webpubsub\.joinLeaveGroup\.room1","webpubsub\.sendToGroup\.room1"\] '
                    r'groups=\["room1"\]$')
CLIENTS = 4  # threads, each on its own keep-alive connection, so that lines come from both HTTP threads


@pytest.fixture
def setup(tmp_path):
    service, key = Service.new(), secrets.token_urlsafe(24)
    (tmp_path / "apikeys").write_text(f"alice {key}\n")
    return service, key, CONFIG.format(connection_string=service.connection_string, dir=tmp_path)


def issue(daemon, service, key, n):
    """n tokens, issued by CLIENTS threads at once; checks every answer."""
    failures = []

    def client(count):
        conn = daemon.connection()
        try:
            for _ in range(count):
                conn.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": key})
                reply = conn.getresponse()
                body = reply.read()
                if reply.status != 200:
                    failures.append((reply.status, body))
                else:
                    check_client_access(json.loads(body), service.key, service.endpoint, "chat")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n // CLIENTS + (i < n % CLIENTS),)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def issued_lines(daemon):
    """The audit lines of issued tokens; fails on any such line that is not whole."""
    lines = [line for line in daemon.stderr_text().splitlines() if "audit event=issued" in line]
    broken = [line for line in lines if not ISSUED.match(line)]
    assert not broken, "audit lines not whole:\n" + "\n".join(broken[:5])
    return lines


def stop(daemon, sig=signal.SIGTERM):
    assert daemon.stop(sig) is None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_clean_stop_loses_no_audit_line(daemon_factory, setup, sig):
    service, key, config = setup
    daemon = daemon_factory(config)
    issue(daemon, service, key, 500)
    stop(daemon, sig)
    assert len(issued_lines(daemon)) == 500


def wait_for(daemon, pattern, count):
    deadline = time.monotonic() + START_TIMEOUT
    while len(re.findall(pattern, daemon.stderr_text())) < count:
        assert daemon.proc.poll() is None, daemon.stderr_text()
        assert time.monotonic() < deadline, f"no {count} x '{pattern}':\n" + daemon.stderr_text()[-4000:]
        time.sleep(0.02)


def test_reloads_lose_no_audit_line_and_write_what_waits(daemon_factory, setup):
    service, key, config = setup
    daemon = daemon_factory(config)
    total = 0
    for reloads in (1, 2):
        issue(daemon, service, key, 200)
        total += 200
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(daemon, r"reload: serving the new configuration", reloads)
        # the reload's lines are written with everything logged before them
        assert len(issued_lines(daemon)) == total
    issue(daemon, service, key, 100)
    stop(daemon)
    assert len(issued_lines(daemon)) == total + 100


def test_a_restart_loses_no_audit_line(daemon_factory, setup):
    service, key, config = setup
    first = daemon_factory(config)
    issue(first, service, key, 300)
    stop(first)
    second = daemon_factory(config, listen=first.listen)
    issue(second, service, key, 200)
    stop(second)
    assert (len(issued_lines(first)), len(issued_lines(second))) == (300, 200)


def test_an_idle_daemon_writes_its_batch_within_the_flush_period(daemon_factory, setup):
    service, key, config = setup
    daemon = daemon_factory(config)
    issue(daemon, service, key, 50)
    # no stop, no reload, no warning: only the flusher's timer (100 ms) writes these
    wait_for(daemon, r"audit event=issued", 50)
    assert len(issued_lines(daemon)) == 50
    assert daemon.proc.poll() is None
