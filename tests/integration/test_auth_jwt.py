# SPDX-License-Identifier: Apache-2.0
"""The jwt (OIDC bearer) authenticator: algorithms, claims, key sources, rotation and faults,
against the real daemon and a controllable key server (jwks_server.py)."""
import base64
import hashlib
import hmac
import json
import re
import secrets
import signal
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from conftest import REQUEST_TIMEOUT, START_TIMEOUT, Service, check_client_access, free_port, run_cli
from jwks_server import KeyServer

ISSUER = "https://issuer.example.test"
AUDIENCE = "api://negotiated"
SECRET = b"\0" + secrets.token_bytes(30) + b"\n"  # binary: its NUL and final newline are key bytes
TEXT_SECRET = secrets.token_urlsafe(32)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def full_length(jwk):
    """EC x and y at the curve's full length, as RFC 7518 section 6.2.1.2 requires: Debian's PyJWT drops a
    leading zero byte (about one key in 128), which negotiated rightly refuses."""
    if jwk.get("kty") != "EC":
        return jwk
    size = {"P-256": 32, "P-384": 48}[jwk["crv"]]
    pad = lambda text: b64(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).rjust(size, b"\0"))
    return dict(jwk, x=pad(jwk["x"]), y=pad(jwk["y"]))


def public_jwk(private, kid, alg):
    public = private.public_key()
    algorithm = {"RS": RSAAlgorithm, "PS": RSAAlgorithm, "ES": ECAlgorithm, "Ed": OKPAlgorithm}[alg[:2]]
    return full_length(dict(json.loads(algorithm.to_jwk(public)), kid=kid, alg=alg, use="sig"))


def pem(public):
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Keys:
    """The signing keys of the tests, and their public JWKs."""

    def __init__(self):
        self.rsa_a = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa_b = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.set_a = [public_jwk(self.rsa_a, "a1", "RS256")]
        self.set_b = [public_jwk(self.rsa_b, "b1", "RS256")]
        self.file_set = [public_jwk(self.rsa_a, "rs", "RS256"), public_jwk(self.rsa_a, "ps", "PS256"),
                         public_jwk(self.ec, "es", "ES256"), public_jwk(self.ed, "ed", "EdDSA")]
        self.signer = {"RS256": (self.rsa_a, "rs"), "PS256": (self.rsa_a, "ps"), "ES256": (self.ec, "es"),
                       "EdDSA": (self.ed, "ed")}


@pytest.fixture(scope="module")
def keys():
    return Keys()


def claims(**overrides):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300,
            "groups": ["admins", "staff"], "email": "alice@example.test"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sign(keys, alg="RS256", kid=None, key=None, **overrides):
    private, default_kid = keys.signer[alg]
    return jwt.encode(claims(**overrides), key or private, algorithm=alg, headers={"kid": kid or default_kid})


def sign_rsa(private, kid, **overrides):
    return jwt.encode(claims(**overrides), private, algorithm="RS256", headers={"kid": kid})


def hand_made(header, body, signing_key=None):
    """A token built by hand (pyjwt refuses these): HS256 over the bytes with signing_key, or unsigned."""
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(body).encode())
    if signing_key is None:
        return head + "."
    return head + "." + b64(hmac.new(signing_key, head.encode(), hashlib.sha256).digest())


CONFIG = """\
[server]
log_level = info

[service:main]
connection_string = {cs}

[hub:chat]
auth = oidc

[hub:pem]
auth = pem

[hub:hs]
auth = shared

[hub:hstext]
auth = shared_text

[hub:remote]
auth = remote

[hub:dead]
auth = dead

[hub:found]
auth = found

[hub:mixed]
auth = oidc keys

[auth:oidc]
type = jwt
issuer = {issuer}
audience = api://other {audience}
algorithms = RS256 PS256 ES256 EdDSA
jwks_file = {dir}/jwks.json
cookie = id_token
leeway = 5
max_token_bytes = 2048

[auth:pem]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = RS256
public_key_file = {dir}/rsa.pem

[auth:shared]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = HS256
secret_file = {dir}/secret

[auth:shared_text]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = HS256
secret_file = {dir}/text_secret

[auth:remote]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = RS256
jwks_url = {jwks_url}
refresh_interval = 1
refetch_cooldown = 1
fetch_timeout = 1

[auth:dead]
type = jwt
issuer = {issuer}
audience = {audience}
algorithms = RS256
jwks_url = http://127.0.0.1:{dead_port}/jwks.json
fetch_timeout = 1

[auth:found]
type = jwt
issuer = {server_url}
audience = {audience}
algorithms = RS256
discovery = yes
user_claim = email

[auth:keys]
type = apikey
file = {dir}/apikeys
"""
API_KEY = secrets.token_hex(16)


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def server(keys):
    with KeyServer() as s:
        s.serve(keys.set_a)
        yield s


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service, keys, server):
    directory = tmp_path_factory.mktemp("jwt")
    (directory / "secret").write_bytes(SECRET)
    (directory / "text_secret").write_text(TEXT_SECRET + "\n")
    (directory / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    (directory / "rsa.pem").write_text(pem(keys.rsa_a.public_key()))
    (directory / "apikeys").write_text(f"bob {API_KEY}\n")
    text = CONFIG.format(cs=service.connection_string, issuer=ISSUER, audience=AUDIENCE, dir=directory,
                         jwks_url=server.jwks_url, dead_port=free_port(), server_url=server.url)
    return module_daemon_factory(text)


def negotiate(daemon, hub, token=None, headers=None, timeout=REQUEST_TIMEOUT):
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    return daemon.request("GET", f"/negotiate?hub={hub}", headers=headers, timeout=timeout)


def assert_admitted(reply, service, hub, user="alice"):
    assert reply.status == 200, reply.body
    assert check_client_access(reply.json(), service.key, service.endpoint, hub)["sub"] == user


def assert_refused(reply, code, token=None, status=401):
    assert reply.status == status, reply.body
    assert reply.json()["error"]["code"] == code, reply.body
    if token:
        for part in token.split("."):
            assert not part or part not in reply.body.decode(), "the answer repeats the token"
    if status == 401:
        assert "Bearer" in reply.headers.get("WWW-Authenticate", "")


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_success_per_algorithm(daemon, service, keys, alg):
    assert_admitted(negotiate(daemon, "chat", sign(keys, alg)), service, "chat")


def test_success_hs256_with_secret(daemon, service):
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    assert_admitted(negotiate(daemon, "hs", token), service, "hs")
    assert_refused(negotiate(daemon, "hs", jwt.encode(claims(), secrets.token_bytes(32), algorithm="HS256")),
                   "invalid_signature")
    assert_refused(negotiate(daemon, "hs", jwt.encode(claims(), SECRET[:-1], algorithm="HS256")), "invalid_signature")


def test_success_hs256_with_a_text_secret(daemon, service):
    """A text secret file's final newline is not part of the key."""
    assert_admitted(negotiate(daemon, "hstext", jwt.encode(claims(), TEXT_SECRET, algorithm="HS256")), service, "hstext")
    assert_refused(negotiate(daemon, "hstext", jwt.encode(claims(), TEXT_SECRET + "\n", algorithm="HS256")),
                   "invalid_signature")


def test_success_pem_public_key(daemon, service, keys):
    assert_admitted(negotiate(daemon, "pem", sign_rsa(keys.rsa_a, "any")), service, "pem")
    assert_refused(negotiate(daemon, "pem", sign_rsa(keys.rsa_b, "any")), "invalid_signature")


def test_audience_may_be_a_list(daemon, service, keys):
    assert_admitted(negotiate(daemon, "chat", sign(keys, aud=["x", AUDIENCE])), service, "chat")


def test_alg_none_refused(daemon, keys):
    token = hand_made({"alg": "none", "typ": "JWT"}, claims())
    assert_refused(negotiate(daemon, "chat", token), "algorithm_not_allowed", token)


def test_hs256_signed_with_rsa_public_key_refused(daemon, keys):
    """The classic confusion: the RSA public key (PEM and DER) used as an HMAC secret."""
    public = keys.rsa_a.public_key()
    for secret in [pem(public).encode(),
                   public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)]:
        for hub in ["chat", "pem"]:
            token = hand_made({"alg": "HS256", "typ": "JWT", "kid": "rs"}, claims(), secret)
            assert_refused(negotiate(daemon, hub, token), "algorithm_not_allowed", token)


def test_alg_must_match_the_keys_type(daemon, keys):
    """An allowed algorithm with a key of another type: the kid names an RSA key, the token says ES256."""
    token = sign(keys, "ES256", kid="rs")
    assert_refused(negotiate(daemon, "chat", token), "unknown_key", token)


@pytest.mark.parametrize("overrides,code", [
    ({"aud": None}, "wrong_audience"),
    ({"aud": "api://someone-else"}, "wrong_audience"),
    ({"aud": ["a", "b"]}, "wrong_audience"),
    ({"iss": "https://evil.example.test"}, "wrong_issuer"),
    ({"iss": None}, "wrong_issuer"),
    ({"exp": int(time.time()) - 60}, "token_expired"),
    ({"exp": None}, "missing_claim"),
    ({"exp": "tomorrow"}, "malformed_token"),
    ({"nbf": int(time.time()) + 3600}, "token_not_yet_valid"),
    ({"iat": int(time.time()) + 3600}, "token_not_yet_valid"),
    ({"sub": None}, "missing_user_claim"),
    ({"sub": ""}, "missing_user_claim"),
], ids=["missing aud", "wrong aud", "wrong aud list", "wrong iss", "missing iss", "expired", "missing exp",
        "exp not a number", "nbf in future", "iat in future", "missing sub", "empty sub"])
def test_claims_refused(daemon, keys, overrides, code):
    token = sign(keys, **overrides)
    assert_refused(negotiate(daemon, "chat", token), code, token)


def test_leeway_is_honoured(daemon, service, keys):
    # leeway = 5 in the config: 3 s past exp still passes, nbf 3 s ahead too
    now = int(time.time())
    assert_admitted(negotiate(daemon, "chat", sign(keys, exp=now - 3, nbf=now + 3)), service, "chat")


def test_unknown_kid_refused(daemon, keys):
    token = sign(keys, kid="nobody")
    assert_refused(negotiate(daemon, "chat", token), "unknown_key", token)


def test_bad_signature_refused(daemon, keys):
    token = sign(keys)
    head, body, sig = token.split(".")
    tampered = head + "." + b64(json.dumps(claims(sub="mallory")).encode()) + "." + sig
    assert_refused(negotiate(daemon, "chat", tampered), "invalid_signature", tampered)


def test_oversized_token_refused(daemon, keys):
    token = sign(keys, padding="x" * 2100)  # max_token_bytes = 2048 in the config
    assert_refused(negotiate(daemon, "chat", token), "token_too_large", token)
    assert_refused(negotiate(daemon, "chat", "." * 3000), "token_too_large")  # refused before any parsing


@pytest.mark.parametrize("token", [
    "e30.e30.",  # {} as header: no alg
    b64(b"not json") + "." + b64(b"{}") + ".c2ln",
    b64(b'{"alg":"RS256","kid":"rs"}') + ".bm90IGpzb24.c2ln",  # claims not JSON, signature garbage
    b64(b'{"alg":"RS256","crit":["exp"]}') + "." + b64(b"{}") + ".c2ln",
    b64(b'{"alg":"RS256","alg":"none"}') + "." + b64(b"{}") + ".c2ln",
], ids=["no alg", "header not json", "claims not json", "crit", "duplicate alg"])
def test_malformed_token_refused(daemon, token):
    reply = negotiate(daemon, "chat", token)
    assert reply.status == 401, reply.body
    assert reply.json()["error"]["code"] in {"malformed_token", "invalid_signature"}, reply.body


@pytest.mark.parametrize("value", ["not-a-jwt", "a.b", "a.b.c.d", "a!.b.c", ".b.c"])
def test_non_jwt_bearer_is_declined(daemon, value):
    """Not JWT-shaped: the jwt authenticator declines; with nothing else in the chain that is 401."""
    assert_refused(negotiate(daemon, "chat", value), "unauthenticated")


def test_non_jwt_bearer_goes_to_the_next_authenticator(daemon, service, keys):
    reply = negotiate(daemon, "mixed", API_KEY)
    assert_admitted(reply, service, "mixed", user="bob")
    assert_admitted(negotiate(daemon, "mixed", sign(keys)), service, "mixed")


def test_missing_token_is_401_with_bearer_challenge(daemon):
    reply = negotiate(daemon, "chat")
    assert_refused(reply, "unauthenticated")
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_cookie_token(daemon, service, keys):
    token = sign(keys, "ES256")
    assert_admitted(negotiate(daemon, "chat", headers={"Cookie": f"theme=dark; id_token={token}; x=1"}),
                    service, "chat")
    bad = sign(keys, "ES256", aud="api://someone-else")
    assert_refused(negotiate(daemon, "chat", headers={"Cookie": f"id_token={bad}"}), "wrong_audience", bad)
    # another cookie's name is not ours, and the pem hub reads no cookie
    assert_refused(negotiate(daemon, "chat", headers={"Cookie": f"other={token}"}), "unauthenticated")
    assert_refused(negotiate(daemon, "pem", headers={"Cookie": f"id_token={token}"}), "unauthenticated")


def test_log_holds_no_token(daemon, keys):
    token = sign(keys, aud="api://someone-else")
    negotiate(daemon, "chat", token)
    assert token.split(".")[2] not in daemon.stderr_text()


def test_discovery(daemon, service, keys, server):
    token = jwt.encode(claims(iss=server.url, email="carol@example.test"), keys.rsa_a, algorithm="RS256",
                       headers={"kid": "a1"})
    assert_admitted(negotiate(daemon, "found", token), service, "found", user="carol@example.test")


def test_provider_never_reached_is_503(daemon, keys):
    reply = negotiate(daemon, "dead", sign_rsa(keys.rsa_a, "a1"))
    assert reply.status == 503, reply.body
    assert reply.json()["error"]["code"] == "unavailable"


def wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_key_rotation_without_restart(daemon, service, keys, server):
    old, new = sign_rsa(keys.rsa_a, "a1"), sign_rsa(keys.rsa_b, "b1")
    server.serve(keys.set_a)
    assert wait_for(lambda: negotiate(daemon, "remote", old).status == 200)
    assert_refused(negotiate(daemon, "remote", new), "unknown_key")
    server.serve(keys.set_a, keys.set_b)  # the new kid appears: found by the unknown-kid refetch
    assert wait_for(lambda: negotiate(daemon, "remote", new).status == 200)
    assert_admitted(negotiate(daemon, "remote", old), service, "remote")
    server.serve(keys.set_b)  # the old kid disappears: gone after a background refresh
    assert wait_for(lambda: negotiate(daemon, "remote", old).status == 401)
    assert_refused(negotiate(daemon, "remote", old), "unknown_key")
    assert_admitted(negotiate(daemon, "remote", new), service, "remote")


@pytest.mark.parametrize("mode,reason", [("500", "HTTP status 500"), ("garbage", "not JSON"),
                                         ("hang", "imeout")], ids=["down", "garbage", "slow"])
def test_provider_fault_keeps_last_good_keys(daemon, service, keys, server, mode, reason):
    token = sign_rsa(keys.rsa_b, "b1")
    server.serve(keys.set_b)
    assert wait_for(lambda: negotiate(daemon, "remote", token).status == 200)
    fetches = server.fetches
    server.set_mode(mode)
    try:
        assert wait_for(lambda: server.fetches >= fetches + 2)  # at least two refreshes met the fault
        assert wait_for(lambda: re.search(rf"warning.*remote.*{re.escape(server.jwks_url)}.*{reason}",
                                          daemon.stderr_text(), re.I | re.S) is not None), daemon.stderr_text()
        for _ in range(3):
            started = time.monotonic()
            assert_admitted(negotiate(daemon, "remote", token), service, "remote")
            assert time.monotonic() - started < (5 if START_TIMEOUT > 10 else 0.5)  # never waits on the provider
        # an unknown kid waits for the provider at most the bounded refetch, then is refused
        started = time.monotonic()
        assert_refused(negotiate(daemon, "remote", sign_rsa(keys.rsa_a, "zz")), "unknown_key")
        # the 2 s refetch bound plus the failure delay: far below the 30 s a hanging provider takes
        assert time.monotonic() - started < (10 if START_TIMEOUT > 10 else 5)
    finally:
        server.release.set()
        server.serve(keys.set_b)
        server.release.clear()


# Each case: the [auth:x] body, with ">" marking the line (and KEY) the error must name.
BAD_CONFIGS = {
    "missing issuer": (">[auth:x]\ntype = jwt\naudience = a\nalgorithms = RS256\njwks_file = {dir}/jwks.json\n",
                       "issuer"),
    "missing audience": ("[auth:x]\ntype = jwt\nissuer = i\n>audience = \nalgorithms = RS256\n"
                         "jwks_file = {dir}/jwks.json\n", "audience"),
    "unknown alg": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\n>algorithms = RS256 none\n"
                    "jwks_file = {dir}/jwks.json\n", "algorithms"),
    "HS256 without secret": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\n>algorithms = RS256 HS256\n"
                             "jwks_file = {dir}/jwks.json\n", "algorithms"),
    "two key sources": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                        "jwks_file = {dir}/jwks.json\n>public_key_file = {dir}/rsa.pem\n", "public_key_file"),
    "no key source": (">[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n", "type"),
    "unreadable PEM": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                       ">public_key_file = {dir}/missing.pem\n", "public_key_file"),
    "PEM not a key": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                      ">public_key_file = {dir}/jwks.json\n", "public_key_file"),
    "PEM type fits no alg": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = ES256\n"
                             ">public_key_file = {dir}/rsa.pem\n", "public_key_file"),
    "garbage JWKS file": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                          ">jwks_file = {dir}/rsa.pem\n", "jwks_file"),
    "short secret": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = HS256\n"
                     ">secret_file = {dir}/short\n", "secret_file"),
    "bad leeway": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n>leeway = soon\n"
                   "jwks_file = {dir}/jwks.json\n", "leeway"),
    "bad jwks_url": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                     ">jwks_url = file:///etc/passwd\n", "jwks_url"),
    "unknown key": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                    "jwks_file = {dir}/jwks.json\n>colour = blue\n", "colour"),
    "plain-http jwks_url": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                            ">jwks_url = http://idp.example/jwks.json\n", "jwks_url"),
    "plain-http discovery": ("[auth:x]\ntype = jwt\n>issuer = http://idp.example\naudience = a\n"
                             "algorithms = RS256\ndiscovery = yes\n", "issuer"),
    "bad allow_insecure_http": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                                "jwks_url = http://idp.example/jwks.json\n>allow_insecure_http = maybe\n",
                                "allow_insecure_http"),
    "RSA e = 1 in jwks_file": ("[auth:x]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
                               ">jwks_file = {dir}/forged.json\n", "jwks_file"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_config_errors(tmp_path, service, keys, case):
    body, key = case
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.set_a}))
    (tmp_path / "rsa.pem").write_text(pem(keys.rsa_a.public_key()))
    (tmp_path / "short").write_text("too short\n")
    (tmp_path / "forged.json").write_text(json.dumps({"keys": [exponent_one_jwk(keys.rsa_a, "forged")]}))
    head = f"[service:main]\nconnection_string = {service.connection_string}\n\n[hub:chat]\nauth = x\n\n"
    lines = (head + body.format(dir=tmp_path)).splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(">"))
    path = tmp_path / "negotiated.conf"
    path.write_text("".join(text.removeprefix(">") for text in lines))
    result = run_cli("-c", str(path), "--check-config")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert re.search(rf"^(negotiated: )?{re.escape(str(path))}:{line}: {re.escape(key)}: ",
                     result.stdout + result.stderr, re.M), result.stderr


def exponent_one_jwk(private, kid):
    """The public JWK of PRIVATE's modulus with e = 1: s^1 mod n = s, so anyone can sign."""
    return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": b64(private.public_key().public_numbers().n.to_bytes(256, "big")), "e": b64(b"\x01")}


def forged_rs256(kid, **overrides):
    """An RS256 token that verifies under an e = 1 key of any 2048-bit modulus: its signature is the
    PKCS #1 v1.5 encoding of the digest itself (RFC 8017 section 9.2)."""
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode()) + "." + \
        b64(json.dumps(claims(**overrides)).encode())
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(head.encode()).digest()
    encoded = b"\x00\x01" + b"\xff" * (256 - 3 - len(digest_info)) + b"\x00" + digest_info
    return head + "." + b64(encoded)


def test_forged_token_with_an_exponent_one_key_fails_at_load(tmp_path, daemon_factory, service, keys):
    """The issue's forgery: an RSA key with e = 1 in a key set lets anyone mint tokens. From a file the
    configuration is refused with the reason; from a provider the set is refused (logged) and the
    forged token is never admitted."""
    (tmp_path / "forged.json").write_text(json.dumps({"keys": [exponent_one_jwk(keys.rsa_a, "forged")]}))
    config = (f"[service:main]\nconnection_string = {service.connection_string}\n[hub:chat]\nauth = x\n"
              f"[auth:x]\ntype = jwt\nissuer = {ISSUER}\naudience = {AUDIENCE}\nalgorithms = RS256\n"
              f"jwks_file = {tmp_path}/forged.json\n")
    (tmp_path / "negotiated.conf").write_text(config)
    result = run_cli("-c", str(tmp_path / "negotiated.conf"), "--check-config")
    assert result.returncode == 1
    assert (f"negotiated.conf:10: jwks_file: {tmp_path}/forged.json: no usable signature key: an RSA key's "
            "public exponent e must be odd and at least 3") in result.stderr, result.stderr
    with KeyServer() as server:
        server.serve([exponent_one_jwk(keys.rsa_a, "forged")])
        daemon = daemon_factory(remote_config(service, server, refetch_cooldown=1))
        reply = negotiate(daemon, "remote", forged_rs256("forged", sub="mallory"))
        assert reply.status == 503, reply.body  # no usable key was ever loaded: fail closed
        assert "public exponent e must be odd and at least 3" in daemon.stderr_text()
        server.serve(keys.set_a, [exponent_one_jwk(keys.rsa_b, "forged")])  # a good key beside it
        assert wait_for(lambda: negotiate(daemon, "remote", sign_rsa(keys.rsa_a, "a1")).status == 200)
        assert_refused(negotiate(daemon, "remote", forged_rs256("forged", sub="mallory")), "unknown_key")


def test_plain_http_needs_loopback_or_an_opt_in(tmp_path, daemon_factory, service, keys):
    """http://127.1 reaches the loopback key server but is not written as a loopback host: refused
    unless the section says allow_insecure_http = yes, which is then warned about at load."""
    with KeyServer() as server:
        server.serve(keys.set_a)
        url = server.jwks_url.replace("127.0.0.1", "127.1")
        config = remote_config(service, server).replace(server.jwks_url, url)
        (tmp_path / "plain.conf").write_text(config)
        result = run_cli("-c", str(tmp_path / "plain.conf"), "--check-config")
        assert result.returncode == 1
        assert ("plain.conf:12: jwks_url: must be an https:// URL: plain http:// only to a loopback host "
                "(127.0.0.0/8, [::1], localhost), or with allow_insecure_http = yes") in result.stderr, result.stderr
        daemon = daemon_factory(config + "allow_insecure_http = yes\n")
        assert_admitted(negotiate(daemon, "remote", sign_rsa(keys.rsa_a, "a1")), service, "remote")
        assert (f"[auth:remote] allow_insecure_http = yes: jwks_url {url} is fetched over plain http://; "
                "anyone on the network path can replace its answer") in daemon.stderr_text()


def section_config(service, name, source, **extra):
    """One hub NAME behind one jwt authenticator NAME whose algorithms and key source are SOURCE."""
    keys = "".join(f"{k} = {v}\n" for k, v in extra.items())
    return (f"[service:main]\nconnection_string = {service.connection_string}\n\n[hub:{name}]\nauth = {name}\n\n"
            f"[auth:{name}]\ntype = jwt\nissuer = {ISSUER}\naudience = {AUDIENCE}\n{source}\n{keys}")


def remote_config(service, server, **extra):
    return section_config(service, "remote", f"algorithms = RS256\njwks_url = {server.jwks_url}", **extra)


def test_reload_keeps_jwt_working(daemon_factory, service, keys):
    with KeyServer() as server:
        server.serve(keys.set_a)
        daemon = daemon_factory(remote_config(service, server, refresh_interval=1))
        token = sign_rsa(keys.rsa_a, "a1")
        assert_admitted(negotiate(daemon, "remote", token), service, "remote")
        for _ in range(3):
            daemon.proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: daemon.stderr_text().count("reload: serving the new configuration") > _)
            assert_admitted(negotiate(daemon, "remote", token), service, "remote")


def test_shutdown_is_prompt_while_a_fetch_hangs(daemon_factory, service, keys):
    """The refresher abandons a hanging fetch (fetch_timeout 60 s) at once when the daemon stops."""
    with KeyServer() as server:
        server.serve(keys.set_a)
        daemon = daemon_factory(remote_config(service, server, refresh_interval=1, fetch_timeout=60))
        fetches = server.fetches
        server.set_mode("hang")
        assert wait_for(lambda: server.fetches > fetches)  # a background refresh is now hanging
        time.sleep(0.3)
        started = time.monotonic()
        assert daemon.stop() is None
        assert time.monotonic() - started < (20 if START_TIMEOUT > 10 else 3)


def test_concurrent_requests_during_rotation(daemon_factory, service, keys):
    """Requests on many threads while the key set is swapped under them: every answer is right."""
    with KeyServer() as server:
        server.serve(keys.set_a, keys.set_b)
        daemon = daemon_factory(remote_config(service, server, refresh_interval=1, refetch_cooldown=1))
        tokens = {"a1": sign_rsa(keys.rsa_a, "a1"), "b1": sign_rsa(keys.rsa_b, "b1")}
        stop = threading.Event()
        failures = []

        def rotate():
            while not stop.is_set():
                server.serve(keys.set_b, keys.set_a)  # same keys, new order: a new set every refresh
                time.sleep(0.3)
                server.serve(keys.set_a, keys.set_b)
                time.sleep(0.3)

        def hammer(kid):
            until = time.monotonic() + 3.5  # spans three background refreshes
            while time.monotonic() < until:
                reply = negotiate(daemon, "remote", tokens[kid])
                if reply.status != 200:
                    failures.append((kid, reply.status, reply.body))

        rotator = threading.Thread(target=rotate)
        rotator.start()
        workers = [threading.Thread(target=hammer, args=(kid,)) for kid in ["a1", "b1"] * 4]
        try:
            for w in workers:
                w.start()
            for w in workers:
                w.join(120)
        finally:
            stop.set()
            rotator.join()
        assert not failures, failures[:3]
        assert server.fetches >= 3


# The verified-token cache (verified_cache): a repeated bearer is answered from the digest of the
# whole token, never past its exp, never after its key set changed, never across a reload.

def local_config(service, directory, **extra):
    return section_config(service, "local", f"algorithms = RS256 PS256 ES256\njwks_file = {directory}/jwks.json",
                          **extra)


def outcomes(daemon, auth, outcome):
    text = daemon.request("GET", "/metrics").body.decode()
    pattern = rf'^negotiated_auth_outcomes_total{{authenticator="{auth}",outcome="{outcome}"}} (\d+)$'
    return int(re.search(pattern, text, re.M).group(1))


def test_cache_hit_is_the_same_answer_and_counted(daemon_factory, tmp_path, service, keys):
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    daemon = daemon_factory(local_config(service, tmp_path))
    token = sign(keys, "ES256", sub="erin", groups=["g1", "g2"])
    first = negotiate(daemon, "local", token)
    assert_admitted(first, service, "local", user="erin")
    for _ in range(3):
        again = negotiate(daemon, "local", token)
        assert_admitted(again, service, "local", user="erin")
    assert outcomes(daemon, "local", "ok") == 4  # hits count as what they are: admissions
    # the same token with its last signature character changed, after the good one was cached
    last = token[-1]
    tampered = token[:-1] + ("A" if last != "A" else "B")
    assert_refused(negotiate(daemon, "local", tampered), "invalid_signature", tampered)
    assert_refused(negotiate(daemon, "local", tampered), "invalid_signature", tampered)
    assert outcomes(daemon, "local", "deny") == 2


def test_cache_entry_ends_at_exp(daemon_factory, tmp_path, service, keys):
    """leeway = 0: a token is admitted (and cached) until its exp, refused from then on."""
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    daemon = daemon_factory(local_config(service, tmp_path, leeway=0))
    exp = int(time.time()) + 3
    # iat a second back: time(3) reads a coarse clock that can lag Python's by a few ms at a
    # second's turn, and with leeway 0 an iat of "now" was then refused as not yet valid
    token = sign(keys, exp=exp, iat=exp - 4)
    assert_admitted(negotiate(daemon, "local", token), service, "local")
    assert_admitted(negotiate(daemon, "local", token), service, "local")
    time.sleep(max(0, exp + 1.1 - time.time()))
    assert_refused(negotiate(daemon, "local", token), "token_expired", token)


def test_cache_misses_after_the_key_set_changes(daemon_factory, service, keys):
    """The provider now publishes another key under the same kid: a token cached with the old key
    must be checked again, and fails, as soon as the new set is installed."""
    with KeyServer() as server:
        server.serve(keys.set_a)
        daemon = daemon_factory(remote_config(service, server, refresh_interval=1))
        token = sign_rsa(keys.rsa_a, "a1")
        assert_admitted(negotiate(daemon, "remote", token), service, "remote")
        assert_admitted(negotiate(daemon, "remote", token), service, "remote")
        server.serve([dict(keys.set_b[0], kid="a1")])
        assert wait_for(lambda: negotiate(daemon, "remote", token).status == 401)
        assert_refused(negotiate(daemon, "remote", token), "invalid_signature", token)


def test_reload_drops_the_cache(daemon_factory, tmp_path, service, keys):
    """A reload builds new authenticators, and a token the old configuration cached is judged by
    the new one: here an audience no longer accepted."""
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    daemon = daemon_factory(local_config(service, tmp_path))
    token = sign(keys)
    assert_admitted(negotiate(daemon, "local", token), service, "local")
    assert_admitted(negotiate(daemon, "local", token), service, "local")
    config = tmp_path / "negotiated-0.conf"
    config.write_text(config.read_text().replace(f"audience = {AUDIENCE}", "audience = api://elsewhere"))
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reload: serving the new configuration" in daemon.stderr_text())
    assert_refused(negotiate(daemon, "local", token), "wrong_audience", token)


@pytest.mark.parametrize("slots", ["0", "1"])
def test_cache_off_or_tiny_gives_the_same_answers(daemon_factory, tmp_path, service, keys, slots):
    """verified_cache = 0 verifies every time; 1 slot keeps evicting: the answers never change."""
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    daemon = daemon_factory(local_config(service, tmp_path, verified_cache=slots))
    tokens = {user: sign(keys, alg, sub=user) for user, alg in [("ann", "RS256"), ("ben", "ES256"), ("cy", "PS256")]}
    for _ in range(3):
        for user, token in tokens.items():
            assert_admitted(negotiate(daemon, "local", token), service, "local", user=user)
    assert outcomes(daemon, "local", "ok") == 9


@pytest.mark.parametrize("value", ["1000001", "lots", "-1"])
def test_verified_cache_bounds(tmp_path, service, keys, value):
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys.file_set}))
    path = tmp_path / "negotiated.conf"
    path.write_text(local_config(service, tmp_path, verified_cache=value))
    result = run_cli("-c", str(path), "--check-config")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "negotiated.conf:13: verified_cache: must be a whole number from 0 to 1000000" in result.stderr, \
        result.stderr
