# SPDX-License-Identifier: Apache-2.0
"""The apikey and anonymous authenticators: the cases test_http.py does not already cover
(malformed keys, credentials an anonymous hub ignores, configuration refusals) and chains of both."""
import secrets

import pytest

from auth_helpers import admitted, assert_error, assert_refused
from conftest import ANON_USER, Service, check_client_access

KEY = secrets.token_hex(16)
OTHER_KEY = secrets.token_hex(16)

CONFIG = """\
[service:main]
connection_string = {cs}

[hub:keys]
auth = keys

[hub:keysfirst]
auth = keys guest

[hub:guestfirst]
auth = guest keys

[hub:anon]
auth = anon

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
user = guest

[auth:anon]
type = anonymous
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service):
    directory = tmp_path_factory.mktemp("apikey")
    (directory / "apikeys").write_text(f"# services\nservice-a {KEY}\n\nservice-b\t{OTHER_KEY}\n")
    return module_daemon_factory(CONFIG.format(cs=service.connection_string, dir=directory))


def user_of(reply, service, hub):
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, hub)["sub"]


def test_apikey_tab_separated_line(daemon, service):
    assert user_of(daemon.request("GET", "/negotiate/keys", headers={"X-API-Key": OTHER_KEY}), service,
                   "keys") == "service-b"


def test_apikey_x_api_key_wins_over_bearer(daemon, service):
    headers = {"X-API-Key": KEY, "Authorization": f"Bearer {OTHER_KEY}"}
    assert user_of(daemon.request("GET", "/negotiate/keys", headers=headers), service, "keys") == "service-a"


@pytest.mark.parametrize("headers", [
    {"X-API-Key": "k" * 513},  # over the 512-byte cap
    {"X-API-Key": "k" * 1000},
    {"Authorization": "Bearer " + "k" * 513},
    {"X-API-Key": ""},
    {"X-API-Key": KEY + " "},  # trailing garbage (a space inside the value)
    {"X-API-Key": KEY[:8] + "\t" + KEY[8:]},
    {"X-API-Key": b"\xff\xfe" + KEY.encode()},  # not UTF-8
    {"X-API-Key": KEY.upper()},  # keys are case-sensitive
], ids=["oversize", "far-oversize", "bearer-oversize", "empty", "trailing-space", "tab", "not-utf8", "case"])
def test_apikey_malformed(daemon, headers):
    assert_error(daemon.request("GET", "/negotiate/keys", headers=headers), 401, "invalid_credentials", [KEY])


@pytest.mark.parametrize("authorization", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Digest x=y", "bearer"],
                         ids=["basic", "bearer-without-key", "digest", "lowercase-bare"])
def test_apikey_declines_other_schemes(daemon, authorization):
    reply = daemon.request("GET", "/negotiate/keys", headers={"Authorization": authorization})
    assert_error(reply, 401, "unauthenticated", [KEY])
    assert reply.headers.get("WWW-Authenticate") == 'Bearer realm="negotiated"'


@pytest.mark.parametrize("headers", [
    {},
    {"X-API-Key": "not-a-key-at-all-0123"},
    {"Authorization": "Basic !!!!"},
    {"Authorization": "Bearer a.b.c"},
], ids=["none", "wrong-key", "malformed-basic", "jwt-shaped"])
def test_anonymous_ignores_credentials(daemon, service, headers):
    """anonymous admits every caller: whatever it is sent, wrong or malformed, it reads none of it."""
    assert ANON_USER.fullmatch(user_of(daemon.request("GET", "/negotiate/anon", headers=headers), service, "anon"))


@pytest.mark.parametrize("headers, user, auth", [
    ({"X-API-Key": KEY}, "service-a", "keys"),
    ({"Authorization": f"Bearer {OTHER_KEY}"}, "service-b", "keys"),
    ({}, "guest", "guest"),
], ids=["key", "bearer", "none-falls-through"])
def test_chain_keys_then_anonymous(daemon, service, headers, user, auth):
    assert user_of(daemon.request("GET", "/negotiate/keysfirst", headers=headers), service, "keysfirst") == user
    assert admitted(daemon, user, auth)


def test_chain_wrong_key_is_not_rescued_by_anonymous(daemon):
    """DENY stops the chain: a wrong key is refused even though anonymous comes next."""
    assert_error(daemon.request("GET", "/negotiate/keysfirst", headers={"X-API-Key": "wrong-key-0123456789"}), 401,
                 "invalid_credentials")


def test_chain_anonymous_first_wins(daemon, service):
    """The first authenticator that admits decides: a valid key behind anonymous is never read."""
    assert user_of(daemon.request("GET", "/negotiate/guestfirst", headers={"X-API-Key": KEY}), service,
                   "guestfirst") == "guest"


def test_anonymous_warns_at_start(daemon):
    log = daemon.stderr_text()
    assert "[auth:anon] is anonymous: it admits every caller" in log
    assert "[auth:guest] is anonymous: it admits every caller (all as one user)" in log


REFUSALS = {
    "anonymous user with a control character": ("[auth:a]\ntype = anonymous\n>user = a\x7fb\n", "user",
                                                "not a valid user id"),
    "anonymous unknown key": ("[auth:a]\ntype = anonymous\n>file = /etc/passwd\n", "file",
                              "unknown key for type anonymous"),
    "apikey short key": ("[auth:a]\ntype = apikey\n>file = {dir}/short\n", "file",
                         r"short:1: a key must be 16 to 512 printable characters"),
    "apikey duplicate key": ("[auth:a]\ntype = apikey\n>file = {dir}/dup\n", "file",
                             "dup:2: the same key appears on an earlier line"),
    "apikey three fields": ("[auth:a]\ntype = apikey\n>file = {dir}/three\n", "file", "three:1: expected 'USERID KEY'"),
    "apikey file over its cap": ("[auth:a]\ntype = apikey\n>file = {dir}/huge\n", "file",
                                 r"huge: larger than 268435456 bytes"),
    "apikey too many keys": ("[auth:a]\ntype = apikey\n>file = {dir}/many\n", "file",
                             r"many: more than 4000000 keys in one file"),
    "apikey unknown key": ("[auth:a]\ntype = apikey\nfile = {dir}/good\n>user = x\n", "user",
                           "unknown key for type apikey"),
}


@pytest.mark.parametrize("mode", ["check-config", "start"])
@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_apikey_anonymous_refused(tmp_path, service, case, mode):
    body, key, reason = case
    (tmp_path / "short").write_text("a tooshort\n")
    (tmp_path / "dup").write_text(f"a {KEY}\nb {KEY}\n")
    (tmp_path / "three").write_text(f"a {KEY} extra\n")
    (tmp_path / "good").write_text(f"a {KEY}\n")
    with open(tmp_path / "huge", "wb") as huge:  # sparse: one byte over the key-file cap (256 MiB)
        huge.truncate((256 << 20) + 1)
    (tmp_path / "many").write_text("x\n" * 4000001)  # refused for its count before any line is read
    text = f"[service:main]\nconnection_string = {service.connection_string}\n\n[hub:chat]\nauth = a\n\n" + body
    lines = text.format(dir=tmp_path).splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.startswith(">"))
    conf = tmp_path / "negotiated.conf"
    conf.write_text("\n".join(row.removeprefix(">") for row in lines) + "\n")
    output = assert_refused(conf, line, key, reason, mode)
    assert KEY not in output


def test_apikey_file_of_100000_keys(daemon_factory, tmp_path, service):
    """Far over the old 1 MiB cap: the last key of the file admits its user, a wrong key is refused."""
    keys = [secrets.token_hex(16) for _ in range(100000)]
    lines = "".join(f"device-{i} {key}\n" for i, key in enumerate(keys))
    assert len(lines) > 4 << 20
    text = f"[service:main]\nconnection_string = {service.connection_string}\n\n[hub:fleet]\nauth = keys\n\n" \
           f"[auth:keys]\ntype = apikey\nfile = {tmp_path}/fleet-keys\n"
    daemon = daemon_factory(text, extra_files={"fleet-keys": lines})
    assert user_of(daemon.request("GET", "/negotiate/fleet", headers={"X-API-Key": keys[-1]}), service,
                   "fleet") == "device-99999"
    assert user_of(daemon.request("GET", "/negotiate/fleet", headers={"X-API-Key": keys[0]}), service,
                   "fleet") == "device-0"
    assert_error(daemon.request("GET", "/negotiate/fleet", headers={"X-API-Key": OTHER_KEY}), 401,
                 "invalid_credentials")
