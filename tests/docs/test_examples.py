# SPDX-License-Identifier: Apache-2.0
"""Every file in examples/ checks with --check-config and serves a request (README "Where to go").

The files name production paths; the test moves them, and nothing else: /etc/negotiated/,
/tmp/negotiated-first/, /var/lib/negotiated and /run/negotiated/admin.sock (the revocation list's
state directory and admin socket) become the test's own directory, where it writes the
secrets the files name (a connection string, API keys, an htpasswd file, credentials). A jwt
example's key source (discovery or jwks_url) is replaced by a local jwks_file holding the test's
key, and its token is shaped as that provider documents its tokens. --check-config runs in a
network namespace of its own (unshare -rn), so that no example reaches a real provider.
"""
import base64
import contextlib
import http.server
import json
import re
import secrets
import subprocess
import threading
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import EXAMPLES, REPO, integration

NOW = int(time.time())
TENANT = "11111111-2222-3333-4444-555555555555"

# provider-shaped claims (each provider's documentation of its access or ID tokens), the ask, and
# what the answer's token must then carry
JWT_CASES = {
    "entra-v1.conf": ({  # Entra ID v1.0 access token
        "aud": "api://negotiated", "iss": f"https://sts.windows.net/{TENANT}/", "iat": NOW, "nbf": NOW,
        "exp": NOW + 3600, "acr": "1", "aio": "AVQAq/8TAAAA", "amr": ["pwd"], "appid": str(uuid.uuid4()),
        "appidacr": "0", "family_name": "Doe", "given_name": "Ada", "ipaddr": "203.0.113.7", "name": "Ada Doe",
        "oid": "0d2c1fe2-3b8e-4f6b-9a55-7f6c1e3a9d10", "roles": ["Chat.Moderator"],
        "groups": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"], "scp": "access_as_user", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
        "tid": TENANT, "unique_name": "ada@contoso.com", "upn": "ada@contoso.com", "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "1.0"}, "", {"sub": "0d2c1fe2-3b8e-4f6b-9a55-7f6c1e3a9d10", "role": ["webpubsub.sendToGroup"]}),
    "entra-v2.conf": ({  # Entra ID v2.0 access token
        "aud": "66666666-7777-8888-9999-000000000000", "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "iat": NOW, "nbf": NOW, "exp": NOW + 3600, "aio": "AVQAq/8TAAAA", "azp": str(uuid.uuid4()), "azpacr": "0",
        "name": "Ada Doe", "oid": "0d2c1fe2-3b8e-4f6b-9a55-7f6c1e3a9d10", "preferred_username": "ada@contoso.com",
        "rh": "0.AAAA", "roles": ["Chat.Moderator"], "groups": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"],
        "scp": "access_as_user", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA", "tid": TENANT,
        "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0"}, "",
        {"sub": "0d2c1fe2-3b8e-4f6b-9a55-7f6c1e3a9d10", "role": ["webpubsub.sendToGroup"],
         "webpubsub.group": ["team"]}),
    "keycloak.conf": ({  # Keycloak access token
        "exp": NOW + 300, "iat": NOW, "jti": str(uuid.uuid4()), "iss": "https://keycloak.example.com/realms/main",
        "aud": ["chat-app", "account"], "sub": str(uuid.uuid4()), "typ": "Bearer", "azp": "chat-app",
        "session_state": str(uuid.uuid4()), "acr": "1", "allowed-origins": ["https://app.example.com"],
        "realm_access": {"roles": ["default-roles-main", "offline_access", "admin"]},
        "resource_access": {"chat-app": {"roles": ["moderator"]},
                            "account": {"roles": ["manage-account", "view-profile"]}},
        "scope": "openid profile email", "sid": str(uuid.uuid4()), "email_verified": True, "name": "Alice Liddell",
        "preferred_username": "alice", "given_name": "Alice", "family_name": "Liddell", "email": "alice@example.com"},
        "", {"sub": "alice", "role": ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"]}),
    "auth0.conf": ({  # Auth0 access token for an API, with a namespaced claim set by an Action
        "https://example.com/roles": ["admin"], "iss": "https://example.eu.auth0.com/",
        "sub": "auth0|64b7f3c2a1b2c3d4e5f60718", "aud": ["https://chat.example.com/api", "https://example.eu.auth0.com/userinfo"],
        "iat": NOW, "exp": NOW + 86400, "azp": "Yq3Kc9bZxW2v7u6t5s4r3q2p1o0n9m8l", "scope": "openid profile email",
        "permissions": ["read:messages"]}, "", {"sub": "auth0|64b7f3c2a1b2c3d4e5f60718", "role": ["webpubsub.sendToGroup"]}),
    "google.conf": ({  # Google ID token
        "iss": "https://accounts.google.com", "azp": "1234567890-abcdefghijklmnop.apps.googleusercontent.com",
        "aud": "1234567890-abcdefghijklmnop.apps.googleusercontent.com", "sub": "110169484474386276334",
        "hd": "example.com", "email": "ada@example.com", "email_verified": True, "nbf": NOW, "name": "Ada Doe",
        "picture": "https://lh3.googleusercontent.com/a/x", "given_name": "Ada", "family_name": "Doe",
        "iat": NOW, "exp": NOW + 3600, "jti": secrets.token_hex(20)}, "",
        {"sub": "110169484474386276334", "role": ["webpubsub.sendToGroup.lobby"]}),
    "glewlwyd.conf": ({  # glewlwyd 2.7 access token, client credentials
        "iss": "http://127.0.0.1:4593/api/oidc", "aud": "api", "client_id": "chat-app", "sub": "chat-app",
        "iat": NOW, "exp": NOW + 3600, "nbf": NOW, "jti": secrets.token_hex(8), "type": "access_token",
        "scope": "api"}, "", {"sub": "chat-app"}),
    "oidc.conf": ({"iss": "https://login.example.com/realms/main", "aud": "api://negotiated", "sub": "ada",
                   "iat": NOW, "exp": NOW + 600}, "", {"sub": "ada"}),
    "policy-rooms.conf": ({"iss": "https://login.example.com/realms/main", "aud": "chat-app", "sub": "ada",
                           "iat": NOW, "exp": NOW + 600, "rooms": ["7", "9"]}, "",
                          {"sub": "ada", "role": ["webpubsub.joinLeaveGroup.room-7", "webpubsub.sendToGroup.room-9"]}),
}
HEADER_TYP = {"glewlwyd.conf": "at+jwt"}
CHECK_ONLY = {"keyless.conf": "signing needs Entra ID and the service's generateToken: tests/compat/keyless*.test.mjs",
              "store-entra.conf": "the store's password is an Entra ID token: tests/integration/test_store_entra.py"}


@contextlib.contextmanager
def webhook_server():
    """A loopback webhook that admits a caller presenting the test's API key as a bearer."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"userId": "alice", "attributes": {"groups": ["staff"]}}).encode()
            self.send_response(200 if self.headers.get("Authorization") else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class Setup:
    """The files an example names, in the test's directory, and how to ask for a token."""

    def __init__(self, tmp, name):
        self.tmp, self.name = tmp, name
        self.etc = tmp / "etc" / "negotiated"
        (self.etc / "credentials").mkdir(parents=True)
        (tmp / "first").mkdir()
        self.service = integration.Service.new()
        self.api_key = secrets.token_hex(24)
        self.password = secrets.token_hex(12)
        for secret in (self.api_key, self.password):
            integration.remember_secret(secret)
        for credential in ("redis", "redis-sentinel"):
            (self.etc / "credentials" / credential).write_text(secrets.token_hex(16) + "\n")
        for path in (self.etc / "connection-string", self.etc / "credentials" / "main",
                     self.etc / "credentials" / "secondary"):
            path.write_text(self.service.connection_string + "\n")
        for path in (self.etc / "apikeys", tmp / "first" / "apikeys"):
            path.write_text(f"app1 {self.api_key}\n")
        sha512_crypt = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=self.password, check=True,
                                      capture_output=True, text=True, timeout=10).stdout.strip()
        (self.etc / "htpasswd").write_text(f"alice:{sha512_crypt}\n")
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid="test-key", use="sig", alg="RS256")
        (tmp / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
        (tmp / "state").mkdir()
        self.text = (REPO / "examples" / name).read_text().replace("/etc/negotiated/", f"{self.etc}/") \
            .replace("/tmp/negotiated-first/", f"{tmp}/first/").replace("/var/lib/negotiated", f"{tmp}/state") \
            .replace("/run/negotiated/admin.sock", f"{tmp}/admin.sock")
        self.env = {"WEBPUBSUB_CONNECTION_STRING": self.service.connection_string,
                    "CREDENTIALS_DIRECTORY": str(self.etc / "credentials")}

    def served_text(self):
        text = self.text
        # a [store] no instance reaches (nothing listens on port 9): rate_on_failure = open serves,
        # and so does revocations_on_failure = open (closed, the default, answers 503 without it)
        text = re.sub(r"^url = rediss?://.*$", "url = redis://127.0.0.1:9/0\nrevocations_on_failure = open", text,
                      flags=re.M)
        # and a sentinel no instance reaches, for the same primary name
        text = re.sub(r"^url = rediss?-sentinel://[^#]*#(.*)$",
                      r"url = redis-sentinel://127.0.0.1:9#\1\nrevocations_on_failure = open", text, flags=re.M)
        if self.name in JWT_CASES:
            text = re.sub(r"^(discovery = yes|jwks_url = .*)$", f"jwks_file = {self.tmp}/jwks.json", text, flags=re.M)
        return text

    def headers(self):
        if self.name in JWT_CASES:
            claims = JWT_CASES[self.name][0]
            token = jwt.encode(claims, self.key, algorithm="RS256",
                               headers={"kid": "test-key", "typ": HEADER_TYP.get(self.name, "JWT")})
            integration.remember_secret(token)
            return {"Authorization": f"Bearer {token}"}
        if "type = htpasswd" in self.text:
            return {"Authorization": "Basic " + base64.b64encode(f"alice:{self.password}".encode()).decode()}
        if "type = webhook" in self.text:
            return {"Authorization": f"Bearer {self.api_key}"}
        if "type = trusted_header" in self.text:
            return {"X-Auth-Request-User": "alice", "X-Auth-Request-Groups": "staff, admins"}
        return {"X-API-Key": self.api_key}


@pytest.mark.parametrize("example", [p.name for p in EXAMPLES])
def test_example_checks(example, tmp_path):
    setup = Setup(tmp_path, example)
    config = tmp_path / example
    config.write_text(setup.text)
    env = integration.child_env(setup.env)
    if example in CHECK_ONLY:
        env.pop("NEGOTIATED_NO_IMDS", None)  # no network in the namespace: the address is unreachable anyway
    result = subprocess.run(["unshare", "-rn", integration.BINARY, "--check-config", "-c", str(config)],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration OK" in result.stdout + result.stderr


@pytest.mark.parametrize("example", [p.name for p in EXAMPLES if p.name not in CHECK_ONLY])
def test_example_serves(example, tmp_path, daemon_factory):
    setup = Setup(tmp_path, example)
    unix = "type = trusted_header" in setup.text
    listen = f"unix:{tmp_path}/negotiated.sock" if unix else None
    text = setup.served_text()
    with webhook_server() as port:
        # the webhook example's service, on a free port instead of 9000
        text = text.replace("http://127.0.0.1:9000/", f"http://127.0.0.1:{port}/")
        daemon = daemon_factory(text, listen=listen, env=setup.env)
        reply = ask(daemon, example, setup)
    check_answer(reply, example, setup)


def ask(daemon, example, setup):
    query = "&role=webpubsub.sendToGroup" if example == "policy-admins.conf" else ""
    hub = "notify" if example == "policy-notify.conf" else "chat"
    return daemon.request("GET", f"/negotiate?hub={hub}{query}", headers=setup.headers())


def check_answer(reply, example, setup):
    assert reply.status == 200, reply.body
    body = reply.json()
    claims = jwt.decode(body["token"], setup.service.key, algorithms=["HS256"],
                        options={"verify_aud": False})
    want = JWT_CASES.get(example, (None, None, {}))[2]
    if example == "policy-admins.conf":
        want = {"sub": "alice", "role": ["webpubsub.sendToGroup"]}
    if example == "policy-notify.conf":
        want = {"sub": "app1", "webpubsub.group": ["user-app1"]}
    for claim, value in want.items():
        if isinstance(value, list):
            assert set(value) <= set(claims.get(claim, [])), (claim, claims)
        else:
            assert claims.get(claim) == value, (claim, claims)


def test_shipped_sample_checks_with_the_documented_command(tmp_path):
    """docs/configuration.md's command for the sample as the Debian package installs it (with
    debian/apikeys and a credential "main"), run with /etc/negotiated/ moved to the test's directory."""
    from conftest import marked_block
    command = marked_block(REPO / "docs" / "configuration.md", "sample-check").strip()
    etc = tmp_path / "etc" / "negotiated"
    (etc / "credentials").mkdir(parents=True)
    (etc / "negotiated.conf").write_text((REPO / "etc" / "negotiated.conf").read_text()
                                         .replace("/etc/negotiated/", f"{etc}/"))
    (etc / "apikeys").write_text((REPO / "debian" / "apikeys").read_text())
    (etc / "credentials" / "main").write_text(integration.Service.new().connection_string + "\n")
    argv = command.replace("/etc/negotiated/", f"{etc}/").split()
    assert argv[0] == "negotiated", command
    result = subprocess.run(["unshare", "-rn", integration.BINARY, *argv[1:]], capture_output=True, text=True,
                            timeout=30, env=integration.child_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration OK" in result.stdout + result.stderr
