# SPDX-License-Identifier: Apache-2.0
"""The newcomer's first hour, as a test: a fresh clone of this tree, then the README's first
configuration and commands run exactly as the README shows them (read from README.md at test
time, never copied here). Command 1 of the README (install, build, run --dev) is replaced by the
build under test, linked where command 1 puts its binary (build/dev/src/negotiated).

The commands run in namespaces of their own (unshare: user, network, mount, pid), so that
127.0.0.1:8080 is free whatever the machine runs, /tmp is a private tmpfs, and everything they
start ends with them."""
import json
import shlex
import shutil
import subprocess

from conftest import REPO, integration, marked_block

NAMESPACES = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--mount-proc",
              "--kill-child"]  # a timed-out test leaves nothing running: the namespace goes with it


def fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True, timeout=120)
    # the working tree's pages and examples, committed or not, as the tree under test has them
    for rel in ["README.md", "examples"]:
        subprocess.run(["cp", "-rT", str(REPO / rel), str(clone / rel)], check=True)
    (clone / "build" / "dev" / "src").mkdir(parents=True)
    # a copy, not a link: the commands mount a tmpfs on /tmp, which hides a binary built under /tmp
    shutil.copy2(integration.BINARY, clone / "build" / "dev" / "src" / "negotiated")
    return clone


def test_readme_first_configuration_gives_a_token(tmp_path):
    clone = fresh_clone(tmp_path)
    readme = (clone / "README.md").read_text()
    commands = marked_block(clone / "README.md", "transcript", "first")
    # the file the README shows is the file the commands copy
    assert marked_block(clone / "README.md", "example", "examples/first.conf") == (clone / "examples/first.conf").read_text()
    # a newcomer's shell: umask 022 (the suite's conftest sets 077, which would hide a key file
    # the daemon refuses as readable by every user)
    script = "set -euo pipefail\numask 022\nip link set lo up\ncd \"$CLONE\"\nmount -t tmpfs tmpfs /tmp\n" + commands + \
        "\nkill %1\nwait\n"
    env = integration.child_env({"CLONE": str(clone)})
    env.pop("WEBPUBSUB_CONNECTION_STRING", None)  # the README's own default: a made-up emulator key
    result = subprocess.run(NAMESPACES + ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, f"the README's commands failed:\n{result.stdout}\n{result.stderr}"
    assert "configuration OK" in result.stdout + result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(answer) == {"baseUrl", "url", "token"}, answer
    assert answer["baseUrl"] == "ws://localhost:8081/client/hubs/chat", answer
    claims = integration.jwt.decode(answer["token"], options={"verify_signature": False})
    integration.remember_secret(answer["token"])
    assert claims["sub"] == "my-app"
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.lobby"]
    assert "first.conf" in readme


def test_glewlwyd_recipe_as_written(tmp_path):
    """docs/authentication.md's glewlwyd recipe: its file and its commands, against a real glewlwyd
    on 127.0.0.1:4593 (the address the recipe names, free in the test's network namespace), set up
    from nothing as tests/integration/test_oidc_glewlwyd.py does, with the client chat-app."""
    import secrets

    import test_oidc_glewlwyd as glewlwyd

    for tool in ("glewlwyd", glewlwyd.SQLITE, "openssl", "zcat", "curl"):
        glewlwyd.require_tool(tool)
    page = REPO / "docs" / "authentication.md"
    (tmp_path / "negotiated.conf").write_text(marked_block(page, "example", "examples/glewlwyd.conf"))
    commands = marked_block(page, "transcript", "glewlwyd")
    provider = glewlwyd.Provider(tmp_path)
    provider.port, provider.issuer = 4593, "http://127.0.0.1:4593/api/oidc"
    secret = secrets.token_hex(16)
    integration.remember_secret(secret)
    glewlwyd.CLIENT_ID, glewlwyd.CLIENT_SECRET = "chat-app", secret
    provider.create()
    service = integration.Service.new()
    script = f"""set -euo pipefail
umask 022
ip link set lo up
cd "{tmp_path}"
glewlwyd --config-file="{tmp_path}/glewlwyd.conf" >glewlwyd.log 2>&1 &
curl -sf --retry 40 --retry-connrefused --retry-delay 1 --retry-max-time 20 -o /dev/null {provider.discovery_url}
"$NEGOTIATED" -c "{tmp_path}/negotiated.conf" 2>negotiated.log &
""" + commands + "\n"
    env = integration.child_env({"NEGOTIATED": integration.BINARY, "CLIENT_SECRET": secret,
                                 "WEBPUBSUB_CONNECTION_STRING": service.connection_string})
    result = subprocess.run(NAMESPACES + ["bash", "-c", script], capture_output=True, text=True, timeout=90, env=env)
    logs = "".join((tmp_path / name).read_text(errors="replace") for name in ("glewlwyd.log", "negotiated.log")
                   if (tmp_path / name).exists())
    assert result.returncode == 0, f"the recipe's commands failed:\n{result.stdout}\n{result.stderr}\n{logs}"
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    claims = integration.check_client_access(answer, service.key, service.endpoint, "chat")
    assert claims["sub"] == "chat-app", claims
    assert claims["role"] == ["webpubsub.joinLeaveGroup.lobby", "webpubsub.sendToGroup.lobby"], claims


def test_explain_prints_what_the_policy_page_shows(tmp_path):
    """docs/policy.md's `negotiated explain` session: the command, run on the admin example
    installed as /etc/negotiated/negotiated.conf (that directory moved to the test's), prints
    exactly the lines the page shows."""
    block = marked_block(REPO / "docs" / "policy.md", "transcript", "explain")
    prompt, *shown = block.replace("\\\n", "").splitlines()
    assert prompt.startswith("$ negotiated explain "), prompt
    etc = tmp_path / "etc" / "negotiated"
    etc.mkdir(parents=True)
    (etc / "connection-string").write_text(integration.Service.new().connection_string + "\n")
    example = marked_block(REPO / "docs" / "policy.md", "example", "examples/policy-admins.conf")
    (etc / "negotiated.conf").write_text(example.replace("/etc/negotiated/", f"{etc}/"))
    argv = shlex.split(prompt[len("$ negotiated "):].replace("/etc/negotiated/", f"{etc}/"))
    result = integration.run_cli(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace(f"{etc}/", "/etc/negotiated/").splitlines() == shown


def test_connection_limit_try_out_answers_as_its_comments_say(tmp_path):
    """docs/connect-gate.md's "Try it without Azure": the commands as written (openssl and curl
    playing the service), in namespaces of their own (127.0.0.1:8090 free, /tmp private), with the
    build under test as `negotiated`; each event answers the status its comment names."""
    import re

    commands = marked_block(REPO / "docs" / "connect-gate.md", "transcript", "connection-limit")
    commands = commands.replace("until curl", "timeout 10 bash -c 'until curl", 1).replace(
        "sleep 0.1; done", "sleep 0.1; done'", 1)  # bounded here: a daemon that never listens fails
    wanted = re.findall(r"^event \S+ \S+ +# (\d{3})", commands, re.M)
    assert len(wanted) == 5, wanted
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy2(integration.BINARY, bindir / "negotiated")  # a copy: the binary may be under /tmp
    # the copy is bound to /mnt before a tmpfs hides the test's /tmp
    script = f"set -euo pipefail\nip link set lo up\nmount --bind \"{bindir}\" /mnt\n" + \
        "mount -t tmpfs tmpfs /tmp\nexport PATH=\"/mnt:$PATH\"\n" + commands + "\nwait\ncat /tmp/try.log >&2\n"
    result = subprocess.run(NAMESPACES + ["bash", "-c", script], capture_output=True, text=True, timeout=60,
                            env=integration.child_env({}))
    assert result.returncode == 0, f"the page's commands failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.split() == wanted, (result.stdout, wanted)
    assert "event=refused reason=too_many_connections hub=chat user=alice connection=c2" in result.stderr
