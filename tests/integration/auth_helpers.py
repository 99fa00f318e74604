# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the authenticator tests: error replies, config refusals, Basic headers."""
import base64
import json
import re
import shutil

import pytest

from conftest import free_port, run_cli


def assert_error(reply, status, code, secret_values=()):
    """A JSON error reply with STATUS and CODE that repeats none of SECRET_VALUES."""
    assert reply.status == status, reply.body
    assert reply.headers.get_content_type() == "application/json"
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    for value in filter(None, secret_values):
        assert value not in reply.body.decode(errors="replace")


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def tool(name):
    """The path of a command the test needs; fails (never skips) when it is not installed."""
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed (.ci/install-deps installs it)")
    return path


def assert_refused(path, line, key, reason, mode):
    """The configuration at PATH refuses to load (--check-config) or to start, naming PATH:LINE: KEY:
    and a message matching the regular expression REASON."""
    if mode == "check-config":
        result = run_cli("-c", str(path), "--check-config")
    else:
        result = run_cli("-c", str(path), "--listen", f"127.0.0.1:{free_port()}")
    assert result.returncode == 1, (result.stdout, result.stderr)
    output = result.stdout + result.stderr
    assert re.search(rf"^(negotiated: )?{re.escape(str(path))}:{line}: {re.escape(key)}: .*{reason}", output,
                     re.M), output
    return output


def admitted(daemon, user, auth):
    """The daemon's audit log says it issued a token to USER, admitted by [auth:AUTH]."""
    return f"user={json.dumps(user, ensure_ascii=False)} auth={json.dumps(auth)}" in daemon.stderr_text()
