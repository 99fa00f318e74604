# SPDX-License-Identifier: Apache-2.0
"""trusted_header: identity from headers a trusted front proxy set (nginx auth_request, oauth2-proxy,
nginx's verified client certificate); the same headers from an untrusted peer are ignored."""
import re
import time

import pytest

from conftest import WRAPPER, Service, decode_token, run_cli

CONFIG = """\
[server]
log_level = debug
auth_failure_delay = {delay}
{server_extra}

[service:main]
connection_string = {cs}

[hub:th]
auth = proxy

[hub:mtls]
auth = cert

[hub:useronly]
auth = useronly

[hub:own]
auth = own

[hub:open]
auth = guest

[auth:proxy]
type = trusted_header
email_header = X-Auth-Request-Email
groups_header = X-Auth-Request-Groups

[auth:useronly]
type = trusted_header
user_header = X-Auth-Request-User

[auth:cert]
type = trusted_header
user_header = none
client_dn_header = X-SSL-Client-S-DN

[auth:own]
type = trusted_header
user_header = X-Remote-User
trusted_peers = 127.0.0.1/32

[auth:guest]
type = anonymous
user = guest
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


def start(factory, service, server_extra="", delay=0, **kwargs):
    return factory(CONFIG.format(cs=service.connection_string, server_extra=server_extra, delay=delay), **kwargs)


def daemon_is_wrapped():
    """Under valgrind or another wrapper, wall-clock bounds on fast requests do not hold."""
    return bool(WRAPPER)


@pytest.fixture(scope="module")
def trusted(module_daemon_factory, service):
    """TCP on 127.0.0.1 with 127.0.0.1 listed as a trusted proxy."""
    return start(module_daemon_factory, service, "trusted_proxies = 127.0.0.1")


@pytest.fixture(scope="module")
def untrusted(module_daemon_factory, service):
    """TCP on 127.0.0.1 with the default trusted_proxies (unix only)."""
    return start(module_daemon_factory, service)


def user_of(reply, service, hub):
    assert reply.status == 200, reply.body
    body = reply.json()
    path = f"client/hubs/{hub}"
    return decode_token(body["token"], service.key, service.endpoint + path)["sub"]


def attributes_logged(daemon, user):
    """The debug line the pipeline writes for a principal with attributes."""
    lines = [l for l in daemon.stderr_text().splitlines() if f"principal user={user} " in l]
    assert lines, daemon.stderr_text()[-2000:]
    return lines[-1].split("attributes:", 1)[1].split()


def assert_refused(reply, status, code):
    assert reply.status == status, reply.body
    assert reply.json()["error"]["code"] == code, reply.body


def test_success_with_email_and_groups(trusted, service):
    reply = trusted.request("GET", "/negotiate/th", headers={
        "X-Auth-Request-User": "alice-th", "X-Auth-Request-Email": "alice@example.org",
        "X-Auth-Request-Groups": "admins, dev ,,ops"})
    assert user_of(reply, service, "th") == "alice-th"
    assert attributes_logged(trusted, "alice-th") == [
        "email=alice@example.org", "groups=admins", "groups=dev", "groups=ops"]


def test_a_section_reads_only_the_headers_it_names(trusted, service):
    # email and groups are read only when the section names them: a client that slips
    # X-Auth-Request-Groups past a proxy that sets only the user header joins no group
    reply = trusted.request("GET", "/negotiate/useronly", headers={
        "X-Auth-Request-User": "carol-th", "X-Auth-Request-Email": "boss@example.org",
        "X-Auth-Request-Groups": "admins"})
    assert user_of(reply, service, "useronly") == "carol-th"
    log = trusted.stderr_text().splitlines()
    assert any('user="carol-th"' in line and "audit event=issued" in line for line in log)
    # a principal with attributes gets a debug line listing them (see alice-th above): none here
    assert not [line for line in log if "principal user=carol-th " in line], log


def test_missing_headers_are_unauthenticated(trusted):
    reply = trusted.request("GET", "/negotiate/th")
    assert_refused(reply, 401, "unauthenticated")
    assert reply.headers["WWW-Authenticate"]


@pytest.mark.parametrize("headers", [
    {"X-Auth-Request-User": "\x01bad"},
    {"X-Auth-Request-User": b"\xff\xfe"},
    {"X-Auth-Request-User": "u" * 600},
    {"X-Auth-Request-User": "bob", "X-Auth-Request-Email": "bob\x7f@example.org"},
    {"X-Auth-Request-User": "bob", "X-Auth-Request-Groups": ",".join(f"g{i}" for i in range(40))},
    {"X-Auth-Request-User": "bob", "X-Auth-Request-Groups": "ok," + "x" * 1100},
], ids=["control", "not-utf8", "too-long", "email-control", "too-many-groups", "group-too-long"])
def test_malformed_values_are_refused(trusted, headers):
    reply = trusted.request("GET", "/negotiate/th", headers=headers)
    assert_refused(reply, 401, "invalid_identity")
    assert "\x01bad" not in trusted.stderr_text()


def test_untrusted_peer_is_ignored_and_logged(untrusted):
    reply = untrusted.request("GET", "/negotiate/th", headers={"X-Auth-Request-User": "mallory-header-value"})
    assert_refused(reply, 401, "unauthenticated")
    log = untrusted.stderr_text()
    assert re.search(r"\[auth:proxy\] X-Auth-Request-User from untrusted peer 127\.0\.0\.1 ignored", log), log
    assert "mallory-header-value" not in log


def test_trusted_peers_overrides_server_trusted_proxies(untrusted, service):
    reply = untrusted.request("GET", "/negotiate/own", headers={"X-Remote-User": "carol"})
    assert user_of(reply, service, "own") == "carol"
    # the default header names mean nothing to this instance
    assert_refused(untrusted.request("GET", "/negotiate/own", headers={"X-Auth-Request-User": "carol"}),
                   401, "unauthenticated")


def test_unix_socket_peer_is_trusted_by_default(daemon_factory, tmp_path, service):
    daemon = start(daemon_factory, service, listen=f"unix:{tmp_path}/n.sock")
    reply = daemon.request("GET", "/negotiate/th", headers={"X-Auth-Request-User": "dave"})
    assert user_of(reply, service, "th") == "dave"


def test_client_certificate_verified(trusted, service):
    dn = "CN=eve,O=Example,C=DE"
    reply = trusted.request("GET", "/negotiate/mtls", headers={
        "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": dn})
    assert user_of(reply, service, "mtls") == dn
    assert attributes_logged(trusted, dn) == [f"client_dn={dn}"]


@pytest.mark.parametrize("verify", [None, "FAILED:certificate has expired", "NONE", "success"])
def test_client_certificate_not_verified(trusted, verify):
    headers = {"X-SSL-Client-S-DN": "CN=eve"}
    if verify is not None:
        headers["X-SSL-Client-Verify"] = verify
    assert_refused(trusted.request("GET", "/negotiate/mtls", headers=headers), 401, "certificate_not_verified")


def test_client_certificate_from_untrusted_peer(untrusted):
    reply = untrusted.request("GET", "/negotiate/mtls", headers={
        "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-S-DN": "CN=eve"})
    assert_refused(reply, 401, "unauthenticated")


def test_forwarded_for_read_right_to_left(trusted):
    # 127.0.0.1 is a trusted hop, 203.0.113.7 the nearest untrusted one: the client; the spoofed
    # left-most entry is never believed.
    reply = trusted.request("GET", "/negotiate/th", headers={
        "X-Forwarded-For": "192.0.2.66, 203.0.113.7, 127.0.0.1"})
    assert_refused(reply, 401, "unauthenticated")
    log = trusted.stderr_text()
    assert re.search(r'event=refused .*hub="th" client="203\.0\.113\.7" status=401 reason="unauthenticated"', log), log
    assert "client=192.0.2.66" not in log


def test_failure_is_delayed_and_logged_once(daemon_factory, service):
    daemon = start(daemon_factory, service, "trusted_proxies = 127.0.0.1", delay=400)
    began = time.monotonic()
    reply = daemon.request("GET", "/negotiate/th", headers={"X-Auth-Request-User": "\x01x"})
    elapsed = time.monotonic() - began
    assert_refused(reply, 401, "invalid_identity")
    assert elapsed >= 0.19, elapsed  # 400 ms with +-50% jitter
    began = time.monotonic()
    assert user_of(daemon.request("GET", "/negotiate/open"), service, "open") == "guest"
    assert time.monotonic() - began < 0.19 or daemon_is_wrapped()
    log = daemon.stderr_text()
    refusals = [line for line in log.splitlines() if "401" in line and "invalid_identity" in line]
    assert len(refusals) == 1, log  # one line per failure
    assert re.search(r'event=refused .*hub="th" auth="proxy" client="127\.0\.0\.1" status=401 '
                     r'reason="invalid_identity"', refusals[0]), refusals


@pytest.mark.parametrize("line,message", [
    ("user_header = X Bad", "user_header: 'X Bad' is not a header name"),
    ("user_header = none", "user_header: user_header and client_dn_header cannot both be off"),
    ("trusted_peers = 10.0.0.0/33", "trusted_peers: '10.0.0.0/33': the prefix must be"),
    ("trusted_peers = example.org", "trusted_peers:"),
    ("colour = blue", "colour: unknown key for type trusted_header"),
])
def test_config_errors(tmp_path, service, line, message):
    (tmp_path / "n.conf").write_text(f"[service:main]\nconnection_string = {service.connection_string}\n"
                                     f"[hub:th]\nauth = proxy\n[auth:proxy]\ntype = trusted_header\n{line}\n")
    result = run_cli("--check-config", "-c", str(tmp_path / "n.conf"))
    assert result.returncode == 1
    assert f"n.conf:7: {message}" in result.stderr, result.stderr
