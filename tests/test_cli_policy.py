"""`helpdesk policy ...`, `helpdesk sla calendar|policy|rule ...` through typer's CliRunner.

Every command once, its JSON, and the exit codes: 2 usage, 3 permission (an L1 agent and
a supervisor may read policy, only an admin changes it), 4 conflict, 5 not found.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, f"{args}: {err}"
    return out


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A desk (Europe/Berlin business calendar), an L1 agent ann and a supervisor sue."""
    path = str(tmp_path / "desk.db")
    ok(path, "init", "--timezone", "Europe/Berlin")
    ok(path, "user", "add", "ann", "--role", "agent")
    ok(path, "user", "add", "sue", "--role", "supervisor")
    return path


def test_policy_show_set_and_json(db: str) -> None:
    out = ok(db, "policy", "show")
    assert out.splitlines()[0] == "auto_close_days = 5  (default 5, never set)"
    out = ok(db, "policy", "set", "--auto-close-days", "3", "--backlog-hours", "0.5")
    assert out.strip() == "auto_close_days = 3, backlog_hours = 0.5"
    shown = json.loads(ok(db, "--as", "ann", "policy", "show", "--json"))
    assert shown["auto_close_days"]["value"] == 3 and shown["auto_close_days"]["default"] == 5
    assert shown["backlog_hours"]["value"] == 0.5 and shown["reopen_days"]["set_by"] is None
    assert json.loads(ok(db, "policy", "set", "--reopen-days", "14", "--json")) == {
        "auto_close_days": 3,
        "reopen_days": 14,
        "backlog_hours": 0.5,
    }


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["policy", "set"], 2, "nothing to change"),
        (["policy", "set", "--auto-close-days", "0"], 2, "auto_close_days must be a whole"),
        # nan is refused while parsing, like every float option (cli/inputs.py)
        (["policy", "set", "--backlog-hours", "nan"], 2, "'--backlog-hours': nan is not a finite"),
        (["--as", "sue", "policy", "set", "--reopen-days", "3"], 3, "'config.manage'"),
        (["--as", "ann", "policy", "import"], 2, "no such file"),
    ],
)
def test_policy_errors(db: str, args: list[str], code: int, message: str) -> None:
    got, out, err = run(db, *args)
    assert got == code and out == "" and message in err and err.count("\n") == 1


def test_policy_import_of_an_old_config(db: str, tmp_path: Path) -> None:
    old = tmp_path / "old.toml"
    old.write_text(
        "[closure]\nauto_close_days = 2\n[sla]\nbacklog_hours = 4\n"
        '[[sla.auto_escalate]]\nname = "p1"\npriority = "critical"\n'
        'no_response_minutes = 15\nto = "supervisor"\n'
        '[[survey.question]]\nid = "speed"\ntext = "Fast enough?"\n',
        encoding="utf-8",
    )
    code, _, err = run(db, "--as", "sue", "policy", "import", str(old))
    assert code == 3 and "config.manage" in err
    out = ok(db, "policy", "import", str(old))
    assert out.splitlines() == [
        "auto_close_days = 2",
        "backlog_hours = 4.0",
        "rule 'p1' added",
        "questionnaire: speed",
        f"imported from {old}; now delete those tables from it",
    ]
    again = json.loads(ok(db, "policy", "import", str(old), "--json"))
    assert again["rules_added"] == [] and again["rules_kept"] == ["p1"]
    # The default file is the user's own config.toml.
    folder = Path(os.environ["HELPDESK_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text("[closure]\nreopen_days = 4\n", encoding="utf-8")
    code, out, err = run(db, "policy", "import")
    assert code == 0 and out.startswith("reopen_days = 4")
    assert "[closure] is no longer read" in err  # and the warning tells the user to delete it


def test_calendar_commands(db: str, tmp_path: Path) -> None:
    out = ok(db, "sla", "calendar", "list")
    assert "business" in out and "Europe/Berlin" in out and "mon-fri" in out
    listed = json.loads(ok(db, "--as", "ann", "sla", "calendar", "list", "--json"))
    assert [c["name"] for c in listed] == ["24x7", "business"]
    assert listed[1]["sla_priorities"] == ["high", "medium", "low", "informational"]
    out = ok(db, "sla", "calendar", "holiday", "add", "business", "2026-12-24", "2026-12-25")
    assert out.splitlines()[0] == (
        "calendar 'business': 2 holidays added; now mon-fri 08:00-18:00 Europe/Berlin, 2 holidays"
    )
    out = ok(db, "sla", "calendar", "show", "business")
    assert "holidays (2):" in out and "2026: 12-24 Thu, 12-25 Fri" in out
    changed = json.loads(ok(db, "sla", "calendar", "set", "business", "--opens", "09:00", "--json"))
    assert changed["opens"] == "09:00" and changed["recomputed_open"] == 0
    ics = tmp_path / "de.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261231\nEND:VEVENT\nEND:VCALENDAR\n",
        encoding="utf-8",
    )
    out = ok(db, "sla", "calendar", "holiday", "import", "business", str(ics))
    assert out.startswith("calendar 'business': 1 dates read, 1 new; now ")
    out = ok(db, "sla", "calendar", "holiday", "import", "business", str(ics), "--replace")
    assert "replacing the old list" in out and out.rstrip().endswith("1 holidays")
    out = ok(db, "sla", "calendar", "holiday", "remove", "business", "2026-12-31")
    assert "1 holidays removed" in out
    added = json.loads(
        ok(db, "sla", "calendar", "add", "apac", "--timezone", "Asia/Tokyo", "--json")
    )
    assert added["weekdays"] == ["mon", "tue", "wed", "thu", "fri"] and added["opens"] == "08:00"


def test_a_calendar_change_moves_open_tickets(db: str) -> None:
    ok(
        db,
        "ticket",
        "new",
        "-t",
        "VPN down",
        "--channel",
        "email",
        "--priority",
        "high",
        "--reason",
        "test",
    )
    before = json.loads(ok(db, "ticket", "show", "1", "--json"))["sla"]["resolve_due"]
    out = ok(db, "sla", "calendar", "set", "business", "--weekdays", "sat")
    assert out.splitlines()[-1] == "1 open ticket got new SLA due times"
    after = json.loads(ok(db, "ticket", "show", "1", "--json"))["sla"]["resolve_due"]
    assert after != before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sla", "calendar", "show", "lunar"], 5, "no calendar named 'lunar'"),
        (["sla", "calendar", "add", "business", "--timezone", "UTC"], 4, "exists already"),
        (["sla", "calendar", "add", "x", "--timezone", "Mars/Base"], 2, "unknown time zone"),
        (["sla", "calendar", "set", "business"], 2, "nothing to change"),
        (["sla", "calendar", "set", "business", "--weekdays", "sun-moon"], 2, "unknown weekday"),
        (["sla", "calendar", "holiday", "add", "business", "tomorrow"], 2, "not a date like"),
        (["sla", "calendar", "holiday", "remove", "business", "2026-01-01"], 5, "not a holiday"),
        (["sla", "calendar", "holiday", "import", "business", "/nonexistent.ics"], 2, "cannot"),
        (["--as", "sue", "sla", "calendar", "set", "business", "--opens", "07:00"], 3, "config"),
        (["--as", "ann", "sla", "calendar", "holiday", "add", "business", "2026-12-25"], 3, ""),
    ],
)
def test_calendar_errors(db: str, args: list[str], code: int, message: str) -> None:
    got, out, err = run(db, *args)
    assert got == code and out == "" and message in err and err.count("\n") == 1


def test_policy_targets(db: str) -> None:
    out = ok(db, "sla", "policy", "list")
    assert "critical" in out and "15m" in out and "24x7" in out
    out = ok(db, "sla", "policy", "set", "high", "--response", "1h", "--resolve", "1h30m")
    assert out.splitlines() == [
        "high: respond within 1h, resolve within 1h30m on calendar 'business'",
        "applies to tickets from now on (--recompute-open for the open ones)",
    ]
    listed = json.loads(ok(db, "--as", "ann", "sla", "policy", "list", "--json"))
    high = next(p for p in listed if p["priority"] == "high")
    assert (high["response_minutes"], high["resolve_minutes"]) == (60, 90)
    ok(
        db,
        "ticket",
        "new",
        "-t",
        "Printer",
        "--channel",
        "email",
        "--priority",
        "low",
        "--reason",
        "test",
    )
    data = json.loads(
        ok(db, "sla", "policy", "set", "low", "--calendar", "24x7", "--recompute-open", "--json")
    )
    assert data["calendar"] == "24x7" and data["recomputed_open"] == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sla", "policy", "set", "high", "--resolve", "2d"], 2, "days are ambiguous"),
        (["sla", "policy", "set", "urgent", "--resolve", "2h"], 2, "unknown priority"),
        (["sla", "policy", "set", "high", "--resolve", "10m"], 2, "shorter than the response"),
        (["sla", "policy", "set", "high"], 2, "nothing to change"),
        (["--as", "sue", "sla", "policy", "set", "high", "--resolve", "9h"], 3, "config.manage"),
    ],
)
def test_policy_target_errors(db: str, args: list[str], code: int, message: str) -> None:
    got, out, err = run(db, *args)
    assert got == code and out == "" and message in err and err.count("\n") == 1


def test_rule_commands(db: str) -> None:
    assert ok(db, "sla", "rule", "list", "--json") == "[]\n"
    out = ok(
        db, "sla", "rule", "add", "net-breach", "--category", "network", "--on", "breach",
        "--clock", "ola", "--to-group", "L3 Infrastructure", "--priority", "high",
    )  # fmt: skip
    assert out.strip() == "rule 'net-breach' added: ola breach -> L3 Infrastructure"
    rules = json.loads(ok(db, "--as", "ann", "sla", "rule", "list", "--json"))
    assert rules == [
        {
            "name": "net-breach",
            "active": True,
            "priorities": ["high"],
            "categories": ["network"],
            "no_response_minutes": None,
            "on": "breach",
            "clock": "ola",
            "to": "L3 Infrastructure",
            "describe": "ola breach -> L3 Infrastructure",
            "created_at": rules[0]["created_at"],
        }
    ]
    assert "high; network" in ok(db, "sla", "rule", "list")
    assert ok(db, "sla", "rule", "disable", "net-breach").strip() == "rule 'net-breach' disabled"
    assert "was already off" in ok(db, "sla", "rule", "disable", "net-breach")
    assert " off " in ok(db, "sla", "rule", "list")
    assert ok(db, "sla", "rule", "enable", "net-breach").strip() == "rule 'net-breach' enabled"
    assert ok(db, "sla", "rule", "remove", "net-breach").strip() == "rule 'net-breach' removed"
    assert ok(db, "sla", "rule", "list", "--json") == "[]\n"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["add", "x", "--to-supervisor"], 2, "exactly one trigger"),
        (["add", "x", "--on", "breach"], 2, "exactly one target"),
        (["add", "x", "--on", "late", "--to-supervisor"], 2, "on must be one of"),
        (["add", "x", "--on", "breach", "--to-group", "L9"], 2, "unknown group 'L9'"),
        (["add", "x", "--on", "breach", "--to-group", "Service Desk"], 2, "first-line group"),
        (["add", "x", "--on", "breach", "--to-supervisor", "--priority", "p1"], 2, "priority"),
        (["add", "", "--on", "breach", "--to-supervisor"], 2, "the name must be"),
        (["add", "dup", "--on", "breach", "--to-supervisor"], 4, "exists already"),
        (["remove", "nope"], 5, "no auto-escalation rule named 'nope'; rules: dup"),
        (["enable", "nope"], 5, "no auto-escalation rule named 'nope'"),
    ],
)
def test_rule_errors(db: str, args: list[str], code: int, message: str) -> None:
    ok(db, "sla", "rule", "add", "dup", "--no-response-minutes", "5", "--to-supervisor")
    got, out, err = run(db, "sla", "rule", *args)
    assert got == code and out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize("who", ["ann", "sue"])
def test_only_admins_change_rules(db: str, who: str) -> None:
    code, _, err = run(
        db, "--as", who, "sla", "rule", "add", "x", "--on", "breach", "--to-supervisor"
    )
    assert code == 3 and f"{who} lacks the permission 'config.manage'" in err
