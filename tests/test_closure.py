"""Verified closure: resolution codes, confirmation, auto-close, the reopen window, FCR."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import Conflict, UsageError
from helpdesk_tui.services import closure, escalation, views, workflow
from helpdesk_tui.services.closure import close_unconfirmed, confirm_resolution
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Audit, Ticket
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()
US = timedelta(microseconds=1)


def new(desk: Desk, actor: Actor | None = None) -> int:
    data = NewTicket(title="Printer offline", requester="Jane Roe")
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, actor or desk.admin, data, rules=RULES, now=MONDAY_10)
    )
    return int(ticket.id or 0)


def get(desk: Desk, ticket_id: int) -> Ticket:
    with desk.store.read() as s:
        found = s.get(Ticket, ticket_id)
        assert found is not None
        return found


def status(desk: Desk, actor: Actor, tid: int, to: str, at: Any = MONDAY_10, **kw: Any) -> None:
    desk.store.run_write(lambda s: workflow.change_status(s, actor, tid, to, now=at, **kw))


def resolve(desk: Desk, actor: Actor, tid: int, at: Any = MONDAY_10) -> None:
    status(desk, actor, tid, "resolved", at, note="replaced toner", code="solved_permanent")


def fcr(desk: Desk, tid: int) -> bool:
    with desk.store.read() as s:
        return bool(views.ticket_detail(s, desk.admin, tid, MONDAY_10)["fcr"])


@pytest.mark.parametrize(
    ("code", "message"),
    [(None, "needs a resolution code \\(--code\\); valid: solved_permanent"), ("fixed", "valid:")],
)
def test_resolving_needs_a_valid_code(desk: Desk, code: str | None, message: str) -> None:
    tid = new(desk)
    with pytest.raises(UsageError, match=message):
        status(desk, desk.admin, tid, "resolved", note="done", code=code)
    assert get(desk, tid).status == "new"


def test_confirmation_closes_and_records_the_channel(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(Conflict, match="only resolved tickets"):
        desk.store.run_write(lambda s: confirm_resolution(s, desk.admin, tid, "phone"))
    resolve(desk, desk.admin, tid)
    with pytest.raises(UsageError, match="valid: phone, mail, chat"):
        desk.store.run_write(lambda s: confirm_resolution(s, desk.admin, tid, "fax"))
    later = MONDAY_10 + timedelta(hours=3)
    desk.store.run_write(
        lambda s: confirm_resolution(s, desk.admin, tid, "chat", note="works now", now=later)
    )
    t = get(desk, tid)
    assert t.status == "closed" and t.closed_at == later and t.confirmed_at == later
    assert t.confirmation_channel == "chat"
    with desk.store.read() as s:
        shown = views.ticket_detail(s, desk.admin, tid, later)
    assert shown["log"][-1]["text"].endswith("confirmed the resolution by chat: works now")
    assert (
        shown["confirmation_channel"] == "chat" and shown["resolution_code"] == "solved_permanent"
    )


def test_auto_close_boundary(desk: Desk) -> None:
    silent, confirmed, early = new(desk), new(desk), new(desk)
    for tid in (silent, confirmed):
        resolve(desk, desk.admin, tid)
    resolve(desk, desk.admin, early, MONDAY_10 + timedelta(hours=1))
    desk.store.run_write(lambda s: confirm_resolution(s, desk.admin, confirmed, "mail"))
    day5 = MONDAY_10 + timedelta(days=5)
    assert desk.store.run_write(lambda s: close_unconfirmed(s, day5 - US, 5)) == []
    assert desk.store.run_write(lambda s: close_unconfirmed(s, day5, 5)) == [silent]
    t = get(desk, silent)
    assert t.status == "closed" and t.closed_at == day5 and t.confirmation_channel == "auto"
    assert t.confirmed_at is None
    assert get(desk, early).status == "resolved"
    assert get(desk, confirmed).confirmation_channel == "mail"
    with desk.store.read() as s:
        audit = s.scalars(sa.select(Audit).where(Audit.action == "ticket.autoclose")).one()
    assert json.loads(audit.detail)["ids"] == [silent]
    # A second pass finds nothing left to do.
    assert desk.store.run_write(lambda s: close_unconfirmed(s, day5, 5)) == []


def test_reopen_window_boundary_and_previous_assignee(desk: Desk) -> None:
    lena = desk.add_agent("lena", "agent")
    bob = desk.add_agent("bob", "engineer")
    inside, outside = new(desk), new(desk)
    for tid in (inside, outside):
        desk.store.run_write(lambda s, t=tid: workflow.take_ticket(s, lena, t, now=MONDAY_10))
        resolve(desk, lena, tid)
        # Someone else picked it up meanwhile; a reopen goes back to who resolved it.
        desk.store.run_write(
            lambda s, t=tid: workflow.update_ticket(s, desk.admin, t, {"assignee": "bob"})
        )
    day10 = MONDAY_10 + timedelta(days=10)
    status(desk, bob, inside, "in_progress", day10, note="printer offline again", reopen_days=10)
    t = get(desk, inside)
    assert t.status == "in_progress" and t.assignee_id == lena.agent_id and t.reopen_count == 1
    assert t.resolution_code is None and t.resolved_at is None
    with pytest.raises(Conflict, match=f"record a new ticket referencing #{outside}"):
        status(desk, bob, outside, "in_progress", day10 + US, reopen_days=10)
    assert get(desk, outside).status == "resolved"


def test_an_auto_closed_ticket_reopens_within_the_window(desk: Desk) -> None:
    tid = new(desk)
    resolve(desk, desk.admin, tid)
    desk.store.run_write(lambda s: close_unconfirmed(s, MONDAY_10 + timedelta(days=5), 5))
    status(desk, desk.admin, tid, "in_progress", MONDAY_10 + timedelta(days=6), note="again")
    t = get(desk, tid)
    assert t.status == "in_progress" and t.closed_at is None and t.confirmation_channel is None


def test_fcr_resolved_at_once_and_with_the_one_call(desk: Desk) -> None:
    at_once, one_call = new(desk), new(desk)
    desk.store.run_write(
        lambda s: workflow.add_interaction(s, desk.admin, one_call, "call", "walked through it")
    )
    for tid in (at_once, one_call):
        resolve(desk, desk.admin, tid)
    assert fcr(desk, at_once) and fcr(desk, one_call)
    desk.store.run_write(lambda s: confirm_resolution(s, desk.admin, at_once, "phone"))
    assert fcr(desk, at_once)  # closing keeps it


def test_fcr_is_lost_by_callbacks_waiting_escalation_reopen_or_cancel(desk: Desk) -> None:
    open_, two_calls, waited, escalated, reopened, cancelled = (new(desk) for _ in range(6))
    for _ in range(2):
        desk.store.run_write(
            lambda s: workflow.add_interaction(s, desk.admin, two_calls, "call", "x")
        )
    status(desk, desk.admin, waited, "waiting_customer")
    status(desk, desk.admin, waited, "in_progress")
    desk.store.run_write(
        lambda s: escalation.escalate_ticket(s, desk.admin, escalated, "L2 Network", reason="x")
    )
    status(desk, desk.admin, cancelled, "cancelled")
    for tid in (two_calls, waited, escalated, reopened):
        resolve(desk, desk.admin, tid)
    status(desk, desk.admin, reopened, "in_progress", note="toner empty again")
    resolve(desk, desk.admin, reopened)
    for tid in (open_, two_calls, waited, escalated, reopened, cancelled):
        assert not fcr(desk, tid), tid


def test_resolution_codes() -> None:
    assert set(closure.RESOLUTION_CODES) >= {"solved_permanent", "duplicate", "out_of_scope"}


# -- CLI ------------------------------------------------------------------------------
def cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "desk.db")
    assert cli(path, "init")[0] == 0
    for title in ("Printer offline", "Mouse broken"):
        assert cli(path, "ticket", "new", "-t", title)[0] == 0
    return path


RESOLVE = ("resolved", "-m", "replaced toner", "--code", "solved_permanent")


def test_cli_confirm(db: str) -> None:
    code, _, err = cli(db, "ticket", "confirm", "1", "--via", "phone")
    assert code == 4 and "only resolved tickets" in err
    assert cli(db, "ticket", "status", "1", *RESOLVE)[0] == 0
    code, _, err = cli(db, "ticket", "status", "1", "closed")
    assert code == 2 and "ticket confirm 1 --via" in err
    code, _, err = cli(db, "ticket", "confirm", "1", "--via", "pigeon")
    assert code == 2 and "valid: phone, mail, chat" in err
    code, out, _ = cli(db, "ticket", "confirm", "1", "--via", "phone", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["status"] == "closed" and shown["confirmation_channel"] == "phone"
    assert shown["fcr"] is True


def test_cli_autoclose_and_reopen_use_the_desk_policy(db: str) -> None:
    config = Path(os.environ["HELPDESK_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    # A personal config file no longer decides desk policy: ignored, with a warning.
    (config / "config.toml").write_text("[closure]\nauto_close_days = 9\nreopen_days = 30\n")
    code, _, err = cli(db, "policy", "set", "--auto-close-days", "2", "--reopen-days", "3")
    assert code == 0 and "[closure] is no longer read" in err and "policy set" in err
    for tid in ("1", "2"):
        assert cli(db, "ticket", "status", tid, *RESOLVE)[0] == 0
    code, out, _ = cli(db, "ticket", "autoclose", "--json")
    assert code == 0 and json.loads(out) == {"closed": [], "days": 2}
    with time_machine.travel(timedelta(days=2, minutes=1)):
        code, out, _ = cli(db, "ticket", "autoclose")
        assert code == 0 and out.strip() == "2 ticket(s) closed after 2 days without reply"
        assert cli(db, "ticket", "status", "1", "in_progress", "-m", "still jammed")[0] == 0
    with time_machine.travel(timedelta(days=3, minutes=2)):
        code, _, err = cli(db, "ticket", "status", "2", "in_progress")
        assert code == 4 and "record a new ticket referencing #2" in err
