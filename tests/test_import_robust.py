"""Importing hostile files: every bad value is a bad row, on SQLite and PostgreSQL alike;
importing the same file again adds nothing (by id, or by content for rows without one)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.services.import_parse import CONTENT_KEY_PREFIX
from helpdesk_tui.services.importer import ImportReport, import_tickets
from helpdesk_tui.store.models import Ticket
from tests.conftest import MONDAY_10, Desk


def _import(desk: Desk, path: Path, **kw: Any) -> ImportReport:
    return import_tickets(desk.store, desk.admin, path, now=MONDAY_10, **kw)


def _refs(desk: Desk) -> list[str | None]:
    with desk.store.read() as s:
        return list(s.scalars(sa.select(Ticket.external_ref).order_by(Ticket.id)))


def _jsonl(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _problems(report: ImportReport) -> dict[int, str]:
    return {p.row: p.message for p in report.problems}


def test_hostile_jsonl_rows_are_bad_rows_and_the_rest_lands(desk: Desk, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        json.dumps({"id": "J1", "title": "lone \ud800 surrogate"}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"id": "J3", "title": "nul \x00 byte"}),
        json.dumps({"id": "J4", "title": "far future", "created_at": "9999-12-31T23:59:59"}),
        json.dumps({"id": "J5", "title": "many users", "affected_users": "9" * 23}),
        json.dumps({"id": "J6", "title": "past int4", "affected_users": 3_000_000_000}),
        json.dumps({"id": "J7", "title": "not a count", "affected_users": 1e308}),
        '{"id": "J8", "title": "digits", "affected_users": ' + "9" * 5_000 + "}",
        json.dumps({"id": "J9", "title": "year one", "created_at": "0001-01-01"}),
        json.dumps({"id": "J10", "title": "fine", "body": "b" * 100_000}),
        json.dumps({"id": "J11", "title": "t" * 5_000, "requester": "r" * 5_000}),
        json.dumps({"id": "J12", "title": "closed later", "resolved_at": "9999-01-01"}),
        json.dumps({"id": "J13", "title": "superscript", "affected_users": "²"}),
    )
    report = _import(desk, path)
    problems = _problems(report)
    assert problems == {
        1: problems[1],
        2: "not a ticket: JSON nested too deeply",
        3: "title contains a NUL character, which cannot be stored",
        4: "created_at '9999-12-31T23:59:59' is in the future",
        5: problems[5],
        6: problems[6],
        7: problems[7],
        8: problems[8],
        9: "created_at '0001-01-01' is before 1970",
        12: "resolved_at '9999-01-01' is in the future",
        13: problems[13],
    }
    assert problems[1].startswith("title contains U+D800")
    for row in (5, 6, 7, 13):
        assert problems[row].startswith("affected_users must be a whole number from 1 to")
    assert problems[8].startswith("not valid JSON")
    assert report.imported == 2
    assert _refs(desk) == ["J10", "J11"]
    with desk.store.read() as s:
        long = s.scalars(sa.select(Ticket).where(Ticket.external_ref == "J11")).one()
    assert len(long.title) == 300  # clipped to what the column holds on every backend


def test_nul_in_a_csv_row_is_a_bad_row(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_text("id,title\nN1,nul\x00here\nN2,fine\n", encoding="utf-8")
    report = _import(desk, path)
    assert _problems(report) == {2: "title contains a NUL character, which cannot be stored"}
    assert _refs(desk) == ["N2"]


def test_same_file_twice_skips_what_it_has(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "Ticket ID,Subject,Category\nT-1,printer jams,hardware\nT-2,vpn down,network\n",
        encoding="utf-8",
    )
    first = _import(desk, path)
    assert (first.imported, first.duplicates, first.ignored_columns) == (2, 0, [])
    path.write_text(
        path.read_text(encoding="utf-8") + "T-3,new mail box,software\n", encoding="utf-8"
    )
    again = _import(desk, path)
    assert (again.imported, again.duplicates) == (1, 2)
    assert _refs(desk) == ["T-1", "T-2", "T-3"]


def test_rows_without_id_are_recognised_by_their_content(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "no-ids.csv"
    rows = "text,category\nPassword reset,user_support\nPassword reset,user_support\nVPN,network\n"
    path.write_text(rows, encoding="utf-8")
    first = _import(desk, path)
    assert (first.imported, first.duplicates) == (3, 0)  # a repeated row is two calls
    again = _import(desk, path)
    assert (again.imported, again.duplicates) == (0, 3)
    path.write_text(rows + "Password reset,user_support\n", encoding="utf-8")
    third = _import(desk, path)
    assert (third.imported, third.duplicates) == (1, 3)  # the third copy is new
    refs = _refs(desk)
    assert len(refs) == len(set(refs)) == 4
    assert all(r is not None and r.startswith(CONTENT_KEY_PREFIX) and len(r) <= 64 for r in refs)


def test_jsonl_numeric_ids_are_kept(desk: Desk, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path, json.dumps({"id": 17, "title": "a"}), json.dumps({"id": 18, "title": "b"})
    )
    assert _import(desk, path).imported == 2
    again = _import(desk, path)
    assert (again.imported, again.duplicates) == (0, 2)
    assert _refs(desk) == ["17", "18"]


def test_two_imports_of_the_same_file_at_once_import_it_once(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "race.csv"
    path.write_text(
        "id,title\n" + "".join(f"R-{n},ticket {n}\n" for n in range(200)), encoding="utf-8"
    )
    reports: list[ImportReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(_import(desk, path))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(r.imported for r in reports) == [0, 200]
    assert sorted(r.duplicates for r in reports) == [0, 200]
    assert len(_refs(desk)) == 200


@pytest.mark.parametrize("header", ["number", "Issue key", "reference", "external_id"])
def test_id_column_names_of_other_tools(desk: Desk, tmp_path: Path, header: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text(f"{header},title\nINC001,mail down\n", encoding="utf-8")
    report = _import(desk, path)
    assert (report.imported, report.ignored_columns) == (1, [])
    assert _refs(desk) == ["INC001"]
