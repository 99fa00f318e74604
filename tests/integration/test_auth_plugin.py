# SPDX-License-Identifier: Apache-2.0
"""type = plugin: the sample plugin (tests/plugins/sample_plugin.c, built by `make check`) is loaded
with dlopen and authenticates; broken plugins refuse to start with a message naming what is wrong."""
import os
import secrets
from pathlib import Path

import pytest

from auth_helpers import admitted, assert_error, assert_refused
from conftest import BINARY, Service, check_client_access

SECRET = secrets.token_hex(16)
API_KEY = secrets.token_hex(16)


@pytest.fixture(scope="module")
def plugins():
    """The directory of the built test plugins: NEGOTIATED_PLUGIN_DIR, or tests/plugins in the binary's build tree."""
    default = Path(BINARY).resolve().parents[1] / "tests" / "plugins"
    directory = Path(os.environ.get("NEGOTIATED_PLUGIN_DIR", default))
    for name in ["sample_plugin", "broken_no_entry", "broken_abi", "broken_create", "broken_null"]:
        if not (directory / f"{name}.so").is_file():
            pytest.fail(f"{directory}/{name}.so is missing: run `make check` in the build tree first "
                        "(or set NEGOTIATED_PLUGIN_DIR)")
    return directory


@pytest.fixture(scope="module")
def service():
    return Service.new()


CONFIG = """\
[service:main]
connection_string = {cs}

[hub:plug]
auth = sample

[hub:both]
auth = sample keys

[auth:sample]
type = plugin
path = {plugins}/sample_plugin.so
secret = {secret}
attribute = blue

[auth:keys]
type = apikey
file = {dir}/apikeys

[rule:blue]
hub = both
match = attr:sample=blue
roles = webpubsub.sendToGroup
"""


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service, plugins):
    directory = tmp_path_factory.mktemp("plugin")
    (directory / "apikeys").write_text(f"service-a {API_KEY}\n")
    return module_daemon_factory(CONFIG.format(cs=service.connection_string, plugins=plugins, secret=SECRET,
                                               dir=directory))


def sample(user, secret=SECRET):
    # UTF-8 bytes: http.client would send a str header as Latin-1
    return {"X-Sample-User": user.encode(), "X-Sample-Secret": secret}


@pytest.mark.parametrize("user", ["alice", "élodie", "u" * 512], ids=["ascii", "utf8", "longest"])
def test_plugin_accepts(daemon, service, user):
    reply = daemon.request("GET", "/negotiate/plug", headers=sample(user))
    assert reply.status == 200, reply.body
    assert check_client_access(reply.json(), service.key, service.endpoint, "plug")["sub"] == user
    assert admitted(daemon, user, "sample")


@pytest.mark.parametrize("secret", ["wrong-secret-0123456789", SECRET[:-1], SECRET + "0", ""],
                         ids=["wrong", "shorter", "longer", "empty"])
def test_plugin_wrong_credentials(daemon, secret):
    reply = daemon.request("GET", "/negotiate/plug", headers=sample("alice", secret))
    assert_error(reply, 403, "sample_refused", [SECRET])


def test_plugin_secret_header_missing(daemon):
    assert_error(daemon.request("GET", "/negotiate/plug", headers={"X-Sample-User": "alice"}), 403,
                 "sample_refused", [SECRET])


def test_plugin_missing_credentials_offers_its_scheme(daemon):
    reply = daemon.request("GET", "/negotiate/plug", headers={"X-Sample-Secret": SECRET})
    assert_error(reply, 401, "unauthenticated", [SECRET])
    assert reply.headers.get("WWW-Authenticate") == 'Sample realm="negotiated"'


def test_plugin_malformed_user(daemon):
    reply = daemon.request("GET", "/negotiate/plug", headers=sample("u" * 513))
    assert_error(reply, 401, "malformed_credentials", [SECRET])


@pytest.mark.parametrize("headers, user, auth, roles", [
    (sample("alice"), "alice", "sample", ["webpubsub.sendToGroup"]),
    ({"X-API-Key": API_KEY}, "service-a", "keys", None),
], ids=["plugin", "api-key"])
def test_chain_plugin_then_keys(daemon, service, headers, user, auth, roles):
    """The plugin's attribute sample=blue reaches the policy: [rule:blue] grants a role to its callers only."""
    reply = daemon.request("GET", "/negotiate/both", headers=headers)
    assert reply.status == 200, reply.body
    claims = check_client_access(reply.json(), service.key, service.endpoint, "both")
    assert claims["sub"] == user
    assert claims.get("role") == roles
    assert admitted(daemon, user, auth)


def test_chain_plugin_without_credentials(daemon):
    reply = daemon.request("GET", "/negotiate/both")
    assert_error(reply, 401, "unauthenticated")
    assert reply.headers.get("WWW-Authenticate") == 'Sample realm="negotiated", Bearer realm="negotiated"'


def test_plugin_logs_hold_no_secret(daemon):
    daemon.request("GET", "/negotiate/plug", headers=sample("alice"))
    daemon.request("GET", "/negotiate/plug", headers=sample("alice", "x" + SECRET))
    assert SECRET not in daemon.stderr_text()


# The [auth:p] section's lines after "type = plugin"; the line marked ">" is the one the error names.
REFUSALS = {
    "missing file": ([">path = {plugins}/no_such_plugin.so"], "path", r"cannot load: .*no_such_plugin\.so"),
    "relative path": ([">path = sample_plugin.so"], "path", "must be an absolute path"),
    "no path": ([], "path", "required"),
    "not a shared object": ([">path = {conf}"], "path", "cannot load: "),
    "no entry symbol": ([">path = {plugins}/broken_no_entry.so"], "path", r"exports no ngd_plugin_entry\(\)"),
    "wrong ABI version": ([">path = {plugins}/broken_abi.so"], "path",
                          "built for plugin ABI version 42; this negotiated loads version 1"),
    "NULL descriptor": ([">path = {plugins}/broken_null.so"], "path", r"ngd_plugin_entry\(\) returned NULL"),
    "create fails silently": ([">path = {plugins}/broken_create.so"], "path",
                              r"the plugin's create\(\) failed without saying why"),
    "create refuses its config": (["path = {plugins}/sample_plugin.so", ">secret = short"], "secret",
                                  "required: at least 16 characters"),
    "unknown key": (["path = {plugins}/sample_plugin.so", f"secret = {SECRET}", ">colour = blue"], "colour",
                    "unknown key for type plugin"),
}


@pytest.mark.parametrize("mode", ["check-config", "start"])
@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_plugin_refused(tmp_path, service, plugins, case, mode):
    body, key, reason = case
    conf = tmp_path / "negotiated.conf"
    head = [f"[service:main]", f"connection_string = {service.connection_string}", "", "[hub:chat]", "auth = p", "",
            ">[auth:p]" if not body else "[auth:p]", "type = plugin"]
    lines = [text.format(plugins=plugins, conf=conf) for text in head + body]
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(">"))
    conf.write_text("\n".join(text.removeprefix(">") for text in lines) + "\n")
    output = assert_refused(conf, line, key, reason, mode)
    assert SECRET not in output


# ---------------------------------------------------------------- a hostile plugin (issue 20)

@pytest.fixture(scope="module")
def hostile(module_daemon_factory, service, plugins):
    path = plugins / "hostile_plugin.so"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make check` in the build tree first")
    return module_daemon_factory(f"""\
[service:main]
connection_string = {service.connection_string}

[hub:hostile]
auth = hostile

[auth:hostile]
type = plugin
path = {path}
""")


@pytest.mark.parametrize("mode, status, code, message", [
    ("stack-deny", 403, "stack_code", "refused from a stack buffer"),
    ("heap-deny", 401, "heap_code", "refused from a freed buffer"),
    ("bad-code", 403, "invalid_credentials", "the credentials were not accepted"),
    ("long-code", 403, "invalid_credentials", "the credentials were not accepted"),
    ("null", 403, "invalid_credentials", "the credentials were not accepted"),
    ("control-message", 403, "fine_code", "the credentials were not accepted"),
    ("bad-status", 401, "odd_status", "a status that is neither 401 nor 403"),
])
def test_a_hostile_plugin_s_refusals_are_copied_and_checked(hostile, mode, status, code, message):
    reply = hostile.request("GET", "/negotiate/hostile", headers={"X-Hostile": mode})
    assert reply.status == status, reply.body
    assert reply.json()["error"] == {"code": code, "message": message}
    log = hostile.stderr_text()
    assert "ZZZZ" not in log and "\x1b" not in log and "pwned" not in log


def test_a_hostile_plugin_s_user_is_copied(hostile, service):
    reply = hostile.request("GET", "/negotiate/hostile", headers={"X-Hostile": "stack-user"})
    assert reply.status == 200, reply.body
    assert check_client_access(reply.json(), service.key, service.endpoint, "hostile")["sub"] == "stack-user"


def test_a_hostile_plugin_s_ok_without_a_user_fails_closed(hostile):
    reply = hostile.request("GET", "/negotiate/hostile", headers={"X-Hostile": "null-user"})
    assert reply.status == 503, reply.body
