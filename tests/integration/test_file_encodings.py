# SPDX-License-Identifier: Apache-2.0
"""Every file the daemon reads (configuration, API keys, htpasswd, JWKS, PEM, an HS256 secret, a
connection string file) is read one way: a UTF-8 byte order mark at its start and CRLF line ends
are an editor's and dropped, a missing final newline is fine; a carriage return without a newline,
or a byte order mark further in, is refused with FILE:LINE. Nothing of them becomes data: the API
key file's first user is 'alice', never '\\ufeffalice'."""
import base64
import json
import secrets
import subprocess
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from conftest import START_TIMEOUT, Service, check_client_access, command, child_env, free_port, Daemon, run_cli

BOM = "\ufeff"
API_KEY = secrets.token_hex(16)
PASSWORD = "correct horse"
HS_SECRET = secrets.token_urlsafe(32)
ISSUER = "https://idp.example.test"

CONFIG = """\
[service:main]
connection_string_file = {dir}/cs.txt

[hub:keys]
auth = keys

[hub:web]
auth = web

[hub:jwks]
auth = jwks

[hub:pem]
auth = pem

[hub:hs]
auth = hs

[auth:keys]
type = apikey
file = {dir}/apikeys

[auth:web]
type = htpasswd
file = {dir}/htpasswd

[auth:jwks]
type = jwt
issuer = {issuer}
audience = app
algorithms = RS256
jwks_file = {dir}/jwks.json

[auth:pem]
type = jwt
issuer = {issuer}
audience = app
algorithms = RS256
public_key_file = {dir}/key.pem

[auth:hs]
type = jwt
issuer = {issuer}
audience = app
algorithms = HS256
secret_file = {dir}/hs.secret"""


def editor_style(text):
    """TEXT as a Windows editor saves it: a BOM, CRLF line ends, no final newline."""
    return (BOM + "\r\n".join(text.rstrip("\n").split("\n"))).encode()


def htpasswd_line(user, password):
    out = subprocess.run(["openssl", "passwd", "-5", "-stdin"], input=password, capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    return f"{user}:{out}"


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_files(directory, service, key, shape=editor_style):
    jwk = dict(json.loads(RSAAlgorithm.to_jwk(key.public_key())), kid="k1", alg="RS256")
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    files = {
        "negotiated.conf": CONFIG.format(dir=directory, issuer=ISSUER),
        "cs.txt": service.connection_string,
        "apikeys": f"alice {API_KEY}\nbob {secrets.token_hex(16)}\n",
        "htpasswd": htpasswd_line("carol", PASSWORD) + "\n",
        "jwks.json": json.dumps({"keys": [jwk]}, indent=1),
        "key.pem": pem,
        "hs.secret": HS_SECRET + "\n",
    }
    for name, text in files.items():
        (directory / name).write_bytes(shape(text))
    return directory / "negotiated.conf"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, service, key):
    directory = tmp_path_factory.mktemp("encodings")
    config = write_files(directory, service, key)
    listen = f"127.0.0.1:{free_port()}"
    log_path = directory / "negotiated.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command("-c", str(config), "--listen", listen), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=child_env())
    started = Daemon(proc, listen, log_path)
    started.wait_healthy()
    yield started
    problem = started.stop()
    assert not problem, problem


def sub_of(daemon, service, hub, headers):
    reply = daemon.request("GET", f"/negotiate?hub={hub}", headers=headers)
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, hub)["sub"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def claims():
    now = int(time.time())
    return {"iss": ISSUER, "aud": "app", "sub": "dave", "iat": now, "exp": now + 300}


def test_every_file_with_bom_crlf_and_no_final_newline_checks(tmp_path, service, key):
    config = write_files(tmp_path, service, key)
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 0 and "configuration OK" in result.stdout, result.stderr


def test_nothing_of_it_becomes_data(daemon, service, key):
    assert sub_of(daemon, service, "keys", {"X-API-Key": API_KEY}) == "alice"  # not '\ufeffalice'
    basic = base64.b64encode(f"carol:{PASSWORD}".encode()).decode()
    assert sub_of(daemon, service, "web", {"Authorization": f"Basic {basic}"}) == "carol"
    rs = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert sub_of(daemon, service, "jwks", bearer(rs)) == "dave"
    assert sub_of(daemon, service, "pem", bearer(rs)) == "dave"
    hs = jwt.encode(claims(), HS_SECRET.encode(), algorithm="HS256")  # the BOM is no byte of the secret
    assert sub_of(daemon, service, "hs", bearer(hs)) == "dave"


@pytest.mark.parametrize("name, line", [("negotiated.conf", 4), ("apikeys", 2), ("htpasswd", 2), ("jwks.json", 3),
                                        ("key.pem", 2), ("hs.secret", 1), ("cs.txt", 1)])
def test_a_lone_carriage_return_is_refused_with_its_line(tmp_path, service, key, name, line):
    config = write_files(tmp_path, service, key, shape=lambda text: text.encode())
    path = tmp_path / name
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1][:1] + b"\r" + lines[line - 1][1:]
    path.write_bytes(b"\n".join(lines))
    result = run_cli("--check-config", "-c", str(config))
    if name == "hs.secret":  # a secret file is bytes: a CR in it is a byte of the key, as a NUL is
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1
    assert f"{path}:{line}: a carriage return without a newline after it" in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["negotiated.conf", "apikeys", "htpasswd", "jwks.json", "key.pem", "cs.txt"])
def test_a_byte_order_mark_further_in_is_refused_with_its_line(tmp_path, service, key, name):
    config = write_files(tmp_path, service, key, shape=lambda text: text.encode())
    path = tmp_path / name
    path.write_bytes(path.read_bytes() + b"\n" + BOM.encode() + b"# more\n")
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1
    assert f"{path}:" in result.stderr and ": a byte order mark (U+FEFF) inside the file" in result.stderr, \
        result.stderr


def test_a_bom_on_the_configuration_is_no_error_and_an_error_keeps_its_line(tmp_path, service, key):
    config = write_files(tmp_path, service, key)
    config.write_bytes(config.read_bytes().replace(b"[hub:keys]", b"[hub:keys]\r\ncolour = blue"))
    result = run_cli("--check-config", "-c", str(config))
    assert result.returncode == 1 and f"{config}:5: colour: unknown key in [hub:keys]" in result.stderr, \
        result.stderr
