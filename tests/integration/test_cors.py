# SPDX-License-Identifier: Apache-2.0
"""CORS on /negotiate: preflights answered directly, allowed and refused origins, credentials,
"*" without credentials, Vary: Origin on every answer, and the configuration rule."""
import secrets

import pytest

from conftest import Service, run_cli

APP = "https://app.example"
OTHER = "https://evil.example"
KEY = secrets.token_hex(16)

CONFIG = """\
[server]
cors_origins = {app} http://localhost:3000
{server_extra}

[service:main]
connection_string = {cs}

[hub:chat]
auth = keys

[hub:public]
auth = guest
cors_origins = *

[hub:cred]
auth = keys
cors_origins = {app}
cors_credentials = yes

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
"""
PREFLIGHT = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory):
    directory = tmp_path_factory.mktemp("cors")
    (directory / "apikeys").write_text(f"alice {KEY}\n")
    text = CONFIG.format(app=APP, server_extra="", cs=Service.new().connection_string, dir=directory)
    return module_daemon_factory(text)


def vary_origin(reply):
    return "Origin" in [v.strip() for v in ",".join(reply.headers.get_all("Vary") or []).split(",")]


@pytest.mark.parametrize("target", ["/negotiate?hub=chat", "/negotiate/chat", "/negotiate"])
def test_preflight_allowed(daemon, target):
    reply = daemon.request("OPTIONS", target, headers={"Origin": APP, **PREFLIGHT})
    assert reply.status == 204 and reply.body == b""
    assert reply.headers.get("Access-Control-Allow-Origin") == APP
    assert reply.headers.get("Access-Control-Allow-Credentials") is None
    methods = {m.strip() for m in reply.headers.get("Access-Control-Allow-Methods").split(",")}
    assert {"GET", "POST"} <= methods
    allowed = {h.strip().lower() for h in reply.headers.get("Access-Control-Allow-Headers").split(",")}
    assert {"authorization", "x-api-key", "content-type"} <= allowed
    assert int(reply.headers.get("Access-Control-Max-Age")) > 0
    assert vary_origin(reply)
    assert reply.headers.get("Location") is None


def test_preflight_second_origin_of_the_list(daemon):
    reply = daemon.request("OPTIONS", "/negotiate?hub=chat", headers={"Origin": "http://localhost:3000", **PREFLIGHT})
    assert reply.status == 204 and reply.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"


@pytest.mark.parametrize("origin", [OTHER, APP + "/", "https://APP.example", APP + ".evil", "null"])
def test_preflight_refused(daemon, origin):
    reply = daemon.request("OPTIONS", "/negotiate?hub=chat", headers={"Origin": origin, **PREFLIGHT})
    assert reply.status == 403 and reply.json()["error"]["code"] == "origin_not_allowed"
    assert reply.headers.get("Access-Control-Allow-Origin") is None
    assert vary_origin(reply)


def test_options_that_is_not_a_preflight_is_405(daemon):
    reply = daemon.request("OPTIONS", "/negotiate?hub=chat")
    assert reply.status == 405 and reply.headers.get("Access-Control-Allow-Origin") is None


def test_actual_request_from_allowed_origin(daemon):
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Origin": APP, "X-API-Key": KEY})
    assert reply.status == 200
    assert reply.headers.get("Access-Control-Allow-Origin") == APP
    assert reply.headers.get("Access-Control-Allow-Credentials") is None
    assert "x-request-id" in reply.headers.get("Access-Control-Expose-Headers", "").lower()
    assert vary_origin(reply)


@pytest.mark.parametrize("target, headers, status", [
    ("/negotiate?hub=chat", {}, 401),
    ("/negotiate?hub=chat", {"X-API-Key": secrets.token_hex(16)}, 401),
    ("/negotiate?hub=nope", {}, 404),
    ("/negotiate", {}, 400),
])
def test_errors_carry_cors_headers_for_allowed_origins(daemon, target, headers, status):
    reply = daemon.request("GET", target, headers={"Origin": APP, **headers})
    assert reply.status == status
    assert reply.headers.get("Access-Control-Allow-Origin") == APP
    assert reply.json()["error"]["code"]
    assert vary_origin(reply)


def test_disallowed_origin_gets_no_allow_origin(daemon):
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"Origin": OTHER, "X-API-Key": KEY})
    assert reply.status == 200  # CORS is the browser's to enforce; the answer just does not allow it
    assert reply.headers.get("Access-Control-Allow-Origin") is None
    assert vary_origin(reply)


def test_vary_origin_without_origin(daemon):
    reply = daemon.request("GET", "/negotiate?hub=chat", headers={"X-API-Key": KEY})
    assert reply.status == 200 and vary_origin(reply)
    assert reply.headers.get("Access-Control-Allow-Origin") is None
    assert not vary_origin(daemon.request("GET", "/healthz"))


def test_star_without_credentials(daemon):
    for origin in (APP, OTHER):
        pre = daemon.request("OPTIONS", "/negotiate/public", headers={"Origin": origin, **PREFLIGHT})
        assert pre.status == 204 and pre.headers.get("Access-Control-Allow-Origin") == "*"
        assert pre.headers.get("Access-Control-Allow-Credentials") is None
        reply = daemon.request("GET", "/negotiate/public", headers={"Origin": origin})
        assert reply.status == 200 and reply.headers.get("Access-Control-Allow-Origin") == "*"
        assert reply.headers.get("Access-Control-Allow-Credentials") is None


def test_credentialed_hub(daemon):
    pre = daemon.request("OPTIONS", "/negotiate/cred", headers={"Origin": APP, **PREFLIGHT})
    assert pre.status == 204
    assert pre.headers.get("Access-Control-Allow-Origin") == APP
    assert pre.headers.get("Access-Control-Allow-Credentials") == "true"
    reply = daemon.request("GET", "/negotiate?hub=cred", headers={"Origin": APP, "Authorization": f"Bearer {KEY}"})
    assert reply.status == 200
    assert reply.headers.get("Access-Control-Allow-Origin") == APP
    assert reply.headers.get("Access-Control-Allow-Credentials") == "true"
    # the hub's list replaces the server's: localhost:3000 is not allowed here
    refused = daemon.request("OPTIONS", "/negotiate/cred", headers={"Origin": "http://localhost:3000", **PREFLIGHT})
    assert refused.status == 403 and refused.headers.get("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize("server, hub, line, key", [
    ("cors_origins = *\ncors_credentials = yes", "", 3, "cors_credentials"),
    ("cors_origins = *", "cors_credentials = yes", 7, "cors_credentials"),
    ("", "cors_origins = *\ncors_credentials = yes", 8, "cors_credentials"),
])
def test_star_with_credentials_is_a_config_error(tmp_path, server, hub, line, key):
    config = tmp_path / "n.conf"
    config.write_text(f"[server]\n{server}\n[service:main]\nconnection_string = {Service.new().connection_string}\n"
                      f"[hub:chat]\nauth = guest\n{hub}\n[auth:guest]\ntype = anonymous\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{config}:{line}: {key}: yes cannot go with cors_origins = *" in result.stderr, result.stderr
