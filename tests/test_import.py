"""Importing ticket history: CSV and JSONL, mapping, bad rows, strictness, duplicates, CLI."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import PermissionDenied, UsageError
from helpdesk_tui.services.calendar import BusinessCalendar
from helpdesk_tui.services.importer import ImportRefused, ImportReport, SlaDueCache, import_tickets
from helpdesk_tui.services.sla import SlaBook
from helpdesk_tui.store.bulk import (
    BULK_CACHE_KIB,
    TICKET_COLUMNS,
    bulk_cache,
    epoch_us,
    fts_bulk_mode,
)
from helpdesk_tui.store.models import Audit, Category, Interaction, Requester, Ticket
from tests.conftest import MONDAY_10, Desk

DEV_CSV = Path(__file__).parents[2] / "shared" / "data" / "tickets-dev.csv"
HEADER = "id,title,body,category,priority,status,created_at,closed_at,requester,channel\n"
GOOD = (
    'A-1,VPN won\'t connect,"Times out from home",network,high,closed,'
    "2026-11-02T09:15:00Z,2026-11-02T11:00:00Z,Ada Lovelace <ada@example.com>,phone\n"
    "A-2,Outlook not syncing,,Software,2,in progress,2026-11-20 08:30,,ada@example.com,E-Mail\n"
)


def _import(desk: Desk, path: Path, **kw: Any) -> ImportReport:
    return import_tickets(desk.store, desk.admin, path, now=MONDAY_10, **kw)


def _tickets(desk: Desk) -> list[Ticket]:
    with desk.store.read() as s:
        return list(s.scalars(sa.select(Ticket).order_by(Ticket.id)))


def _count(desk: Desk, model: Any) -> int:
    with desk.store.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bulk_columns_cover_the_ticket_model() -> None:
    columns = {c.name: c for c in Ticket.__table__.columns}  # type: ignore[attr-defined]
    assert set(TICKET_COLUMNS) <= set(columns)
    # A column bulk rows leave out must be one the database can fill in by itself.
    left_out = [c for name, c in columns.items() if name not in TICKET_COLUMNS]
    assert all(c.nullable and c.default is None for c in left_out), left_out


def test_csv_import_lands_tickets_with_log_audit_and_sla(desk: Desk, tmp_path: Path) -> None:
    report = _import(desk, _write(tmp_path, "t.csv", HEADER + GOOD))
    assert (report.imported, report.duplicates, report.problems) == (2, 0, [])
    a1, a2 = _tickets(desk)
    assert (a1.external_ref, a1.status, a1.priority, a1.category) == (
        "A-1",
        "closed",
        "high",
        "network",
    )
    assert a1.created_at == datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
    assert a1.closed_at == a1.resolved_at == datetime(2026, 11, 2, 11, tzinfo=UTC)
    assert (a2.status, a2.priority, a2.category, a2.channel) == (
        "in_progress",
        "high",
        "software",
        "email",
    )
    assert a2.created_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # naive means UTC
    assert a1.requester_id == a2.requester_id is not None  # one requester, found by e-mail
    with desk.store.read() as s:
        book = SlaBook.load(s)
        ada = s.get(Requester, a1.requester_id)
        log = s.scalars(sa.select(Interaction.text).where(Interaction.ticket_id == a2.id)).all()
        audit = s.scalars(sa.select(Audit).where(Audit.action == "ticket.import")).one()
        # values written by the bulk path compare correctly with values bound by the ORM
        found = s.scalar(sa.select(Ticket.id).where(Ticket.created_at == a2.created_at))
    terms = book.terms("high")
    assert a2.resolve_due == terms.calendar.add(a2.created_at, terms.resolve_s)
    assert a2.response_due == terms.calendar.add(a2.created_at, terms.response_s)
    assert ada is not None and (ada.name, ada.email) == ("Ada Lovelace", "ada@example.com")
    assert log == ["imported from t.csv row 3"]
    assert json.loads(audit.detail)["imported"] == 2 and audit.actor_id == desk.admin.agent_id
    assert found == a2.id


def test_jsonl_by_extension_and_by_sniffing(desk: Desk, tmp_path: Path) -> None:
    lines = [
        {"id": 1, "title": "Printer offline", "category": "hardware", "error_codes": ["E1", "E2"]},
        {"id": 2, "text": "laptop battery drains " * 10, "priority": "P4", "affected_users": 3},
        {"id": 3, "title": "x", "category": "nope"},
        {"id": 4, "title": "x", "status": "\x1b]52;c;SGk=\x07 \u009b2J"},  # hostile
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n\n"
    report = _import(desk, _write(tmp_path, "t.jsonl", text))
    assert report.format == "jsonl" and report.imported == 2
    messages = [str(p) for p in report.problems]
    assert messages[0] == "row 3: unknown category 'nope' (--create-categories adds it)"
    assert messages[1].startswith("row 4: unknown status '\\x1b]52;c;SGk=\\x07 \\x9b2J'")
    assert not any(ch in messages[1] for ch in "\x1b\x07\x9b")  # never raw control codes
    first, second = _tickets(desk)
    assert first.error_codes == "E1, E2" and first.status == "closed"
    assert second.priority == "low" and second.affected_users == 3 and second.category == "other"
    assert len(second.title) <= 81 and second.title.endswith("…")
    assert second.body.startswith("laptop battery drains laptop")
    report = _import(desk, _write(tmp_path, "export.txt", json.dumps({"id": 9, "title": "t"})))
    assert report.format == "jsonl" and report.imported == 1


def test_mapping_renames_and_ignores_columns(desk: Desk, tmp_path: Path) -> None:
    text = "Ticket Nr,Betreff,Kategorie,Notes\n7,Monitor flickers,hardware,internal\n"
    path = _write(tmp_path, "t.csv", text)
    mapping = {"Ticket Nr": "id", "Betreff": "title", "kategorie": "category", "Notes": "ignore"}
    report = _import(desk, path, mapping=mapping)
    assert report.imported == 1 and report.ignored_columns == ["Notes"]
    (ticket,) = _tickets(desk)
    assert (ticket.external_ref, ticket.title, ticket.category) == (
        "7",
        "Monitor flickers",
        "hardware",
    )
    with pytest.raises(UsageError, match="unknown field"):
        _import(desk, path, mapping={"Betreff": "subject_line"})
    with pytest.raises(UsageError, match="no column 'missing'"):
        _import(desk, path, mapping={"missing": "title"})


BAD = (
    "id,title,body,category,created_at\n"  # row 1
    'B-1,Fine,"a body\nover two lines",hardware,2026-11-01\n'  # row 2 = lines 2-3
    "B-2,Bad category,x,Quantum,2026-11-01\n"  # row 3, line 4
    "B-3,Bad date,x,hardware,yesterday\n"  # row 4, line 5
    "B-4,,,hardware,2026-11-01\n"  # row 5, line 6: no title and no text
    "B-1,Same id again,x,hardware,2026-11-01\n"  # row 6, line 7
    "B-6,Too,many,fields,2026-11-01,extra\n"  # row 7, line 8
    'B-7,"Bad" quote,x,hardware,2026-11-01\n'  # row 8, line 9
    "B-8,Fine too,x,network,2026-11-01\n"  # row 9, line 10
)


def test_bad_rows_are_reported_with_row_numbers_and_good_rows_land(
    desk: Desk, tmp_path: Path
) -> None:
    report = _import(desk, _write(tmp_path, "bad.csv", BAD))
    assert report.imported == 2 and report.rows == 8
    messages = [str(p) for p in report.problems]
    assert messages[0] == "row 3 (line 4): unknown category 'Quantum' (--create-categories adds it)"
    assert messages[1].startswith("row 4 (line 5): created_at: not an ISO 8601 date/time")
    assert messages[2] == "row 5 (line 6): no title and no text"
    assert messages[3] == "row 6 (line 7): duplicate id 'B-1' (first in row 2)"
    assert messages[4] == "row 7 (line 8): expected 5 fields as in the header, found 6"
    assert messages[5].startswith("row 8 (line 9): malformed CSV")
    assert len(messages) == 6
    assert [t.external_ref for t in _tickets(desk)] == ["B-1", "B-8"]
    assert _tickets(desk)[0].body == "a body\nover two lines"
    runaway = _write(
        tmp_path, "runaway.csv", 'title,category\nok,other\n"never closed,other\nx,y\n'
    )
    report = _import(desk, runaway)
    assert [str(p) for p in report.problems] == [
        "row 3: malformed CSV: a quoted field is never closed (it runs to the end of the file)"
    ]


def test_strict_refuses_and_leaves_nothing(desk: Desk, tmp_path: Path) -> None:
    before = (_count(desk, Requester), _count(desk, Category), _count(desk, Audit))
    with pytest.raises(ImportRefused) as refused:
        _import(desk, _write(tmp_path, "bad.csv", BAD), strict=True, create_categories=True)
    message = str(refused.value)
    # --create-categories made 'Quantum' acceptable: five bad rows are left
    assert "5 bad row(s), nothing imported" in message and "row 4 (line 5)" in message
    assert "\n" not in message and refused.value.exit_code == 1
    assert _count(desk, Ticket) == 0
    assert (_count(desk, Requester), _count(desk, Category), _count(desk, Audit)) == before


def test_reimport_skips_duplicates(desk: Desk, tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", HEADER + GOOD)
    _import(desk, path)
    again = _import(desk, path)
    assert (again.imported, again.duplicates, again.created_requesters) == (0, 2, 0)
    assert _count(desk, Ticket) == 2 and _count(desk, Requester) == 1


def test_create_categories_keeps_the_label(desk: Desk, tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "title,category\nBadge broken,Access Control\nx,hardware\n")
    report = _import(desk, path, create_categories=True)
    assert report.created_categories == ["access_control"] and report.imported == 2
    with desk.store.read() as s:
        label = s.scalar(sa.select(Category.label).where(Category.name == "access_control"))
    assert label == "Access Control"


def test_file_level_errors_are_one_line(desk: Desk, tmp_path: Path) -> None:
    for path, expected in [
        (tmp_path / "missing.csv", "no such file"),
        (tmp_path, "is a directory"),
        (_write(tmp_path, "empty.csv", ""), "is empty"),
    ]:
        with pytest.raises(UsageError, match=expected) as error:
            _import(desk, path)
        assert "\n" not in str(error.value)


def test_import_needs_the_permission(desk: Desk, tmp_path: Path) -> None:
    agent = desk.add_agent("ann", "agent")
    with pytest.raises(PermissionDenied, match="ticket.import"):
        import_tickets(desk.store, agent, _write(tmp_path, "t.csv", HEADER + GOOD))


def test_real_data_set_slice_with_new_categories(desk: Desk, tmp_path: Path) -> None:
    if not DEV_CSV.exists():
        pytest.skip(f"the shared data set is not here: {DEV_CSV}")
    path = tmp_path / "dev.csv"
    with DEV_CSV.open(newline="", encoding="utf-8") as src, path.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        for number, record in enumerate(reader):
            writer.writerow(record)
            if number == 2000:
                break
    report = _import(desk, path, create_categories=True)
    assert report.imported == 2000 and not report.problems
    assert set(report.ignored_columns) == {"impact", "ticket_type", "endava_category", "source_row"}
    assert "hr_support" in report.created_categories and "hardware" not in report.created_categories
    tickets = _tickets(desk)
    assert all(t.status == "closed" and t.closed_at == t.created_at for t in tickets)
    assert all(len(t.title) <= 81 and t.body.startswith(t.title.rstrip("…")) for t in tickets)


def test_due_cache_is_exact() -> None:
    cache, rng = SlaDueCache(), random.Random(1)
    start = epoch_us(datetime(2026, 3, 1, tzinfo=UTC))
    calendars = [
        BusinessCalendar.business_hours("berlin", "Europe/Berlin"),
        BusinessCalendar.business_hours("kolkata", "Asia/Kolkata"),  # half-hour offset
    ]
    for cal in calendars:
        for _ in range(3000):
            at = start + rng.randrange(0, 240 * 86_400) * 1_000_000
            target = rng.choice([900, 7200, 36_000, 180_000]) * 1_000_000
            expected = cal.add(
                datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at), target / 1e6
            )
            assert cache.add(cal, at, target) == epoch_us(expected)


def test_fts_bulk_mode_restores_the_trigger_on_error(desk: Desk) -> None:
    if not desk.store.is_sqlite:
        pytest.skip("only SQLite has FTS triggers")

    def boom(session: Any) -> None:
        with fts_bulk_mode(session.connection()):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        desk.store.run_write(boom)
    with desk.store.read() as s:
        names = set(s.scalars(sa.text("SELECT name FROM sqlite_master WHERE type='trigger'")))
    assert "ticket_fts_ai" in names


def test_bulk_cache_is_raised_for_the_load_and_restored_even_on_error(desk: Desk) -> None:
    if not desk.store.is_sqlite:
        pytest.skip("the page cache pragma is SQLite's")
    seen: list[int] = []

    def load(session: Any) -> None:
        conn = session.connection()
        seen.append(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
        with bulk_cache(conn):
            seen.append(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
            raise RuntimeError("disk on fire")

    def after(session: Any) -> None:
        seen.append(session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one())

    with pytest.raises(RuntimeError):
        desk.store.run_write(load)
    desk.store.run_write(after)  # the pool hands back the same connection on SQLite files
    assert seen == [seen[0], -BULK_CACHE_KIB, seen[0]]


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_import_counts_problems_and_exit_codes(tmp_path: Path) -> None:
    db = str(tmp_path / "desk.db")
    assert _cli(db, "init")[0] == 0
    bad = _write(tmp_path, "bad.csv", BAD)
    code, out, err = _cli(db, "import", "tickets", str(bad))
    assert code == 0 and out.startswith("imported 2 tickets from bad.csv (6 bad rows left out")
    assert "row 3 (line 4): unknown category 'Quantum'" in err.splitlines()[0]
    code, out, err = _cli(db, "import", "tickets", str(bad), "--json")
    data = json.loads(out)
    assert code == 1 and data["imported"] == 0 and data["duplicates"] == 2  # nothing new landed
    assert data["problems"][0] == {"row": 3, "line": 4, "message": data["problems"][0]["message"]}
    only_bad = _write(tmp_path, "only_bad.csv", "title,category\nx,Quantum\n")
    code, _, err = _cli(db, "import", "tickets", str(only_bad))
    assert code == 1 and "row 2: unknown category" in err
    code, _, err = _cli(db, "import", "tickets", str(bad), "--strict")
    assert code == 1 and "nothing imported" in err and "Traceback" not in err
    code, out, _ = _cli(db, "import", "tickets", str(only_bad), "--create-categories")
    assert code == 0 and "new categories: quantum" in out
    code, _, err = _cli(db, "import", "tickets", str(only_bad), "--map", "title")
    assert code == 2 and "column=field" in err
