# SPDX-License-Identifier: Apache-2.0
"""JOURNAL_STREAM as systemd.exec(5) documents it: stderr is the journal only when fstat(2) of stderr
gives the DEVICE:INODE pair in the variable. Journal lines are "<PRIORITY>message" (the journal adds
the time); other lines are "TIME negotiated: LEVEL: message"."""
import os
import re
import subprocess

import pytest

from conftest import START_TIMEOUT, Service, child_env, command, without_wrapper_lines

# a rule's max_token_lifetime above its hub's cap: --check-config accepts it with one warning line
CONFIG = """\
[service:main]
connection_string = {cs}

[hub:chat]
auth = anyone
max_token_lifetime = 60

[auth:anyone]
type = anonymous

[rule:long]
hub = chat
match = anyone
roles = webpubsub.sendToGroup
max_token_lifetime = 120
"""
PLAIN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ negotiated: warning: .*max_token_lifetime: 120 minutes")
JOURNAL = re.compile(r"<4>[^<]*max_token_lifetime: 120 minutes")


def warning_line(tmp_path, stream):
    """Runs --check-config with stderr on a file; stream(stat of that file) gives JOURNAL_STREAM."""
    config = tmp_path / "negotiated.conf"
    config.write_text(CONFIG.format(cs=Service.new().connection_string))
    log = tmp_path / "stderr.log"
    with open(log, "wb") as stderr:
        value = stream(os.fstat(stderr.fileno()))
        env = {k: v for k, v in child_env().items() if k != "JOURNAL_STREAM"}  # the runner's own, if any
        if value is not None:
            env["JOURNAL_STREAM"] = value
        result = subprocess.run(command("--check-config", "-c", str(config)), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr, env=env, timeout=START_TIMEOUT)
    assert result.returncode == 0, log.read_text()
    lines = [line for line in without_wrapper_lines(log.read_text()).splitlines() if "max_token_lifetime" in line]
    assert len(lines) == 1, log.read_text()
    return lines[0]


@pytest.mark.parametrize("name, stream", [
    ("unset", lambda st: None),
    ("empty", lambda st: ""),
    ("another inode", lambda st: f"{st.st_dev}:{st.st_ino + 1}"),
    ("another device", lambda st: f"{st.st_dev + 1}:{st.st_ino}"),
    ("trailing text", lambda st: f"{st.st_dev}:{st.st_ino}x"),
    ("no inode", lambda st: f"{st.st_dev}:"),
    ("inode alone", lambda st: f"{st.st_ino}"),
    ("negative", lambda st: f"-{st.st_dev}:{st.st_ino}"),
    ("not numbers", lambda st: "journal"),
])
def test_plain_format_unless_stderr_is_the_stream(tmp_path, name, stream):
    line = warning_line(tmp_path, stream)
    assert PLAIN.match(line) and not line.startswith("<"), (name, line)


def test_journal_format_when_stderr_is_the_stream(tmp_path):
    line = warning_line(tmp_path, lambda st: f"{st.st_dev}:{st.st_ino}")
    assert JOURNAL.match(line) and "negotiated: warning" not in line, line
