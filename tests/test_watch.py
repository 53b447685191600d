"""The change watcher sees another connection's commit (SQLite data_version, PG NOTIFY)."""

from __future__ import annotations

import time

from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.watch import ChangeWatcher
from tests.conftest import Desk


def test_watcher_sees_other_commits(desk: Desk) -> None:
    watcher = ChangeWatcher(desk.store)
    try:
        assert watcher.changed() is False  # first call primes it
        assert watcher.changed() is False
        other = Store(desk.store.url.render_as_string(hide_password=False))
        other.run_write(
            lambda s: create_ticket(
                s, desk.admin, NewTicket(title="disk full"), rules=RuleSet.default()
            )
        )
        other.dispose()
        # PostgreSQL delivers NOTIFY asynchronously after the commit: poll as the app does.
        deadline = time.monotonic() + 3.0
        seen = watcher.changed()
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = watcher.changed()
        assert seen is True
        assert watcher.changed() is False  # reported once
    finally:
        watcher.close()
