# SPDX-License-Identifier: Apache-2.0
"""The command line: `negotiated token`, --check-config, configuration errors, --dev, signals."""
import json
import os
import re
import signal

import pytest

from conftest import Service, check_client_access, free_port, run_cli

TWO_SERVICES = """\
[service:a]
connection_string = {a}

[service:b]
connection_string = {b}

[hub:alpha]
service = a
auth = guest

[hub:beta]
service = b
auth = guest
max_token_lifetime = 60

[auth:guest]
type = anonymous
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def services():
    return {"a": Service.new("https://a.webpubsub.azure.com"), "b": Service.new("http://localhost:8080")}


@pytest.fixture(scope="module")
def two_service_config(tmp_path_factory, services):
    path = tmp_path_factory.mktemp("cli") / "two.conf"
    path.write_text(TWO_SERVICES.format(a=services["a"].connection_string, b=services["b"].connection_string))
    return path


CS_ENV = "NEGOTIATED_CLI_CS"  # a connection string reaches the CLI from the environment, never on argv


def from_env(args):
    """ARGS with each `--connection-string VALUE` made `--connection-string-env CS_ENV`, and the env."""
    args, env = list(args), {}
    for i, arg in enumerate(args[:-1]):
        if arg == "--connection-string":
            args[i], env[CS_ENV] = "--connection-string-env", args[i + 1]
            args[i + 1] = CS_ENV
    return args, env


def token_cli(*args):
    args, env = from_env(args)
    return run_cli("token", *args, env=env)


def assert_silent_about(result, *secret_values):
    for value in secret_values:
        assert value not in result.stdout and value not in result.stderr


@pytest.mark.parametrize("extra, protocol, user, roles, groups, minutes", [
    ([], "default", None, None, None, 60),
    (["--user", "alice"], "default", "alice", None, None, 60),
    (["--role", "webpubsub.sendToGroup.lobby", "--role", "webpubsub.joinLeaveGroup"], "default", None,
     ["webpubsub.sendToGroup.lobby", "webpubsub.joinLeaveGroup"], None, 60),
    (["--group", "lobby", "--group", "news", "--user", "bob"], "default", "bob", None, ["lobby", "news"], 60),
    (["--ttl", "5"], "default", None, None, None, 5),
    (["--ttl", "525600"], "default", None, None, None, 525600),
    (["--client-protocol", "default"], "default", None, None, None, 60),
    (["--client-protocol", "mqtt"], "mqtt", None, None, None, 60),
    (["--client-protocol", "socketio", "--ttl", "1"], "socketio", None, None, None, 1),
])
def test_token_json(service, extra, protocol, user, roles, groups, minutes):
    result = token_cli("--connection-string", service.connection_string, "--hub", "chat", *extra, "--json")
    assert result.returncode == 0, result.stderr
    claims = check_client_access(json.loads(result.stdout), service.key, service.endpoint, "chat", protocol)
    assert claims["exp"] - claims["iat"] == 60 * minutes
    assert claims.get("sub") == user
    assert claims.get("role") == roles  # absent when empty
    assert claims.get("webpubsub.group") == groups
    assert_silent_about(result, service.key)


@pytest.mark.parametrize("template, endpoint", [
    ("Endpoint=https://e.webpubsub.azure.com;AccessKey={key};Version=1.0;", "https://e.webpubsub.azure.com/"),
    ("Endpoint=http://localhost;Port=8080;AccessKey={key};Version=1.0;", "http://localhost:8080/"),
    ("Endpoint=https://e.webpubsub.azure.com;Port=443;AccessKey={key}", "https://e.webpubsub.azure.com/"),
    ("Endpoint=http://127.0.0.1:8080/;AccessKey={key};", "http://127.0.0.1:8080/"),
    ("endpoint=e.webpubsub.azure.com;;ACCESSKEY={key};", "https://e.webpubsub.azure.com/"),
])
def test_token_endpoint_forms(service, template, endpoint):
    """ws for http endpoints, wss for https; the audience keeps the http(s) form."""
    result = token_cli("--connection-string", template.format(key=service.key), "--hub", "chat", "--json")
    assert result.returncode == 0, result.stderr
    check_client_access(json.loads(result.stdout), service.key, endpoint, "chat")


def test_token_plain_prints_the_url(service):
    result = token_cli("--connection-string", service.connection_string, "--hub", "chat", "--user", "u1")
    assert result.returncode == 0, result.stderr
    url = result.stdout.removesuffix("\n")
    assert "\n" not in url
    base, _, token = url.partition("?access_token=")
    body = {"baseUrl": base, "url": url, "token": token}
    assert check_client_access(body, service.key, service.endpoint, "chat")["sub"] == "u1"
    assert_silent_about(result, service.key)


@pytest.mark.parametrize("hub, name", [("alpha", "a"), ("beta", "b")])
def test_token_from_config_uses_the_hubs_service(two_service_config, services, hub, name):
    result = run_cli("token", "--config", str(two_service_config), "--hub", hub, "--raw", "--ttl", "30", "--json")
    assert result.returncode == 0, result.stderr
    svc = services[name]
    claims = check_client_access(json.loads(result.stdout), svc.key, svc.endpoint, hub)
    assert claims["exp"] - claims["iat"] == 1800
    assert_silent_about(result, services["a"].key, services["b"].key)


CS = ["--connection-string", "{cs}"]
BAD_TOKEN_ARGS = {
    "unknown option": [*CS, "--hub", "chat", "--bogus"],
    "missing --hub": CS,
    "missing value": [*CS, "--hub"],
    "no service": ["--hub", "chat"],
    "ttl zero": [*CS, "--hub", "chat", "--ttl", "0"],
    "ttl above a year": [*CS, "--hub", "chat", "--ttl", "525601"],
    "ttl negative": [*CS, "--hub", "chat", "--ttl", "-5"],
    "ttl fraction": [*CS, "--hub", "chat", "--ttl", "1.5"],
    "ttl word": [*CS, "--hub", "chat", "--ttl", "soon"],
    "bad protocol": [*CS, "--hub", "chat", "--client-protocol", "websocket"],
    "config and connection string": ["--config", "{config}", *CS, "--hub", "alpha"],
    "cs garbage": ["--connection-string", "garbage {key}", "--hub", "chat"],
    "cs ftp": ["--connection-string", "Endpoint=ftp://x.example;AccessKey={key}", "--hub", "chat"],
    "cs no access key": ["--connection-string", "Endpoint=https://x.example;Version=1.0", "--hub", "chat"],
    "cs no endpoint": ["--connection-string", "AccessKey={key};Version=1.0", "--hub", "chat"],
    "cs duplicate key": ["--connection-string", "Endpoint=https://a.example;Endpoint=https://b.example;"
                         "AccessKey={key}", "--hub", "chat"],
    "cs port 0": ["--connection-string", "Endpoint=https://x.example;Port=0;AccessKey={key}", "--hub", "chat"],
    "cs port 65536": ["--connection-string", "Endpoint=https://x.example;Port=65536;AccessKey={key}",
                      "--hub", "chat"],
    "hub starts with digit": [*CS, "--hub", "1chat"],
    "hub with space": [*CS, "--hub", "a b"],
    "hub too long": [*CS, "--hub", "h" * 129],
    "hub empty": [*CS, "--hub", ""],
    "config unknown hub": ["--config", "{config}", "--hub", "nope"],
    "config ttl above hub max": ["--config", "{config}", "--hub", "beta", "--raw", "--ttl", "61"],
    "config without a caller": ["--config", "{config}", "--hub", "beta"],
    "config user and as": ["--config", "{config}", "--hub", "beta", "--user", "u", "--as", "user=u"],
    "raw and as": ["--config", "{config}", "--hub", "beta", "--raw", "--as", "user=u"],
    "as unparsable": ["--config", "{config}", "--hub", "beta", "--as", "nobody"],
}


@pytest.mark.parametrize("args", BAD_TOKEN_ARGS.values(), ids=BAD_TOKEN_ARGS.keys())
def test_token_bad_arguments(service, services, two_service_config, args):
    args = [a.format(cs=service.connection_string, key=service.key, config=two_service_config) for a in args]
    result = token_cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("negotiated: "), result.stderr
    assert_silent_about(result, service.key, services["a"].key, services["b"].key)


# Configurations for --check-config / start-up. {cs}: a connection string, {dir}: the config's directory.
GOOD_CONFIGS = {
    "inline": "[service:main]\nconnection_string = {cs}\n\n[hub:chat]\nauth = guest\n\n"
              "[auth:guest]\ntype = anonymous\n",
    "file and env": """\
# every key, comments of both kinds
[server]
listen = 127.0.0.1:0
threads = 4
max_url_bytes = 2048
max_header_bytes = 8192
max_body_bytes = 1024
connection_timeout = 10
log_level = warning

[service:main]
connection_string_file = {dir}/cs

[service:other]
connection_string_env = NEGOTIATED_TEST_CS

[hub:chat]
service = main
client_protocol = mqtt
token_lifetime = 30
max_token_lifetime = 120
auth = keys guest
roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup
groups = lobby news

[hub:Chat_2.v1]
service = other
client_protocol = socketio
auth = guest

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:guest]
type = anonymous
; without a fixed user
""",
}


def write_config(directory, service, text):
    (directory / "cs").write_text(service.connection_string + "\n")
    (directory / "apikeys").write_text("alice 0123456789abcdef0123\nbob sha256:" + "ab" * 32 + "\n")
    path = directory / "negotiated.conf"
    path.write_text(text.format(cs=service.connection_string, key=service.key, dir=directory))
    return path


@pytest.mark.parametrize("text", GOOD_CONFIGS.values(), ids=GOOD_CONFIGS.keys())
def test_check_config_ok(tmp_path, service, text):
    path = write_config(tmp_path, service, text)
    result = run_cli("-c", str(path), "--check-config", env={"NEGOTIATED_TEST_CS": service.connection_string})
    assert result.returncode == 0, result.stderr
    assert f"{path}: configuration OK" in result.stdout + result.stderr
    assert_silent_about(result, service.key)


# Each case is appended to HEAD; the line marked ">" is the one the error must name, with KEY.
HEAD = "[hub:chat]\nauth = guest\n\n[auth:guest]\ntype = anonymous\n\n"
SERVICE = "[service:main]\nconnection_string = {cs}\n"
CONFIG_ERRORS = {
    "unknown section": (SERVICE + ">[bogus]\n", "bogus"),
    "unknown key": (SERVICE + "[server]\n>colour = blue\n", "colour"),
    "bad threads": (SERVICE + "[server]\n>threads = 0\n", "threads"),
    "bad listen": (SERVICE + "[server]\n>listen = 127.0.0.1:99999\n", "listen"),
    "bad log_level": (SERVICE + "[server]\n>log_level = loud\n", "log_level"),
    "bad client_protocol": (SERVICE + "[hub:other]\nauth = guest\n>client_protocol = websocket\n",
                            "client_protocol"),
    "bad token_lifetime": (SERVICE + "[hub:other]\nauth = guest\n>token_lifetime = soon\n", "token_lifetime"),
    "bad auth type": (SERVICE + "[auth:x]\n>type = password\n", "type"),
    "duplicate key": (SERVICE + "[server]\nthreads = 2\n>threads = 4\n", "threads"),
    "duplicate section": (SERVICE + ">[hub:chat]\nauth = guest\n", "hub:chat"),
    "missing apikey file": (SERVICE + "[auth:keys]\ntype = apikey\n>file = {dir}/missing\n", "file"),
    "missing connection string file": ("[service:main]\n>connection_string_file = {dir}/missing\n",
                                       "connection_string_file"),
    "unset connection string env": ("[service:main]\n>connection_string_env = NEGOTIATED_TEST_UNSET\n",
                                    "connection_string_env"),
    "unparsable connection string": ("[service:main]\n>connection_string = Endpoint=ftp://x.example;"
                                     "AccessKey={key}\n", "connection_string"),
    "connection string without key": ("[service:main]\n>connection_string = Endpoint=https://x.example\n",
                                      "connection_string"),
    "missing hub auth": (SERVICE + ">[hub:other]\ngroups = lobby\n", "auth"),
    "missing auth type": (SERVICE + ">[auth:x]\nuser = u\n", "type"),
    "missing apikey file key": (SERVICE + ">[auth:keys]\ntype = apikey\n", "file"),
    "missing connection string": (">[service:main]\n", "connection_string"),
    "hub with unknown auth": (SERVICE + "[hub:other]\n>auth = nobody\n", "auth"),
    "hub with unknown service": (SERVICE + "[hub:other]\nauth = guest\n>service = nope\n", "service"),
    "invalid hub name": (SERVICE + ">[hub:1chat]\nauth = guest\n", "1chat"),
    # keyless services: every refusal comes before any network call (loopback addresses only)
    "keyless without credential": (">[service:main]\nendpoint = https://127.0.0.1:1\n", "credential"),
    "keyless bad credential": ("[service:main]\nendpoint = https://127.0.0.1:1\n>credential = password\n",
                               "credential"),
    "keyless with a connection string too": ("[service:main]\nconnection_string = {cs}\n"
                                             ">endpoint = https://127.0.0.1:1\ncredential = managed_identity\n",
                                             "endpoint"),
    "keyless bad endpoint": ("[service:main]\n>endpoint = ftp://127.0.0.1\ncredential = managed_identity\n",
                             "endpoint"),
    "keyless secret without tenant": ("[service:main]\nendpoint = https://127.0.0.1:1\n>credential = client_secret\n"
                                      "client_id = c\nclient_secret_file = {dir}/cs\n", "tenant_id"),
    "keyless missing secret file": ("[service:main]\nendpoint = https://127.0.0.1:1\ncredential = client_secret\n"
                                    "tenant_id = t\nclient_id = c\n>client_secret_file = {dir}/missing\n"
                                    "authority_host = http://127.0.0.1:1\n", "client_secret_file"),
    "keyless missing certificate file": ("[service:main]\nendpoint = https://127.0.0.1:1\n"
                                         "credential = client_certificate\ntenant_id = t\nclient_id = c\n"
                                         ">client_certificate_file = {dir}/missing\n"
                                         "authority_host = http://127.0.0.1:1\n", "client_certificate_file"),
    "keyless certificate without key": ("[service:main]\nendpoint = https://127.0.0.1:1\n"
                                        "credential = client_certificate\ntenant_id = t\nclient_id = c\n"
                                        ">client_certificate_file = {dir}/cs\n"
                                        "authority_host = http://127.0.0.1:1\n", "client_certificate_file"),
    "keyless metadata address refused in tests": ("[service:main]\nendpoint = https://127.0.0.1:1\n"
                                                  ">credential = managed_identity\n", "credential"),
    "keyless credential without endpoint": (SERVICE + ">credential = managed_identity\n", "credential"),
}


@pytest.mark.parametrize("mode", ["check-config", "start"])
@pytest.mark.parametrize("case", CONFIG_ERRORS.values(), ids=CONFIG_ERRORS.keys())
def test_config_errors(tmp_path, service, case, mode):
    body, key = case
    lines = (HEAD + body).splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(">"))
    path = write_config(tmp_path, service, "".join(text.removeprefix(">") for text in lines))
    if mode == "check-config":
        result = run_cli("-c", str(path), "--check-config")
    else:
        result = run_cli("-c", str(path), "--listen", f"127.0.0.1:{free_port()}")
    assert result.returncode == 1, (result.stdout, result.stderr)
    # One line "FILE:LINE: KEY: reason", possibly after the program name.
    assert re.search(rf"^(negotiated: )?{re.escape(str(path))}:{line}: .*{re.escape(key)}",
                     result.stdout + result.stderr, re.M), result.stderr
    assert_silent_about(result, service.key)


def test_dev_mode(daemon_factory, service):
    daemon = daemon_factory(None, args=["--dev"], env={"WEBPUBSUB_CONNECTION_STRING": service.connection_string})
    for target in ["/negotiate?hub=chat", "/negotiate"]:
        reply = daemon.request("GET", target)
        assert reply.status == 200, reply.body
        claims = check_client_access(reply.json(), service.key, service.endpoint, "chat")
        assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.lobby"]
    log = daemon.stderr_text()
    assert re.search("development mode", log, re.I), log
    assert "http://localhost:* http://127.0.0.1:*" in log, log
    assert service.key not in log


# --dev admits pages of a local dev server (any port) and no other origin.
@pytest.mark.parametrize("origin, allowed", [
    ("http://localhost:3000", True), ("http://127.0.0.1:5173", True), ("http://localhost", True),
    ("https://localhost:3000", False), ("http://localhost.example:3000", False), ("http://evil.example", False),
    ("http://localhost:3000x", False), ("http://127.0.0.1:", False),
])
def test_dev_mode_admits_local_pages_only(daemon_factory, origin, allowed):
    daemon = daemon_factory(None, args=["--dev"])
    preflight = daemon.request("OPTIONS", "/negotiate?hub=chat", None,
                               {"Origin": origin, "Access-Control-Request-Method": "GET"})
    reply = daemon.request("GET", "/negotiate?hub=chat", None, {"Origin": origin})
    if allowed:
        assert preflight.status == 204, preflight.body
        assert reply.status == 200 and reply.headers.get("Access-Control-Allow-Origin") == origin
    else:  # the browser then refuses the page the answer: it carries no Access-Control-Allow-Origin
        assert preflight.status == 403, preflight.body
        assert reply.headers.get("Access-Control-Allow-Origin") is None


def test_dev_mode_without_connection_string(daemon_factory):
    daemon = daemon_factory(None, args=["--dev"])
    reply = daemon.request("GET", "/negotiate?hub=chat")
    assert reply.status == 200, reply.body
    assert set(reply.json()) == {"baseUrl", "url", "token"}
    assert re.search("development mode", daemon.stderr_text(), re.I)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(daemon_factory, service, sig):
    daemon = daemon_factory(GOOD_CONFIGS["inline"].format(cs=service.connection_string))
    assert daemon.stop(sig) is None
    assert "listening on" in daemon.stderr_text()


POLICY = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = keys
roles = webpubsub.joinLeaveGroup.lobby
groups = lobby
token_lifetime = 30
max_token_lifetime = 120

[rule:admins]
hub = chat
match = user:alice
roles = webpubsub.sendToGroup.lobby
max_token_lifetime = 10

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


@pytest.fixture
def policy_config(tmp_path, service):
    (tmp_path / "apikeys").write_text("alice 0123456789abcdef0123456789abcdef\n")
    config = tmp_path / "negotiated.conf"
    config.write_text(POLICY.format(cs=service.connection_string, dir=tmp_path))
    return config


def test_token_from_config_answers_what_the_daemon_would(policy_config, service):
    """The hub's roles, groups and lifetimes apply; before, --config minted any role asked and none by default."""
    result = run_cli("token", "--config", str(policy_config), "--hub", "chat", "--user", "bob", "--json")
    assert result.returncode == 0, result.stderr
    claims = check_client_access(json.loads(result.stdout), service.key, service.endpoint, "chat")
    assert claims["sub"] == "bob" and claims["role"] == ["webpubsub.joinLeaveGroup.lobby"]
    assert claims["webpubsub.group"] == ["lobby"] and claims["exp"] - claims["iat"] == 30 * 60
    result = run_cli("token", "--config", str(policy_config), "--hub", "chat", "--user", "alice", "--json",
                     "--role", "webpubsub.sendToGroup.lobby", "--ttl", "60")
    assert result.returncode == 0, result.stderr
    claims = check_client_access(json.loads(result.stdout), service.key, service.endpoint, "chat")
    assert claims["role"] == ["webpubsub.sendToGroup.lobby"] and claims["exp"] - claims["iat"] == 10 * 60


def test_token_from_config_refuses_what_the_daemon_would(policy_config, service):
    result = run_cli("token", "--config", str(policy_config), "--hub", "chat", "--user", "bob",
                     "--role", "webpubsub.sendToGroup.lobby")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("negotiated: token: refused as the daemon would (403 forbidden_role): role "
                                    "'webpubsub.sendToGroup.lobby' is not granted to this caller on hub chat"), \
        result.stderr


def test_token_raw_signs_exactly_what_is_asked(policy_config, service):
    result = run_cli("token", "--config", str(policy_config), "--hub", "chat", "--raw", "--user", "bob", "--json",
                     "--role", "webpubsub.sendToGroup.lobby")
    assert result.returncode == 0, result.stderr
    claims = check_client_access(json.loads(result.stdout), service.key, service.endpoint, "chat")
    assert claims["role"] == ["webpubsub.sendToGroup.lobby"] and "webpubsub.group" not in claims


def default_config_path():
    result = run_cli("--help")
    return re.search(r"configuration file \(default (\S+)\)", result.stdout).group(1)


def test_no_configuration_points_at_dev_and_c():
    """Before: only "cannot open /usr/local/etc/negotiated/negotiated.conf"."""
    path = default_config_path()
    assert not os.path.exists(path), f"this test needs no file at {path}"
    result = run_cli()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"negotiated: no configuration at {path}.\n"), result.stderr
    for hint in ("negotiated --dev ", "negotiated --dev --print-config > negotiated.conf", "negotiated -c FILE"):
        assert hint in result.stderr, result.stderr


def test_dev_print_config_is_a_starting_file_that_checks(tmp_path, service):
    result = run_cli("--dev", "--print-config")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "connection_string_env = WEBPUBSUB_CONNECTION_STRING" in result.stdout
    assert "placeholder http://localhost:8081" in result.stdout and "AccessKey" not in result.stdout
    config = tmp_path / "negotiated.conf"
    config.write_text(result.stdout)
    checked = run_cli("--check-config", "-c", str(config),
                      env={"WEBPUBSUB_CONNECTION_STRING": service.connection_string})
    assert checked.returncode == 0, checked.stderr
    assert run_cli("--print-config").returncode == 2


def test_dev_says_what_localhost_8081_is(daemon_factory):
    daemon = daemon_factory(None, args=("--dev",))
    assert ("tokens name the placeholder endpoint http://localhost:8081 and are signed with a key generated for "
            "this run, so no service accepts them") in daemon.stderr_text()
