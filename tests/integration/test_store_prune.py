# SPDX-License-Identifier: Apache-2.0
"""[store]: expired revocations leave the store's hash (revoke/fleet.c, docs/several-instances.md).
Two instances share Debian's redis-server (on loopback, stopped after): an entry an older version
left behind, expired an hour ago, goes at the next full read, exactly once; one made `--for 2s`
goes at the first periodic full read 60 s (the margin) after it expired, never before, while a
permanent one made at the same time stays. A store that lost its list gets the instance's copy
before anything is removed from it. The removal script itself, driven through redis-cli:
an entry revoked again since the read survives, and the version moves (and the channel hears)
only when something went."""
import ast
import json
import re
import socket
import subprocess
import time

import pytest

from conftest import REPO, START_TIMEOUT, WRAPPER
from test_store import ask, binary, config, revoke_on, running_redis, sockets  # noqa: F401 (fixture)

MARGIN_S = 60  # fleet_reply.h FLEET_PRUNE_MARGIN_S
READ_EVERY_S = 10  # fleet.h FLEET_READ_EVERY_MS
SLACK_S = 30 if WRAPPER else 4  # a full read's round trips and the poll


def redis_cli(port, db, *args):
    """What redis-cli prints for one command (raw: stdout is not a terminal), stripped."""
    out = subprocess.run([binary("redis-cli"), "-p", str(port), "-n", str(db), *args], capture_output=True,
                         text=True, timeout=START_TIMEOUT)
    assert out.returncode == 0 and not out.stdout.startswith(("ERR", "(error)")), (args[0], out.stdout, out.stderr)
    return out.stdout.strip()


def prune_script():
    """The removal script, as src/revoke/fleet.c holds it (a C string literal, piece by piece)."""
    source = (REPO / "src" / "revoke" / "fleet.c").read_text()
    block = re.search(r'static const char prune_script\[\] =((?:\s*"(?:[^"\\]|\\.)*")+);', source)
    if not block:
        pytest.fail("no prune_script in src/revoke/fleet.c: this test drives it")
    return "".join(ast.literal_eval(piece) for piece in re.findall(r'"(?:[^"\\]|\\.)*"', block.group(1)))


def entry(user, expires_at):
    return json.dumps({"user": user, "hub": "", "reason": "", "by": "test", "set_at": int(time.time()) - 7200,
                       "expires_at": expires_at, "issued_before": 0}, separators=(",", ":"))


class Subscriber:
    """A raw RESP subscriber to CHANNEL: counts the messages published on it."""

    def __init__(self, port, channel):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        name = channel.encode()
        self.sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name))
        self.data = b""
        while b"subscribe" not in self.data:
            self.data += self.sock.recv(4096)

    def messages(self, wait_s=0.3):
        self.sock.settimeout(wait_s)
        try:
            while chunk := self.sock.recv(4096):
                self.data += chunk
        except socket.timeout:
            pass
        return self.data.count(b"$7\r\nmessage\r\n")

    def close(self):
        self.sock.close()


def pruned_total(daemon):
    body = daemon.request("GET", "/metrics").body.decode()
    found = re.search(r"^negotiated_store_revocations_pruned_total (\d+)$", body, re.M)
    assert found, "no negotiated_store_revocations_pruned_total in /metrics"
    return int(found.group(1))


def until(what, limit_s, step_s=0.1):
    """Seconds until WHAT() is true, polled; fails after LIMIT_S."""
    start = time.monotonic()
    while not what():
        assert time.monotonic() - start < limit_s, f"not within {limit_s} s"
        time.sleep(step_s)
    return time.monotonic() - start


def test_expired_revocations_leave_the_store(daemon_factory, tmp_path, sockets):  # noqa: F811
    with running_redis(tmp_path) as redis:
        db, prefix = 5, "prune"
        hash_key = f"negotiated:{prefix}:revocations"
        cli = lambda *args: redis_cli(redis.port, db, *args)  # noqa: E731
        socks = [sockets / f"prune-{i}.sock" for i in range(2)]
        daemons = [daemon_factory(config(tmp_path, f"redis://127.0.0.1:{redis.port}/{db}", prefix=prefix,
                                         extra="revocations_on_failure = closed\n",
                                         server_extra=f"admin_socket = {sock}\nlog_level = debug\n"))
                   for sock in socks]
        a, b = daemons
        assert revoke_on(socks[0], "--user", "alice", "--for", "2s").returncode == 0
        assert revoke_on(socks[0], "--user", "bob").returncode == 0
        alice_expires = json.loads(cli("HGET", hash_key, "alice\n"))["expires_at"]
        assert cli("HLEN", hash_key) == "2"
        until(lambda: ask(b, "bob")[0] == 403, 1 + SLACK_S, step_s=0.01)  # not alice: her 2 s may pass first

        # an entry an older version left behind, expired an hour ago: the next full read removes it
        cli("HSET", hash_key, "carol\n", entry("carol", int(time.time()) - 3600))
        version = int(cli("GET", f"{hash_key}:version"))
        cli("PUBLISH", hash_key, "0")  # any message makes every instance read the list again
        seconds = until(lambda: cli("HEXISTS", hash_key, "carol\n") == "0", 2 + SLACK_S)
        print(f"an entry expired an hour ago left the store {seconds * 1000:.0f} ms after a full read was asked")
        assert int(cli("GET", f"{hash_key}:version")) == version + 1, "one removal, one version"
        assert cli("HLEN", hash_key) == "2"
        until(lambda: pruned_total(a) + pruned_total(b) == 1, 2)  # whoever came second found nothing
        assert ask(a, "carol")[0] == 200 and ask(a, "bob")[0] == 403

        # alice's --for 2s: refused no more once expired, yet in the store until the margin passed
        until(lambda: ask(a, "alice")[0] == 200 and ask(b, "alice")[0] == 200, 3 + SLACK_S)
        assert cli("HEXISTS", hash_key, "alice\n") == "1"
        limit = alice_expires + MARGIN_S + READ_EVERY_S + SLACK_S - time.time()
        until(lambda: cli("HEXISTS", hash_key, "alice\n") == "0", limit, step_s=0.25)
        gone = time.time()
        print(f"an entry made --for 2s left the store {gone - alice_expires:.1f} s after it expired "
              f"(margin {MARGIN_S} s, a full read every {READ_EVERY_S} s)")
        assert gone >= alice_expires + MARGIN_S, "removed before the margin passed"
        assert cli("HLEN", hash_key) == "1" and cli("HEXISTS", hash_key, "bob\n") == "1"
        assert ask(a, "bob")[0] == 403 and ask(b, "bob")[0] == 403
        until(lambda: pruned_total(a) + pruned_total(b) == 2, 2)
        logs = a.stderr_text() + b.stderr_text()
        assert logs.count("expired entries left the store") == 2, "one debug line per removal"
        assert "alice" not in [e["user"] for e in json.loads(revoke_on(socks[1], "--list", "--json").stdout)["entries"]]


def test_a_store_that_lost_its_list_gets_it_back_before_anything_is_removed(daemon_factory, tmp_path,
                                                                           sockets):  # noqa: F811
    """No version key: the instance's copy is seeded first (a removal would create the version and
    so stop the seed, and the next read would lift bob everywhere)."""
    with running_redis(tmp_path) as redis:
        db, hash_key = 7, "negotiated:lost:revocations"
        cli = lambda *args: redis_cli(redis.port, db, *args)  # noqa: E731
        sock = sockets / "lost.sock"
        a = daemon_factory(config(tmp_path, f"redis://127.0.0.1:{redis.port}/{db}", prefix="lost",
                                  server_extra=f"admin_socket = {sock}\n"))
        assert revoke_on(sock, "--user", "bob").returncode == 0
        cli("DEL", hash_key, f"{hash_key}:version")  # lost, and then a stale entry written back
        cli("HSET", hash_key, "carol\n", entry("carol", int(time.time()) - 3600))
        cli("PUBLISH", hash_key, "0")
        until(lambda: cli("HEXISTS", hash_key, "bob\n") == "1" and cli("HEXISTS", hash_key, "carol\n") == "0",
              2 + SLACK_S)
        assert "the store held no list" in a.stderr_text()
        assert ask(a, "bob")[0] == 403 and cli("HLEN", hash_key) == "1"


def test_the_removal_script_spares_an_entry_revoked_again(tmp_path):
    """The script on a hash no instance follows, so nothing but this test touches it."""
    with running_redis(tmp_path) as redis:
        db = 6
        hash_key, version_key = "negotiated:race:revocations", "negotiated:race:revocations:version"
        cli = lambda *args: redis_cli(redis.port, db, *args)  # noqa: E731
        script = prune_script()
        prune = lambda *triples: int(cli("EVAL", script, "2", hash_key, version_key, hash_key,  # noqa: E731
                                         str(MARGIN_S), *triples))
        server_now = int(cli("TIME").split()[0])
        listener = Subscriber(redis.port, hash_key)
        try:
            # dave's entry was read expired; before the removal ran, an operator revoked him again
            read = entry("dave", server_now - 3600)
            again = entry("dave", 0)
            cli("HSET", hash_key, "dave\n", again)
            assert prune("dave\n", read, str(server_now - 3600)) == 0
            assert cli("HGET", hash_key, "dave\n") == again, "the new entry survives"
            assert cli("EXISTS", version_key) == "0" and listener.messages() == 0, "nothing removed, nothing said"

            # expired by our clock but not yet the margin ago by the server's: it stays
            recent = entry("frank", server_now - 30)
            cli("HSET", hash_key, "frank\n", recent)
            assert prune("frank\n", recent, str(server_now - 30)) == 0
            assert cli("HEXISTS", hash_key, "frank\n") == "1"

            # unchanged since the read and expired an hour ago: it goes, the version moves, the fleet hears
            old = entry("erin", server_now - 3600)
            cli("HSET", hash_key, "erin\n", old)
            assert prune("erin\n", old, str(server_now - 3600), "dave\n", read, str(server_now - 3600)) == 1
            assert cli("HEXISTS", hash_key, "erin\n") == "0" and cli("HGET", hash_key, "dave\n") == again
            assert cli("GET", version_key) == "1" and listener.messages() == 1
            # a second instance running the same removal finds nothing: harmless
            assert prune("erin\n", old, str(server_now - 3600)) == 0
            assert cli("GET", version_key) == "1" and listener.messages() == 1
            assert cli("HLEN", hash_key) == "2"
        finally:
            listener.close()
