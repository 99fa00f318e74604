# SPDX-License-Identifier: Apache-2.0
"""Bulkheads: a slow identity provider or webhook on one hub never delays or refuses requests on
another. A JWKS server answering in 6 s behind one hub, 400 unknown-kid requests to it, and every
valid request to another hub answered 200 within 500 ms; an unknown kid during a fetch in flight
is answered at once; a saturated webhook refuses its own excess and nobody else's."""
import collections
import concurrent.futures
import json
import secrets
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from conftest import REQUEST_TIMEOUT, WRAPPER, Service, check_client_access
from jwks_server import KeyServer

ISSUER = "https://issuer.example.test"
AUDIENCE = "api://negotiated"
API_KEY = secrets.token_hex(16)
SLOW_JWKS = 6.0  # seconds the key server takes to answer once it turns slow
HEALTHY_LIMIT = 3.0 if WRAPPER else 0.5  # seconds for any request to the healthy hub (valgrind is ~20x slower)
AT_ONCE = 3.0 if WRAPPER else 0.5  # seconds for an answer that must not wait behind a fetch
FLOOD = 400

CONFIG = """\
[server]
log_level = info
auth_failure_delay = {delay}

[service:main]
connection_string = {cs}

[hub:slowidp]
auth = idp

[hub:steady]
auth = keys local

[auth:idp]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = RS256
jwks_url = {jwks_url}
refresh_interval = 3600
refetch_cooldown = 1
fetch_timeout = 10

[auth:local]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = RS256
jwks_file = {dir}/local.json

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


def public_jwk(private, kid):
    return dict(json.loads(RSAAlgorithm.to_jwk(private.public_key())), kid=kid, alg="RS256", use="sig")


def token(private, kid, sub="alice"):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600}
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid})


class Keys:
    def __init__(self):
        self.idp = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.local = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys():
    return Keys()


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture
def server(keys):
    with KeyServer() as s:
        s.serve([public_jwk(keys.idp, "idp1")])
        yield s


def start(factory, directory, service, keys, server, delay=0):
    (directory / "local.json").write_text(json.dumps({"keys": [public_jwk(keys.local, "loc")]}))
    (directory / "apikeys").write_text(f"svc {API_KEY}\n")
    return factory(CONFIG.format(cs=service.connection_string, issuer=ISSUER, audience=AUDIENCE, dir=directory,
                                 jwks_url=server.jwks_url, delay=delay))


def timed(daemon, hub, headers):
    began = time.monotonic()
    reply = daemon.request("GET", f"/negotiate?hub={hub}", headers=headers, timeout=REQUEST_TIMEOUT + SLOW_JWKS)
    return reply, time.monotonic() - began


def bearer(text):
    return {"Authorization": "Bearer " + text}


def code_of(reply):
    try:
        return reply.json()["error"]["code"]
    except (ValueError, KeyError):
        return None


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_out_cooldown(server):
    time.sleep(1.2)  # refetch_cooldown = 1 since the start-up fetch


def test_slow_idp_never_delays_another_hub(daemon_factory, tmp_path, service, keys, server):
    """400 unknown-kid requests to the hub whose provider answers in 6 s; meanwhile every valid
    request to the other hub (API key, and a jwt with local keys) is admitted within 500 ms."""
    daemon = start(daemon_factory, tmp_path, service, keys, server, delay=200)
    server.set_mode("slow", SLOW_JWKS)
    wait_out_cooldown(server)
    fetches_before = server.fetches
    flood_tokens = [token(keys.rotated, "kid-" + secrets.token_hex(8)) for _ in range(FLOOD)]
    local = token(keys.local, "loc", sub="carol")
    healthy = []
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        began = time.monotonic()
        flood = []

        def waves():  # 10 waves of 40, 0.6 s apart: the flood lasts as long as the provider's answer
            for wave in range(10):
                flood.extend(pool.submit(timed, daemon, "slowidp", bearer(t)) for t in flood_tokens[wave::10])
                time.sleep(SLOW_JWKS / 10)

        sender = threading.Thread(target=waves)
        sender.start()
        time.sleep(0.05)  # the flood is under way
        while sender.is_alive() or not all(f.done() for f in flood) or len(healthy) < 40:
            for headers, user in (({"X-API-Key": API_KEY}, "svc"), (bearer(local), "carol")):
                reply, elapsed = timed(daemon, "steady", headers)
                assert reply.status == 200, reply.body
                assert check_client_access(reply.json(), service.key, service.endpoint, "steady")["sub"] == user
                healthy.append(elapsed)
        sender.join()
        answers = [f.result() for f in flood]
        flood_seconds = time.monotonic() - began
    outcomes = collections.Counter((reply.status, code_of(reply)) for reply, _ in answers)
    waits = [elapsed for _, elapsed in answers]
    print(f"\nBULKHEAD healthy hub: {len(healthy)} requests, all 200, max {max(healthy) * 1000:.1f} ms, "
          f"p99 {percentile(healthy, 0.99) * 1000:.1f} ms, p50 {percentile(healthy, 0.5) * 1000:.1f} ms")
    print(f"BULKHEAD flood: {FLOOD} unknown-kid requests in {flood_seconds:.1f} s: {dict(outcomes)}; "
          f"p50 {percentile(waits, 0.5) * 1000:.0f} ms, p99 {percentile(waits, 0.99) * 1000:.0f} ms, "
          f"max {max(waits) * 1000:.0f} ms; key server fetches: {server.fetches - fetches_before}")
    assert max(healthy) < HEALTHY_LIMIT, sorted(healthy)[-5:]
    assert set(outcomes) <= {(401, "unknown_key"), (503, "unavailable")}, outcomes
    # only requests that began a fetch waited for it; the others were answered without waiting
    slow = sum(1 for w in waits if w > 1.5)
    assert slow <= 8 * (server.fetches - fetches_before), (slow, server.fetches - fetches_before)
    assert percentile(waits, 0.5) < 1.5, percentile(waits, 0.5)


def test_unknown_kid_during_a_fetch_is_answered_at_once(daemon_factory, tmp_path, service, keys, server):
    """The key server answers in 1.5 s with a rotated set. The request whose kid began the fetch
    gets the new key (200); one with another unknown kid during the fetch gets 401 at once and
    begins no fetch of its own."""
    daemon = start(daemon_factory, tmp_path, service, keys, server)
    server.serve([public_jwk(keys.idp, "idp1"), public_jwk(keys.rotated, "new")])
    server.set_mode("slow", 1.5)
    wait_out_cooldown(server)
    fetches_before = server.fetches
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(timed, daemon, "slowidp", bearer(token(keys.rotated, "new")))
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while server.fetches == fetches_before:  # the fetch is in flight
            assert time.monotonic() < deadline
            time.sleep(0.01)
        reply, elapsed = timed(daemon, "slowidp", bearer(token(keys.rotated, "other")))
        assert reply.status == 401 and code_of(reply) == "unknown_key", reply.body
        assert elapsed < AT_ONCE, elapsed
        assert not first.done()  # still waiting for its fetch
        admitted, waited = first.result()
    assert admitted.status == 200, admitted.body
    assert waited >= 1.2, waited
    assert server.fetches == fetches_before + 1  # the second request began none
    print(f"\nBULKHEAD in-flight: unknown kid answered 401 in {elapsed * 1000:.1f} ms while the fetch "
          f"(answered 200 after {waited:.2f} s) was in flight")


def test_unknown_kid_is_remembered_for_the_cooldown(daemon_factory, tmp_path, service, keys, server):
    """A fetch that outlasts the cooldown: the kid it did not find begins no second fetch at
    once (it is remembered), while another unknown kid may."""
    daemon = start(daemon_factory, tmp_path, service, keys, server)
    server.set_mode("slow", 1.3)
    wait_out_cooldown(server)
    fetches_before = server.fetches
    ghost = token(keys.rotated, "ghost")
    reply, _ = timed(daemon, "slowidp", bearer(ghost))
    assert reply.status == 401 and code_of(reply) == "unknown_key", reply.body
    assert server.fetches == fetches_before + 1
    reply, elapsed = timed(daemon, "slowidp", bearer(ghost))  # the cooldown (1 s) has passed
    assert reply.status == 401 and code_of(reply) == "unknown_key", reply.body
    assert elapsed < AT_ONCE, elapsed
    assert server.fetches == fetches_before + 1, "a remembered unknown kid began a fetch"
    reply, elapsed = timed(daemon, "slowidp", bearer(token(keys.rotated, "ghost2")))
    assert reply.status == 401 and server.fetches == fetches_before + 2  # a new kid may
    assert elapsed >= 1.0, elapsed


class SlowWebhook(KeyServer):
    """A webhook on the key server's plumbing: admits every caller as the bearer value; /slow
    answers after `delay` seconds."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def handle(self, req):
        req.rfile.read(int(req.headers.get("Content-Length", 0)))
        if req.path == "/slow":
            self.release.wait(self.delay)
        body = json.dumps({"userId": req.headers["Authorization"].split(" ", 1)[1]}).encode()
        self.reply(req, 200, body)


WEBHOOK_CONFIG = """\
[server]
log_level = info
auth_workers = 4

[service:main]
connection_string = {cs}

[hub:stuck]
auth = slowhook

[hub:fine]
auth = fasthook

[auth:slowhook]
type = webhook
url = {url}/slow
timeout = 10000
cache_ttl = 0
max_concurrent = 4

[auth:fasthook]
type = webhook
url = {url}/fast
cache_ttl = 0
"""


def test_saturated_webhook_refuses_only_its_own(daemon_factory, service):
    """The slow webhook's four slots (as many as auth_workers) are taken and its next requests get
    503 at once; another webhook hub, whose calls run on threads of its own, is admitted throughout
    (with one shared pool, as before, it waited for the slow calls)."""
    with SlowWebhook(3.0) as hook:
        daemon = daemon_factory(WEBHOOK_CONFIG.format(cs=service.connection_string, url=hook.url))
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            stuck = [pool.submit(timed, daemon, "stuck", bearer(f"slow{i}")) for i in range(12)]
            time.sleep(0.5)
            fine = []
            for i in range(10):
                reply, elapsed = timed(daemon, "fine", bearer(f"user{i}"))
                assert reply.status == 200, reply.body
                fine.append(elapsed)
            answers = [f.result() for f in stuck]
    outcomes = collections.Counter(reply.status for reply, _ in answers)
    refused_waits = [elapsed for reply, elapsed in answers if reply.status == 503]
    print(f"\nBULKHEAD webhook: 12 requests to the saturated hub: {dict(outcomes)}, 503s answered in at most "
          f"{max(refused_waits, default=0) * 1000:.0f} ms; the other webhook hub: max {max(fine) * 1000:.1f} ms")
    assert outcomes == {200: 4, 503: 8}, outcomes
    assert all(code_of(reply) == "unavailable" and reply.headers["Retry-After"] == "1"
               for reply, _ in answers if reply.status == 503)
    assert max(refused_waits) < AT_ONCE, refused_waits
    assert max(fine) < HEALTHY_LIMIT, fine
    assert "[auth:slowhook] webhook busy: max_concurrent = 4" in daemon.stderr_text()
