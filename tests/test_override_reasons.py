"""The same rules in the TUI and the CLI: overrides and reopens need a reason in the services,
and the Unassigned view is first-line work (issue 10).

Before, `ticket update --category` and `ticket new --category/--priority` took no reason
and `ticket status ID in_progress` reopened a closed ticket silently, while the TUI asked.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import closure, escalation, queue, workflow
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk import DeskService
from helpdesk_tui.services.queue_types import QueueQuery
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Interaction, Ticket
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()
VPN = "VPN won't connect"  # triage suggests network


def new(desk: Desk, **fields: Any) -> int:
    data = NewTicket(**({"title": VPN} | fields))
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, desk.admin, data, rules=RULES, now=MONDAY_10)
    )
    return int(ticket.id or 0)


def get(desk: Desk, tid: int) -> Ticket:
    with desk.store.read() as s:
        found = s.get(Ticket, tid)
        assert found is not None
        return found


def entries(desk: Desk, tid: int, kind: str) -> list[str]:
    with desk.store.read() as s:
        return list(
            s.scalars(
                sa.select(Interaction.text).where(
                    Interaction.ticket_id == tid, Interaction.kind == kind
                )
            )
        )


def update(desk: Desk, tid: int, changes: dict[str, Any], reason: str = "") -> None:
    desk.store.run_write(
        lambda s: workflow.update_ticket(s, desk.admin, tid, changes, reason=reason)
    )


def count_tickets(desk: Desk) -> int:
    with desk.store.read() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)


# -- at intake ------------------------------------------------------------------------
def test_a_category_other_than_the_suggestion_needs_a_reason_at_intake(desk: Desk) -> None:
    with pytest.raises(UsageError, match="category hardware overrides the suggested network"):
        new(desk, category="hardware")
    assert count_tickets(desk) == 0  # nothing half-written
    tid = new(desk, category="hardware", category_reason="the docking station, not the VPN")
    assert get(desk, tid).category == "hardware"
    assert get(desk, tid).suggested_category == "network"
    assert entries(desk, tid, "category") == [
        "category hardware chosen over suggested network; reason: the docking station, not the VPN"
    ]
    # Choosing the suggestion, or anything when triage had none, is no override.
    assert new(desk, category="network")
    assert new(desk, title="zzz qqq", category="consulting")


def test_a_priority_override_at_intake_needs_a_reason(desk: Desk) -> None:
    with pytest.raises(UsageError, match="overrides the matrix"):
        new(desk, priority="critical")
    with pytest.raises(UsageError, match="overrides the matrix"):
        new(desk, priority="critical", priority_reason="  ")
    assert count_tickets(desk) == 0


# -- later ----------------------------------------------------------------------------
def test_changing_the_category_away_from_the_suggestion_needs_a_reason(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(UsageError, match="overrides the suggested network; give a reason"):
        update(desk, tid, {"category": "software"})
    assert get(desk, tid).category == "network" and get(desk, tid).version == 1
    update(desk, tid, {"category": "software"}, reason="the client crashes")
    update(desk, tid, {"category": "hardware"}, reason="it is the dock after all")
    update(desk, tid, {"category": "network"})  # back to the suggestion: no reason needed
    assert entries(desk, tid, "category") == [
        "category: network -> software; reason: the client crashes",
        "category: software -> hardware; reason: it is the dock after all",
        "category: hardware -> network",
    ]
    assert not workflow.category_overrides(None, "hardware")  # no suggestion, no override


def test_reopening_needs_a_reason_on_every_path(desk: Desk, tmp_path: Path) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "resolved", note="reset", code="solved_permanent", now=MONDAY_10
        )
    )
    desk.store.run_write(
        lambda s: closure.confirm_resolution(s, desk.admin, tid, "phone", now=MONDAY_10)
    )
    with pytest.raises(UsageError, match=f"reopening ticket #{tid} needs a reason"):
        desk.store.run_write(
            lambda s: workflow.change_status(s, desk.admin, tid, "in_progress", now=MONDAY_10)
        )
    # The TUI's facade goes through the same service.
    facade = DeskService(
        desk.store,
        desk.admin.login,
        clock=lambda: MONDAY_10 + timedelta(hours=1),
    )
    try:
        with pytest.raises(UsageError, match="needs a reason"):
            facade.change_status(tid, "in_progress")
        assert get(desk, tid).status == "closed"
        facade.change_status(tid, "in_progress", note="the VPN drops again")
    finally:
        facade.close()
    assert get(desk, tid).status == "in_progress" and get(desk, tid).reopen_count == 1


# -- the Unassigned view --------------------------------------------------------------
def ids(desk: Desk, actor: Actor, view: str) -> tuple[list[int], int]:
    query = QueueQuery(view=view)
    with desk.store.read() as s:
        page = queue.fetch_page(s, actor, query, now=MONDAY_10)
        return [row.id for row in page.rows], queue.count(s, actor, query)


def test_the_unassigned_view_is_first_line_work(desk: Desk) -> None:
    lena = desk.add_agent("lena", "agent", groups=("Service Desk",))
    desk.add_agent("sue", "supervisor")
    plain, desk_group, to_l2, to_l3, to_sue, handed_back = (new(desk) for _ in range(6))
    update(desk, desk_group, {"group": "Service Desk"})
    for tid, group in ((to_l2, "L2 Network"), (to_l3, "L3 Security"), (handed_back, "L2 Network")):
        desk.store.run_write(
            lambda s, t=tid, g=group: escalation.escalate_ticket(
                s, desk.admin, t, g, reason="beyond first line", now=MONDAY_10
            )
        )
    desk.store.run_write(
        lambda s: escalation.escalate_ticket(
            s, desk.admin, to_sue, None, reason="VIP", to_supervisor=True, now=MONDAY_10
        )
    )
    desk.store.run_write(
        lambda s: escalation.hand_back(s, desk.admin, handed_back, "a first-line fix")
    )
    shown, counted = ids(desk, lena, "unassigned")
    assert sorted(shown) == [plain, desk_group] and counted == 2
    # handed back to its escalating agent (the admin): first-line work again, but assigned
    assert get(desk, handed_back).assignee_id == desk.admin.agent_id
    escalated, _ = ids(desk, lena, "escalated")
    assert {to_l2, to_l3, to_sue} <= set(escalated)  # still in sight, where they belong
    bob = desk.add_agent("bob", "engineer", groups=("L2 Network",))
    assert ids(desk, bob, "group")[0] == [to_l2]


def test_the_header_breach_clock_ignores_other_groups_unassigned_work(desk: Desk) -> None:
    desk.add_agent("lena", "agent", groups=("Service Desk",))
    urgent = new(desk, title="whole site has no network", impact_scope="site")
    mine = new(desk)
    desk.store.run_write(
        lambda s: escalation.escalate_ticket(
            s, desk.admin, urgent, "L2 Network", reason="core switch", now=MONDAY_10
        )
    )
    facade = DeskService(desk.store, "lena", clock=lambda: MONDAY_10)
    try:
        nearest = facade.nearest_breach()
    finally:
        facade.close()
    assert nearest is not None and nearest.ticket_id == mine
