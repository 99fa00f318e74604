# SPDX-License-Identifier: Apache-2.0
"""The htpasswd authenticator: HTTP Basic against bcrypt, sha512-crypt and sha256-crypt hashes;
weaker schemes refused at load; malformed credentials refused; chains with API keys."""
import base64
import secrets
import subprocess
import time

import pytest

from auth_helpers import admitted, assert_error, assert_refused, basic, tool
from conftest import Service, check_client_access
from test_reload import reload_and_wait

PASSWORDS = {user: secrets.token_urlsafe(12) for user in
             ["alice", "bob", "carol", "dave", "erin", "élodie", "slow"]}
API_KEY = secrets.token_hex(16)


def htpasswd_line(user, password, *options):
    """A 'user:hash' line made by Apache's htpasswd (-n: print, -b: password from the command line)."""
    out = subprocess.run([tool("htpasswd"), "-nb", *options, user, password], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return out.strip()


def openssl_crypt(option, password):
    return subprocess.run([tool("openssl"), "passwd", option, "-stdin"], input=password, capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()


@pytest.fixture(scope="module")
def lines():
    """One line per strong scheme; bcrypt's $2b$ and $2a$ are $2y$ under another name for ASCII passwords."""
    bcrypt_b = htpasswd_line("bob", PASSWORDS["bob"], "-B", "-C", "5").replace("$2y$", "$2b$", 1)
    bcrypt_a = htpasswd_line("carol", PASSWORDS["carol"], "-B", "-C", "5").replace("$2y$", "$2a$", 1)
    return {
        "alice": htpasswd_line("alice", PASSWORDS["alice"], "-B", "-C", "5"),
        "bob": bcrypt_b,
        "carol": bcrypt_a,
        "dave": "dave:" + openssl_crypt("-6", PASSWORDS["dave"]),
        "erin": "erin:" + openssl_crypt("-5", PASSWORDS["erin"]),
        "élodie": "élodie:" + openssl_crypt("-6", PASSWORDS["élodie"]),
    }


# No failure delay: the timing test compares the cost of verification alone.
CONFIG = """\
[server]
auth_failure_delay = 0

[service:main]
connection_string = {cs}

[hub:basic]
auth = web

[hub:both]
auth = web keys

[hub:slow]
auth = slow

[auth:web]
type = htpasswd
file = {dir}/htpasswd

[auth:slow]
type = htpasswd
file = {dir}/slow.htpasswd

[auth:keys]
type = apikey
file = {dir}/apikeys
"""


@pytest.fixture(scope="module")
def service():
    return Service.new()


@pytest.fixture(scope="module")
def daemon(module_daemon_factory, tmp_path_factory, service, lines):
    directory = tmp_path_factory.mktemp("htpasswd")
    text = "# users of the internal tools\n\n" + "\n".join(lines.values()) + "\r\n   # indented comment\n"
    (directory / "htpasswd").write_text(text, encoding="utf-8")
    # One user only, with a slower bcrypt cost: the dummy verification for unknown users is then measurable.
    (directory / "slow.htpasswd").write_text(htpasswd_line("slow", PASSWORDS["slow"], "-B", "-C", "9") + "\n")
    (directory / "apikeys").write_text(f"service-a {API_KEY}\n")
    return module_daemon_factory(CONFIG.format(cs=service.connection_string, dir=directory))


def claims(reply, service, hub):
    assert reply.status == 200, reply.body
    return check_client_access(reply.json(), service.key, service.endpoint, hub)


@pytest.mark.parametrize("user", ["alice", "bob", "carol", "dave", "erin", "élodie"],
                         ids=["bcrypt-2y", "bcrypt-2b", "bcrypt-2a", "sha512-crypt", "sha256-crypt", "utf8-user"])
def test_htpasswd_accepts(daemon, service, user):
    headers = basic(user, PASSWORDS[user])
    assert claims(daemon.request("GET", "/negotiate/basic", headers=headers), service, "basic")["sub"] == user


def test_htpasswd_scheme_is_case_insensitive(daemon, service):
    headers = {"Authorization": basic("alice", PASSWORDS["alice"])["Authorization"].replace("Basic", "bAsIc")}
    assert claims(daemon.request("GET", "/negotiate/basic", headers=headers), service, "basic")["sub"] == "alice"


@pytest.mark.parametrize("user, password", [
    ("alice", "wrong-password"),
    ("alice", PASSWORDS["bob"]),  # another user's password
    ("dave", PASSWORDS["dave"] + "x"),
    ("erin", PASSWORDS["erin"][:-1]),
    ("alice", ""),
    ("mallory", "anything"),  # unknown user
    ("ALICE", PASSWORDS["alice"]),  # user names are exact
], ids=["wrong", "other-users", "longer", "shorter", "empty", "unknown-user", "case"])
def test_htpasswd_wrong_credentials(daemon, service, user, password):
    reply = daemon.request("GET", "/negotiate/basic", headers=basic(user, password))
    assert_error(reply, 401, "invalid_credentials", [password, *PASSWORDS.values()])
    assert reply.headers.get("WWW-Authenticate") == 'Basic realm="negotiated"'


def test_htpasswd_missing_credentials(daemon):
    reply = daemon.request("GET", "/negotiate/basic")
    assert_error(reply, 401, "unauthenticated")
    assert reply.headers.get("WWW-Authenticate") == 'Basic realm="negotiated"'


@pytest.mark.parametrize("authorization", ["Bearer abcdefghijklmnop0123", "Digest username=alice", "Basicx YWJj"],
                         ids=["bearer", "digest", "not-basic"])
def test_htpasswd_declines_other_schemes(daemon, authorization):
    assert_error(daemon.request("GET", "/negotiate/basic", headers={"Authorization": authorization}), 401,
                 "unauthenticated")


def b64(raw):
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("token", [
    "!!!!",
    b64(b"alice:secret")[:-1],  # truncated
    b64(b"alice:secret").replace("=", "") + "A",
    b64(b"alicesecret"),  # no colon
    b64(b":secret"),  # empty user
    b64(b"ali\x01ce:secret"),  # control character in the user
    b64(b"alice\x00:secret"),  # NUL
    b64(b"\xff\xfe:secret"),  # not UTF-8
    b64(b"u" * 256 + b":secret"),  # user over 255 bytes
    b64(b"alice:" + b"p" * 513),  # password over 512 bytes
    "A" * 1028,  # over the 1024-character cap
    "",
], ids=["not-base64", "truncated", "bad-padding", "no-colon", "empty-user", "control", "nul", "not-utf8",
        "long-user", "long-password", "oversize", "empty"])
def test_htpasswd_malformed_credentials(daemon, token):
    reply = daemon.request("GET", "/negotiate/basic", headers={"Authorization": f"Basic {token}".rstrip()})
    assert_error(reply, 401, "malformed_credentials", [*PASSWORDS.values()])


def test_htpasswd_unknown_user_costs_a_verification(daemon):
    """An unknown user is verified against a real hash, so timing does not reveal which users exist."""
    def fastest_seconds(user, password):  # the minimum: load only ever adds time
        times = []
        for _ in range(5):
            start = time.monotonic()
            reply = daemon.request("GET", "/negotiate/slow", headers=basic(user, password))
            times.append(time.monotonic() - start)
            assert reply.status == 401
        return min(times)
    known = fastest_seconds("slow", "wrong-password")
    unknown = fastest_seconds("nobody", "wrong-password")
    assert unknown > 0.5 * known, (known, unknown)


@pytest.mark.parametrize("headers, user, auth", [
    (basic("alice", PASSWORDS["alice"]), "alice", "web"),
    ({"X-API-Key": API_KEY}, "service-a", "keys"),
    ({"Authorization": f"Bearer {API_KEY}"}, "service-a", "keys"),
], ids=["basic", "x-api-key", "bearer-key"])
def test_chain_basic_then_keys(daemon, service, headers, user, auth):
    assert claims(daemon.request("GET", "/negotiate/both", headers=headers), service, "both")["sub"] == user
    assert admitted(daemon, user, auth)


def test_chain_without_credentials_offers_both_schemes(daemon):
    reply = daemon.request("GET", "/negotiate/both")
    assert_error(reply, 401, "unauthenticated")
    assert reply.headers.get("WWW-Authenticate") == 'Basic realm="negotiated", Bearer realm="negotiated"'


def test_chain_wrong_password_stops_the_chain(daemon):
    """DENY stops: a valid API key beside a wrong Basic password does not get in."""
    reply = daemon.request("GET", "/negotiate/both", headers={**basic("alice", "wrong"), "X-API-Key": API_KEY})
    assert_error(reply, 401, "invalid_credentials")


def test_htpasswd_logs_hold_no_password(daemon):
    for user in ["alice", "dave"]:
        daemon.request("GET", "/negotiate/basic", headers=basic(user, PASSWORDS[user]))
        daemon.request("GET", "/negotiate/basic", headers=basic(user, "guess-" + PASSWORDS[user]))
    log = daemon.stderr_text()
    for value in [*PASSWORDS.values(), API_KEY, b64(f"alice:{PASSWORDS['alice']}".encode())]:
        assert value not in log


# Files refused at load. Each is the whole htpasswd file; N is the line the message names.
WEAK = {
    "apr1": ("a:$apr1$tNlBO3Kz$wIHgbWOAunTd3wCP6.gd1.\n", 1, r"MD5 \(\$apr1\$\) is too weak"),
    "md5-crypt": ("# c\na:$1$LTzX/vOg$yRBu9zJvmdsIPOYOf4VvL0\n", 2, r"MD5-crypt \(\$1\$\) is too weak"),
    "sha1": ("a:{SHA}6dcfXufJLW3J6S/9rRe4vUlBj5g=\n", 1, r"SHA-1 \(\{SHA\}\) is too weak"),
    "des": ("a:d/c9Ap1oOwI7I\n", 1, "DES crypt is too weak"),
    "plain": ("a:hunter2hunter2\n", 1, r"plain text \(or an unknown scheme\) is too weak"),
    "bcrypt-2x": ("a:$2x$05$aUSpTIlGNdzpUOWhjlTa2Obcd6ftmyReljwYdi1AGBLqyHUPtnqr6\n", 1, r"bcrypt with the \$2x\$ bug is too weak"),
    "unknown": ("a:$9$abc$def\n", 1, "unknown hash scheme"),
}
GOOD_LINE = "ok:$2y$05$aUSpTIlGNdzpUOWhjlTa2Obcd6ftmyReljwYdi1AGBLqyHUPtnqr6\n"
BROKEN = {
    "empty": ("# nobody\n\n", 0, "no 'user:hash' lines"),
    "no-colon": (GOOD_LINE + "justaname\n", 2, "expected 'user:hash'"),
    "two-colons": ("a:b:c\n", 1, "expected 'user:hash'"),
    "empty-user": (":$2y$05$aUSpTIlGNdzpUOWhjlTa2Obcd6ftmyReljwYdi1AGBLqyHUPtnqr6\n", 1, "the user must be"),
    "duplicate": (GOOD_LINE + GOOD_LINE, 2, "the same user appears on an earlier line"),
    "long-line": ("u:$6$" + "a" * 1100 + "\n", 1, "the line is longer than 1024 bytes"),
    "bad-characters": ("a:$6$salt$has space\n", 1, r"the sha512-crypt hash has characters outside \./0-9A-Za-z\$="),
}


def refusal_config(tmp_path, service, text):
    (tmp_path / "htpasswd").write_text(text)
    path = tmp_path / "negotiated.conf"
    path.write_text(f"[service:main]\nconnection_string = {service.connection_string}\n\n"
                    f"[hub:chat]\nauth = web\n\n[auth:web]\ntype = htpasswd\nfile = {tmp_path}/htpasswd\n")
    return path


@pytest.mark.parametrize("mode", ["check-config", "start"])
@pytest.mark.parametrize("case", [*WEAK.values(), *BROKEN.values()], ids=[*WEAK, *BROKEN])
def test_htpasswd_file_refused(tmp_path, service, case, mode):
    text, line, reason = case
    path = refusal_config(tmp_path, service, text)
    where = f"{tmp_path}/htpasswd:{line}" if line else f"{tmp_path}/htpasswd"
    output = assert_refused(path, 9, "file", f"{where}: {reason}", mode)
    assert "hunter2" not in output


def test_htpasswd_file_missing(tmp_path, service):
    path = refusal_config(tmp_path, service, GOOD_LINE)
    (tmp_path / "htpasswd").unlink()
    assert_refused(path, 9, "file", "cannot open", "check-config")


def test_htpasswd_file_too_large(tmp_path, service):
    path = refusal_config(tmp_path, service, GOOD_LINE + "#" * (1 << 20) + "\n")
    assert_refused(path, 9, "file", "larger than 1048576 bytes", "check-config")


def test_htpasswd_file_key_required(tmp_path, service):
    path = refusal_config(tmp_path, service, GOOD_LINE)
    path.write_text(path.read_text().replace(f"file = {tmp_path}/htpasswd\n", "realm = x\n"))
    assert_refused(path, 7, "file", "required", "check-config")


def test_htpasswd_file_reread_on_reload(daemon_factory, tmp_path, service):
    """SIGHUP re-reads the file: a new user gets in, a removed one does not; a weak file keeps the old one."""
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(htpasswd_line("alice", PASSWORDS["alice"], "-B", "-C", "5") + "\n")
    daemon = daemon_factory(f"[service:main]\nconnection_string = {service.connection_string}\n\n"
                            f"[hub:chat]\nauth = web\n\n[auth:web]\ntype = htpasswd\nfile = {htpasswd}\n")
    assert claims(daemon.request("GET", "/negotiate/chat", headers=basic("alice", PASSWORDS["alice"])), service,
                  "chat")["sub"] == "alice"
    htpasswd.write_text(htpasswd_line("bob", PASSWORDS["bob"], "-B", "-C", "5") + "\n")
    reload_and_wait(daemon, "reload: serving the new configuration")
    assert claims(daemon.request("GET", "/negotiate/chat", headers=basic("bob", PASSWORDS["bob"])), service,
                  "chat")["sub"] == "bob"
    assert_error(daemon.request("GET", "/negotiate/chat", headers=basic("alice", PASSWORDS["alice"])), 401,
                 "invalid_credentials")
    htpasswd.write_text("bob:$apr1$tNlBO3Kz$wIHgbWOAunTd3wCP6.gd1.\n")
    reload_and_wait(daemon, r"file: .*htpasswd:1: MD5 \(\$apr1\$\) is too weak")
    assert claims(daemon.request("GET", "/negotiate/chat", headers=basic("bob", PASSWORDS["bob"])), service,
                  "chat")["sub"] == "bob"
