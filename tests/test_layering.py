"""DESIGN §3: services and store never import Textual; reports start fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "helpdesk_tui"


def _modules(package: str) -> list[str]:
    base = SRC / package
    return [
        "helpdesk_tui." + ".".join(p.relative_to(SRC).with_suffix("").parts)
        for p in sorted(base.rglob("*.py"))
        if "migrations" not in p.parts
    ]


@pytest.mark.parametrize("package", ["services", "store"])
def test_services_and_store_do_not_import_textual(package: str) -> None:
    modules = _modules(package)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m.removesuffix('.__init__'))\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{package} pulled in Textual: {out.stdout.strip()}"


def test_cli_without_tui_does_not_import_textual_or_rapidfuzz() -> None:
    code = (
        "import sys\n"
        "import helpdesk_tui.cli\n"
        "heavy = ('textual', 'rapidfuzz', 'sklearn')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
