"""Ticket lifecycle service: recording, changes, transitions, log and audit rows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk_tui.errors import Conflict, NotFound, PermissionDenied, UsageError
from helpdesk_tui.services import closure, views, workflow
from helpdesk_tui.services.lifecycle import InvalidTransition
from helpdesk_tui.services.tickets import NewTicket, StaleTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Audit, Interaction, Ticket
from tests.conftest import MONDAY_10, Desk

RULES = RuleSet.default()


def new(desk: Desk, actor=None, **fields) -> int:  # type: ignore[no-untyped-def]
    data = NewTicket(**({"title": "Printer on 3rd floor is offline"} | fields))
    ticket = desk.store.run_write(
        lambda s: create_ticket(s, actor or desk.admin, data, rules=RULES, now=MONDAY_10)
    )
    assert ticket.id is not None
    return ticket.id


def get(desk: Desk, ticket_id: int) -> Ticket:
    with desk.store.read() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def log_kinds(desk: Desk, ticket_id: int) -> list[str]:
    with desk.store.read() as s:
        return list(
            s.scalars(
                sa.select(Interaction.kind)
                .where(Interaction.ticket_id == ticket_id)
                .order_by(Interaction.id)
            )
        )


def audits(desk: Desk, ticket_id: int) -> list[str]:
    with desk.store.read() as s:
        return list(
            s.scalars(
                sa.select(Audit.action)
                .where(Audit.entity == "ticket", Audit.entity_id == str(ticket_id))
                .order_by(Audit.id)
            )
        )


def test_create_uses_triage_and_matrix(desk: Desk) -> None:
    tid = new(desk, body="nobody on the floor can print", channel="email")
    t = get(desk, tid)
    assert t.category == "hardware"
    assert t.suggested_category == "hardware"
    assert t.status == "new" and t.version == 1
    assert t.priority == t.suggested_priority and not t.priority_overridden
    assert t.response_due is not None and t.resolve_due is not None
    assert t.resolve_due > t.response_due > t.created_at
    assert t.first_response_at is None  # mail: nobody has answered yet
    assert log_kinds(desk, tid) == ["created"]
    assert audits(desk, tid) == ["ticket.create"]


def test_phone_intake_counts_as_first_response(desk: Desk) -> None:
    t = get(desk, new(desk, channel="phone"))
    assert t.first_response_at == MONDAY_10


def test_whole_site_outage_is_high_impact(desk: Desk) -> None:
    t = get(desk, new(desk, title="Network is down for the whole site", impact_scope="site"))
    assert t.impact == "high"
    assert t.priority in ("critical", "high")


def test_category_override_is_logged(desk: Desk) -> None:
    tid = new(desk, category="other", category_reason="the caller asked about a form")
    assert get(desk, tid).category == "other"
    assert log_kinds(desk, tid) == ["created", "category"]


def test_priority_override_at_intake_is_logged_with_reason(desk: Desk) -> None:
    tid = new(desk, priority="critical", priority_reason="CEO's printer")
    t = get(desk, tid)
    assert t.priority == "critical" and t.priority_overridden
    with desk.store.read() as s:
        text = s.scalars(
            sa.select(Interaction.text).where(
                Interaction.ticket_id == tid, Interaction.kind == "priority"
            )
        ).one()
    assert "CEO's printer" in text and "-> critical" in text


@pytest.mark.parametrize(
    ("field", "value", "listed"),
    [
        ("category", "printers", "hardware"),
        ("priority", "urgent", "critical"),
        ("channel", "pigeon", "walk_in"),
        ("kind", "problem", "service_request"),
        ("impact_scope", "planet", "organisation"),
    ],
)
def test_unknown_values_list_the_valid_ones(
    desk: Desk, field: str, value: str, listed: str
) -> None:
    with pytest.raises(UsageError, match=listed) as err:
        new(desk, **{field: value})
    assert value in str(err.value)


def test_empty_title_refused(desk: Desk) -> None:
    with pytest.raises(UsageError, match="title"):
        new(desk, title="   ")


def test_first_contact_resolution_and_close(desk: Desk) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s,
            desk.admin,
            tid,
            "resolved",
            note="power-cycled the printer",
            code="solved_permanent",
            now=MONDAY_10,
        )
    )
    t = get(desk, tid)
    assert t.status == "resolved" and t.resolution == "power-cycled the printer"
    assert t.resolved_at == MONDAY_10 and t.version == 2 and t.resolution_code == "solved_permanent"
    # Closing is the requester's confirmation, not a plain status change (issue 6).
    with pytest.raises(UsageError, match="ticket confirm"):
        desk.store.run_write(lambda s: workflow.change_status(s, desk.admin, tid, "closed"))
    desk.store.run_write(lambda s: closure.confirm_resolution(s, desk.admin, tid, "phone"))
    assert get(desk, tid).status == "closed"
    assert log_kinds(desk, tid) == ["created", "resolution", "status"]
    assert audits(desk, tid) == ["ticket.create", "ticket.status", "ticket.confirm"]


def test_resolve_needs_summary(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(UsageError, match="resolution summary"):
        desk.store.run_write(lambda s: workflow.change_status(s, desk.admin, tid, "resolved"))
    assert get(desk, tid).status == "new"


def test_invalid_transition_names_allowed_ones(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(InvalidTransition) as err:
        desk.store.run_write(lambda s: workflow.change_status(s, desk.admin, tid, "closed"))
    message = str(err.value)
    assert "new" in message and "closed" in message
    assert "in_progress, waiting_customer, escalated, resolved, cancelled" in message


def test_closed_reopens_only_within_the_window(desk: Desk) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "resolved", note="fixed", code="solved_permanent", now=MONDAY_10
        )
    )
    desk.store.run_write(
        lambda s: closure.confirm_resolution(s, desk.admin, tid, "mail", now=MONDAY_10)
    )
    late = MONDAY_10 + timedelta(days=11)
    with pytest.raises(Conflict, match=f"record a new ticket referencing #{tid}"):
        desk.store.run_write(
            lambda s: workflow.change_status(
                s, desk.admin, tid, "in_progress", note="broken again", now=late
            )
        )
    assert get(desk, tid).status == "closed"


def test_reopen_counts(desk: Desk) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "resolved", note="fixed", code="solved_workaround"
        )
    )
    desk.store.run_write(
        lambda s: workflow.change_status(s, desk.admin, tid, "in_progress", note="still broken")
    )
    t = get(desk, tid)
    assert t.status == "in_progress" and t.reopen_count == 1 and t.resolved_at is None


def test_waiting_customer_pauses_and_resume_extends_due(desk: Desk) -> None:
    tid = new(desk, channel="email")
    due = get(desk, tid).resolve_due
    assert due is not None
    desk.store.run_write(
        lambda s: workflow.change_status(s, desk.admin, tid, "waiting_customer", now=MONDAY_10)
    )
    paused = get(desk, tid)
    assert paused.sla_paused_at == MONDAY_10
    later = MONDAY_10 + timedelta(hours=3)
    desk.store.run_write(
        lambda s: workflow.change_status(s, desk.admin, tid, "in_progress", now=later)
    )
    resumed = get(desk, tid)
    assert resumed.sla_paused_at is None
    assert resumed.sla_paused_s == pytest.approx(3 * 3600)
    assert resumed.resolve_due is not None and resumed.resolve_due > due


def test_take_is_atomic_and_second_agent_conflicts(desk: Desk) -> None:
    alice = desk.add_agent("alice")
    bob = desk.add_agent("bob")
    tid = new(desk, channel="email")
    desk.store.run_write(lambda s: workflow.take_ticket(s, alice, tid, now=MONDAY_10))
    t = get(desk, tid)
    assert t.assignee_id == alice.agent_id and t.status == "in_progress"
    assert t.first_response_at == MONDAY_10
    with pytest.raises(Conflict, match="already taken by alice"):
        desk.store.run_write(lambda s: workflow.take_ticket(s, bob, tid))
    with pytest.raises(NotFound):
        desk.store.run_write(lambda s: workflow.take_ticket(s, bob, 9999))


def test_stale_version_is_a_conflict_not_an_overwrite(desk: Desk) -> None:
    tid = new(desk)
    seen = get(desk, tid).version
    desk.store.run_write(
        lambda s: workflow.update_ticket(s, desk.admin, tid, {"title": "Printer jam"})
    )
    with pytest.raises(StaleTicket) as err:
        desk.store.run_write(
            lambda s: workflow.update_ticket(
                s, desk.admin, tid, {"title": "mine"}, expected_version=seen
            )
        )
    assert err.value.exit_code == 4
    assert get(desk, tid).title == "Printer jam"


def test_notes_do_not_bump_version_but_are_logged(desk: Desk) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.add_interaction(
            s, desk.admin, tid, "call", "rang back", handle_seconds=90
        )
    )
    t = get(desk, tid)
    assert t.version == 1
    with desk.store.read() as s:
        entry = s.scalars(sa.select(Interaction).where(Interaction.kind == "call")).one()
    assert entry.handle_seconds == 90 and entry.text == "rang back"
    assert audits(desk, tid)[-1] == "ticket.call"


def test_priority_override_needs_reason_and_permission(desk: Desk) -> None:
    tid = new(desk)
    t = get(desk, tid)
    target = "critical" if t.priority != "critical" else "low"
    with pytest.raises(UsageError, match="reason"):
        desk.store.run_write(
            lambda s: workflow.update_ticket(s, desk.admin, tid, {"priority": target})
        )
    desk.store.run_write(
        lambda s: workflow.update_ticket(
            s, desk.admin, tid, {"priority": target}, reason="board meeting in 10 minutes"
        )
    )
    after = get(desk, tid)
    assert after.priority == target and after.priority_overridden
    assert after.resolve_due != t.resolve_due  # the clock restarted on the new policy


def test_impact_change_rederives_priority(desk: Desk) -> None:
    tid = new(desk, title="Word keeps crashing", channel="email")
    before = get(desk, tid).priority
    desk.store.run_write(
        lambda s: workflow.update_ticket(
            s, desk.admin, tid, {"impact_scope": "organisation", "urgency": "high"}
        )
    )
    after = get(desk, tid)
    assert after.impact == "high" and after.priority == "critical" != before


def test_update_logs_each_field_and_audits(desk: Desk) -> None:
    tid = new(desk)
    desk.store.run_write(
        lambda s: workflow.update_ticket(
            s,
            desk.admin,
            tid,
            {"error_codes": "0x80070005", "tried": "restart", "category": "software"},
            reason="the VPN client crashes, not the network",
        )
    )
    kinds = log_kinds(desk, tid)
    assert kinds.count("update") == 2 and kinds.count("category") == 1
    with desk.store.read() as s:
        detail = s.scalars(sa.select(Audit.detail).where(Audit.action == "ticket.update")).one()
    assert json.loads(detail)["error_codes"] == "0x80070005"


def test_agent_cannot_cancel_or_assign_others(desk: Desk) -> None:
    alice = desk.add_agent("alice")
    desk.add_agent("bob")
    tid = new(desk)
    with pytest.raises(PermissionDenied, match="ticket.cancel"):
        desk.store.run_write(lambda s: workflow.change_status(s, alice, tid, "cancelled"))
    with pytest.raises(PermissionDenied, match="ticket.assign"):
        desk.store.run_write(lambda s: workflow.update_ticket(s, alice, tid, {"assignee": "bob"}))
    # taking it yourself through assignment is fine
    desk.store.run_write(lambda s: workflow.update_ticket(s, alice, tid, {"assignee": "alice"}))


def test_failed_change_leaves_nothing_half_written(desk: Desk) -> None:
    tid = new(desk)
    with pytest.raises(UsageError):
        desk.store.run_write(
            lambda s: workflow.update_ticket(
                s, desk.admin, tid, {"title": "new title", "category": "nonsense"}
            )
        )
    assert get(desk, tid).title == "Printer on 3rd floor is offline"
    assert log_kinds(desk, tid) == ["created"]


def test_detail_has_sla_and_log(desk: Desk) -> None:
    tid = new(desk, requester="jane.doe@example.com")
    with desk.store.read() as s:
        detail = views.ticket_detail(s, desk.admin, tid, MONDAY_10)
    assert detail["sla"]["state"] == "ok"
    assert set(detail["sla"]) >= {"response_due", "resolve_due", "state"}
    assert detail["requester"]["email"] == "jane.doe@example.com"
    assert [e["kind"] for e in detail["log"]] == ["created"]


def test_list_orders_by_due_and_filters(desk: Desk) -> None:
    low = new(desk, title="How do I change my desktop background?", channel="email")
    crit = new(desk, title="Email down for the whole company", impact_scope="organisation")
    with desk.store.read() as s:
        rows = views.list_tickets(s, desk.admin, now=MONDAY_10)
        assert [r.id for r in rows][:2] == [crit, low]
        assert [r.id for r in views.list_tickets(s, desk.admin, now=MONDAY_10, mine=True)] == []
