# SPDX-License-Identifier: Apache-2.0
"""The configuration through the real binary: a secret pasted where a key belongs is never echoed,
and every path key must be absolute (the daemon's working directory is / under systemd)."""
import base64
import secrets

import pytest

from conftest import Service, run_cli

BASE = """\
[service:main]
connection_string = {cs}
{service}
[hub:chat]
auth = keys
{hub}
[auth:keys]
type = apikey
file = {dir}/apikeys
{auth}"""


def check(tmp_path, service="", hub="", auth=""):
    (tmp_path / "apikeys").write_text(f"alice {secrets.token_hex(16)}\n")
    config = tmp_path / "negotiated.conf"
    config.write_text(BASE.format(cs=Service.new().connection_string, dir=tmp_path, service=service, hub=hub,
                                  auth=auth))
    return run_cli("--check-config", "-c", str(config)), str(config)


@pytest.mark.parametrize("section, line", [("service", 3), ("hub", 6), ("auth", 10)])
def test_a_pasted_access_key_is_not_echoed(tmp_path, section, line):
    key = base64.b64encode(secrets.token_bytes(32)).decode()  # ends with '=': inih splits it there
    result, config = check(tmp_path, **{section: key})
    assert result.returncode == 1
    assert result.stderr.startswith(f"negotiated: {config}:{line}: unknown key in [{section}:"), result.stderr
    assert "(text withheld: it may be a secret)" in result.stderr
    assert key not in result.stderr and key[:12] not in result.stderr


def test_a_pasted_connection_string_is_not_echoed(tmp_path):
    service = Service.new()
    result, config = check(tmp_path, service=service.connection_string)
    assert result.returncode == 1 and f"{config}:3: unknown key in [service:main] (text withheld" in result.stderr
    assert service.key not in result.stderr and service.key[:12] not in result.stderr


@pytest.mark.parametrize("where, line, key", [
    (("service", "connection_string_file = cs.txt"), 3, "connection_string_file"),
    (("service", "secondary_connection_string_file = ./cs.txt"), 3, "secondary_connection_string_file"),
    (("auth", "[auth:jwt]\ntype = jwt\njwks_file = jwks.json"), 12, "jwks_file"),
    (("auth", "[auth:plug]\ntype = plugin\npath = lib/plugin.so"), 12, "path"),
])
def test_relative_paths_are_refused(tmp_path, where, line, key):
    result, config = check(tmp_path, **{where[0]: where[1]})
    assert result.returncode == 1
    assert f"{config}:{line}: {key}: must be an absolute path" in result.stderr, result.stderr


def test_relative_server_paths_are_refused(tmp_path):
    for text, key in (("access_log = access.log", "access_log"), ("listen = unix:negotiated.sock", "listen")):
        config = tmp_path / "server.conf"
        config.write_text(f"[server]\n{text}\n")
        result = run_cli("--check-config", "-c", str(config))
        assert result.returncode == 1 and f"{config}:2: {key}: must be an absolute path" in result.stderr, result.stderr
