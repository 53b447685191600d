"""The SLA watcher with a frozen clock: thresholds, once-only, recipients, rules, config.

Runs on SQLite and, with HELPDESK_TEST_PG_URL set, on PostgreSQL (the `desk` fixture).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import NotFound, PermissionDenied, UsageError
from helpdesk_tui.services import (
    closure,
    desk_policy,
    monitor,
    monitor_config,
    sla_rules,
    workflow,
)
from helpdesk_tui.services.monitor import AutoEscalateRule, WatchReport
from helpdesk_tui.services.sla import SlaBook, sla_status
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Agent, Audit, Interaction, Ticket
from helpdesk_tui.store.models.monitoring import Notification, SlaAutoEscalation, SlaEvent
from tests.conftest import MONDAY_10, Desk

T0 = MONDAY_10  # Monday 10:00 UTC = 11:00 in Berlin, the desk's business calendar
RULES = RuleSet.default()


def new_ticket(
    desk: Desk,
    *,
    priority: str = "critical",
    channel: str = "email",
    group: str | None = None,
    category: str = "network",
    at: datetime = T0,
    title: str = "Core switch down",
) -> int:
    """A ticket; e-mail tickets start without a first response, phone ones with one."""
    data = NewTicket(
        title=title,
        channel=channel,
        priority=priority,
        category=category,
        group=group,
        priority_reason="as the scenario needs",
        category_reason="as the scenario needs",
    )
    ticket = desk.store.run_write(lambda s: create_ticket(s, desk.admin, data, rules=RULES, now=at))
    assert ticket.id is not None
    return int(ticket.id)


def watch(
    desk: Desk,
    now: datetime,
    rules: Sequence[AutoEscalateRule] = (),
    backlog: timedelta | None = None,
) -> WatchReport:
    """One pass as the admin, after storing `rules` (those not there yet) and `backlog`
    as the desk's policy."""

    def work(s: Session) -> WatchReport:
        have = {r.rule.name for r in sla_rules.list_rules(s, desk.admin)}
        for rule in rules:
            if rule.name not in have:
                sla_rules.add_rule(s, desk.admin, rule, now=now)
        if backlog is not None:
            hours = backlog.total_seconds() / 3600
            desk_policy.set_policy(s, desk.admin, {"backlog_hours": hours}, now=now)
        return monitor.watch_once(s, now, actor=desk.admin)

    return desk.store.run_write(work)


def events(desk: Desk, ticket_id: int | None = None) -> set[tuple[str, str]]:
    with desk.store.read() as s:
        query = sa.select(col(SlaEvent.clock), col(SlaEvent.level))
        if ticket_id is not None:
            query = query.where(col(SlaEvent.ticket_id) == ticket_id)
        return {(r[0], r[1]) for r in s.execute(query)}


def notes(desk: Desk) -> list[tuple[str, int | None, str]]:
    """(login, ticket id, kind) of every notification, oldest first."""
    with desk.store.read() as s:
        rows = s.execute(
            sa.select(col(Agent.login), col(Notification.ticket_id), col(Notification.kind))
            .join(Agent, col(Agent.id) == col(Notification.agent_id))
            .order_by(col(Notification.id))
        )
        return [(r[0], r[1], r[2]) for r in rows]


def sla_log(desk: Desk, ticket_id: int) -> list[str]:
    with desk.store.read() as s:
        return list(
            s.scalars(
                sa.select(col(Interaction.text))
                .where(col(Interaction.ticket_id) == ticket_id, col(Interaction.kind) == "sla")
                .order_by(col(Interaction.id))
            )
        )


@pytest.fixture
def team(desk: Desk) -> Desk:
    """A supervisor, two L2 Network engineers, an L1 agent elsewhere, one inactive member."""
    desk.add_agent("sue", "supervisor")
    desk.add_agent("bob", "engineer", groups=("L2 Network",))
    desk.add_agent("cat", "engineer", groups=("L2 Network",))
    desk.add_agent("dan", "agent", groups=("Service Desk",))
    desk.add_agent("old", "engineer", groups=("L2 Network",))
    desk.store.run_write(
        lambda s: s.execute(sa.update(Agent).where(col(Agent.login) == "old").values(active=False))
    )
    return desk


# --------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (11 * 60, set()),
        (11 * 60 + 14, set()),
        (11 * 60 + 15, {("response", "warning")}),  # 75 % of 15 min, exactly
        (14 * 60 + 59, {("response", "warning")}),
        (15 * 60, {("response", "warning"), ("response", "breach")}),
    ],
)
def test_response_thresholds(desk: Desk, seconds: int, expected: set[tuple[str, str]]) -> None:
    tid = new_ticket(desk)  # critical: respond within 15 min, 24x7
    watch(desk, T0 + timedelta(seconds=seconds))
    assert events(desk, tid) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (179, set()),
        (180, {("resolution", "warning")}),  # 3 h of 4 h
        (239, {("resolution", "warning")}),
        (240, {("resolution", "warning"), ("resolution", "breach")}),
        (60 * 24 * 3, {("resolution", "warning"), ("resolution", "breach")}),
    ],
)
def test_resolution_thresholds(desk: Desk, minutes: int, expected: set[tuple[str, str]]) -> None:
    tid = new_ticket(desk, channel="phone")  # answered on the phone: only resolution runs
    watch(desk, T0 + timedelta(minutes=minutes), backlog=timedelta(days=30))
    assert events(desk, tid) == expected


def test_watcher_agrees_with_the_sla_badge_minute_by_minute(desk: Desk) -> None:
    """The watcher's arithmetic is the badge's: same warning and breach instants."""
    tid = new_ticket(desk, priority="high", channel="phone")  # business hours, 8 h
    with desk.store.read() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        terms = SlaBook.load(s).terms("high")
    first: dict[str, datetime] = {}
    now = T0
    while now < T0 + timedelta(days=2):
        badge = sla_status(
            terms,
            now=now,
            created_at=ticket.created_at,
            response_due=None,
            resolve_due=ticket.resolve_due,
            first_response_at=None,
            resolved_at=None,
            paused_at=None,
        ).state
        first.setdefault(badge, now)
        now += timedelta(minutes=30)
    for state, level in (("warning", "warning"), ("breached", "breach")):
        at = first[state]
        assert ("resolution", level) not in events(desk, tid)
        watch(desk, at - timedelta(minutes=30), backlog=timedelta(days=30))
        assert ("resolution", level) not in events(desk, tid)
        watch(desk, at, backlog=timedelta(days=30))
        assert ("resolution", level) in events(desk, tid)


def test_business_hours_warning_seen_over_the_weekend(desk: Desk) -> None:
    """Due Monday 09:00 local, seen Friday 17:30 local: 63 wall hours but 1.5 business
    hours left of 8 (81 % used). A wall-time candidate filter would miss it."""
    friday_11_local = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    tid = new_ticket(desk, priority="high", channel="phone", at=friday_11_local)
    with desk.store.read() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None and ticket.resolve_due == datetime(2026, 11, 23, 8, tzinfo=UTC)
    watch(desk, datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # 17:00 local: 75 % exactly
    assert events(desk, tid) == {("resolution", "warning")}


def test_paused_ticket_does_not_warn_and_resumes_where_it_stopped(desk: Desk) -> None:
    tid = new_ticket(desk, channel="phone")
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "waiting_customer", note="asked", now=T0 + timedelta(hours=1)
        )
    )
    watch(desk, T0 + timedelta(hours=8))  # 8 h later: would be long breached if running
    assert events(desk, tid) == set()
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "in_progress", note="answer", now=T0 + timedelta(hours=8)
        )
    )
    watch(desk, T0 + timedelta(hours=9, minutes=59))  # 2 h 59 min of clock used
    assert events(desk, tid) == set()
    watch(desk, T0 + timedelta(hours=10))  # 3 h of 4 h
    assert events(desk, tid) == {("resolution", "warning")}


def test_resolved_and_answered_tickets_raise_nothing(desk: Desk) -> None:
    answered = new_ticket(desk, channel="phone")
    solved = new_ticket(desk)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, solved, "resolved", note="fixed", code="solved_permanent", now=T0
        )
    )
    watch(desk, T0 + timedelta(minutes=20))
    assert events(desk, answered) == set() and events(desk, solved) == set()


# --------------------------------------------------------------------------- once only


def test_each_crossing_recorded_and_announced_once(team: Desk) -> None:
    tid = new_ticket(team, channel="phone", group="L2 Network")
    for minutes in (180, 185, 200, 239):
        watch(team, T0 + timedelta(minutes=minutes))
    assert events(team, tid) == {("resolution", "warning")}
    warned = notes(team)
    assert {n[2] for n in warned} == {"sla_warning"}
    assert len(warned) == len({n[0] for n in warned})  # one per recipient
    for minutes in (240, 241, 300):
        report = watch(team, T0 + timedelta(minutes=minutes))
        assert report.events == [] or minutes == 240
    assert events(team, tid) == {("resolution", "warning"), ("resolution", "breach")}
    assert len(notes(team)) == 2 * len(warned)
    assert len(sla_log(team, tid)) == 2


def test_two_thresholds_in_one_pass_make_one_notice_per_person(team: Desk) -> None:
    tid = new_ticket(team, group="L2 Network")  # both clocks run
    report = watch(team, T0 + timedelta(hours=5))
    assert {(e.clock, e.level) for e in report.events} == {
        ("response", "warning"),
        ("response", "breach"),
        ("resolution", "warning"),
        ("resolution", "breach"),
    }
    sent = notes(team)
    assert sorted(n[0] for n in sent) == ["bob", "cat", "sue"]
    assert {n[2] for n in sent} == {"sla_breach"}
    (entry,) = sla_log(team, tid)
    assert "response SLA breached" in entry and "resolution SLA breached" in entry


def test_two_watchers_at_once_record_and_notify_once(team: Desk) -> None:
    new_ticket(team, group="L2 Network")
    new_ticket(team, channel="phone", group="L2 Network")
    now = T0 + timedelta(hours=5)
    start = threading.Barrier(2)
    reports: list[WatchReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(watch(team, now))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(len(r.events) for r in reports) == 6
    assert sorted(n[0] for n in notes(team)) == ["bob", "bob", "cat", "cat", "sue", "sue"]


def test_a_raced_insert_is_not_announced(team: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two watchers that read the same candidates: only the insert that won notifies."""
    new_ticket(team, group="L2 Network")
    now = T0 + timedelta(hours=5)
    seen: list[Any] = []
    real = monitor._candidates

    def same_snapshot(*args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append(real(*args, **kwargs))
        return seen[0]

    monkeypatch.setattr(monitor, "_candidates", same_snapshot)
    monkeypatch.setattr(monitor, "_recorded", lambda session, ids: (set(), set()))
    first = watch(team, now)
    second = watch(team, now)
    assert len(first.events) == 4 and second.events == [] and second.notifications == 0
    assert len(notes(team)) == 3


# --------------------------------------------------------------------------- recipients


def test_recipients_are_assignee_group_and_supervisors(team: Desk) -> None:
    tid = new_ticket(team, channel="phone", group="L2 Network")
    team.store.run_write(
        lambda s: workflow.update_ticket(s, team.admin, tid, {"assignee": "dan"}, now=T0)
    )
    watch(team, T0 + timedelta(hours=3))
    # dan (assignee), bob and cat (group; old is inactive), sue (supervisor); not the admin.
    assert sorted(n[0] for n in notes(team)) == ["bob", "cat", "dan", "sue"]
    assert {n[1] for n in notes(team)} == {tid}


def test_old_backlog_is_recorded_and_summarised(team: Desk) -> None:
    old = new_ticket(team, channel="phone", group="L2 Network", at=T0 - timedelta(days=3))
    fresh = new_ticket(team, channel="phone", group="L2 Network", at=T0 - timedelta(hours=4))
    report = watch(team, T0 + timedelta(minutes=1))
    assert (
        events(team, old)
        == events(team, fresh)
        == {
            ("resolution", "warning"),
            ("resolution", "breach"),
        }
    )
    assert report.backlog == 2
    sent = notes(team)
    assert ("sue", None, "sla_backlog") in sent
    assert [n for n in sent if n[1] == old] == []
    assert sorted(n[0] for n in sent if n[1] == fresh) == ["bob", "cat", "sue"]
    assert sla_log(team, old)  # logged on the ticket all the same
    assert watch(team, T0 + timedelta(minutes=2)).notifications == 0


# --------------------------------------------------------------------------- auto-escalation


def rule(**table: Any) -> AutoEscalateRule:
    return monitor_config.parse_rule(1, {"name": "r1", **table})


def test_no_response_rule_goes_to_a_supervisor_once(team: Desk) -> None:
    critical = new_ticket(team, group="L2 Network")
    answered = new_ticket(team, channel="phone")
    high = new_ticket(team, priority="high")
    rules = [rule(priority="critical", no_response_minutes=15, to="supervisor")]
    assert watch(team, T0 + timedelta(minutes=14), rules).escalations == []
    report = watch(team, T0 + timedelta(minutes=16), rules)
    assert [h.ticket_id for h in report.escalations] == [critical]
    assert watch(team, T0 + timedelta(minutes=30), rules).escalations == []
    with team.store.read() as s:
        ticket = s.get(Ticket, critical)
        assert ticket is not None
        sue = s.scalar(sa.select(col(Agent.id)).where(col(Agent.login) == "sue"))
        assert ticket.status == "escalated" and ticket.assignee_id == sue
        assert ticket.first_response_at is None  # the system is nobody's response
        audit = s.scalars(sa.select(col(Audit.action)).where(col(Audit.entity_id) == str(critical)))
        assert "ticket.auto_escalate" in list(audit)
        fired = s.scalars(sa.select(col(SlaAutoEscalation.ticket_id))).all()
    assert fired == [critical]
    assert ("sue", critical, "escalation") in notes(team)
    assert answered not in fired and high not in fired


def test_breach_rule_escalates_to_a_group(team: Desk) -> None:
    team.add_agent("ivy", "engineer", groups=("L3 Infrastructure",))
    tid = new_ticket(team, channel="phone", group="Service Desk")
    rules = [rule(on="breach", clock="resolution", to_group="L3 Infrastructure")]
    assert watch(team, T0 + timedelta(hours=3), rules).escalations == []  # warning only
    report = watch(team, T0 + timedelta(hours=4), rules)
    assert [(h.ticket_id, h.action) for h in report.escalations] == [
        (tid, "escalated to L3 Infrastructure")
    ]
    with team.store.read() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None and ticket.status == "escalated"
        assert ticket.escalation_count == 1
    assert ("ivy", tid, "escalation") in notes(team)


def test_rules_fire_on_fresh_events_only_not_on_the_backlog(team: Desk) -> None:
    tid = new_ticket(team, channel="phone", at=T0 - timedelta(days=5))
    rules = [rule(on="breach", to="supervisor")]
    assert watch(team, T0, rules).escalations == []
    with team.store.read() as s:
        action = s.scalar(
            sa.select(col(SlaAutoEscalation.action)).where(col(SlaAutoEscalation.ticket_id) == tid)
        )
        status = s.scalar(sa.select(col(Ticket.status)).where(col(Ticket.id) == tid))
    assert action is not None and action.startswith("not applied")
    assert status != "escalated"


def test_a_failing_escalation_does_not_stop_the_pass(desk: Desk) -> None:
    """No supervisor on this desk: the rule fails for the ticket, the events still land."""
    tid = new_ticket(desk)
    rules = [rule(no_response_minutes=15, to="supervisor")]
    report = watch(desk, T0 + timedelta(minutes=20), rules)
    assert ("response", "breach") in events(desk, tid)
    assert [h.action.split(":")[0] for h in report.escalations] == ["failed"]
    assert any("failed" in text for text in sla_log(desk, tid))


def test_rules_name_an_existing_l2_l3_group(desk: Desk) -> None:
    with pytest.raises(UsageError, match="unknown group 'L9'; valid: "):
        watch(desk, T0, [rule(on="breach", to_group="L9")])
    with pytest.raises(UsageError, match="first-line group"):
        watch(desk, T0, [rule(on="breach", to_group="Service Desk")])
    with pytest.raises(UsageError, match="unknown category 'plumbing'"):
        watch(desk, T0, [rule(on="breach", to="supervisor", category="plumbing")])


# --------------------------------------------------------------------------- legacy config


def test_legacy_config_format() -> None:
    """The old [sla] table, read only by `helpdesk policy import` now."""
    config = monitor_config.parse_legacy_sla(
        {
            "sla": {
                "backlog_hours": 6,
                "auto_escalate": [
                    {
                        "name": "p1-silent",
                        "priority": "critical",
                        "no_response_minutes": 15,
                        "to": "supervisor",
                    },
                    {
                        "priority": ["critical", "high"],
                        "category": "network",
                        "on": "warning",
                        "clock": "response",
                        "to_group": "L3 Infrastructure",
                    },
                ],
            }
        }
    )
    first, second = config.rules
    assert config.backlog == timedelta(hours=6)
    assert first.to_supervisor and first.no_response_minutes == 15
    assert first.describe() == "no response after 15 min -> the supervisors"
    assert second.name == "rule-2" and second.priorities == ("critical", "high")
    assert second.matches("high", "network") and not second.matches("low", "network")
    assert not second.matches("high", "hardware")
    assert monitor_config.parse_legacy_sla({}).rules == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"to": "supervisor"}, "exactly one trigger"),
        ({"no_response_minutes": 5, "on": "breach", "to": "supervisor"}, "exactly one trigger"),
        ({"no_response_minutes": 0, "to": "supervisor"}, "whole number from 1"),
        ({"no_response_minutes": "15", "to": "supervisor"}, "whole number from 1"),
        ({"on": "late", "to": "supervisor"}, "on must be one of warning, breach"),
        ({"on": "breach", "clock": "wall", "to": "supervisor"}, "clock must be one of"),
        ({"no_response_minutes": 5, "clock": "response", "to": "supervisor"}, "a clock goes"),
        ({"on": "breach"}, "exactly one target"),
        ({"on": "breach", "to": "boss"}, 'to must be "supervisor"'),
        ({"on": "breach", "to": "supervisor", "to_group": "L3"}, "exactly one target"),
        ({"on": "breach", "to_group": ""}, "the target group must be a group name"),
        ({"on": "breach", "to": "supervisor", "priority": "urgent"}, "unknown priority"),
        ({"on": "breach", "to": "supervisor", "priority": []}, "a name or a list"),
        ({"on": "breach", "to": "supervisor", "colour": "red"}, "unknown key 'colour'"),
        ({"on": "breach", "to": "supervisor", "name": ""}, "the name must be"),
    ],
)
def test_bad_rules_are_one_line_usage_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        monitor_config.parse_legacy_sla({"sla": {"auto_escalate": [table]}})
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("[[sla.auto_escalate]] #1")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"sla": "x"}, r"\[sla\] must be a table"),
        ({"sla": {"auto_escalate": {"to": "supervisor"}}}, r"\[\[sla.auto_escalate\]\] tables"),
        ({"sla": {"auto_escalate": ["x"]}}, "must be a table"),
        ({"sla": {"backlog_hours": -1}}, "backlog_hours"),
        ({"sla": {"backlog": 3}}, "unknown key 'backlog'"),
        (
            {
                "sla": {
                    "auto_escalate": [
                        {"name": "a", "on": "breach", "to": "supervisor"},
                        {"name": "a", "on": "warning", "to": "supervisor"},
                    ]
                }
            },
            "two rules are named 'a'",
        ),
    ],
)
def test_bad_sla_tables(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        monitor_config.parse_legacy_sla(raw)


# --------------------------------------------------------------------------- notifications


def test_unread_first_mark_read_and_privacy(team: Desk) -> None:
    one = new_ticket(team, channel="phone", group="L2 Network")
    watch(team, T0 + timedelta(hours=3))
    two = new_ticket(team, channel="phone", group="L2 Network", at=T0 + timedelta(hours=2))
    watch(team, T0 + timedelta(hours=4))
    bob, sue = team.actor("bob"), team.actor("sue")
    with team.store.read() as s:
        assert monitor.unread_count(s, bob) == 2
        rows = monitor.list_notifications(s, bob)
    assert [r.ticket_id for r in rows] == [one, one]  # newest first
    assert rows[0].kind == "sla_breach" and rows[0].ticket_title == "Core switch down"
    now = T0 + timedelta(hours=5)
    assert team.store.run_write(lambda s: monitor.mark_read(s, bob, [rows[0].id], now=now)) == 1
    with team.store.read() as s:
        listed = monitor.list_notifications(s, bob)
        assert [r.unread for r in listed] == [True, False]  # unread first
        assert [r.id for r in monitor.list_notifications(s, bob, unread_only=True)] == [rows[1].id]
        assert monitor.unread_count(s, bob) == 1
        assert monitor.unread_count(s, sue) == 2
    with pytest.raises(NotFound, match="no notification"):
        team.store.run_write(lambda s: monitor.mark_read(s, sue, [rows[1].id], now=now))
    assert team.store.run_write(lambda s: monitor.mark_read(s, bob, None, now=now)) == 1
    with team.store.read() as s:
        assert monitor.unread_count(s, bob) == 0
    assert two  # not due yet at 4 h: nothing about it
    assert all(n[1] != two for n in notes(team))


# --------------------------------------------------------------------------- OLA


def test_ola_clocks_of_the_resolver_group(team: Desk) -> None:
    """L2 accepts within 30 business minutes and resolves within a business day."""
    from helpdesk_tui.services.escalation import escalate_ticket

    waiting = new_ticket(team, priority="low", channel="phone")
    taken = new_ticket(team, priority="low", channel="phone")

    def escalate(session: Session, ticket_id: int) -> None:
        escalate_ticket(
            session, team.admin, ticket_id, "L2 Network", reason="needs the network team", now=T0
        )

    team.store.run_write(lambda s: escalate(s, waiting))
    team.store.run_write(lambda s: escalate(s, taken))
    bob = team.actor("bob")
    team.store.run_write(
        lambda s: workflow.take_ticket(s, bob, taken, now=T0 + timedelta(minutes=5))
    )
    watch(team, T0 + timedelta(minutes=23))  # 75 % of 30 min
    assert events(team, waiting) == {("ola_response", "warning")}
    assert events(team, taken) == set()  # accepted: its acceptance clock stopped
    report = watch(team, T0 + timedelta(minutes=30))
    assert {(e.ticket_id, e.clock, e.level) for e in report.events} == {
        (waiting, "ola_response", "breach")
    }
    assert ("bob", waiting, "sla_breach") in notes(team)
    (entry,) = [t for t in sla_log(team, waiting) if "breached" in t]
    assert "OLA acceptance breached" in entry
    watch(team, T0 + timedelta(days=2), backlog=timedelta(days=30))
    assert ("ola", "breach") in events(team, taken)


# --------------------------------------------------------------------------- permission, auto-close


def test_only_supervisors_and_admins_run_the_watcher(team: Desk) -> None:
    new_ticket(team)
    later = T0 + timedelta(hours=5)
    for login in ("dan", "bob"):  # an L1 agent, an L2 engineer
        actor = team.actor(login)
        with pytest.raises(PermissionDenied, match="sla.watch"):
            team.store.run_write(lambda s, a=actor: monitor.watch_once(s, later, actor=a))
    assert events(team) == set() and notes(team) == []  # nothing recorded by the refusals
    sue = team.actor("sue")
    report = team.store.run_write(lambda s: monitor.watch_once(s, later, actor=sue))
    assert report.events


def test_disabled_rules_are_not_applied(team: Desk) -> None:
    tid = new_ticket(team)
    rules = [rule(no_response_minutes=15, to="supervisor")]
    watch(team, T0, rules)
    team.store.run_write(lambda s: sla_rules.set_rule_active(s, team.admin, "r1", False))
    assert watch(team, T0 + timedelta(minutes=20)).escalations == []
    team.store.run_write(lambda s: sla_rules.set_rule_active(s, team.admin, "r1", True))
    report = watch(team, T0 + timedelta(minutes=21))
    assert [h.ticket_id for h in report.escalations] == [tid]


def resolve(desk: Desk, ticket_id: int, at: datetime) -> None:
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, ticket_id, "resolved", note="fixed", code="solved_permanent", now=at
        )
    )


def test_the_watcher_auto_closes_after_the_policys_days_once(desk: Desk) -> None:
    desk.store.run_write(
        lambda s: desk_policy.set_policy(s, desk.admin, {"auto_close_days": 3}, now=T0)
    )
    old, fresh, confirmed = (new_ticket(desk, channel="phone") for _ in range(3))
    resolve(desk, old, T0)
    resolve(desk, confirmed, T0)
    resolve(desk, fresh, T0 + timedelta(days=1))
    desk.store.run_write(
        lambda s: closure.confirm_resolution(s, desk.admin, confirmed, "phone", now=T0)
    )
    assert watch(desk, T0 + timedelta(days=3) - timedelta(seconds=1)).auto_closed == []
    report = watch(desk, T0 + timedelta(days=3))
    assert report.auto_closed == [old] and report.to_dict()["auto_closed"] == [old]
    assert watch(desk, T0 + timedelta(days=3, minutes=1)).auto_closed == []
    assert watch(desk, T0 + timedelta(days=4)).auto_closed == [fresh]
    with desk.store.read() as s:
        ticket = s.get(Ticket, old)
        assert ticket is not None
        assert ticket.status == "closed" and ticket.confirmation_channel == "auto"
        texts = list(
            s.scalars(
                sa.select(col(Interaction.text)).where(
                    col(Interaction.ticket_id) == old, col(Interaction.kind) == "status"
                )
            )
        )
        audits = [
            a.detail
            for a in s.scalars(sa.select(Audit).where(col(Audit.action) == "ticket.autoclose"))
        ]
    assert sum("no reply from the requester within 3 days" in t for t in texts) == 1
    assert [json.loads(d)["ids"] for d in audits] == [[old], [fresh]]
