# SPDX-License-Identifier: Apache-2.0
"""Claim paths of the jwt authenticator (user_claim, attribute_claims) with tokens shaped as Microsoft
Entra ID (v1 and v2), Keycloak, Auth0 and Google document them: the attributes reach the policy and
grant the roles a rule on them says; a claim of a type that gives no value says so at debug."""
import json
import re
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from conftest import Service, check_client_access

TENANT = "9122040d-6c67-4c5b-b112-36a304b66dad"
ENTRA_V1 = f"https://sts.windows.net/{TENANT}/"
ENTRA_V2 = f"https://login.microsoftonline.com/{TENANT}/v2.0"
KEYCLOAK = "https://kc.example.test/realms/myrealm"
AUTH0 = "https://tenant.eu.auth0.com/"
GOOGLE = "https://accounts.google.com"
API = "api://negotiated"

CONFIG = """\
[server]
log_level = debug

[service:main]
connection_string = {cs}

[auth:entra1]
type = jwt
issuer = {entra1}
audience = {api}
algorithms = RS256
jwks_file = {jwks}
user_claim = oid
attribute_claims = roles groups tid

[auth:entra2]
type = jwt
issuer = {entra2}
audience = {api}
algorithms = RS256
jwks_file = {jwks}
user_claim = oid
attribute_claims = roles groups tid

[auth:keycloak]
type = jwt
issuer = {keycloak}
audience = account
algorithms = RS256
jwks_file = {jwks}
user_claim = preferred_username
attribute_claims = roles=realm_access.roles client_roles=resource_access.my-app.roles

[auth:auth0]
type = jwt
issuer = {auth0}
audience = {api}
algorithms = RS256
jwks_file = {jwks}
attribute_claims = roles="https://example.com/roles" team="https://example.com/claims".team

[auth:google]
type = jwt
issuer = {google}
audience = 1234987819200-abc.apps.googleusercontent.com
algorithms = RS256
jwks_file = {jwks}
attribute_claims = email email_verified

[hub:entra1]
auth = entra1

[hub:entra2]
auth = entra2

[rule:entra-admins]
hub = entra1 entra2
match = attr:roles=Admin
roles = webpubsub.sendToGroup.admins webpubsub.joinLeaveGroup.tenant-{{attr:tid}}

[hub:kc]
auth = keycloak

[rule:kc-realm]
hub = kc
match = attr:roles=admin
roles = webpubsub.sendToGroup.realm

[rule:kc-client]
hub = kc
match = attr:client_roles=editor
roles = webpubsub.sendToGroup.editors

[hub:a0]
auth = auth0

[rule:a0-admins]
hub = a0
match = attr:roles=admin
roles = webpubsub.sendToGroup.team-{{attr:team}}

[hub:g]
auth = google

[rule:g-verified]
hub = g
match = attr:email_verified=true
roles = webpubsub.sendToGroup.verified
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service, key):
    directory = tmp_path_factory.mktemp("claimpaths")
    jwk = dict(json.loads(RSAAlgorithm.to_jwk(key.public_key())), kid="k1", alg="RS256", use="sig")
    (directory / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    return module_daemon_factory(CONFIG.format(cs=service.connection_string, jwks=directory / "jwks.json",
                                               entra1=ENTRA_V1, entra2=ENTRA_V2, keycloak=KEYCLOAK, auth0=AUTH0,
                                               google=GOOGLE, api=API))


def token(key, claims):
    now = int(time.time())
    return jwt.encode({"iat": now, "nbf": now, "exp": now + 3600, **claims}, key, algorithm="RS256",
                      headers={"kid": "k1"})


def granted(daemon, service, hub, bearer):
    reply = daemon.request("GET", f"/negotiate?hub={hub}", headers={"Authorization": f"Bearer {bearer}"})
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, hub)


OID = "00000000-0000-0000-66f3-3332eca7ea81"


def entra_v1(**extra):
    # https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (v1.0)
    return {"aud": API, "iss": ENTRA_V1, "appid": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "appidacr": "1",
            "idp": ENTRA_V1, "name": "Alice", "oid": OID, "tid": TENANT, "upn": "alice@contoso.com",
            "unique_name": "alice@contoso.com", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA", "ver": "1.0",
            "amr": ["pwd"], "roles": ["Admin"], "groups": ["12345678-aaaa-bbbb-cccc-1234567890ab"], **extra}


def entra_v2(**extra):
    # the v2.0 access token: iss ends in /v2.0, no upn, azp instead of appid
    return {"aud": API, "iss": ENTRA_V2, "aio": "AXQAi/8I", "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
            "azpacr": "0", "name": "Alice", "oid": OID, "preferred_username": "alice@contoso.com",
            "rh": "I", "scp": "access_as_user", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": TENANT,
            "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0", "roles": ["Admin"], **extra}


@pytest.mark.parametrize("hub,shape", [("entra1", entra_v1), ("entra2", entra_v2)], ids=["v1", "v2"])
def test_entra_oid_roles_tid(daemon, service, key, hub, shape):
    # one issuer per hub: a jwt authenticator refuses (not passes on) a token of another issuer
    claims = granted(daemon, service, hub, token(key, shape()))
    assert claims["sub"] == OID
    assert claims["role"] == ["webpubsub.sendToGroup.admins", f"webpubsub.joinLeaveGroup.tenant-{TENANT}"]
    claims = granted(daemon, service, hub, token(key, shape(roles=["Reader"])))
    assert claims.get("role", []) == []


def keycloak(**extra):
    # a Keycloak access token: realm roles and client roles nested, the login in preferred_username
    return {"iss": KEYCLOAK, "aud": "account", "sub": str(uuid.uuid4()), "typ": "Bearer", "azp": "my-app",
            "session_state": str(uuid.uuid4()), "acr": "1", "allowed-origins": ["https://app.example.test"],
            "realm_access": {"roles": ["offline_access", "uma_authorization", "admin"]},
            "resource_access": {"my-app": {"roles": ["editor"]}, "account": {"roles": ["manage-account"]}},
            "scope": "openid email profile", "sid": str(uuid.uuid4()), "email_verified": False,
            "preferred_username": "alice", "given_name": "Alice", **extra}


def test_keycloak_realm_and_client_roles(daemon, service, key):
    claims = granted(daemon, service, "kc", token(key, keycloak()))
    assert claims["sub"] == "alice"
    assert claims["role"] == ["webpubsub.sendToGroup.realm", "webpubsub.sendToGroup.editors"]
    only_client = keycloak(realm_access={"roles": ["offline_access"]})
    assert granted(daemon, service, "kc", token(key, only_client))["role"] == ["webpubsub.sendToGroup.editors"]


def test_auth0_namespaced_claims(daemon, service, key):
    body = {"iss": AUTH0, "sub": "auth0|5f7c8ec7c33c6c004bbafe82", "aud": [API, AUTH0 + "userinfo"],
            "azp": "YOUR_CLIENT_ID", "scope": "openid profile email", "permissions": ["read:messages"],
            "https://example.com/roles": ["admin"], "https://example.com/claims": {"team": "blue"}}
    claims = granted(daemon, service, "a0", token(key, body))
    assert claims["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82" and claims["role"] == ["webpubsub.sendToGroup.team-blue"]


def test_google_email_verified_boolean(daemon, service, key):
    body = {"iss": GOOGLE, "azp": "1234987819200-abc.apps.googleusercontent.com",
            "aud": "1234987819200-abc.apps.googleusercontent.com", "sub": "110169484474386276334",
            "hd": "example.com", "email": "alice@example.com", "email_verified": True,
            "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "name": "Alice", "locale": "en"}
    assert granted(daemon, service, "g", token(key, body))["role"] == ["webpubsub.sendToGroup.verified"]
    assert granted(daemon, service, "g", token(key, dict(body, email_verified=False))).get("role", []) == []


def test_a_claim_of_another_type_gives_nothing_and_says_so_at_debug(daemon, service, key):
    body = keycloak(realm_access={"roles": {"admin": True}}, preferred_username="bob")
    assert granted(daemon, service, "kc", token(key, body))["role"] == ["webpubsub.sendToGroup.editors"]
    assert re.search(r"auth:keycloak: attribute_claims 'realm_access\.roles' gives no value: the token holds object there",
                     daemon.stderr_text()), daemon.stderr_text()


def test_a_user_claim_that_is_not_a_string_is_refused_by_name(daemon, key):
    reply = daemon.request("GET", "/negotiate?hub=kc",
                           headers={"Authorization": f"Bearer {token(key, keycloak(preferred_username=42))}"})
    assert reply.status == 401 and reply.json()["error"]["code"] == "missing_user_claim"
    assert re.search(r"auth:keycloak: user_claim 'preferred_username' gives no value: the token holds integer there",
                     daemon.stderr_text())


def refused(daemon, hub, bearer, code):
    reply = daemon.request("GET", f"/negotiate?hub={hub}", headers={"Authorization": f"Bearer {bearer}"})
    assert reply.status == 401 and reply.json()["error"]["code"] == code, reply.body


def test_refusals_say_at_debug_what_was_expected_and_what_came(daemon, key):
    """The classic mistakes: the issuer without its trailing '/', another audience, a kid the set
    lacks, an algorithm not listed; each debug line names both sides, never the token."""
    missing_slash = token(key, entra_v1(iss=ENTRA_V1.rstrip("/")))
    refused(daemon, "entra1", missing_slash, "wrong_issuer")
    refused(daemon, "entra1", token(key, entra_v1(aud="api://other")), "wrong_audience")
    now = int(time.time())
    other_kid = jwt.encode(entra_v1(exp=now + 60), key, algorithm="RS256", headers={"kid": "rotated-away"})
    refused(daemon, "entra1", other_kid, "unknown_key")
    hs = jwt.encode(entra_v1(exp=now + 60), "a-shared-secret-of-32-bytes-long!", algorithm="HS256")
    refused(daemon, "entra1", hs, "algorithm_not_allowed")
    log = daemon.stderr_text()
    assert f"auth:entra1: wrong_issuer: expected iss '{ENTRA_V1}', the token has '{ENTRA_V1.rstrip('/')}'" in log
    assert "auth:entra1: wrong_audience: accepted 'api://negotiated'; the token has 'api://other'" in log
    assert "auth:entra1: unknown_key: no key with kid 'rotated-away' fits RS256; the key set holds: k1/RSA" in log
    assert "auth:entra1: algorithm_not_allowed: the token says HS256; algorithms = RS256" in log
    for secret in (missing_slash, other_kid, hs, missing_slash.split(".")[2]):
        assert secret not in log
