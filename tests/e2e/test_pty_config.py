"""Opening the TUI with a mistake in config.toml or triage_rules.toml (issue 11, item 10).

What the launch frame does not read is checked right after it (the schema costs ~60 ms
the launch does not have): the app must then close and say what is wrong in one line,
exit 2, not leave a traceback or a half-working TUI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_pty import START_TIMEOUT, Desk, decoded
from tests.e2e.test_pty import desk as desk

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("config.toml", '[desk]\ndbb = "x.db"\n', "[desk] dbb: unknown key; valid here: db"),
        (
            "config.toml",
            '[desk]\ntimezone = "Mars/Base"\n',
            "[desk] timezone: expected an IANA time zone name",
        ),
        ("triage_rules.toml", "[[rule]]\nid = 'x'\nany = 5\n", "rule 'x': 'any' must be a list"),
    ],
)
def test_a_mistake_found_after_the_first_frame_closes_the_app_with_one_line(
    desk: Desk, name: str, text: str, message: str
) -> None:
    path = Path(desk.env()["HELPDESK_CONFIG_DIR"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with desk.tui() as term:
        code = term.wait_exit(START_TIMEOUT)
        output = decoded(term.output())
    assert code == 2, output[-2000:]
    expected = f"helpdesk: {path}: {message}"
    assert expected in output
    after = output[output.index(expected) :]
    assert "Traceback" not in output and after.count("\n") <= 1
