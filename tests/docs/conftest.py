# SPDX-License-Identifier: Apache-2.0
"""The integration suite's fixtures (a real daemon on a loopback port, kept logs, remembered
secrets), loaded from tests/integration/conftest.py under another module name, plus the pages."""
import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "integration"))
_spec = importlib.util.spec_from_file_location("integration_conftest", HERE.parents[0] / "integration" / "conftest.py")
integration = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = integration
_spec.loader.exec_module(integration)

# the integration helpers under their own names, for modules of tests/integration imported here
globals().update({k: v for k, v in vars(integration).items() if not k.startswith("_") and k not in globals()})
daemon_factory = integration.daemon_factory
module_daemon_factory = integration.module_daemon_factory
kept_logs = integration.kept_logs

REPO = integration.REPO
PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
EXAMPLES = sorted((REPO / "examples").glob("*.conf"))
FENCE = re.compile(r"^(?:<!-- (?P<mark>[a-z-]+)(?:: (?P<arg>\S+))? -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)^```\n",
                   re.M | re.S)


def blocks(page):
    """Every fenced block of a page: (marker, marker argument, language, body, line number)."""
    text = page.read_text()
    for m in FENCE.finditer(text):
        yield m["mark"], m["arg"], m["lang"], m["body"], text.count("\n", 0, m.start()) + 1


def marked_block(page, mark, arg=None):
    """The body of the block a page marks with <!-- MARK[: ARG] -->; fails when there is none."""
    found = [b for b in blocks(page) if b[0] == mark and (arg is None or b[1] == arg)]
    assert len(found) == 1, f"{page.name}: expected one block marked <!-- {mark}{': ' + arg if arg else ''} -->"
    return found[0][3]
