"""The pty harness itself: what pyte gets wrong is put right, OSC is never missed.

The hostile-text end-to-end test trusts `Screen.osc` to list every OSC string a terminal
would act on, and the e2e tests trust the screen text; these tests pin the layer
`ptyterm` keeps in front of pyte and the process handling on top of ptyprocess.
"""

from __future__ import annotations

import signal
import sys

import pytest

from tests.e2e.ptyterm import PtyProcess, Screen

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs a Linux pseudo-terminal"
)


def screen_of(*chunks: bytes | str, cols: int = 20, rows: int = 3) -> Screen:
    """A screen fed `chunks` one after the other."""
    screen = Screen(cols, rows)
    for chunk in chunks:
        screen.feed(chunk.encode() if isinstance(chunk, str) else chunk)
    return screen


def test_every_osc_is_recorded_however_the_output_is_split() -> None:
    """BEL, ST, C1 ST and a lone ESC end an OSC; C1 OSC counts; DCS hides nothing."""
    payload = (
        "a\x1b]52;c;ZXZp\x07b\x1b]0;T1\x1b\\c\x9d0;T2\x9cd\x1b]2;T3\x1b7e"
        "\x1bPq#0\x1b\\f\x1b_apc\x1b\\g"
    ).encode()
    expected = ["52;c;ZXZp", "0;T1", "0;T2", "2;T3"]
    whole = screen_of(payload)
    assert whole.osc == expected
    assert whole.lines()[0] == "abcdefg"
    for i in range(len(payload)):
        for j in range(i, len(payload)):
            split = screen_of(payload[:i], payload[i:j], payload[j:])
            assert (split.osc, split.lines()) == (expected, whole.lines()), (i, j)


def test_sequences_pyte_cannot_parse_draw_nothing() -> None:
    """Kitty keyboard, xterm modifier keys, colon colours, DECRQM: no stray text."""
    screen = screen_of("x\x1b[<uy\x1b[>1u\x1b[>4;1mz\x1b[38:2::1:2:3m!\x1b[?2026$p.\x1b[!p:")
    assert screen.lines()[0] == "xyz!.:"


def test_c1_csi_is_honoured_as_a_vulnerable_terminal_would() -> None:
    """U+009B moves the cursor like ESC [; a raw 0x9B byte (not UTF-8) is no control."""
    assert screen_of("x\u009b3Cy").lines()[0] == "x   y"
    assert screen_of(b"x\x9b3Cy").lines()[0] == "x\ufffd3Cy"
    assert screen_of("a\u009b2Jb").lines()[0] == " b"


def test_zero_width_and_wide_characters() -> None:
    """A wide character takes two cells; zero-width ones never swallow the rest."""
    screen = screen_of("中x 👍\ufe0f ok a\u200db e\u0301 \u0085end")
    assert screen.lines()[0] == "中x 👍\ufe0f ok a\u200db e\u0301 end"
    assert screen.cells[0][:3] == ["中", "", "x"]
    assert screen.cells[0][4:6] == ["👍\ufe0f", ""]


def test_the_alternate_screen_starts_blank_and_gives_the_normal_one_back() -> None:
    screen = screen_of("$ helpdesk\r\n", "\x1b[?1049h", "\x1b[1;1HTUI frame")
    assert screen.lines() == ["TUI frame", "", ""]
    screen.feed(b"\x1b[?1049l")
    assert screen.lines() == ["$ helpdesk", "", ""]
    assert (screen.x, screen.y) == (0, 1)


def run_python(code: str) -> PtyProcess:
    """`python -c code` on a 100x30 pty."""
    return PtyProcess([sys.executable, "-c", code], cols=100, rows=30)


def test_the_program_runs_on_its_own_terminal_of_the_given_size() -> None:
    code = (
        "import os, sys\n"
        "size = os.get_terminal_size()\n"
        "print(f'{size.columns}x{size.lines}', os.isatty(0), os.getsid(0) == os.getpid())\n"
        "sys.exit(3)\n"
    )
    with run_python(code) as term:
        assert term.wait_exit(60) == 3
        term.wait_text("100x30 True True")


def test_wait_exit_returns_with_all_the_output_read() -> None:
    """A program that writes a lot and exits: its last byte is there once it has ended."""
    code = "import sys; sys.stdout.write('x' * 300_000 + 'END'); sys.stdout.flush()"
    with run_python(code) as term:
        assert term.wait_exit(60) == 0
        assert term.output().endswith(b"END")


def test_a_program_ended_by_a_signal_and_a_timeout_that_shows_the_screen() -> None:
    with run_python("import time; print('waiting', flush=True); time.sleep(60)") as term:
        term.wait_text("waiting", timeout=60)
        with pytest.raises(AssertionError, match="still running.*\n.*waiting"):
            term.wait_text("never shown", timeout=0.2)
        term.close()
        assert term.returncode == -signal.SIGHUP
        assert not term.alive()


def test_a_missing_program_fails_at_once() -> None:
    with pytest.raises(FileNotFoundError):
        PtyProcess(["/nonexistent/helpdesk"])
