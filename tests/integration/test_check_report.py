# SPDX-License-Identifier: Apache-2.0
"""--check-config says what to fix, all of it in one run: every error of the file, a misspelled key
named with the key it is near (in [service:NAME] too: key names are no secret, values are), and a
rule condition attr:NAME that no authenticator of its hubs can ever set."""
import secrets

from conftest import Service, run_cli

SECRET = secrets.token_urlsafe(32)


def check(tmp_path, text):
    (tmp_path / "hs.secret").write_text(SECRET)
    config = tmp_path / "negotiated.conf"
    config.write_text(text.format(cs=Service.new().connection_string, dir=tmp_path))
    return run_cli("--check-config", "-c", str(config)), str(config)


JWT = """\
[auth:oidc]
type = jwt
issuer = https://idp.example.test/
audience = app
algorithms = HS256
secret_file = {dir}/hs.secret
"""


def test_every_error_of_the_file_in_one_run(tmp_path):
    result, config = check(tmp_path, """\
[service:main]
connection_strng = {cs}

[hub:chat]
auht = oidc
token_lifetime = forever

[hub:chat]
auth = oidc

[rule:r]
hub = nowhere
match = anyone
roles = webpubsub.sendToGroup
""" + JWT)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    expected = [
        f"negotiated: {config}:2: connection_strng: unknown key in [service:main]; did you mean connection_string?",
        f"negotiated: {config}:5: auht: unknown key in [hub:chat]; did you mean auth?",
        f"negotiated: {config}:6: token_lifetime: ",
        f"negotiated: {config}:8: [hub:chat]: duplicate section (first on line 4)",
        f"negotiated: {config}:12: hub: no [hub:nowhere] section",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, result.stderr)
    assert "Endpoint=" not in result.stderr and "AccessKey" not in result.stderr


def test_every_authenticator_error_in_one_run_with_a_hint_for_a_typo(tmp_path):
    result, config = check(tmp_path, """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = oidc web

[auth:web]
type = htpasswd
file = {dir}/missing
""" + JWT.replace("issuer =", "isuer ="))
    assert result.returncode == 1
    assert f"{config}:9: file: cannot open {tmp_path}/missing" in result.stderr, result.stderr
    assert f"{config}:10: issuer: required" in result.stderr, result.stderr
    assert f"{config}:12: isuer: unknown key; did you mean issuer?" in result.stderr, result.stderr


ROOMS = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = oidc

[rule:rooms]
hub = chat
match = attr:rooms=*
roles = webpubsub.joinLeaveGroups.room-{{attr:rooms}}
"""


def test_a_rule_on_an_attribute_no_authenticator_sets_is_an_error(tmp_path):
    """The motivating bug: passed every check, granted nothing, logged nothing."""
    result, config = check(tmp_path, ROOMS + JWT)
    assert result.returncode == 1
    assert (f"{config}:9: match: 'attr:rooms=*' can never hold on hub chat: no authenticator of it sets an "
            f"attribute 'rooms' (they set: oidc: groups roles email)") in result.stderr, result.stderr


def test_the_same_rule_checks_once_the_claim_is_listed(tmp_path):
    result, config = check(tmp_path, ROOMS + JWT + "attribute_claims = rooms groups\n")
    assert result.returncode == 0, result.stderr


def test_an_authenticator_that_may_set_anything_lets_the_rule_be(tmp_path):
    result, config = check(tmp_path, ROOMS.replace("auth = oidc", "auth = oidc hook") + JWT + """
[auth:hook]
type = webhook
url = https://auth.example.test/check
""")
    assert result.returncode == 0, result.stderr


def test_an_auth_condition_narrows_what_is_looked_at(tmp_path):
    text = ROOMS.replace("auth = oidc", "auth = oidc hook").replace("match = attr:rooms=*",
                                                                    "match = attr:rooms=* auth:oidc")
    result, config = check(tmp_path, text + JWT + "\n[auth:hook]\ntype = webhook\nurl = https://auth.example.test/c\n")
    assert result.returncode == 1 and "(they set: oidc: groups roles email)" in result.stderr, result.stderr


def key_file_config(tmp_path, key, body):
    (tmp_path / "key.file").write_bytes(body)
    return f"""\
[service:main]
connection_string = {{cs}}

[hub:chat]
auth = oidc

[auth:oidc]
type = jwt
issuer = https://idp.example.test/
audience = app
algorithms = RS256
{key} = {tmp_path}/key.file
"""


def private_and_csr():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    traditional = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])).sign(private, hashes.SHA256())
    return pem, traditional, csr.public_bytes(serialization.Encoding.PEM)


def test_a_key_file_of_the_wrong_kind_says_what_it_holds(tmp_path):
    pkcs8, traditional, csr = private_and_csr()
    cases = [
        ("public_key_file", pkcs8, "no PEM public key or certificate in it: it holds a private key (PKCS#8): give "
                                   "its public key (openssl pkey -in KEY -pubout)"),
        ("public_key_file", traditional, "it holds an RSA private key: give its public key"),
        ("public_key_file", csr, "it holds a certificate request, which is no key"),
        ("public_key_file", b'{"keys": []}', "it holds JSON (a JWKS goes in jwks_file)"),
        ("jwks_file", pkcs8, "not JSON: it holds a private key (PKCS#8)"),
        ("jwks_file", b'{"kty": "RSA", "n": "x", "e": "AQAB"}', "not a JWK set but one JWK"),
    ]
    for key, body, says in cases:
        result, config = check(tmp_path, key_file_config(tmp_path, key, body))
        assert result.returncode == 1 and f"{config}:12: {key}: {tmp_path}/key.file: " in result.stderr, result.stderr
        assert says in result.stderr, (key, says, result.stderr)
        assert b"MII" not in result.stderr.encode()  # no key material
