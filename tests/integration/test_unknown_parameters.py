# SPDX-License-Identifier: Apache-2.0
"""A client is told when it is not heard: a query parameter or JSON body member negotiate does not
read is 400 invalid_parameter naming it (a ?roles= or ?ttl= it believes narrowed its token), unless
the hub's ignore_parameters lets it through (an app framework's cache buster); and a group= refusal
says what group= means and which key grants it."""
import json
import secrets

import pytest

from conftest import Service, check_client_access, run_cli

KEY = secrets.token_hex(16)

CONFIG = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = keys
roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby

[hub:spa]
auth = keys
roles = webpubsub.joinLeaveGroup.lobby
ignore_parameters = _ v

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service):
    directory = tmp_path_factory.mktemp("params")
    (directory / "apikeys").write_text(f"alice {KEY}\n")
    return module_daemon_factory(CONFIG.format(cs=service.connection_string, dir=directory))


def ask(daemon, target, body=None):
    headers = {"X-API-Key": KEY}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return daemon.request("POST" if body is not None else "GET", target,
                          body=json.dumps(body).encode() if body is not None else None, headers=headers)


def refused_with(reply, says):
    assert reply.status == 400, reply.body
    error = reply.json()["error"]
    assert error["code"] == "invalid_parameter" and says in error["message"], error
    return error["message"]


@pytest.mark.parametrize("target, says", [
    ("/negotiate?hub=chat&roles=webpubsub.sendToGroup.lobby", "unknown query parameter 'roles' (did you mean role?)"),
    ("/negotiate?hub=chat&ttl=5", "unknown query parameter 'ttl'"),
    ("/negotiate?hub=chat&groups=lobby", "unknown query parameter 'groups' (did you mean group?)"),
    ("/negotiate?hub=chat&minutestoexpire=5", "unknown query parameter 'minutestoexpire' (did you mean "
                                              "minutesToExpire?)"),
    ("/negotiate?hub=chat&%3Cscript%3E=1", "an unknown query parameter (its name is not shown)"),
    ("/negotiate?hub=chat&_=1700000000", "unknown query parameter '_'"),
])
def test_an_unknown_query_parameter_is_refused_by_name(daemon, target, says):
    message = refused_with(ask(daemon, target), says)
    assert "<script>" not in message


def test_an_unknown_body_member_is_refused_by_name(daemon):
    refused_with(ask(daemon, "/negotiate", {"hub": "chat", "role": ["webpubsub.sendToGroup.lobby"]}),
                 "unknown body member 'role' (did you mean roles?)")
    refused_with(ask(daemon, "/negotiate", {"hub": "chat", "ttl": 5}), "unknown body member 'ttl'")


def test_ignore_parameters_lets_an_app_frameworks_parameters_through(daemon, service):
    reply = ask(daemon, "/negotiate?hub=spa&_=1700000000&v=3")
    assert reply.status == 200, reply.body
    assert check_client_access(reply.json(), service.key, service.endpoint, "spa")["sub"] == "alice"
    reply = ask(daemon, "/negotiate", {"hub": "spa", "_": 1, "v": "3"})
    assert reply.status == 200, reply.body
    refused_with(ask(daemon, "/negotiate?hub=spa&ttl=5"), "unknown query parameter 'ttl'")


def test_the_known_parameters_still_pass(daemon, service):
    target = ("/negotiate?hub=chat&role=webpubsub.sendToGroup.lobby&expirationTimeInMinutes=5"
              "&clientProtocol=default")
    reply = ask(daemon, target)
    assert reply.status == 200, reply.body
    claims = check_client_access(reply.json(), service.key, service.endpoint, "chat")
    assert claims["role"] == ["webpubsub.sendToGroup.lobby"]


def test_a_group_refusal_says_what_group_means_and_which_key_grants_it(daemon):
    reply = ask(daemon, "/negotiate?hub=chat&group=lobby")
    assert reply.status == 403, reply.body
    error = reply.json()["error"]
    assert error["code"] == "forbidden_group"
    assert ("group 'lobby' is not granted to this caller on hub chat: group= asks to be joined to it on connect, "
            "which only the groups key (of the hub or a matching rule) grants") == error["message"], error


def test_ignore_parameters_refuses_a_name_negotiate_reads(tmp_path):
    (tmp_path / "apikeys").write_text(f"alice {KEY}\n")
    config = tmp_path / "negotiated.conf"
    config.write_text(CONFIG.format(cs=Service.new().connection_string, dir=tmp_path).replace(
        "ignore_parameters = _ v", "ignore_parameters = _ role"))
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{config}:11: ignore_parameters: 'role' is not a parameter name to ignore" in result.stderr, result.stderr
