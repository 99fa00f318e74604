# SPDX-License-Identifier: Apache-2.0
"""The connect gate's configuration and path (issue 22): connect_gate on a keyless service and a bad
event_handler_path are refused by --check-config naming the key; event_handler_path moves the gate
(and the default path is then 404); a signed connect for a user revoked in the state file is 401,
another user's 204. The table against the official handler: tests/compat/gate.test.mjs."""
import hashlib
import hmac
import json
import uuid

from conftest import Service, run_cli

HOST = "gate.webpubsub.azure.com"


def signed_connect(service, user, hub="chat"):
    connection = str(uuid.uuid4())
    mac = hmac.new(service.key.encode(), connection.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "ce-awpsversion": "1.0",
               "ce-type": "azure.webpubsub.sys.connect", "ce-hub": hub, "ce-connectionId": connection,
               "ce-signature": f"sha256={mac}", "WebHook-Request-Origin": HOST, "ce-userId": user}
    return json.dumps({"claims": {"sub": [user]}}), headers


def config(service, extra_server="", extra_hub="connect_gate = yes\n"):
    return f"""[server]
{extra_server}
[service:main]
connection_string = {service.connection_string}

[hub:chat]
auth = anon
{extra_hub}
[auth:anon]
type = anonymous
"""


def test_check_config_names_the_gate_keys(tmp_path):
    keyless = """[server]
event_handler_path = api/hooks
[service:main]
endpoint = https://x.webpubsub.azure.com
credential = managed_identity
[hub:chat]
auth = anon
connect_gate = yes
[auth:anon]
type = anonymous
"""
    path = tmp_path / "bad.conf"
    path.write_text(keyless)
    result = run_cli("--check-config", "-c", str(path))
    assert result.returncode != 0
    assert f"{path}:2: event_handler_path: 'api/hooks' is not a path prefix" in result.stderr, result.stderr
    assert f"{path}:8: connect_gate: [service:main] has no access key" in result.stderr, result.stderr


def test_event_handler_path_moves_the_gate(daemon_factory, tmp_path):
    service = Service.new(endpoint=f"https://{HOST}")
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state" / "revocations.jsonl").write_text(json.dumps(
        {"user": "mallory", "hub": "", "reason": "r", "by": "test", "set_at": 1, "expires_at": 0,
         "issued_before": 0}) + "\n")
    daemon = daemon_factory(config(service, f"event_handler_path = /hooks/\nstate_directory = {tmp_path}/state\n"))
    body, headers = signed_connect(service, "alice")
    assert daemon.request("POST", "/api/webpubsub/hubs/chat/", body=body, headers=headers).status == 404
    reply = daemon.request("POST", "/hooks/chat/", body=body, headers=headers)
    assert reply.status == 204, reply.body
    body, headers = signed_connect(service, "mallory")
    reply = daemon.request("POST", "/hooks/chat", body=body, headers=headers)
    assert (reply.status, reply.body) == (401, b"revoked")
    assert "Content-Type" not in reply.headers
    assert "event=refused reason=revoked hub=chat user=mallory" in daemon.stderr_text()


def test_a_hub_without_the_gate_is_not_served(daemon_factory):
    service = Service.new(endpoint=f"https://{HOST}")
    daemon = daemon_factory(config(service, extra_hub=""))
    body, headers = signed_connect(service, "alice")
    reply = daemon.request("POST", "/api/webpubsub/hubs/chat/", body=body, headers=headers)
    assert reply.status == 404
    assert json.loads(reply.body)["error"]["code"] == "not_found"
