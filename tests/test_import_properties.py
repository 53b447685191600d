"""Every import column, hostile values, CSV and JSONL, SQLite and PostgreSQL (issue 11).

Property: `import_tickets` (not strict) either refuses the file as a whole with a
one-line usage error (not UTF-8, no header) or returns a report in which every row is
accounted for, as imported, already imported or a bad row with its row number; and the
desk gained exactly the tickets the report says. Never any other exception: a value
that one backend would refuse (a NUL, a number past an INTEGER, a title past its
column) is a bad row, or clipped, on both.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.services.import_formats import FIELDS
from helpdesk_tui.services.importer import import_tickets
from helpdesk_tui.store.models import Ticket
from tests.conftest import MONDAY_10, Desk

pytestmark = pytest.mark.slow

HOSTILE = [
    "",
    " ",
    "x" * 5_000,
    "\x00",
    "nul \x00 inside",
    "\ud800",
    "\x1b]52;c;SGVsbG8=\x07",
    '=HYPERLINK("http://x")',
    "\u202eevil",
    "multi\nline\r\n",
    "é" * 400,
    "99999999999999999999999",
    "3000000000",
    "-1",
    "0",
    "²",
    "1e308",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "2026-13-45",
    "bogus",
]
#: Values the field accepts, so that good rows land next to the bad ones.
VALID: dict[str, list[str]] = {
    "id": ["A-1", "A-2", "17"],
    "title": ["printer jams", "VPN won't connect"],
    "text": ["mail down\nsince 9", "laptop slow"],
    "body": ["details", ""],
    "category": ["hardware", "Network", "brand new one"],
    "priority": ["P1", "3 - Moderate", "urgent", "low"],
    "status": ["closed", "open", "in progress", "resolved"],
    "kind": ["incident", "request"],
    "channel": ["phone", "E-Mail", "web"],
    "requester": ["Ada Lovelace <ada@example.com>", "bob@example.com", "Carol"],
    "created_at": ["2026-11-02T09:15:00Z", "2026-11-20 08:30", "2025-01-01T00:00+14:00"],
    "first_response_at": ["2026-11-02T09:20:00Z"],
    "resolved_at": ["2026-11-02T11:00:00Z"],
    "closed_at": ["2026-11-03T11:00:00Z"],
    "assignee": ["root", "nobody"],
    "impact_scope": ["one_user", "department"],
    "affected_users": ["1", "25", "2147483647"],
    "affected_system": ["vpn", "mail"],
    "error_codes": ["809", "0x80070005"],
}
#: JSON values that are not text.
JSON_VALUES: list[Any] = [5, 1e308, True, None, [1, "a"], {"a": 1}, [[[[]]]]]


def _cell(field: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE), st.sampled_from(VALID[field]), st.text(max_size=8))


@st.composite
def _table(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True))
    if not {"title", "text"} & set(fields):
        fields.append("title")
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row: dict[str, Any] = {f: draw(_cell(f)) for f in fields}
        rows.append(row)
    return fields, rows


def _csv(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # A lone surrogate cannot be UTF-8: written as the bytes a broken file would hold.
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))


def _jsonl(path: Path, rows: list[dict[str, Any]], swap: list[Any], deep: bool) -> None:
    lines = []
    for n, row in enumerate(rows):
        obj = dict(row)
        if swap and obj:
            key = sorted(obj)[n % len(obj)]
            obj[key] = swap[n % len(swap)]
        lines.append(json.dumps(obj))
    if deep:
        lines.insert(len(lines) // 2, "[" * 50_000 + "]" * 50_000)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _tickets(desk: Desk) -> int:
    with desk.store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)


def test_every_import_column_takes_hostile_values(desk: Desk, tmp_path: Path) -> None:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(
        table=_table(),
        fmt=st.sampled_from(["csv", "jsonl"]),
        swap=st.lists(st.sampled_from(JSON_VALUES), max_size=3),
        deep=st.booleans(),
        create=st.booleans(),
    )
    def check(
        table: tuple[list[str], list[dict[str, Any]]],
        fmt: str,
        swap: list[Any],
        deep: bool,
        create: bool,
    ) -> None:
        fields, rows = table
        path = tmp_path / f"hostile.{fmt}"
        if fmt == "csv":
            _csv(path, fields, rows)
        else:
            _jsonl(path, rows, swap, deep)
        before = _tickets(desk)
        try:
            report = import_tickets(
                desk.store, desk.admin, path, create_categories=create, now=MONDAY_10
            )
        except HelpdeskError as exc:  # the file as a whole: not UTF-8 text, and the like
            assert "\n" not in str(exc)
            assert _tickets(desk) == before
            return
        accounted = report.imported + report.duplicates + len(report.problems)
        assert accounted == report.rows, report
        assert all(1 <= p.row <= report.rows + 1 for p in report.problems), report.problems
        assert all("\n" not in p.message for p in report.problems)
        assert _tickets(desk) == before + report.imported

    check()
