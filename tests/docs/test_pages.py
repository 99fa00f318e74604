# SPDX-License-Identifier: Apache-2.0
"""The pages against the examples and the code: every configuration a page shows is a complete
file in examples/ (quoted byte for byte), and every name a page quotes exists in the code.

How pages mark what this checks (CONTRIBUTING.md, "Documentation"):
- a ```ini block is preceded by <!-- example: examples/NAME.conf --> and equals that file;
- names are quoted in backticks: a configuration key, an error code, a metric (`negotiated_...`),
  an option (`--NAME`, or inside a `negotiated ...` command); keys also as `key = value` lines
  of ini blocks; log lines go in ```log blocks, one line each, as the daemon writes them.
"""
import re
import subprocess
import urllib.request

import pytest

from conftest import EXAMPLES, PAGES, REPO, blocks, integration

SRC = REPO / "src"
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
STATUS_CODE = re.compile(r"\b[1-5]\d\d `([a-z_]+)`")
SECTION = re.compile(r"^\[(server|service|hub|auth|rule|store)(?::[^\]]+)?\]")
INI_KEY = re.compile(r"^;?\s*([a-z][a-z0-9_]*)\s*=")
C_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def prose(page):
    """The page without its fenced blocks: where inline names are quoted."""
    return re.sub(r"^```.*?^```\n", "", page.read_text(), flags=re.M | re.S)


def c_sources():
    return sorted(SRC.rglob("*.c")) + sorted(SRC.rglob("*.h")) + sorted((REPO / "include").rglob("*.h"))


def joined_literals(path):
    """The C string literals of a file, adjacent ones joined, with escapes undone."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    out = []
    for run in re.finditer(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*', text):
        out.append("".join(m.group(1) for m in C_STRING.finditer(run.group(0)))
                   .replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
    return out


LITERALS = [lit for path in c_sources() for lit in joined_literals(path)]
LITERAL_SET = set(LITERALS)
IDENTIFIERS = {w for path in c_sources() for w in re.findall(r"\b[a-z_][a-z0-9_]*\b", path.read_text())}
KEYS_BY_KIND = {}
for kind, name in re.findall(r'\{KIND_([A-Z]+), "([a-z0-9_]+)"', (SRC / "config" / "keys.c").read_text()):
    KEYS_BY_KIND.setdefault(kind.lower(), set()).add(name)
AUTH_KEYS = {lit for path in sorted((SRC / "auth").rglob("*.c")) for lit in joined_literals(path)
             if re.fullmatch(r"[a-z][a-z0-9_]*", lit)}
ALL_KEYS = set().union(*KEYS_BY_KIND.values(), AUTH_KEYS)
ABI_FIELDS = {w for path in sorted((REPO / "include").rglob("*.h")) for w in re.findall(r"\b[a-z_][a-z0-9_]*\b", path.read_text())}
# Names of other programs a page quotes: the nginx site's (its directives and JSON codes), the fuzz
# harnesses' file names, and claims that identity providers put in their tokens.
OTHERS = ({w for w in re.findall(r"\b[a-z_][a-z0-9_]*\b", (REPO / "etc" / "nginx" / "negotiated.conf").read_text())}
          | {p.stem for p in (REPO / "tests" / "fuzz").glob("fuzz_*.c")}
          | {"preferred_username", "email_verified", "realm_access", "resource_access", "groupMembershipClaims",
             "sock_def_readable"})


def options():
    found = set()
    for args in (["--help"], ["token", "--help"], ["explain", "--help"], ["revoke", "--help"]):
        result = subprocess.run([integration.BINARY, *args], capture_output=True, text=True, timeout=10)
        found |= set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b", result.stdout + result.stderr))
    return found


def format_regex(fmt):
    """A printf format as a regex over what it prints."""
    parts = re.split(r"%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t)?[sdiuxXcpfgeE%]", fmt)
    # a line may start with what names its source ("[service:main]: "), then the format, whole
    return re.compile(r"(?:\S+: )?" + ".+?".join(re.escape(p) for p in parts))


def test_every_ini_block_is_an_example_file():
    problems = []
    for page in PAGES:
        for mark, arg, lang, body, line in blocks(page):
            if lang != "ini":
                continue
            if mark != "example" or not arg:
                problems.append(f"{page.name}:{line}: an ini block without <!-- example: examples/NAME.conf -->")
            elif not (REPO / arg).is_file():
                problems.append(f"{page.name}:{line}: {arg} does not exist")
            elif (REPO / arg).read_text() != body:
                problems.append(f"{page.name}:{line}: the block differs from {arg}")
    assert not problems, "\n".join(problems)


def test_every_example_is_shown_by_a_page():
    shown = {arg for page in PAGES for mark, arg, *_ in blocks(page) if mark == "example"}
    missing = [p.name for p in EXAMPLES if f"examples/{p.name}" not in shown]
    assert not missing, f"examples no page shows: {missing}"


def test_ini_keys_exist_in_their_sections():
    problems = []
    for page in PAGES:
        for mark, arg, lang, body, line in blocks(page):
            if lang != "ini":
                continue
            kind = None
            for n, text in enumerate(body.splitlines(), line + 1):
                if m := SECTION.match(text.lstrip("; ")):
                    kind = m.group(1)
                elif (m := INI_KEY.match(text)) and kind:
                    known = AUTH_KEYS if kind == "auth" else KEYS_BY_KIND.get(kind, set())
                    if m.group(1) not in known:
                        problems.append(f"{page.name}:{n}: [{kind}] has no key {m.group(1)}")
    assert not problems, "\n".join(problems)


def test_quoted_names_exist_in_the_code():
    """Every snake_case name in backticks is a key, an error code or another name of the code;
    `key = value` spans name a key; a status and a code (`401 \u0060invalid_credentials\u0060`)
    name an error code the sources have."""
    problems = []
    for page in PAGES:
        text = prose(page)
        for span in SPAN.findall(text):
            span = span.strip()
            if m := re.fullmatch(r";?\s*([a-z][a-z0-9_]*) = .*", span):
                if m.group(1) not in ALL_KEYS and m.group(1) not in ABI_FIELDS:
                    problems.append(f"{page.name}: `{span}`: no configuration key {m.group(1)}")
            elif SNAKE.match(span) and not span.startswith("negotiated_"):
                if not {span} & (ALL_KEYS | LITERAL_SET | IDENTIFIERS | OTHERS):
                    problems.append(f"{page.name}: `{span}`: the code has no such key, code or name")
        for code in STATUS_CODE.findall(text):
            if code not in LITERAL_SET:
                problems.append(f"{page.name}: error code `{code}` is not in src/")
    assert not problems, "\n".join(problems)


def test_quoted_options_exist():
    known = options()
    problems = []
    for page in PAGES:
        commands = [span for span in SPAN.findall(prose(page)) if re.match(r"negotiated\b", span)]
        commands += [span for span in SPAN.findall(prose(page)) if re.fullmatch(r"--[a-z][a-z0-9-]*(?: \S+)?", span)
                     and page.name != "CONTRIBUTING.md"]
        for mark, arg, lang, body, line in blocks(page):
            if lang == "sh":
                commands += [l for l in body.splitlines() if re.search(r"(?:^|[\s/])negotiated(?:\s|$)", l)]
        for command in commands:
            ours = [seg for seg in re.split(r"\||&&|;|\$\(", command)
                    if re.match(r"\s*(?:sudo\s+)?(?:\S*/)?negotiated(?:\s|$)", seg) or seg.lstrip().startswith("--")]
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", " ".join(ours)):
                if option not in known:
                    problems.append(f"{page.name}: {option} (in `{command.strip()}`) is not an option of negotiated")
    assert not problems, "\n".join(problems)


def test_quoted_metrics_exist(daemon_factory, tmp_path):
    """A running daemon's /metrics, with a keyless service so that its metrics are listed too."""
    service = integration.Service.new()
    config = f"""[service:main]
connection_string = {service.connection_string}
[service:keyless]
endpoint = https://example.webpubsub.azure.com
credential = client_secret
tenant_id = 11111111-2222-3333-4444-555555555555
client_id = 66666666-7777-8888-9999-000000000000
client_secret_file = {tmp_path}/entra-secret
authority_host = http://127.0.0.1:9
[hub:chat]
service = main
auth = anon
[hub:other]
service = keyless
auth = anon
[auth:anon]
type = anonymous
[store]
url = redis://127.0.0.1:9/0
"""
    (tmp_path / "entra-secret").write_text(integration.secrets.token_hex(20))
    text = daemon_factory(config).request("GET", "/metrics").body.decode()
    served = set(re.findall(r"^(?:# (?:HELP|TYPE) )?(negotiated_[a-z_]+)", text, re.M))
    served |= {re.sub(r"_(bucket|sum|count)$", "", name) for name in served}
    problems = []
    for page in PAGES:
        for name in re.findall(r"`(negotiated_[a-z_]+)", page.read_text()):
            if name not in served:
                problems.append(f"{page.name}: metric {name} is not in /metrics")
    assert not problems, "\n".join(problems) + "\n/metrics listed: " + " ".join(sorted(served))


def test_quoted_log_lines_exist():
    # formats with at least 12 characters of their own text: "%s: %s" would read any line
    formats = [format_regex(lit) for lit in LITERALS if len(re.sub(r"%[^a-z%]*[a-z%]", "", lit)) >= 12]
    audit = " ".join(joined_literals(SRC / "policy" / "audit.c"))
    problems = []
    for page in PAGES:
        for mark, arg, lang, body, line in blocks(page):
            if lang != "log":
                continue
            for n, text in enumerate(body.splitlines(), line + 1):
                if m := re.match(r"audit event=([a-z]+) ", text):
                    missing = [k for k in re.findall(r" ([a-z_]+)=", text) if f" {k}=" not in audit
                               and f"{k}" not in LITERAL_SET]
                    if m.group(1) not in LITERAL_SET or missing:
                        problems.append(f"{page.name}:{n}: the audit line's {m.group(1)} or {missing} is not written by the code")
                elif not any(f.fullmatch(text) for f in formats):
                    problems.append(f"{page.name}:{n}: no log line of the code reads: {text}")
    assert not problems, "\n".join(problems)
