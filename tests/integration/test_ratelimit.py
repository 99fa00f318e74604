# SPDX-License-Identifier: Apache-2.0
"""Rate limits: 429 rate_limited with Retry-After after the burst, per address before authentication
and per principal after it, kept apart, per hub, and recovered after the advertised wait."""
import re
import secrets
import time

import pytest

from conftest import Service

ALICE_KEY = secrets.token_hex(16)
BOB_KEY = secrets.token_hex(16)

CONFIG = """\
[server]
trusted_proxies = 127.0.0.1
auth_failure_delay = 0

[service:main]
connection_string = {cs}

[hub:users]
auth = keys
rate_per_user = 2/min burst 2

[hub:addresses]
auth = keys
rate_per_address = 20/min burst 3

[hub:free]
auth = keys

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


@pytest.fixture
def daemon(daemon_factory, tmp_path):
    return daemon_factory(CONFIG.format(cs=Service.new().connection_string, dir=tmp_path),
                          extra_files={"apikeys": f"alice {ALICE_KEY}\nbob {BOB_KEY}\n"})


def ask(daemon, hub, key, address):
    headers = {"X-Forwarded-For": address}
    if key:
        headers["X-API-Key"] = key
    return daemon.request("GET", f"/negotiate?hub={hub}", headers=headers)


def assert_limited(reply, most_seconds):
    assert reply.status == 429, reply.body
    assert reply.json()["error"]["code"] == "rate_limited"
    retry = int(reply.headers.get("Retry-After"))
    assert 1 <= retry <= most_seconds
    return retry


def test_per_user_limit_follows_the_user_not_the_address(daemon):
    assert [ask(daemon, "users", ALICE_KEY, f"198.51.100.{i}").status for i in (1, 2)] == [200, 200]
    assert_limited(ask(daemon, "users", ALICE_KEY, "198.51.100.3"), 30)  # a new address does not help alice
    assert ask(daemon, "users", BOB_KEY, "198.51.100.1").status == 200  # bob has his own bucket
    assert ask(daemon, "free", ALICE_KEY, "198.51.100.1").status == 200  # and the limit is the hub's
    assert ask(daemon, "users", None, "198.51.100.1").status == 401  # no principal, nothing to limit per user


def test_per_address_limit_comes_before_authentication(daemon):
    wrong = secrets.token_hex(16)
    statuses = [ask(daemon, "addresses", wrong, "203.0.113.5").status for _ in range(3)]
    assert statuses == [401, 401, 401]
    # the right key from the same address waits too: guessing keys costs the address its budget
    assert_limited(ask(daemon, "addresses", ALICE_KEY, "203.0.113.5"), 3)
    assert ask(daemon, "addresses", ALICE_KEY, "203.0.113.6").status == 200  # another address is not limited
    assert ask(daemon, "addresses", BOB_KEY, "203.0.113.6").status == 200
    assert ask(daemon, "addresses", ALICE_KEY, "203.0.113.6").status == 200
    assert_limited(ask(daemon, "addresses", BOB_KEY, "203.0.113.6"), 3)  # per address, whoever the user


def test_recovers_after_retry_after(daemon):
    for _ in range(3):
        assert ask(daemon, "addresses", ALICE_KEY, "192.0.2.1").status == 200
    retry = assert_limited(ask(daemon, "addresses", ALICE_KEY, "192.0.2.1"), 3)
    time.sleep(retry + 0.1)
    assert ask(daemon, "addresses", ALICE_KEY, "192.0.2.1").status == 200
    assert_limited(ask(daemon, "addresses", ALICE_KEY, "192.0.2.1"), 3)  # one token came back, not more


def test_limits_are_counted_and_logged(daemon):
    for _ in range(3):
        ask(daemon, "users", ALICE_KEY, "198.51.100.1")
    for _ in range(4):
        ask(daemon, "addresses", BOB_KEY, "198.51.100.1")
    text = daemon.request("GET", "/metrics").body.decode()
    assert 'negotiated_rate_limited_total{hub="users",limit="user"} 1\n' in text
    assert 'negotiated_rate_limited_total{hub="addresses",limit="address"} 1\n' in text
    assert 'negotiated_requests_total{hub="users",status="429"} 1\n' in text
    assert re.search(r'audit event=refused .*hub="users" user="alice" .*status=429 reason="rate_limited" '
                     r'message="too many requests from this user; retry in \d+ s"', daemon.stderr_text())
    assert ALICE_KEY not in daemon.stderr_text()
