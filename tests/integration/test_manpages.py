# SPDX-License-Identifier: Apache-2.0
"""The man pages cover every configuration key the parser knows, every authenticator type and
key, and every command-line option."""
import re

from conftest import REPO, run_cli

MAN = REPO / "man"
SECTIONS = {"server": "[server]", "service": "[service:NAME]", "hub": "[hub:NAME]", "auth": "[auth:NAME]",
            "rule": "[rule:NAME]", "store": "[store]"}
CALL = re.compile(r"\b(\w+)\s*\(([^;{}]*?)\)\s*[;,)&|]", re.S)
LITERAL = re.compile(r'"([a-z][a-z0-9_]*)"')


def man_sections(text):
    """{".SH title": body} for a roff page."""
    parts = re.split(r"^\.SH (.*)$", text, flags=re.M)
    return {parts[i].strip().strip('"'): parts[i + 1] for i in range(1, len(parts), 2)}


def documented_keys(body):
    """The keys a man section defines: the first word of each .B/.BI/.BR line right after .TP or .PD 0."""
    return set(re.findall(r"^\.(?:BI|B|BR) \\?\"?([a-z][a-z0-9_]*)\b", body, flags=re.M))


def parser_keys():
    out = run_cli("--list-config-keys")
    assert out.returncode == 0, out.stderr
    pairs = [line.split() for line in out.stdout.splitlines()]
    assert pairs and all(len(p) == 2 and p[0] in SECTIONS for p in pairs), out.stdout
    return pairs


def authenticator_sources():
    files = sorted((REPO / "src" / "auth").rglob("*.c"))
    assert files, "no src/auth/*.c"
    return [f.read_text() for f in files]


def authenticator_keys():
    """Keys read through ngd_section_get(sec, "key"), through a helper that passes its parameter to
    it, or listed in a *keys[] table; a set that cannot be empty."""
    keys = set()
    for src in authenticator_sources():
        keys |= set(re.findall(r'ngd_section_get\(\s*\w+\s*,\s*"([a-z][a-z0-9_]*)"', src))
        helpers = set(re.findall(r"\b(\w+)\s*\([^)]*const char \*(\w+)[^)]*\)\s*\{(?:(?!\n\}).)*?"
                                 r"ngd_section_get\(\s*\w+\s*,\s*\2\s*\)", src, flags=re.S))
        for name, _ in helpers:
            for call in re.finditer(rf"\b{name}\s*\(([^;]*?)\)", src):
                keys |= set(LITERAL.findall(call.group(1)))
        for table in re.finditer(r"\w*keys\w*\s*\[\w*\]\s*=\s*\{(.*?)\};", src, flags=re.S):
            keys |= set(LITERAL.findall(table.group(1)))
    keys.discard("type")
    assert {"file", "user"} <= keys, keys
    return keys


def test_every_config_key_is_in_negotiated_conf_5():
    sections = man_sections((MAN / "negotiated.conf.5").read_text())
    missing = [f"{SECTIONS[kind]} {key}" for kind, key in parser_keys()
               if key not in documented_keys(sections.get(SECTIONS[kind], ""))]
    assert not missing, "not in man/negotiated.conf.5: " + ", ".join(missing)


def test_every_authenticator_type_and_key_is_in_negotiated_conf_5():
    auth = man_sections((MAN / "negotiated.conf.5").read_text())["[auth:NAME]"]
    types = {t for src in authenticator_sources() for t in re.findall(r'\.type\s*=\s*"([a-z0-9_]+)"', src)}
    assert {"anonymous", "apikey"} <= types
    missing_types = [t for t in types if not re.search(rf"^\.SS type = {t}$", auth, flags=re.M)]
    assert not missing_types, "no '.SS type = T' in man/negotiated.conf.5 for " + ", ".join(missing_types)
    missing = sorted(authenticator_keys() - documented_keys(auth))
    assert not missing, "[auth:NAME] keys not in man/negotiated.conf.5: " + ", ".join(missing)


OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])\b")


def documented(option, text):
    return re.search(rf"(?<![\w-]){re.escape(option)}\b", text)


def test_every_option_is_in_negotiated_8():
    out = run_cli("--help")
    assert out.returncode == 0
    options = set(OPTION.findall(out.stdout))
    assert {"--config", "-c", "--listen", "--dev", "--check-config", "--verbose", "--version"} <= options
    page = (MAN / "negotiated.8").read_text().replace("\\-", "-")
    sections = man_sections(page)
    missing = sorted(o for o in options if not documented(o, sections["OPTIONS"]))
    assert not missing, "options not in man/negotiated.8 OPTIONS: " + ", ".join(missing)
    commands = re.findall(r"^\s*(?:usage: )?negotiated (\w+) --help$", out.stdout, flags=re.M)
    assert "token" in commands, out.stdout
    for cmd in commands:
        sub = run_cli(cmd, "--help")
        sub_options = set(OPTION.findall(sub.stdout + sub.stderr)) - {"--help"}
        assert sub_options, f"negotiated {cmd} --help lists no option"
        body = re.split(r"^\.SS ", sections.get("COMMANDS", ""), flags=re.M)
        text = next((b for b in body if b.startswith(f"negotiated {cmd}")), "")
        missing = sorted(o for o in sub_options if not documented(o, text))
        assert text and not missing, f"negotiated {cmd}: not in man/negotiated.8 COMMANDS: " + ", ".join(missing)
