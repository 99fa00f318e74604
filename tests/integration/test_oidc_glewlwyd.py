# SPDX-License-Identifier: Apache-2.0
"""End to end against a real OpenID provider: Debian's glewlwyd, started on loopback from
nothing (private config, private sqlite3 database), as /work/shared/reference/oidc-test-provider.md
describes. negotiated finds its keys through discovery + JWKS and admits its access tokens."""
import base64
import json
import shutil
import subprocess
import time

import pytest
import requests

from conftest import REQUEST_TIMEOUT, Service, check_client_access, free_port

CLIENT_ID = "negotiated-test"
CLIENT_SECRET = "s3cret-for-the-test-only"
AUDIENCE = "https://api.example.test"
GLEWLWYD_START = 20  # seconds to answer discovery
SQLITE = "/usr/bin/sqlite3"
INIT_SQL = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"

SETUP_SQL = """\
INSERT INTO g_plugin_module_instance (gpmi_module, gpmi_name, gpmi_display_name, gpmi_parameters)
VALUES ('oidc', 'oidc', 'OpenID Connect', json_object(
  'iss', '{iss}',
  'jwt-type', 'rsa',
  'jwt-key-size', '256',
  'key', CAST(readfile('{dir}/key.pem') AS TEXT),
  'cert', CAST(readfile('{dir}/pub.pem') AS TEXT),
  'jwks-show', json('true'),
  'allow-non-oidc', json('true'),
  'auth-type-client-enabled', json('true'),
  'auth-type-password-enabled', json('true'),
  'auth-type-code-enabled', json('true'),
  'auth-type-refresh-enabled', json('true'),
  'access-token-duration', 3600,
  'refresh-token-duration', 1209600,
  'code-duration', 600,
  'resource-allowed', json('true'),
  'resource-scope', json_object('api', json_array('{audience}'))
));
INSERT INTO g_scope (gs_name, gs_display_name, gs_description, gs_password_required) VALUES ('api', 'API', 'API', 0);
INSERT INTO g_client (gc_client_id, gc_name, gc_confidential, gc_enabled) VALUES ('{client}', 'negotiated test', 1, 1);
INSERT INTO g_client_property (gc_id, gcp_name, gcp_value) VALUES
  ((SELECT gc_id FROM g_client WHERE gc_client_id = '{client}'), 'client_secret', '{secret}'),
  ((SELECT gc_id FROM g_client WHERE gc_client_id = '{client}'), 'authorization_type', 'client_credentials'),
  ((SELECT gc_id FROM g_client WHERE gc_client_id = '{client}'), 'token_endpoint_auth_method', 'client_secret_basic');
INSERT INTO g_client_scope (gcs_name) VALUES ('api');
INSERT INTO g_client_scope_client (gc_id, gcs_id) VALUES
  ((SELECT gc_id FROM g_client WHERE gc_client_id = '{client}'), (SELECT gcs_id FROM g_client_scope WHERE gcs_name = 'api'));
"""

CONFIG = """\
port={port};
bind_address="127.0.0.1";
external_url="http://127.0.0.1:{port}";
api_prefix="api";
login_url="login.html";
log_mode="console";
log_level="WARNING";
cookie_secure=0;
hash_algorithm="SHA512";
admin_scope="g_admin";
profile_scope="g_profile";
user_module_path="/usr/lib/glewlwyd/user";
client_module_path="/usr/lib/glewlwyd/client";
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme";
plugin_module_path="/usr/lib/glewlwyd/plugin";
database = {{ type = "sqlite3"; path = "{dir}/glewlwyd.db"; }};
"""


def require_tool(path):
    """The provider is part of the suite: missing tools fail it loudly, never skip it."""
    if not shutil.which(path):
        pytest.fail(f"{path} is missing: install the Debian packages glewlwyd and sqlite3 (.ci/install-deps)")


class Provider:
    def __init__(self, directory):
        self.dir = directory
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/api/oidc"
        self.proc = None
        self.log = None

    def create(self):
        for cmd in (["openssl", "genrsa", "-out", "key.pem", "2048"],
                    ["openssl", "rsa", "-in", "key.pem", "-pubout", "-out", "pub.pem"]):
            subprocess.run(cmd, cwd=self.dir, check=True, capture_output=True, timeout=60)
        init = subprocess.run(["zcat", INIT_SQL], check=True, capture_output=True, timeout=60).stdout
        subprocess.run([SQLITE, str(self.dir / "glewlwyd.db")], input=init, check=True, capture_output=True,
                       timeout=60)
        setup = SETUP_SQL.format(iss=self.issuer, dir=self.dir, audience=AUDIENCE, client=CLIENT_ID,
                                 secret=CLIENT_SECRET)
        subprocess.run([SQLITE, str(self.dir / "glewlwyd.db")], input=setup.encode(), check=True,
                       capture_output=True, timeout=60, cwd=self.dir)
        (self.dir / "glewlwyd.conf").write_text(CONFIG.format(port=self.port, dir=self.dir))

    def start(self):
        self.log = open(self.dir / "glewlwyd.log", "wb")
        self.proc = subprocess.Popen(["glewlwyd", f"--config-file={self.dir / 'glewlwyd.conf'}"],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, cwd=self.dir)
        deadline = time.monotonic() + GLEWLWYD_START
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"glewlwyd exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if requests.get(self.discovery_url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        pytest.fail(f"glewlwyd did not answer discovery within {GLEWLWYD_START}s:\n{self.log_text()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()

    def log_text(self):
        return (self.dir / "glewlwyd.log").read_text(errors="replace")

    @property
    def discovery_url(self):
        return self.issuer + "/.well-known/openid-configuration"

    def token(self):
        token_url = requests.get(self.discovery_url, timeout=REQUEST_TIMEOUT).json()["token_endpoint"]
        reply = requests.post(token_url, auth=(CLIENT_ID, CLIENT_SECRET), timeout=REQUEST_TIMEOUT,
                              data={"grant_type": "client_credentials", "scope": "api", "resource": AUDIENCE})
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    for tool in ("glewlwyd", SQLITE, "openssl", "zcat"):
        require_tool(tool)
    p = Provider(tmp_path_factory.mktemp("glewlwyd"))
    try:
        p.create()
        p.start()
        yield p
    finally:
        p.stop()


def claims_of(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_negotiate_with_a_real_openid_provider(provider, daemon_factory):
    service = Service.new()
    daemon = daemon_factory(f"""\
[service:main]
connection_string = {service.connection_string}

[hub:chat]
auth = oidc

[auth:oidc]
type = jwt
issuer = {provider.issuer}
audience = {AUDIENCE}
algorithms = RS256
discovery = yes
""")
    token = provider.token()
    claims = claims_of(token)
    assert claims["iss"] == provider.issuer and claims["sub"] == CLIENT_ID, claims
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Authorization": "Bearer " + token})
    assert reply.status == 200, reply.body
    assert check_client_access(reply.json(), service.key, service.endpoint, "chat")["sub"] == claims["sub"]

    head, body, sig = token.split(".")
    forged = dict(claims, sub="mallory")
    tampered = head + "." + base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode() + "." + sig
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Authorization": "Bearer " + tampered})
    assert reply.status == 401, reply.body
    assert reply.json()["error"]["code"] == "invalid_signature"
    assert "Bearer" in reply.headers["WWW-Authenticate"]


def test_claim_paths_with_a_real_openid_provider(provider, daemon_factory):
    """glewlwyd's client_credentials token as it comes: client_id as the user, its scope string and its
    iat integer as attributes, a rule on attr:scope granting a role."""
    service = Service.new()
    daemon = daemon_factory(f"""\
[service:main]
connection_string = {service.connection_string}

[hub:chat]
auth = oidc

[rule:api-clients]
hub = chat
match = attr:scope=api auth:oidc
roles = webpubsub.sendToGroup.api

[auth:oidc]
type = jwt
issuer = {provider.issuer}
audience = {AUDIENCE}
algorithms = RS256
discovery = yes
user_claim = client_id
attribute_claims = scope issued=iat
""")
    token = provider.token()
    claims = claims_of(token)
    assert claims["client_id"] == CLIENT_ID and claims["scope"] == "api" and isinstance(claims["iat"], int), claims
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Authorization": "Bearer " + token})
    assert reply.status == 200, reply.body
    minted = check_client_access(reply.json(), service.key, service.endpoint, "chat")
    assert minted["sub"] == CLIENT_ID and minted["role"] == ["webpubsub.sendToGroup.api"], minted
