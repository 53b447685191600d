"""Desk-wide policy in the database: settings, the legacy import, holiday files (issue 11.3).

Runs on SQLite and, with HELPDESK_TEST_PG_URL set, on PostgreSQL (the `desk` fixture).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from helpdesk_tui.errors import PermissionDenied, UsageError
from helpdesk_tui.services import desk_policy, sla_rules, surveys
from helpdesk_tui.services.desk_policy import DEFAULT_POLICY, DeskPolicy
from helpdesk_tui.services.holiday_files import parse_holiday_file
from helpdesk_tui.services.policy_import import import_legacy_policy
from helpdesk_tui.store.models import Audit
from tests.conftest import MONDAY_10, Desk


def policy(desk: Desk) -> DeskPolicy:
    with desk.store.read() as s:
        return desk_policy.load_policy(s)


def test_defaults_then_set_by_an_admin(desk: Desk) -> None:
    assert policy(desk) == DEFAULT_POLICY == DeskPolicy(5, 10, 24.0)
    changes: dict[str, object] = {"auto_close_days": 3, "backlog_hours": 1.5}
    after = desk.store.run_write(
        lambda s: desk_policy.set_policy(s, desk.admin, changes, now=MONDAY_10)
    )
    assert after == policy(desk) == DeskPolicy(3, 10, 1.5)
    with desk.store.read() as s:
        audit = s.scalars(sa.select(Audit).where(col(Audit.action) == "policy.set")).one()
        rows = {r["setting"]: r for r in desk_policy.policy_rows(s)}
    assert json.loads(audit.detail) == {
        "auto_close_days": {"from": 5, "to": 3},
        "backlog_hours": {"from": 24.0, "to": 1.5},
    }
    assert rows["auto_close_days"]["set_by"] == desk.admin.login
    assert rows["reopen_days"]["set_at"] is None and rows["reopen_days"]["value"] == 10


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auto_close_days": 0}, "auto_close_days must be a whole number from 1 to 365"),
        ({"auto_close_days": True}, "whole number"),
        ({"reopen_days": 2.5}, "reopen_days must be a whole number"),
        ({"backlog_hours": -1}, "backlog_hours must be a number of hours from 0"),
        ({"backlog_hours": float("nan")}, "backlog_hours must be a number"),
        ({"colour": 1}, "unknown policy setting 'colour'"),
        ({}, "nothing to change"),
    ],
)
def test_bad_values_change_nothing(desk: Desk, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        desk.store.run_write(
            lambda s: (
                desk_policy.set_policy(s, desk.admin, {"reopen_days": 20, **changes})
                if changes
                else desk_policy.set_policy(s, desk.admin, changes)
            )
        )
    assert policy(desk) == DEFAULT_POLICY


def test_only_admins_set_policy(desk: Desk) -> None:
    for actor in (desk.add_agent("ann", "agent"), desk.add_agent("sue", "supervisor")):
        with pytest.raises(PermissionDenied, match="config.manage"):
            desk.store.run_write(
                lambda s, a=actor: desk_policy.set_policy(s, a, {"auto_close_days": 1})
            )


def test_a_hand_edited_value_falls_back_to_the_default(desk: Desk) -> None:
    desk.store.run_write(
        lambda s: desk_policy.put_value(s, desk.admin, "closure.reopen_days", "many")
    )
    assert policy(desk).reopen_days == 10


# -- moving an old config.toml into the database --------------------------------------------
OLD_CONFIG: dict[str, Any] = {
    "closure": {"auto_close_days": 2, "reopen_days": 7},
    "sla": {
        "backlog_hours": 6,
        "auto_escalate": [
            {"name": "p1", "priority": "critical", "no_response_minutes": 15, "to": "supervisor"},
            {"name": "net", "category": "network", "on": "breach", "to_group": "L2 Network"},
        ],
    },
    "survey": {"question": [{"id": "speed", "text": "Fast enough?"}]},
}


def test_import_moves_every_table_once(desk: Desk) -> None:
    report = desk.store.run_write(lambda s: import_legacy_policy(s, desk.admin, OLD_CONFIG))
    assert report.to_dict() == {
        "settings": {"auto_close_days": 2, "reopen_days": 7, "backlog_hours": 6.0},
        "rules_added": ["p1", "net"],
        "rules_kept": [],
        "questions": ["speed"],
    }
    assert policy(desk) == DeskPolicy(2, 7, 6.0)
    with desk.store.read() as s:
        rules = sla_rules.list_rules(s, desk.admin)
        questions = surveys.load_questionnaire(s)
    assert [r.rule.describe() for r in rules] == [
        "no response after 15 min -> the supervisors",
        "resolution breach -> L2 Network",
    ]
    assert [q.id for q in questions] == ["speed"]
    again = desk.store.run_write(lambda s: import_legacy_policy(s, desk.admin, OLD_CONFIG))
    assert again.rules_added == [] and again.rules_kept == ["p1", "net"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"desk": {"db": "x"}}, "nothing to import"),
        ({"closure": {"auto_close": 3}}, r"\[closure\]: unknown key 'auto_close'"),
        ({"closure": {"auto_close_days": 0}}, "auto_close_days must be a whole number"),
        (
            {"sla": {"auto_escalate": [{"name": "x", "on": "breach", "to_group": "L9"}]}},
            "unknown group 'L9'",
        ),
        ({"survey": {"question": [{"id": "A", "text": "x"}]}}, "the id must be"),
    ],
)
def test_import_mistakes_write_nothing(desk: Desk, raw: dict[str, Any], message: str) -> None:
    mixed = {**raw, "closure": raw.get("closure", {"reopen_days": 30})}
    if "desk" in raw:
        mixed = raw
    with pytest.raises(UsageError, match=message):
        desk.store.run_write(lambda s: import_legacy_policy(s, desk.admin, mixed))
    assert policy(desk) == DEFAULT_POLICY
    with desk.store.read() as s:
        assert sla_rules.list_rules(s, desk.admin) == []


def test_import_needs_config_manage(desk: Desk) -> None:
    sue = desk.add_agent("sue", "supervisor")
    with pytest.raises(PermissionDenied, match="config.manage"):
        desk.store.run_write(lambda s: import_legacy_policy(s, sue, OLD_CONFIG))


# -- holiday files ---------------------------------------------------------------------------
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:1@example\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
DTSTART;VALUE=DATE:20261003\r
SUMMARY:German Unity Day, with a long\r
  folded summary line\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@example\r
DTSTART;TZID=Europe/Berlin:20261231T120000\r
DTEND;TZID=Europe/Berlin:20261231T235900\r
SUMMARY:New Year's Eve (afternoon)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ics_feed() -> None:
    assert parse_holiday_file(ICS, "de.ics") == [
        date(2026, 10, 3),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 31),
    ]


def test_csv_and_text_lists() -> None:
    text = "date,name\n2026-12-25,Christmas\n\n# moved\n2026-01-01;New Year\n2026-12-25\t\n"
    assert parse_holiday_file(text, "h.csv") == [date(2026, 1, 1), date(2026, 12, 25)]
    assert parse_holiday_file("\ufeff2026-05-01\n", "h.txt") == [date(2026, 5, 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-12-25\n25.12.2026\n", r"h.txt:2: '25.12.2026' is not a date like 2026-12-25"),
        ("2026-02-30\n", r"h.txt:1: '2026-02-30' is not a date of the calendar"),
        ("# nothing\n", "h.txt: no holiday dates found"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY\n"
            "END:VEVENT\nEND:VCALENDAR\n",
            r"h.txt:4: recurring events \(RRULE\) are not supported",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026\nEND:VEVENT\nEND:VCALENDAR\n",
            "h.txt:3: '2026' is not an iCalendar date",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n"
            "DTEND;VALUE=DATE:20280101\nEND:VEVENT\nEND:VCALENDAR\n",
            "an event of 730 days; at most 366",
        ),
    ],
)
def test_bad_holiday_files(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_holiday_file(text, "h.txt")
    assert "\n" not in str(caught.value)
