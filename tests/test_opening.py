"""The launch frame's standard-library read agrees with the services, and steps aside.

The first queue frame comes from store/opening.py (sqlite3 alone) while the ORM loads;
these tests hold it to the page the services return for the same desk and instant, and
check every case in which it must give None so that the ordinary path explains.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.services import queue, rbac
from helpdesk_tui.services.demo import generate_demo
from helpdesk_tui.services.opening import open_queue
from helpdesk_tui.services.queue_types import QueueQuery
from helpdesk_tui.services.setup import initialise_desk
from helpdesk_tui.store.engine import Store
from tests.conftest import MONDAY_10


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo desk on SQLite: every status, priority, pause and SLA state."""
    path = tmp_path_factory.mktemp("opening") / "demo.db"
    store = Store(f"sqlite:///{path}")
    initialise_desk(store, rbac.os_login(), "Test Admin", timezone="Europe/Berlin")
    generate_demo(store, tickets=600, seed=7, now=MONDAY_10)
    store.dispose()
    with sqlite3.connect(path) as conn:  # the demo assigns every open ticket; the joins are outer
        conn.execute("UPDATE ticket SET assignee_id = NULL WHERE id % 3 = 0")
        conn.execute("UPDATE ticket SET requester_id = NULL WHERE id % 5 = 0")
    return path


def _service_page(path: Path, limit: int, at: object) -> queue.QueuePage:
    store = Store(f"sqlite:///{path}")
    try:
        with store.read() as session:
            actor = rbac.resolve_actor(session, rbac.os_login())
            return queue.fetch_page(session, actor, QueueQuery(), now=at, limit=limit)  # type: ignore[arg-type]
    finally:
        store.dispose()


@pytest.mark.parametrize("limit", [1, 60, 5000])
@pytest.mark.parametrize("hours", [0, 30, 24 * 40])
def test_the_first_page_equals_the_services_page(demo: Path, limit: int, hours: int) -> None:
    # Later instants turn ok clocks into warnings and breaches: the states must agree too.
    at = MONDAY_10 + timedelta(hours=hours)
    opening = open_queue(f"sqlite:///{demo}", rbac.os_login(), limit=limit, now=at)
    assert opening is not None
    expected = _service_page(demo, limit, at)
    assert opening.page.rows == expected.rows
    assert (opening.page.has_before, opening.page.has_after) == (
        expected.has_before,
        expected.has_after,
    )
    assert opening.page.last_key == expected.last_key
    assert opening.query == QueueQuery()


def test_the_compared_pages_hold_every_sla_state(demo: Path) -> None:
    # Otherwise the comparison above could pass on a desk with nothing to get wrong.
    pages = [_service_page(demo, 5000, MONDAY_10 + timedelta(hours=h)) for h in (0, 30, 960)]
    rows = [row for page in pages for row in page.rows]
    assert {"ok", "warning", "breached"} <= {row.sla.state for row in rows}
    assert any(row.sla.paused for row in rows)
    assert any(row.assignee for row in rows) and any(row.assignee is None for row in rows)
    assert any(row.requester for row in rows) and any(row.requester is None for row in rows)


def test_agent_name_and_presence_come_along(demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE agent SET presence = 'busy' WHERE login = ?", (rbac.os_login(),))
    opening = open_queue(f"sqlite:///{copy}", rbac.os_login(), limit=5, now=MONDAY_10)
    assert opening is not None
    assert (opening.agent_name, opening.presence) == ("Test Admin", "busy")


def _altered(demo: Path, tmp_path: Path, sql: str) -> str:
    copy = tmp_path / "altered.db"
    copy.write_bytes(demo.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute(sql, {"login": rbac.os_login()})
    return f"sqlite:///{copy}"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE alembic_version SET version_num = '0001'",
        "UPDATE alembic_version SET version_num = '9999'",
        "UPDATE agent SET active = 0 WHERE login = :login",
        "UPDATE agent SET login = 'someone-else' WHERE login = :login",
        "DELETE FROM agent_role WHERE agent_id = (SELECT id FROM agent WHERE login = :login)",
        "DROP INDEX ix_ticket_open_due",
    ],
    ids=["older-schema", "newer-schema", "inactive", "unknown", "no-permission", "no-index"],
)
def test_anything_unexpected_takes_the_ordinary_path(demo: Path, tmp_path: Path, sql: str) -> None:
    url = _altered(demo, tmp_path, sql)
    assert open_queue(url, rbac.os_login(), limit=5, now=MONDAY_10) is None


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "sqlite:///:memory:",
        "sqlite:///{tmp}/missing.db",
        "sqlite:///{tmp}/garbage.db",
        "sqlite:///{tmp}/garbage.db?mode=ro",
    ],
)
def test_other_databases_and_broken_files_give_none(tmp_path: Path, url: str) -> None:
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
    assert open_queue(url.format(tmp=tmp_path), "anyone", limit=5, now=MONDAY_10) is None


def test_the_launch_path_does_not_import_the_orm_or_the_cli_framework() -> None:
    # The whole point of the launch frame: these imports cost more than Textual's start.
    code = (
        "import sys\n"
        "import helpdesk_tui.cli, helpdesk_tui.cli.entry, helpdesk_tui.cli.tui\n"
        "import helpdesk_tui.app, helpdesk_tui.services.opening\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'sqlalchemy', 'sqlmodel', 'pydantic', 'typer', 'click', 'alembic', 'rapidfuzz'})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
