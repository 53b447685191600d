"""Escalation (functional and hierarchical), handoff packages, OLA clocks, L2/L3 work.

The desk's business calendar is Europe/Berlin 08:00-18:00 Mon-Fri: in November that is
07:00-17:00 UTC. MONDAY_10 (10:00 UTC) is 11:00 in Berlin.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import Conflict, NotFound, UsageError
from helpdesk_tui.services import escalation, views, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.sop import start_run, sync_sops, tick_step
from helpdesk_tui.services.sop_files import shipped_sop_dir
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Interaction, SupportGroup, Ticket
from helpdesk_tui.store.models.escalation import Handoff
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()
TUESDAY_10 = MONDAY_10 + timedelta(days=1)


def new(desk: Desk, actor: Actor | None = None, **fields: Any) -> int:
    data = NewTicket(**({"title": "VPN won't connect", "requester": "Jane Roe"} | fields))
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, actor or desk.admin, data, rules=RULES, now=MONDAY_10)
    )
    return int(ticket.id or 0)


def get(desk: Desk, ticket_id: int) -> Ticket:
    with desk.store.read() as s:
        found = s.get(Ticket, ticket_id)
        assert found is not None
        return found


def detail(desk: Desk, ticket_id: int, now: datetime) -> dict[str, Any]:
    with desk.store.read() as s:
        return views.ticket_detail(s, desk.admin, ticket_id, now)


def escalate(
    desk: Desk, actor: Actor, tid: int, group: str | None, at: datetime, **kw: Any
) -> None:
    kw.setdefault("reason", "error 809 persists after the SOP")
    desk.store.run_write(lambda s: escalation.escalate_ticket(s, actor, tid, group, now=at, **kw))


def log(desk: Desk, tid: int) -> list[tuple[str, str, bool]]:
    with desk.store.read() as s:
        rows = s.execute(
            sa.select(Interaction.kind, Interaction.text, Interaction.public)
            .where(Interaction.ticket_id == tid)
            .order_by(Interaction.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def team(desk: Desk) -> dict[str, Actor]:
    return {
        "lena": desk.add_agent("lena", "agent", groups=("Service Desk",)),
        "bob": desk.add_agent("bob", "engineer", groups=("L2 Network",)),
        "carl": desk.add_agent("carl", "engineer", groups=("L3 Infrastructure",)),
    }


def test_functional_escalation_moves_stores_logs_and_tells(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = new(desk, team["lena"], error_codes="809", tried="rebooted")
    desk.store.run_write(lambda s: workflow.take_ticket(s, team["lena"], tid, now=MONDAY_10))
    escalate(desk, team["lena"], tid, "L2 Network", MONDAY_10)
    t = get(desk, tid)
    assert t.status == "escalated" and t.assignee_id is None and t.escalation_count == 1
    with desk.store.read() as s:
        assert s.get(SupportGroup, t.group_id).name == "L2 Network"  # type: ignore[union-attr]
        handoff = s.scalars(sa.select(Handoff)).one()
    assert handoff.kind == "functional" and handoff.reason.startswith("error 809")
    for section in ("KEY FACTS", "ERROR CODES", "ACTIONS TAKEN", "SOP STEPS DONE", "ATTACHMENTS"):
        assert section in handoff.package
    assert "809" in handoff.package and "rebooted" in handoff.package
    assert "none (the desk does not store attachments yet)" in handoff.package
    entries = log(desk, tid)
    assert entries[-3][0] == "status" and "escalated to L2 Network" in entries[-3][1]
    assert entries[-2][0] == "note" and entries[-2][1].startswith("handoff package:")
    kind, notice, public = entries[-1]
    assert kind == "email" and public  # recorded for the requester, not sent
    assert t.resolve_due is not None and t.resolve_due.strftime("%Y-%m-%d %H:%M") in notice
    assert handoff.expected_by == t.resolve_due


def test_reviewed_package_is_stored_as_given(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10, package="my edited package")
    with desk.store.read() as s:
        assert s.scalars(sa.select(Handoff.package)).one() == "my edited package"


def test_ola_due_in_business_hours(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    t = get(desk, tid)
    assert t.escalated_at == MONDAY_10
    assert t.ola_response_due == MONDAY_10 + timedelta(minutes=30)
    # 10 business hours: 7 left on Monday (11:00-18:00 Berlin), 3 on Tuesday (08:00-11:00).
    assert t.ola_due == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_ola_starting_after_hours_waits_for_the_next_business_day(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = new(desk)
    friday_evening = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    escalate(desk, desk.admin, tid, "L3 Infrastructure", friday_evening)
    t = get(desk, tid)
    # L3: accept in 2 business hours, from Monday 08:00 Berlin (07:00 UTC).
    assert t.ola_response_due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "state"),
    [
        (MONDAY_10 + timedelta(hours=7), "ok"),  # 70% of 10 business hours
        (datetime(2026, 11, 24, 7, 29, tzinfo=UTC), "ok"),  # 7h29m used
        (datetime(2026, 11, 24, 7, 30, tzinfo=UTC), "warning"),  # 75%
        (datetime(2026, 11, 24, 9, 59, tzinfo=UTC), "warning"),
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "breached"),  # 100%
    ],
)
def test_ola_resolution_thresholds(
    desk: Desk, team: dict[str, Actor], at: datetime, state: str
) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    desk.store.run_write(lambda s: workflow.take_ticket(s, team["bob"], tid, now=MONDAY_10))
    ola = detail(desk, tid, at)["ola"]
    assert ola["state"] == state and ola["policy"] == "OLA L2 Network"


@pytest.mark.parametrize(
    ("minutes", "state"), [(22, "pending-ok"), (23, "pending-warning"), (30, "breached")]
)
def test_ola_response_thresholds(
    desk: Desk, team: dict[str, Actor], minutes: int, state: str
) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    ola = detail(desk, tid, MONDAY_10 + timedelta(minutes=minutes))["ola"]
    expected = {"pending-ok": "ok", "pending-warning": "warning"}.get(state, state)
    assert ola["response_state"] == expected


def test_engineer_accepts_and_status_stays_escalated(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    later = MONDAY_10 + timedelta(minutes=20)
    desk.store.run_write(lambda s: workflow.take_ticket(s, team["bob"], tid, now=later))
    t = get(desk, tid)
    assert t.status == "escalated" and t.assignee_id == team["bob"].agent_id
    assert t.ola_accepted_at == later
    assert log(desk, tid)[-1][1] == "accepted by bob"
    assert detail(desk, tid, later)["ola"]["response_state"] == "met"


def test_asking_the_requester_pauses_both_clocks(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    desk.store.run_write(lambda s: workflow.take_ticket(s, team["bob"], tid, now=MONDAY_10))
    desk.store.run_write(
        lambda s: escalation.ask_information(
            s, team["bob"], tid, "requester", "Which VPN client version?", now=MONDAY_10
        )
    )
    t = get(desk, tid)
    assert t.status == "waiting_customer" and t.sla_paused_at == MONDAY_10
    assert ("email", "Which VPN client version?", True) in log(desk, tid)
    # The answer comes two business hours later; back to the resolver group's work.
    answered = MONDAY_10 + timedelta(hours=2)
    desk.store.run_write(
        lambda s: workflow.change_status(s, team["bob"], tid, "escalated", now=answered)
    )
    t = get(desk, tid)
    assert t.status == "escalated" and t.escalation_count == 1
    assert t.ola_due == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_asking_first_line_is_a_note_for_the_escalating_agent(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = new(desk, team["lena"])
    escalate(desk, team["lena"], tid, "L2 Network", MONDAY_10)
    desk.store.run_write(
        lambda s: escalation.ask_information(
            s, team["bob"], tid, "l1", "Did it work before Friday?"
        )
    )
    assert log(desk, tid)[-1][:2] == ("note", "question for lena: Did it work before Friday?")
    assert get(desk, tid).status == "escalated"
    with pytest.raises(UsageError, match="valid: requester, l1"):
        desk.store.run_write(lambda s: escalation.ask_information(s, team["bob"], tid, "boss", "?"))


def test_hand_back_returns_to_first_line_and_the_escalating_agent(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = new(desk, team["lena"])
    escalate(desk, team["lena"], tid, "L2 Network", MONDAY_10)
    desk.store.run_write(lambda s: workflow.take_ticket(s, team["bob"], tid, now=MONDAY_10))
    # L2 passes it on to L3, which hands it back: back to lena, not to bob.
    escalate(
        desk, team["bob"], tid, "L3 Infrastructure", MONDAY_10, reason="needs a firewall change"
    )
    later = MONDAY_10 + timedelta(hours=1)
    desk.store.run_write(
        lambda s: escalation.hand_back(s, team["carl"], tid, "rule added; please verify", now=later)
    )
    t = get(desk, tid)
    assert t.status == "in_progress" and t.assignee_id == team["lena"].agent_id
    assert t.escalation_count == 2 and t.ola_stopped_at == later
    with desk.store.read() as s:
        assert s.get(SupportGroup, t.group_id).name == "Service Desk"  # type: ignore[union-attr]
    shown = detail(desk, tid, later)
    assert [h["kind"] for h in shown["handoffs"]] == ["functional", "functional", "handback"]
    assert shown["handoffs"][-1]["to_agent"] == "lena" and shown["ola"]["state"] == "met"
    assert "handed back to Service Desk (lena): rule added" in log(desk, tid)[-1][1]
    with pytest.raises(Conflict, match="not with an L2/L3 group"):
        desk.store.run_write(lambda s: escalation.hand_back(s, team["carl"], tid, "again"))


def test_resolving_in_l2_stops_the_ola(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s,
            team["bob"],
            tid,
            "resolved",
            note="MTU fixed",
            code="solved_permanent",
            now=TUESDAY_10,
        )
    )
    ola = detail(desk, tid, TUESDAY_10 + timedelta(days=3))["ola"]
    assert ola["state"] == "breached" and ola["stopped_at"] == TUESDAY_10.isoformat()


def test_hierarchical_escalation_goes_to_the_least_loaded_supervisor(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = new(desk)
    with pytest.raises(NotFound, match="supervisor role"):
        escalate(desk, desk.admin, tid, None, MONDAY_10, to_supervisor=True)
    sue = desk.add_agent("sue", "supervisor")
    desk.add_agent("tom", "supervisor")
    busy = new(desk)
    desk.store.run_write(lambda s: workflow.take_ticket(s, sue, busy, now=MONDAY_10))
    escalate(desk, desk.admin, tid, None, MONDAY_10, to_supervisor=True, reason="VIP complaint")
    t = get(desk, tid)
    assert t.status == "escalated" and t.group_id is None
    assert detail(desk, tid, MONDAY_10)["assignee"] == "tom"
    assert detail(desk, tid, MONDAY_10)["handoffs"][0]["kind"] == "hierarchical"
    with pytest.raises(UsageError, match="valid: sue, tom"):
        escalate(desk, desk.admin, tid, None, MONDAY_10, to_supervisor=True, supervisor="zed")


@pytest.mark.parametrize(
    ("group", "kw", "message"),
    [
        ("Service Desk", {}, "first-line group"),
        ("L9 Nowhere", {}, "valid: L2 Applications"),
        ("L2 Network", {"reason": " "}, "needs a reason"),
        ("L2 Network", {"to_supervisor": True}, "either to a group"),
        (None, {}, "either to a group"),
    ],
)
def test_bad_escalations_are_refused(
    desk: Desk, group: str | None, kw: dict[str, Any], message: str
) -> None:
    tid = new(desk)
    with pytest.raises(UsageError, match=message):
        escalate(desk, desk.admin, tid, group, MONDAY_10, **kw)
    assert get(desk, tid).status == "new"


def test_plain_status_change_to_escalated_points_to_the_command(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(UsageError, match="ticket escalate"):
        desk.store.run_write(lambda s: workflow.change_status(s, desk.admin, tid, "escalated"))


def test_package_lists_sop_steps_done_and_escalate_if(desk: Desk, tmp_path: Path) -> None:
    desk.store.run_write(lambda s: sync_sops(s, desk.admin, shipped_sop_dir()))
    tid = new(desk)
    run = desk.store.run_write(lambda s: start_run(s, desk.admin, tid, "vpn-cannot-connect"))
    desk.store.run_write(lambda s: tick_step(s, desk.admin, run.id, 0))
    desk.store.run_write(
        lambda s: workflow.add_interaction(s, desk.admin, tid, "call", "user on home wifi")
    )
    with desk.store.read() as s:
        package = views.handoff_package(s, desk.admin, tid, MONDAY_10)
    assert "vpn-cannot-connect: 1 of" in package and "[x] 1." in package
    assert "escalate if (vpn-cannot-connect):" in package
    assert "call: user on home wifi" in package


def test_ola_defaults_and_setting_them(desk: Desk, team: dict[str, Actor]) -> None:
    with desk.store.read() as s:
        rows = escalation.list_olas(s)
    assert {r["group"]: (r["response_minutes"], r["resolve_minutes"]) for r in rows}[
        "L3 Security"
    ] == (120, 1800)
    desk.store.run_write(
        lambda s: escalation.set_ola(
            s, desk.admin, "L2 Network", response_minutes=15, resolve_minutes=240, calendar="24x7"
        )
    )
    tid = new(desk)
    escalate(desk, desk.admin, tid, "L2 Network", MONDAY_10)
    assert get(desk, tid).ola_due == MONDAY_10 + timedelta(hours=4)
    with pytest.raises(UsageError, match="first-line"):
        desk.store.run_write(
            lambda s: escalation.set_ola(
                s, desk.admin, "Service Desk", response_minutes=1, resolve_minutes=2
            )
        )


# -- CLI ------------------------------------------------------------------------------
def cli(db: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "desk.db")
    assert cli(path, "init", "--timezone", "Europe/Berlin")[0] == 0
    code, out, _ = cli(path, "ticket", "new", "-t", "VPN won't connect", "--error-codes", "809")
    assert code == 0 and out.strip() == "1"
    return path


def test_cli_escalate_shows_terms_and_json(db: str) -> None:
    code, out, _ = cli(db, "ticket", "escalate", "1", "--to", "L2 Network", "-r", "needs L2")
    assert code == 0
    assert "SLA default-" in out and "escalated to L2 Network; OLA resolve by" in out
    code, out, _ = cli(db, "ticket", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["status"] == "escalated" and shown["ola"]["state"] == "ok"
    assert shown["handoffs"][0]["reason"] == "needs L2"
    code, out, _ = cli(db, "ticket", "handoff", "1")
    assert code == 0 and "KEY FACTS" in out


def test_cli_escalate_package_from_stdin_and_errors(db: str) -> None:
    code, out, _ = cli(
        db,
        "ticket",
        "escalate",
        "1",
        "--to",
        "L3 Security",
        "-r",
        "x",
        "--package",
        "-",
        "--json",
        input="reviewed by hand\n",
    )
    assert code == 0 and json.loads(out)["handoffs"][0]["package"] == "reviewed by hand\n"
    code, _, err = cli(db, "ticket", "escalate", "1", "--to", "Nowhere", "-r", "x")
    assert code == 2 and "valid:" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(db, "ticket", "escalate", "1", "--to-supervisor", "-r", "x")
    assert code == 5 and "supervisor role" in err
    code, _, err = cli(db, "ticket", "escalate", "99", "--to", "L2 Network", "-r", "x")
    assert code == 5 and "no ticket #99" in err


def test_cli_ask_handback_and_ola(db: str) -> None:
    cli(db, "ticket", "escalate", "1", "--to", "L2 Network", "-r", "needs L2")
    code, out, _ = cli(db, "ticket", "ask", "1", "Which client version?")
    assert code == 0 and "question to requester" in out
    code, out, _ = cli(db, "ticket", "handback", "1", "-m", "please verify", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["group"] == "Service Desk" and shown["status"] == "in_progress"
    code, out, _ = cli(db, "ticket", "handback", "1", "-m", "again")
    assert code == 4
    code, out, _ = cli(db, "ola", "list", "--json")
    assert code == 0 and {r["group"] for r in json.loads(out)} >= {"L2 Network", "L3 Security"}
    assert cli(db, "ola", "set", "L2 Network", "--response", "10", "--resolve", "60")[0] == 0
    code, _, err = cli(db, "ola", "set", "L2 Network", "--response", "10", "--resolve", "5")
    assert code == 2 and "resolution >= response" in err
