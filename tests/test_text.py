"""The one sanitiser (text.py) and the CLI's output helpers built on it (issue 11, 6-7)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_tui.cli.common import csv_cell, print_json, write_csv
from helpdesk_tui.text import (
    escape_for_json,
    sanitize,
    sanitize_data,
    sanitize_line,
    sanitize_message,
    spreadsheet_safe,
)

#: What no output may carry raw (the callers that keep TAB/LF say so).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    "\u2066-\u206f\ufeff\ud800-\udfff]")  # fmt: skip
HOSTILE = "a\x1b]52;c;eA==\x07b\x9b2J\u202ec\x00d\x7fe\ud800f"


def test_sanitize_makes_every_escape_visible() -> None:
    shown = sanitize(HOSTILE + "\r\nnext\tcol")
    assert shown == "a␛]52;c;eA==␇b<U+009B>2J<U+202E>c␀d␡e<U+D800>f\nnext    col"
    assert sanitize_line("one\ntwo  \x1b[2J") == "one two ␛[2J"


def test_message_is_one_line_with_its_spacing() -> None:
    forged = "agent evil\x1b]0;PWNED\x07\nhelpdesk: all is fine"
    assert sanitize_message(f"{forged} added") == (
        "agent evil␛]0;PWNED␇␊helpdesk: all is fine added"
    )
    assert sanitize_message("ok    db      /x\ty") == "ok    db      /x y"  # columns kept


def test_data_keeps_text_newlines_and_tabs() -> None:
    assert sanitize_data("Zoë 🙂\tcol\nline") == "Zoë 🙂\tcol\nline"
    assert sanitize_data("a\r\nb\rc") == "a\nb\nc"  # a lone CR would overwrite the line
    assert sanitize_data(HOSTILE) == "a␛]52;c;eA==␇b<U+009B>2J<U+202E>c␀d␡e<U+D800>f"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\u00a0@x", "'\u00a0@x"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("x=1", "x=1"),
        ("'=1", "'=1"),
        ("", ""),
        ("network", "network"),
    ],
)
def test_spreadsheet_safe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_csv_cell_numbers_stay_numbers_text_is_neutralised() -> None:
    assert csv_cell(-3) == "-3" and csv_cell(0.5) == "0.5"
    assert csv_cell("-3") == "'-3"  # text that came from outside
    assert csv_cell(None) == "" and csv_cell(True) == "True"
    assert csv_cell(datetime(2026, 11, 23, 9, 5)) == "2026-11-23 09:05"
    assert csv_cell("=1\x1b[2J\r\nx") == "'=1␛[2J\nx"


def test_write_csv(capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(["id", "=title"], [[1, "line one\nline two"], [2, "@x\x9b"]])
    out = capsys.readouterr().out
    assert out == "id,'=title\r\n1,\"line one\nline two\"\r\n2,'@x<U+009B>\r\n"
    assert list(csv.reader(io.StringIO(out, newline="")))[1] == ["1", "line one\nline two"]


def test_print_json_escapes_and_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    data = {"title": HOSTILE.replace("\ud800", ""), "name": "Zoë"}
    print_json(data)
    out = capsys.readouterr().out
    assert not UNSAFE.search(out.replace("\n", "")) and "Zoë" in out
    assert json.loads(out) == data
    print_json([data], line=True)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == [data]
    assert not UNSAFE.search(out.rstrip("\n"))


@given(st.text())
def test_no_unsafe_character_survives_any_shape(text: str) -> None:
    assert not UNSAFE.search(sanitize(text).replace("\n", ""))
    assert not UNSAFE.search(sanitize_message(text))
    assert not UNSAFE.search(sanitize_data(text).replace("\n", "").replace("\t", ""))
    assert not spreadsheet_safe(sanitize_data(text)).lstrip().startswith(("=", "+", "-", "@"))
    dumped = escape_for_json(json.dumps({"t": text}, ensure_ascii=False))
    assert not UNSAFE.search(dumped) and json.loads(dumped) == {"t": text}
