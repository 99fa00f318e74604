# SPDX-License-Identifier: Apache-2.0
"""Least privilege over HTTP: rules, templates from the authenticated user, client narrowing in the
query and in a JSON body, 403 refusals, drop mode, lifetime caps, audit lines, and `negotiated explain`."""
import hashlib
import json
import re
import secrets
import urllib.parse

import pytest

from conftest import Service, check_client_access, run_cli
from test_reload import reload_and_wait

ALICE_KEY = secrets.token_hex(16)
BOB_KEY = secrets.token_hex(16)
APIKEYS = f"alice {ALICE_KEY}\nbob {BOB_KEY}\n"
ALICE = {"X-API-Key": ALICE_KEY}
BOB = {"X-API-Key": BOB_KEY}

CONFIG = """\
[service:main]
connection_string = {cs}

[auth:keys]
type = apikey
file = {dir}/apikeys

[hub:chat]
auth = keys
token_lifetime = 60
max_token_lifetime = 120
roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby
groups = lobby
default_roles = webpubsub.joinLeaveGroup.lobby
client_protocols = mqtt

[hub:relaxed]
auth = keys
on_excess = drop
roles = webpubsub.joinLeaveGroup.lobby
groups = lobby

[hub:strict]
auth = keys
token_lifetime = 10
max_token_lifetime = 30
lifetime_excess = refuse
roles = webpubsub.joinLeaveGroup.lobby

[rule:own-channel]
hub = chat
match = anyone
roles = webpubsub.sendToGroup.user-{{user}}
groups = user-{{user}}

[rule:bob-broadcast]
hub = chat strict
match = user:bob auth:keys
roles = webpubsub.sendToGroup
max_token_lifetime = 5
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def config_path(tmp_path_factory, service):
    directory = tmp_path_factory.mktemp("policy")
    (directory / "apikeys").write_text(APIKEYS)
    path = directory / "negotiated.conf"
    path.write_text(CONFIG.format(cs=service.connection_string, dir=directory))
    return path


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, config_path):
    return module_daemon_factory(config_path.read_text())


def claims_of(reply, service, hub, protocol="default"):
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, hub, protocol)


def query(hub, **params):
    pairs = [("hub", hub)] + [(k.rstrip("_"), v) for k, values in params.items()
                              for v in (values if isinstance(values, list) else [values])]
    return "/negotiate?" + urllib.parse.urlencode(pairs)


def assert_refused(reply, status, code, naming=None):
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert error["code"] == code, error
    if naming:
        assert naming in error["message"], error


def test_nothing_asked_gets_the_hub_defaults(daemon, service):
    claims = claims_of(daemon.request("GET", query("chat"), headers=ALICE), service, "chat")
    assert claims["sub"] == "alice"
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby"]  # default_roles
    assert claims["webpubsub.group"] == ["lobby", "user-alice"]  # no default_groups: all granted
    assert claims["exp"] - claims["iat"] == 60 * 60


def test_templates_from_the_api_key_user(daemon, service):
    for headers, user in ((ALICE, "alice"), (BOB, "bob")):
        reply = daemon.request("GET", query("chat", role=f"webpubsub.sendToGroup.user-{user}"), headers=headers)
        assert claims_of(reply, service, "chat")["role"] == [f"webpubsub.sendToGroup.user-{user}"]
    # alice cannot ask for bob's channel
    reply = daemon.request("GET", query("chat", role="webpubsub.sendToGroup.user-bob"), headers=ALICE)
    assert_refused(reply, 403, "forbidden_role", "webpubsub.sendToGroup.user-bob")


def test_narrowing_in_the_query(daemon, service):
    reply = daemon.request("GET", query("chat", role=["webpubsub.sendToGroup.lobby", "webpubsub.joinLeaveGroup.lobby"],
                                        group="lobby", minutesToExpire="15"), headers=ALICE)
    claims = claims_of(reply, service, "chat")
    assert claims["role"] == ["webpubsub.sendToGroup.lobby", "webpubsub.joinLeaveGroup.lobby"]
    assert claims["webpubsub.group"] == ["lobby"]
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_narrowing_in_a_json_body(daemon, service):
    body = {"hub": "chat", "roles": ["webpubsub.sendToGroup.user-alice"], "groups": [],
            "expirationTimeInMinutes": 20, "clientProtocol": "mqtt"}
    claims = claims_of(daemon.request("POST", "/negotiate", json.dumps(body), ALICE), service, "chat", "mqtt")
    assert claims["role"] == ["webpubsub.sendToGroup.user-alice"]
    assert "webpubsub.group" not in claims  # asked for none
    assert claims["exp"] - claims["iat"] == 20 * 60


@pytest.mark.parametrize("target, body, code, naming", [
    (query("chat", role="webpubsub.sendToGroup"), None, "forbidden_role", "webpubsub.sendToGroup"),
    (query("chat", group="secret-room"), None, "forbidden_group", "secret-room"),
    ("/negotiate", {"hub": "chat", "groups": ["user-bob"]}, "forbidden_group", "user-bob"),
    (query("chat", clientProtocol="socketio"), None, "forbidden_protocol", "socketio"),
    (query("strict", minutesToExpire="31"), None, "forbidden_lifetime", "at most 30"),
])
def test_asking_beyond_the_grant_is_refused(daemon, target, body, code, naming):
    reply = daemon.request("POST" if body else "GET", target, json.dumps(body) if body else None, ALICE)
    assert_refused(reply, 403, code, naming)


@pytest.mark.parametrize("target, body, code", [
    (query("chat", role="webpubsub.fly"), None, "invalid_parameter"),
    (query("chat", group=""), None, "invalid_parameter"),
    (query("chat", role=["webpubsub.sendToGroup.a"] * 65), None, "invalid_parameter"),
    (query("chat", minutesToExpire="0"), None, "invalid_parameter"),
    (query("chat", minutesToExpire="10", expirationTimeInMinutes="10"), None, "invalid_parameter"),
    (query("chat", clientProtocol="ws"), None, "invalid_parameter"),
    (query("chat", role="webpubsub.joinLeaveGroup.lobby"), {"roles": []}, "invalid_parameter"),
    ("/negotiate", {"hub": "chat", "roles": "webpubsub.sendToGroup.lobby"}, "invalid_body"),
    ("/negotiate", {"hub": "chat", "groups": [1]}, "invalid_body"),
    ("/negotiate", {"hub": "chat", "expirationTimeInMinutes": "10"}, "invalid_body"),
    ("/negotiate", {"hub": "chat", "userId": "admin"}, "invalid_body"),
])
def test_malformed_asks_are_400(daemon, target, body, code):
    reply = daemon.request("POST" if body else "GET", target, json.dumps(body) if body else None, ALICE)
    assert_refused(reply, 400, code)


def test_drop_mode_leaves_out_what_is_not_granted(daemon, service):
    reply = daemon.request("GET", query("relaxed", role=["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup.lobby"],
                                        group="secret"), headers=ALICE)
    claims = claims_of(reply, service, "relaxed")
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby"]
    assert "webpubsub.group" not in claims
    assert "dropped (on_excess = drop)" in daemon.stderr_text()


def test_lifetimes_are_capped_never_honoured(daemon, service):
    claims = claims_of(daemon.request("GET", query("chat", minutesToExpire="100000"), headers=ALICE), service, "chat")
    assert claims["exp"] - claims["iat"] == 120 * 60  # the hub's max_token_lifetime
    # bob's broadcast role comes from a rule capped at 5 minutes: the default shrinks too
    reply = daemon.request("GET", query("chat", role="webpubsub.sendToGroup"), headers=BOB)
    claims = claims_of(reply, service, "chat")
    assert claims["role"] == ["webpubsub.sendToGroup"] and claims["exp"] - claims["iat"] == 5 * 60
    # strict refuses beyond its cap; with bob's 5-minute role carried, 6 is beyond it
    assert_refused(daemon.request("GET", query("strict", minutesToExpire="6"), headers=BOB), 403, "forbidden_lifetime")
    claims = claims_of(daemon.request("GET", query("strict", minutesToExpire="30"), headers=ALICE), service, "strict")
    assert claims["exp"] - claims["iat"] == 30 * 60


def audit_lines(daemon, event):
    return [line for line in daemon.stderr_text().splitlines() if f"audit event={event} " in line]


def test_audit_lines(daemon, service):
    reply = daemon.request("GET", query("chat", role="webpubsub.sendToGroup.user-bob", group="lobby"), headers=BOB)
    token = reply.json()["token"]
    claims = claims_of(reply, service, "chat")
    fingerprint = hashlib.sha256(token.encode()).hexdigest()[:12]
    [line] = [line for line in audit_lines(daemon, "issued") if fingerprint in line]
    fields = dict(re.findall(r' ([a-z_0-9]+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)', line))
    assert json.loads(fields["hub"]) == "chat" and json.loads(fields["user"]) == "bob"
    assert json.loads(fields["auth"]) == "keys" and json.loads(fields["client"]) == "127.0.0.1"
    assert json.loads(fields["roles"]) == ["webpubsub.sendToGroup.user-bob"]
    assert json.loads(fields["groups"]) == ["lobby"]
    assert int(fields["exp"]) == claims["exp"]
    assert json.loads(fields["token_sha256"]) == fingerprint
    daemon.request("GET", query("chat", group="nope"), headers=BOB)
    refused = [line for line in audit_lines(daemon, "refused") if 'reason="forbidden_group"' in line]
    assert refused and 'user="bob"' in refused[-1] and 'hub="chat"' in refused[-1] and "status=403" in refused[-1]
    log = daemon.stderr_text()
    assert token not in log and token.split(".")[2] not in log
    assert ALICE_KEY not in log and BOB_KEY not in log and service.key not in log


def test_explain_granted(config_path):
    result = run_cli("explain", "--config", str(config_path), "--hub", "chat", "--as", "user=bob,auth=keys",
                     "--role", "webpubsub.sendToGroup", "--group", "user-bob", "--minutes", "30")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "decision: granted" in out
    assert f"role webpubsub.sendToGroup: granted by rule:bob-broadcast at {config_path}:39" in out
    assert f"group user-bob: granted by rule:own-channel at {config_path}:34" in out
    assert "lifetime: 5 minutes" in out
    assert f"rule:bob-broadcast {config_path}:36 matches" in out


def test_explain_refused(config_path):
    result = run_cli("explain", "--config", str(config_path), "--hub", "chat", "--as", "user=alice,auth=keys",
                     "--role", "webpubsub.sendToGroup", "--role", "webpubsub.sendToGroup.lobby")
    assert result.returncode == 1, result.stderr
    assert "decision: refused: 403 forbidden_role" in result.stdout
    assert "role webpubsub.sendToGroup: refused: no matching rule grants it" in result.stdout
    assert "role webpubsub.sendToGroup.lobby: granted by hub:chat" in result.stdout
    assert "'user:bob' does not hold" in result.stdout


@pytest.mark.parametrize("args", [
    ["--hub", "chat", "--as", "user=alice"],  # no --config
    ["--config", "CONFIG", "--hub", "nohub", "--as", "user=alice"],
    ["--config", "CONFIG", "--hub", "chat", "--as", "auth=keys"],  # no user
    ["--config", "CONFIG", "--hub", "chat", "--as", "user=alice", "--role", "webpubsub.fly"],
    ["--config", "CONFIG", "--hub", "chat", "--as", "user=alice", "--minutes", "0"],
    ["--config", "/nonexistent/negotiated.conf", "--hub", "chat", "--as", "user=alice"],
])
def test_explain_bad_input(config_path, args):
    result = run_cli("explain", *[str(config_path) if a == "CONFIG" else a for a in args])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("negotiated: explain: ") and len(result.stderr.splitlines()) == 1


def test_bad_rule_refuses_to_start(tmp_path, service):
    config = tmp_path / "bad.conf"
    config.write_text(f"[service:main]\nconnection_string = {service.connection_string}\n[auth:k]\ntype = anonymous\n"
                      "[hub:chat]\nauth = k\n[rule:r]\nhub = chat\nmatch = attr:team\ngroups = a\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{config}:9: match: 'attr:team' must be attr:NAME=VALUE" in result.stderr
    assert service.key not in result.stderr


RELOAD_CONFIG = """\
[service:main]
connection_string = {cs}

[auth:keys]
type = apikey
file = {dir}/apikeys

[hub:chat]
auth = keys

[rule:r]
hub = chat
match = {match}
roles = webpubsub.sendToGroup.{room}
"""


def test_reload_swaps_rules_and_keeps_them_on_a_bad_rule(daemon_factory, tmp_path, service):
    (tmp_path / "apikeys").write_text(APIKEYS)
    config = tmp_path / "negotiated-0.conf"
    config.write_text(RELOAD_CONFIG.format(cs=service.connection_string, dir=tmp_path, match="user:alice", room="a"))
    daemon = daemon_factory(config.read_text())

    def roles():
        return claims_of(daemon.request("GET", query("chat"), headers=ALICE), service, "chat").get("role", [])

    assert roles() == ["webpubsub.sendToGroup.a"]
    config.write_text(RELOAD_CONFIG.format(cs=service.connection_string, dir=tmp_path, match="user:alice", room="b"))
    reload_and_wait(daemon, r"reload: serving the new configuration")
    assert roles() == ["webpubsub.sendToGroup.b"]
    config.write_text(RELOAD_CONFIG.format(cs=service.connection_string, dir=tmp_path, match="attr:team", room="c"))
    reload_and_wait(daemon, r"reload failed")
    assert "negotiated-0.conf:13: match: 'attr:team' must be attr:NAME=VALUE" in daemon.stderr_text()
    assert roles() == ["webpubsub.sendToGroup.b"]  # the running policy stays


# Inside a pattern role the service reads only the escapes \\, \* and \? and at most 10 pattern
# roles of each kind per token (the Web PubSub emulator's WebPubSubNameValidator and
# Constants.Permission.MaxPatternCount); negotiated refuses what the service would skip.
@pytest.mark.parametrize("roles, line_text", [
    ("webpubsub.joinLeaveGroups.room\\.1", "'webpubsub.joinLeaveGroups.room\\.1' is not a Web PubSub role"),
    ("\n  ".join(f"webpubsub.sendToGroups.r{i}*" for i in range(11)),
     "more than 10 webpubsub.sendToGroups.PATTERN roles"),
])
def test_pattern_roles_the_service_would_skip_refuse_the_config(tmp_path, service, roles, line_text):
    config = tmp_path / "patterns.conf"
    config.write_text(f"[service:main]\nconnection_string = {service.connection_string}\n[auth:k]\ntype = anonymous\n"
                      f"[hub:chat]\nauth = k\nroles = {roles}\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{config}:7: roles: {line_text}" in result.stderr


@pytest.mark.parametrize("roles", [
    ["webpubsub.joinLeaveGroups.a\\b"],
    [f"webpubsub.joinLeaveGroups.r{i}*" for i in range(11)],
])
def test_pattern_roles_the_service_would_skip_are_400_in_an_ask(daemon, roles):
    reply = daemon.request("GET", query("chat", role=roles), None, ALICE)
    assert_refused(reply, 400, "invalid_parameter")


def test_rules_that_add_up_past_the_pattern_cap_are_refused(module_daemon_factory, tmp_path, service):
    hub_roles = "\n  ".join(f"webpubsub.sendToGroups.h{i}*" for i in range(6))
    rule_roles = "\n  ".join(f"webpubsub.sendToGroups.r{i}*" for i in range(6))
    daemon = module_daemon_factory(f"[service:main]\nconnection_string = {service.connection_string}\n"
                                   f"[auth:k]\ntype = anonymous\n[hub:chat]\nauth = k\nroles = {hub_roles}\n"
                                   f"[rule:more]\nhub = chat\nmatch = anyone\nroles = {rule_roles}\n")
    assert_refused(daemon.request("GET", query("chat")), 403, "forbidden_role",
                   "more than 10 webpubsub.sendToGroups.PATTERN roles")
    reply = daemon.request("GET", query("chat", role=[f"webpubsub.sendToGroups.h{i}*" for i in range(6)]))
    assert reply.status == 200, reply.body
