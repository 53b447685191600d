"""Who may work a ticket (services/ticket_access.py), enforced by every service that moves one.

Issue 10: a first-line agent could accept an L2 escalation, resolve or confirm other
agents' tickets and run desk-wide actions. The team: lena and max on first line, bob in
L2 Network, dora in L2 Desktop, sue a supervisor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.errors import Conflict, HelpdeskError, PermissionDenied, UsageError
from helpdesk_tui.services import closure, escalation, ticket_access, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Interaction, Ticket
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()
LATER = MONDAY_10 + timedelta(hours=1)


@pytest.fixture
def team(desk: Desk) -> dict[str, Actor]:
    return {
        "lena": desk.add_agent("lena", "agent", groups=("Service Desk",)),
        "max": desk.add_agent("max", "agent", groups=("Service Desk",)),
        "bob": desk.add_agent("bob", "engineer", groups=("L2 Network",)),
        "dora": desk.add_agent("dora", "engineer", groups=("L2 Desktop",)),
        "sue": desk.add_agent("sue", "supervisor", groups=("Service Desk",)),
    }


def new(desk: Desk, actor: Actor) -> int:
    data = NewTicket(title="VPN won't connect", requester="Jane Roe", channel="email")
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, actor, data, rules=RULES, now=MONDAY_10)
    )
    return int(ticket.id or 0)


def get(desk: Desk, tid: int) -> Ticket:
    with desk.store.read() as s:
        found = s.get(Ticket, tid)
        assert found is not None
        return found


def logged(desk: Desk, tid: int) -> list[str]:
    with desk.store.read() as s:
        return list(
            s.scalars(
                sa.select(Interaction.text)
                .where(Interaction.ticket_id == tid)
                .order_by(Interaction.id)
            )
        )


def take(desk: Desk, actor: Actor, tid: int) -> None:
    desk.store.run_write(lambda s: workflow.take_ticket(s, actor, tid, now=LATER))


def status(desk: Desk, actor: Actor, tid: int, to: str, **kw: Any) -> None:
    kw.setdefault("now", LATER)
    desk.store.run_write(lambda s: workflow.change_status(s, actor, tid, to, **kw))


def resolve(desk: Desk, actor: Actor, tid: int) -> None:
    status(desk, actor, tid, "resolved", note="profile reset", code="solved_permanent")


def escalated_by_lena(desk: Desk, team: dict[str, Actor]) -> int:
    """A ticket lena took and escalated to L2 Network (unassigned there)."""
    tid = new(desk, team["lena"])
    take(desk, team["lena"], tid)
    desk.store.run_write(
        lambda s: escalation.escalate_ticket(
            s, team["lena"], tid, "L2 Network", reason="error 809 persists", now=LATER
        )
    )
    return tid


# -- accepting an escalation ----------------------------------------------------------
def test_first_line_cannot_accept_an_l2_escalation(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    before = get(desk, tid)
    for who in ("lena", "max", "dora"):
        with pytest.raises(PermissionDenied, match="is with L2 Network; only its members"):
            take(desk, team[who], tid)
        with pytest.raises(PermissionDenied, match="L2 Network"):  # nor by assigning oneself
            desk.store.run_write(
                lambda s, a=team[who]: workflow.update_ticket(s, a, tid, {"assignee": a.login})
            )
    after = get(desk, tid)
    assert after.assignee_id is None and after.ola_accepted_at is None
    assert after.version == before.version
    assert not any("accepted by" in text for text in logged(desk, tid))


def test_a_member_of_the_group_accepts_and_meets_the_ola_response(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["bob"], tid)
    t = get(desk, tid)
    assert t.assignee_id == team["bob"].agent_id and t.ola_accepted_at == LATER
    assert logged(desk, tid)[-1] == "accepted by bob"


def test_a_supervisor_accepts_for_any_group(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["sue"], tid)
    assert get(desk, tid).assignee_id == team["sue"].agent_id


def test_assigning_within_the_group_is_accepting_it(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    desk.store.run_write(
        lambda s: workflow.update_ticket(s, team["bob"], tid, {"assignee": "bob"}, now=LATER)
    )
    t = get(desk, tid)
    assert t.assignee_id == team["bob"].agent_id and t.ola_accepted_at == LATER
    assert logged(desk, tid)[-1] == "assigned to bob (accepted)"
    # An engineer of another group may not dispatch it, even holding ticket.assign.
    with pytest.raises(PermissionDenied, match="assigned to bob"):
        desk.store.run_write(
            lambda s: workflow.update_ticket(s, team["dora"], tid, {"assignee": "dora"})
        )


def test_first_line_tickets_are_anyones_to_take(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk, team["lena"])
    take(desk, team["dora"], tid)  # an engineer may help out on first line
    assert get(desk, tid).assignee_id == team["dora"].agent_id


# -- working it -----------------------------------------------------------------------
def test_only_whoever_has_it_moves_it(desk: Desk, team: dict[str, Actor]) -> None:
    mine = new(desk, team["lena"])
    take(desk, team["lena"], mine)
    with pytest.raises(PermissionDenied, match="assigned to lena; only lena or a supervisor"):
        resolve(desk, team["max"], mine)
    with pytest.raises(PermissionDenied, match="assigned to lena"):
        status(desk, team["max"], mine, "waiting_customer")
    with pytest.raises(PermissionDenied, match="may escalate it"):
        desk.store.run_write(
            lambda s: escalation.escalate_ticket(s, team["max"], mine, "L2 Network", reason="x")
        )
    # ... but anyone may add what the requester says to its log
    desk.store.run_write(
        lambda s: workflow.add_interaction(s, team["max"], mine, "call", "Jane called back")
    )
    resolve(desk, team["sue"], mine)  # a supervisor may
    assert get(desk, mine).status == "resolved"


def test_an_escalated_ticket_is_worked_by_its_group(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    for who, verb in (("lena", "resolve"), ("dora", "resolve")):
        with pytest.raises(PermissionDenied, match=f"only its members or a supervisor may {verb}"):
            resolve(desk, team[who], tid)
    with pytest.raises(PermissionDenied, match="hand back"):
        desk.store.run_write(lambda s: escalation.hand_back(s, team["lena"], tid, "take it back"))
    with pytest.raises(PermissionDenied, match="ask the requester about"):
        desk.store.run_write(
            lambda s: escalation.ask_information(s, team["lena"], tid, "requester", "when?")
        )
    # A question for first line is only a note: anyone may leave one.
    desk.store.run_write(
        lambda s: escalation.ask_information(s, team["bob"], tid, "l1", "which client version?")
    )
    with pytest.raises(PermissionDenied, match="escalate"):  # not to L3 behind L2's back
        desk.store.run_write(
            lambda s: escalation.escalate_ticket(
                s, team["lena"], tid, "L3 Infrastructure", reason="faster"
            )
        )
    take(desk, team["bob"], tid)
    resolve(desk, team["bob"], tid)
    assert get(desk, tid).status == "resolved"


def test_the_requesters_answer_is_taken_back_to_work_by_first_line(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["bob"], tid)
    desk.store.run_write(
        lambda s: escalation.ask_information(s, team["bob"], tid, "requester", "which office?")
    )
    with pytest.raises(PermissionDenied, match="assigned to bob"):
        status(desk, team["dora"], tid, "escalated")  # another group: no
    status(desk, team["max"], tid, "escalated")  # first line took the answer on the phone
    assert get(desk, tid).status == "escalated"


# -- confirming and reopening ---------------------------------------------------------
def test_first_line_confirms_what_l2_resolved(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["bob"], tid)
    resolve(desk, team["bob"], tid)
    with pytest.raises(PermissionDenied, match="first line, the agents who worked it"):
        desk.store.run_write(lambda s: closure.confirm_resolution(s, team["dora"], tid, "phone"))
    desk.store.run_write(lambda s: closure.confirm_resolution(s, team["max"], tid, "phone"))
    assert get(desk, tid).status == "closed"


def test_reopening_needs_a_reason_and_the_requesters_side(
    desk: Desk, team: dict[str, Actor]
) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["bob"], tid)
    resolve(desk, team["bob"], tid)
    with pytest.raises(PermissionDenied, match="may reopen it"):
        status(desk, team["dora"], tid, "in_progress", note="still down")
    with pytest.raises(UsageError, match="needs a reason"):
        status(desk, team["max"], tid, "in_progress")
    with pytest.raises(UsageError, match="needs a reason"):
        status(desk, team["max"], tid, "in_progress", note="   ")
    assert get(desk, tid).status == "resolved"
    status(desk, team["max"], tid, "in_progress", note="VPN drops again")
    t = get(desk, tid)
    assert t.status == "in_progress" and t.assignee_id == team["bob"].agent_id
    assert logged(desk, tid)[-1] == "reopened: VPN drops again"


def test_too_late_to_reopen_is_said_before_asking_why(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk, team["lena"])
    take(desk, team["lena"], tid)
    resolve(desk, team["lena"], tid)
    with pytest.raises(Exception, match="record a new ticket"):
        status(desk, team["lena"], tid, "in_progress", now=LATER + timedelta(days=30))


# -- desk-wide actions ----------------------------------------------------------------
def test_autoclose_is_for_supervisors(desk: Desk, team: dict[str, Actor]) -> None:
    tid = new(desk, team["lena"])
    take(desk, team["lena"], tid)
    resolve(desk, team["lena"], tid)
    late = LATER + timedelta(days=6)
    for who in ("lena", "bob"):
        with pytest.raises(PermissionDenied, match="ticket.autoclose"):
            desk.store.run_write(
                lambda s, a=team[who]: closure.close_unconfirmed(s, late, 5, actor=a)
            )
    assert get(desk, tid).status == "resolved"
    closed = desk.store.run_write(
        lambda s: closure.close_unconfirmed(s, late, 5, actor=team["sue"])
    )
    assert closed == [tid]


def test_default_roles_hold_the_desk_wide_permissions(team: dict[str, Actor]) -> None:
    for perm in ("ticket.autoclose", "sla.watch", "ticket.supervise"):
        assert team["sue"].can(perm)
        assert not team["lena"].can(perm) and not team["bob"].can(perm)


# -- what the screens ask -------------------------------------------------------------
def actions(desk: Desk, actor: Actor, tid: int, **kw: Any) -> dict[str, ticket_access.Decision]:
    kw.setdefault("now", LATER)
    with desk.store.read() as s:
        return ticket_access.ticket_actions(s, actor, tid, **kw)


def test_the_screens_ask_the_same_rule(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    lena = actions(desk, team["lena"], tid)
    assert not lena["take"] and "only its members" in lena["take"].why_not
    assert not lena["resolve"] and not lena["hand_back"] and not lena["escalate"]
    assert lena["note"] and lena["ask"] and lena["category"]
    bob = actions(desk, team["bob"], tid)
    assert bob["take"] and bob["resolve"] and bob["hand_back"]
    assert not bob["close"] and "only resolved tickets" in bob["close"].why_not
    take(desk, team["bob"], tid)
    assert actions(desk, team["bob"], tid)["take"].why_not == f"ticket #{tid} is already yours"
    assert "already taken by bob" in actions(desk, team["sue"], tid)["take"].why_not
    resolve(desk, team["bob"], tid)
    assert actions(desk, team["max"], tid)["close"]
    assert not actions(desk, team["dora"], tid)["close"]
    assert actions(desk, team["max"], tid, reopen_days=10)["reopen"]
    eleven_days = LATER + timedelta(days=11)
    late = actions(desk, team["max"], tid, reopen_days=10, now=eleven_days)["reopen"]
    assert not late and "reopen window" in late.why_not


def test_every_decision_the_screens_get_matches_what_the_services_do(
    desk: Desk, team: dict[str, Actor]
) -> None:
    """The map the TUI shows agrees with the refusals, for every agent and ticket state."""
    escalated = escalated_by_lena(desk, team)
    taken = new(desk, team["lena"])
    take(desk, team["lena"], taken)
    tries: dict[str, Any] = {
        "take": lambda s, a, t: workflow.take_ticket(s, a, t, now=LATER),
        "resolve": lambda s, a, t: workflow.change_status(
            s, a, t, "resolved", note="x", code="solved_permanent", now=LATER
        ),
        "escalate": lambda s, a, t: escalation.escalate_ticket(
            s, a, t, "L3 Security", reason="x", now=LATER
        ),
        "waiting": lambda s, a, t: workflow.change_status(s, a, t, "waiting_customer", now=LATER),
    }
    for tid in (escalated, taken):
        for actor in team.values():
            allowed = actions(desk, actor, tid)
            for action, attempt in tries.items():
                if action == "take" and get(desk, tid).assignee_id == actor.agent_id:
                    continue  # taking one's own ticket again is a harmless no-op
                try:
                    with desk.store.write() as s:
                        attempt(s, actor, tid)
                        raise _Undo
                except _Undo:
                    done = True
                except HelpdeskError:
                    done = False
                assert bool(allowed[action]) == done, (tid, actor.login, action)


class _Undo(Exception):
    """Raised to roll a tried change back."""


def test_taking_someone_elses_ticket_says_who_has_it(desk: Desk, team: dict[str, Actor]) -> None:
    tid = escalated_by_lena(desk, team)
    take(desk, team["bob"], tid)
    with pytest.raises(Conflict, match="already taken by bob"):
        take(desk, team["lena"], tid)
    assert "already taken by bob" in actions(desk, team["lena"], tid)["take"].why_not
