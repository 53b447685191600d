"""Shared fixtures: a fresh desk per test on SQLite, and on PostgreSQL when configured.

Set HELPDESK_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
the `desk` and `store` fixtures on PostgreSQL too; each test then gets its own schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk_tui.services import rbac
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.setup import initialise_desk
from helpdesk_tui.store.engine import Store

PG_URL = os.environ.get("HELPDESK_TEST_PG_URL")

# Tests never reach the developer's real keyring (a desktop one may even pop up an unlock
# dialog): keyring reads this when it first picks a backend, in this process and in the
# subprocesses tests start. Tests of the keyring path set their own (tests/keyrings.py).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

#: A Monday morning in business hours, the frozen "now" of most tests.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real config or data directories."""
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HELPDESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("HELPDESK_DB", raising=False)
    for name in [key for key in os.environ if key.startswith("HELPDESK_SECRET_")]:
        monkeypatch.delenv(name)


def _pg_store() -> Iterator[Store]:
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    store = Store(url.render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store (no schema yet) on each configured backend."""
    if request.param == "postgresql":
        yield from _pg_store()
        return
    store = Store(f"sqlite:///{tmp_path / 'helpdesk.db'}")
    yield store
    store.dispose()


@dataclass
class Desk:
    """An initialised desk: its store and the admin (the OS account running the tests)."""

    store: Store
    admin: Actor

    def actor(self, login: str) -> Actor:
        """The Actor of a registered agent."""
        with self.store.read() as session:
            return rbac.resolve_actor(session, login)

    def add_agent(self, login: str, *roles: str, groups: tuple[str, ...] = ()) -> Actor:
        """Register an agent with roles and return their Actor."""
        self.store.run_write(
            lambda s: rbac.add_agent(
                s, self.admin, login, login.title(), roles=roles or ("agent",), groups=groups
            )
        )
        return self.actor(login)


@pytest.fixture
def desk(store: Store) -> Desk:
    """A desk initialised like `helpdesk init` does, with the OS account as admin."""
    initialise_desk(store, rbac.os_login(), "Test Admin", timezone="Europe/Berlin")
    with store.read() as session:
        admin = rbac.resolve_actor(session, rbac.os_login())
    return Desk(store=store, admin=admin)
