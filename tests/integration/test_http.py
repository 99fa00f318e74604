# SPDX-License-Identifier: Apache-2.0
"""The HTTP interface of the daemon: /negotiate, /healthz, errors, limits, keep-alive, authentication."""
import hashlib
import http.client
import json
import secrets
import socket

import pytest

from conftest import ANON_USER, REQUEST_TIMEOUT, Service, check_client_access, read_reply

ALICE_KEY = secrets.token_hex(16)  # listed in the key file as is
BOB_KEY = secrets.token_hex(16)  # listed as sha256:<hex>
APIKEYS = f"""\
# user  key
alice   {ALICE_KEY}
bob     sha256:{hashlib.sha256(BOB_KEY.encode()).hexdigest()}
"""
WRONG_KEY = secrets.token_hex(16)
LIMIT_CODES = {404: "not_found", 413: "body_too_large", 414: "uri_too_long", 431: "headers_too_large"}
CHAT_ROLES = ["webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.lobby"]

# Several hubs (so no default hub), small limits, and verbose logs (which must still hide secrets).
MULTI_CONFIG = """\
[server]
log_level = debug
max_url_bytes = 1024
max_header_bytes = 4096
max_body_bytes = 512

[service:main]
connection_string = {cs}

[hub:chat]
auth = guest
roles = {roles}
groups = lobby

[hub:short]
auth = guest
client_protocol = mqtt
token_lifetime = 5

[hub:sio]
auth = anon
client_protocol = socketio

[hub:secure]
auth = keys

[auth:guest]
type = anonymous
user = guest

[auth:anon]
type = anonymous

[auth:keys]
type = apikey
file = {dir}/apikeys
"""

# One hub (the default) and default limits.
SINGLE_CONFIG = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = guest

[auth:guest]
type = anonymous
user = guest
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def multi(module_daemon_factory, tmp_path_factory, service):
    directory = tmp_path_factory.mktemp("keys")
    (directory / "apikeys").write_text(APIKEYS)
    return module_daemon_factory(MULTI_CONFIG.format(cs=service.connection_string, roles=" ".join(CHAT_ROLES),
                                                     dir=directory))


@pytest.fixture(scope="module")
def single(module_daemon_factory, service):
    return module_daemon_factory(SINGLE_CONFIG.format(cs=service.connection_string))


def negotiated_claims(reply, service, hub, protocol="default"):
    """Checks a 200 negotiate reply; returns the token's claims."""
    assert reply.status == 200, reply.body
    assert reply.headers.get_content_type() == "application/json"
    assert "no-store" in [d.strip() for d in reply.headers.get("Cache-Control", "").split(",")]
    return check_client_access(reply.json(), service.key, service.endpoint, hub, protocol)


def assert_error(reply, status, code, secret_values):
    assert reply.status == status, reply.body
    assert reply.headers.get_content_type() == "application/json"
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    text = reply.body.decode()
    for value in secret_values:
        assert value not in text


def test_healthz(multi):
    reply = multi.request("GET", "/healthz")
    assert reply.status == 200 and reply.json() == {"status": "ok"}
    assert reply.headers.get_content_type() == "application/json"
    head = multi.request("HEAD", "/healthz")
    assert head.status == 200 and head.body == b""


@pytest.mark.parametrize("method, target, body, hub, protocol, minutes", [
    ("GET", "/negotiate?hub=chat", None, "chat", "default", 60),
    ("GET", "/negotiate/chat", None, "chat", "default", 60),
    ("POST", "/negotiate?hub=chat", "", "chat", "default", 60),
    ("POST", "/negotiate", '{"hub": "chat"}', "chat", "default", 60),
    ("POST", "/negotiate/chat", "{}", "chat", "default", 60),
    ("GET", "/negotiate?hub=short", None, "short", "mqtt", 5),
    ("POST", "/negotiate", '{"hub":"short"}', "short", "mqtt", 5),
    ("GET", "/negotiate/sio", None, "sio", "socketio", 60),
])
def test_negotiate(multi, service, method, target, body, hub, protocol, minutes):
    claims = negotiated_claims(multi.request(method, target, body), service, hub, protocol)
    assert claims["exp"] - claims["iat"] == 60 * minutes
    if hub == "chat":
        assert claims["role"] == CHAT_ROLES and claims["webpubsub.group"] == ["lobby"]
    else:  # roles and groups are only present when non-empty
        assert "role" not in claims and "webpubsub.group" not in claims
    if hub == "sio":
        assert ANON_USER.fullmatch(claims["sub"]), claims["sub"]
    else:
        assert claims["sub"] == "guest"


@pytest.mark.parametrize("method, target, body", [
    ("GET", "/negotiate", None),
    ("POST", "/negotiate", ""),
    ("POST", "/negotiate", "{}"),
    ("GET", "/negotiate/chat", None),
])
def test_single_hub_is_the_default(single, service, method, target, body):
    claims = negotiated_claims(single.request(method, target, body), service, "chat")
    assert claims["sub"] == "guest"
    assert "role" not in claims and "webpubsub.group" not in claims


def test_anonymous_users_are_random_per_request(multi, service):
    subs = [negotiated_claims(multi.request("GET", "/negotiate?hub=sio"), service, "sio", "socketio")["sub"]
            for _ in range(2)]
    assert all(ANON_USER.fullmatch(sub) for sub in subs), subs
    assert subs[0] != subs[1]


@pytest.mark.parametrize("method, target, body, status, code", [
    ("GET", "/negotiate?hub=1chat", None, 400, "invalid_hub"),
    ("GET", "/negotiate/1chat", None, 400, "invalid_hub"),
    ("GET", "/negotiate?hub=a%20b", None, 400, "invalid_hub"),
    ("GET", "/negotiate?hub=" + "h" * 129, None, 400, "invalid_hub"),
    ("POST", "/negotiate", '{"hub": "-x"}', 400, "invalid_hub"),
    ("GET", "/negotiate", None, 400, "missing_hub"),
    ("POST", "/negotiate", "", 400, "missing_hub"),
    ("POST", "/negotiate", "{}", 400, "missing_hub"),
    ("GET", "/negotiate?hub=chat&hub=chat", None, 400, "invalid_parameter"),
    ("GET", "/negotiate?hub=chat&hub=short", None, 400, "invalid_parameter"),
    ("GET", "/negotiate/chat?hub=short", None, 400, "invalid_parameter"),
    ("POST", "/negotiate?hub=chat", '{"hub": "short"}', 400, "invalid_parameter"),
    ("GET", "/negotiate?hub=sio&userId=mallory", None, 400, "invalid_parameter"),
    ("GET", "/negotiate/sio?userId=mallory", None, 400, "invalid_parameter"),
    ("POST", "/negotiate?hub=chat", "hello", 400, "invalid_body"),
    ("POST", "/negotiate?hub=chat", "[1, 2]", 400, "invalid_body"),
    ("POST", "/negotiate?hub=chat", '"chat"', 400, "invalid_body"),
    ("POST", "/negotiate?hub=chat", '{"hub": ', 400, "invalid_body"),
    ("GET", "/negotiate?hub=secure", None, 401, "unauthenticated"),
    ("GET", "/negotiate?hub=nope", None, 404, "unknown_hub"),
    ("GET", "/negotiate/nope", None, 404, "unknown_hub"),
    ("POST", "/negotiate", '{"hub": "nope"}', 404, "unknown_hub"),
    ("GET", "/", None, 404, "not_found"),
    ("GET", "/negotiatex", None, 404, "not_found"),
    ("GET", "/healthz/x", None, 404, "not_found"),
], ids=lambda v: v[:40] if isinstance(v, str) else None)
def test_errors(multi, service, method, target, body, status, code):
    assert_error(multi.request(method, target, body), status, code, [service.key, ALICE_KEY, BOB_KEY])


@pytest.mark.parametrize("method, target, allowed", [
    ("DELETE", "/negotiate", {"GET", "POST"}),
    ("PUT", "/negotiate?hub=chat", {"GET", "POST"}),
    ("PATCH", "/negotiate/chat", {"GET", "POST"}),
    ("OPTIONS", "/negotiate", {"GET", "POST"}),
    ("POST", "/healthz", {"GET", "HEAD"}),
    ("DELETE", "/healthz", {"GET", "HEAD"}),
])
def test_method_not_allowed(multi, service, method, target, allowed):
    reply = multi.request(method, target)
    assert_error(reply, 405, "method_not_allowed", [service.key])
    assert {m.strip() for m in reply.headers.get("Allow", "").split(",")} == allowed


@pytest.mark.parametrize("daemon, kind, size, status", [
    ("multi", "url", 900, 404),
    ("multi", "url", 1100, 414),
    ("multi", "headers", 3000, 200),
    ("multi", "headers", 5000, 431),
    ("multi", "body", 500, 200),
    ("multi", "body", 513, 413),
    ("multi", "body", 100000, 413),
    ("single", "url", 4000, 404),
    ("single", "url", 5000, 414),
    ("single", "headers", 7000, 200),
    ("single", "headers", 9000, 431),
    ("single", "body", 16000, 200),
    ("single", "body", 16385, 413),
])
def test_size_limits(request, service, daemon, kind, size, status):
    """Requests just under a cap pass; over it (by a little or a lot) they get the documented JSON error."""
    daemon = request.getfixturevalue(daemon)
    if kind == "url":
        reply = daemon.request("GET", "/" + "a" * (size - 1))
    elif kind == "headers":
        reply = daemon.request("GET", "/negotiate/chat", headers={"X-Pad": "a" * size})
    else:  # a JSON object padded with whitespace to SIZE bytes
        reply = daemon.request("POST", "/negotiate/chat", "{" + " " * (size - 2) + "}")
    if status == 200:
        negotiated_claims(reply, service, "chat")
    else:
        assert_error(reply, status, LIMIT_CODES[status], [service.key])


@pytest.mark.parametrize("kind, status", [("url", 414), ("headers", 431)])
def test_far_over_the_connection_memory(multi, service, kind, status):
    """Past the caps plus the connection's memory (2 KiB), libmicrohttpd 0.9.75 refuses the request
    itself, with the right status but its own HTML body (docs/http-api.md); the daemon keeps serving."""
    if kind == "url":
        reply = multi.request("GET", "/" + "a" * 20000)
    else:
        reply = multi.request("GET", "/negotiate/chat", headers={"X-Pad": "a" * 20000})
    assert reply.status == status
    assert service.key not in reply.body.decode(errors="replace")
    assert multi.request("GET", "/healthz").status == 200


@pytest.mark.parametrize("chunks, status", [
    (['{"hub": ', '"chat"}'], 200),
    (["{" + " " * 300, " " * 300 + "}"], 413),
], ids=["small", "over-cap"])
def test_chunked_body(multi, service, chunks, status):
    conn = multi.connection()
    try:
        conn.request("POST", "/negotiate", body=(c.encode() for c in chunks),
                     headers={"Content-Type": "application/json"}, encode_chunked=True)
        reply = read_reply(conn.getresponse())
    finally:
        conn.close()
    if status == 200:
        negotiated_claims(reply, service, "chat")
    else:
        assert_error(reply, status, "body_too_large", [service.key])


def test_keep_alive_across_mixed_responses(multi):
    sequence = [
        ("GET", "/negotiate?hub=chat", None, {}, 200),
        ("GET", "/negotiate?hub=nope", None, {}, 404),
        ("POST", "/negotiate/chat", "{}", {"Content-Type": "application/json"}, 200),
        ("DELETE", "/negotiate", None, {}, 405),
        ("GET", "/negotiate?hub=secure", None, {}, 401),
        ("GET", "/negotiate?hub=secure", None, {"X-API-Key": "x" * 20}, 401),
        ("POST", "/negotiate?hub=chat", "hello", {"Content-Type": "application/json"}, 400),
        ("GET", "/negotiate", None, {}, 400),
        ("GET", "/healthz", None, {}, 200),
        ("GET", "/negotiate/sio", None, {}, 200),
    ]
    conn = multi.connection()
    try:
        conn.connect()
        sock = conn.sock
        for method, target, body, headers, status in sequence:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == status, (method, target)
            assert conn.sock is sock, f"connection closed after {method} {target}"
    finally:
        conn.close()


@pytest.mark.parametrize("headers, user", [
    ({"Authorization": f"Bearer {ALICE_KEY}"}, "alice"),
    ({"X-API-Key": ALICE_KEY}, "alice"),
    ({"Authorization": f"Bearer {BOB_KEY}"}, "bob"),
    ({"X-API-Key": BOB_KEY}, "bob"),
], ids=["bearer", "x-api-key", "bearer-sha256", "x-api-key-sha256"])
def test_api_key_accepted(multi, service, headers, user):
    claims = negotiated_claims(multi.request("GET", "/negotiate/secure", headers=headers), service, "secure")
    assert claims["sub"] == user


@pytest.mark.parametrize("headers, code", [
    ({"Authorization": f"Bearer {WRONG_KEY}"}, "invalid_credentials"),
    ({"X-API-Key": WRONG_KEY}, "invalid_credentials"),
    ({"X-API-Key": f"sha256:{hashlib.sha256(BOB_KEY.encode()).hexdigest()}"}, "invalid_credentials"),
    ({"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}, "unauthenticated"),
    ({}, "unauthenticated"),
], ids=["bearer", "x-api-key", "stored-hash", "jwt-shaped", "none"])
def test_api_key_refused(multi, service, headers, code):
    presented = [v.removeprefix("Bearer ") for v in headers.values()]
    reply = multi.request("GET", "/negotiate/secure", headers=headers)
    assert_error(reply, 401, code, [service.key, ALICE_KEY, BOB_KEY, *presented])
    if code == "unauthenticated":
        assert reply.headers.get("WWW-Authenticate") == 'Bearer realm="negotiated"'


@pytest.mark.parametrize("target, body", [
    (f"/negotiate/sio?{name}=mallory", None) for name in ["userid", "user", "user_id", "sub"]
] + [
    ("/negotiate/sio", json.dumps({name: "mallory"})) for name in ["userId", "user", "sub"]
])
def test_caller_cannot_choose_the_user(multi, service, target, body):
    reply = multi.request("POST" if body else "GET", target, body)
    assert reply.status in (200, 400), reply.body
    if reply.status == 200:
        assert ANON_USER.fullmatch(negotiated_claims(reply, service, "sio", "socketio")["sub"])


def test_unix_socket_listener(daemon_factory, tmp_path, service):
    path = tmp_path / "negotiated.sock"
    daemon_factory(SINGLE_CONFIG.format(cs=service.connection_string), listen=f"unix:{path}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(REQUEST_TIMEOUT)
        sock.connect(str(path))
        sock.sendall(b"GET /negotiate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    assert response.status == 200
    assert check_client_access(json.loads(body), service.key, service.endpoint, "chat")["sub"] == "guest"


def test_logs_never_contain_secrets(multi, service):
    for headers in [{"X-API-Key": ALICE_KEY}, {"Authorization": f"Bearer {BOB_KEY}"},
                    {"X-API-Key": WRONG_KEY}, {}]:
        multi.request("GET", "/negotiate/secure", headers=headers)
    multi.request("GET", "/negotiate/chat")
    log = multi.stderr_text()
    assert "listening on" in log
    for value in [service.key, ALICE_KEY, BOB_KEY, WRONG_KEY]:
        assert value not in log
