# SPDX-License-Identifier: Apache-2.0
"""Rules on attributes over HTTP: the trusted_header authenticator's `groups` attribute (an IdP
group list from a front proxy) and the jwt authenticator's claims, matched by attr: rules and
expanded by {attr:NAME} templates."""
import re
import secrets
import time

import jwt
import pytest

from conftest import Service, check_client_access

CONFIG = """\
[service:main]
connection_string = {cs}

[auth:sso]
type = trusted_header
groups_header = X-Auth-Request-Groups
trusted_peers = 127.0.0.1

[hub:chat]
auth = sso
roles = webpubsub.joinLeaveGroup.lobby
default_roles = webpubsub.joinLeaveGroup.lobby

[rule:teams]
hub = chat
match = anyone
roles = webpubsub.sendToGroup.team-{{attr:groups}}
groups = team-{{attr:groups}}

[rule:admins]
hub = chat
match = attr:groups=admins auth:sso
roles = webpubsub.sendToGroup
max_token_lifetime = 10
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, service):
    return module_daemon_factory(CONFIG.format(cs=service.connection_string))


def sso(user, groups=None):
    headers = {"X-Auth-Request-User": user}
    if groups is not None:
        headers["X-Auth-Request-Groups"] = groups
    return headers


def claims_of(reply, service):
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, "chat")


def test_attribute_template_expands_per_value(daemon, service):
    claims = claims_of(daemon.request("GET", "/negotiate?hub=chat", headers=sso("alice", "red, blue")), service)
    assert claims["sub"] == "alice"
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby"]  # default_roles
    assert claims["webpubsub.group"] == ["team-red", "team-blue"]  # no default_groups: all granted
    reply = daemon.request("GET", "/negotiate?hub=chat&role=webpubsub.sendToGroup.team-blue", headers=sso("alice", "red,blue"))
    assert claims_of(reply, service)["role"] == ["webpubsub.sendToGroup.team-blue"]


def test_attribute_matcher_grants_the_admin_role(daemon, service):
    reply = daemon.request("GET", "/negotiate?hub=chat&role=webpubsub.sendToGroup", headers=sso("root", "ops,admins"))
    claims = claims_of(reply, service)
    assert claims["role"] == ["webpubsub.sendToGroup"]
    assert claims["exp"] - claims["iat"] == 10 * 60  # the admins rule's cap
    reply = daemon.request("GET", "/negotiate?hub=chat&role=webpubsub.sendToGroup", headers=sso("eve", "ops"))
    assert reply.status == 403 and reply.json()["error"]["code"] == "forbidden_role"


def test_missing_attribute_grants_nothing_and_says_so(daemon, service):
    claims = claims_of(daemon.request("GET", "/negotiate?hub=chat", headers=sso("bob")), service)
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby"] and "webpubsub.group" not in claims
    log = daemon.stderr_text()
    # the warning names the rule and the line of the template (roles on 17, groups on 18)
    assert re.search(r"rule:teams \S+\.conf:17: role template 'webpubsub\.sendToGroup\.team-\{attr:groups\}' "
                     r"grants nothing for this caller: no attribute 'groups'", log), log
    assert re.search(r"rule:teams \S+\.conf:18: group template 'team-\{attr:groups\}' grants nothing", log)


# The jwt authenticator: claims listed in attribute_claims (default groups roles email) become
# attributes; an array claim gives one value per element.
JWT_SECRET = secrets.token_bytes(32)
JWT_CONFIG = """\
[service:main]
connection_string = {cs}

[auth:oidc]
type = jwt
issuer = https://idp.example
audience = negotiated
algorithms = HS256
secret_file = {dir}/secret

[hub:ops]
auth = oidc
roles = webpubsub.joinLeaveGroup.status
default_roles = webpubsub.joinLeaveGroup.status

[rule:admins]
hub = ops
match = attr:groups=admins auth:oidc
roles = webpubsub.sendToGroup webpubsub.joinLeaveGroups.team-{{attr:roles}}.*
max_token_lifetime = 10
"""


@pytest.fixture(scope="module")
def jwt_daemon(module_daemon_factory, tmp_path_factory, service):
    directory = tmp_path_factory.mktemp("jwt")
    (directory / "secret").write_bytes(JWT_SECRET)
    return module_daemon_factory(JWT_CONFIG.format(cs=service.connection_string, dir=directory))


def bearer(sub, **claims):
    now = int(time.time())
    token = jwt.encode({"iss": "https://idp.example", "aud": "negotiated", "sub": sub, "iat": now, "exp": now + 300,
                        **claims}, JWT_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def ops_claims(reply, service):
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, "ops")


def test_jwt_group_claim_grants_the_admin_rule(jwt_daemon, service):
    headers = bearer("carol", groups=["staff", "admins"], roles="a*b")
    claims = ops_claims(jwt_daemon.request("GET", "/negotiate?hub=ops", headers=headers), service)
    assert claims["sub"] == "carol" and claims["role"] == ["webpubsub.joinLeaveGroup.status"]
    assert claims["exp"] - claims["iat"] == 60 * 60  # the default carries no capped role
    target = ("/negotiate?hub=ops&role=webpubsub.sendToGroup&role=webpubsub.joinLeaveGroups.team-a%5C*b.*"
              "&minutesToExpire=30")
    claims = ops_claims(jwt_daemon.request("GET", target, headers=headers), service)
    # the claim's '*' is escaped in the pattern role: it matches only itself
    assert claims["role"] == ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroups.team-a\\*b.*"]
    assert claims["exp"] - claims["iat"] == 10 * 60  # capped by the admins rule


def test_jwt_without_the_group_is_refused_the_role(jwt_daemon):
    reply = jwt_daemon.request("GET", "/negotiate?hub=ops&role=webpubsub.sendToGroup",
                               headers=bearer("dave", groups=["staff"]))
    assert reply.status == 403 and reply.json()["error"]["code"] == "forbidden_role"
