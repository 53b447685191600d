"""The CLI enforces what the TUI does (issue 10): exit 3 for a refused action, 2 for a
missing reason, one line on stderr, nothing changed.

The OS account running the tests is the desk's admin and acts as the others with `--as`.
"""

from __future__ import annotations

import json
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
    assert code == 0, err
    return out


def show(db: str, tid: int) -> dict[str, object]:
    data = json.loads(ok(db, "ticket", "show", str(tid), "--json"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def desk(tmp_path: Path) -> str:
    db = str(tmp_path / "desk.db")
    ok(db, "init", "--timezone", "Europe/Berlin")
    ok(db, "user", "add", "lena", "--role", "agent", "--group", "Service Desk")
    ok(db, "user", "add", "bob", "--role", "engineer", "--group", "L2 Network")
    ok(db, "user", "add", "dora", "--role", "engineer", "--group", "L2 Desktop")
    ok(db, "user", "add", "sue", "--role", "supervisor", "--group", "Service Desk")
    return db


def escalated(db: str) -> int:
    tid = int(ok(db, "--as", "lena", "ticket", "new", "-t", "VPN won't connect").strip())
    ok(db, "--as", "lena", "ticket", "escalate", str(tid), "--to", "L2 Network", "-r", "809")
    return tid


def refused(db: str, *args: str, code: int = 3, says: str = "") -> None:
    got, out, err = run(db, *args)
    assert got == code, (got, out, err)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert says in err, err


def test_a_first_line_agent_cannot_accept_an_l2_escalation(desk: str) -> None:
    tid = escalated(desk)
    refused(desk, "--as", "lena", "ticket", "take", str(tid), says="is with L2 Network")
    refused(desk, "--as", "lena", "ticket", "update", str(tid), "--assignee", "lena")
    refused(desk, "--as", "dora", "ticket", "take", str(tid), says="only its members")
    data = show(desk, tid)
    assert data["assignee"] is None
    assert data["ola"]["accepted_at"] is None  # type: ignore[index]
    assert not any("accepted by" in e["text"] for e in data["log"])  # type: ignore[attr-defined]
    out = ok(desk, "--as", "bob", "ticket", "take", str(tid))
    assert out.strip() == f"ticket #{tid} accepted: is yours"
    assert show(desk, tid)["ola"]["accepted_at"] is not None  # type: ignore[index]


def test_resolve_confirm_reopen_of_others_tickets(desk: str) -> None:
    tid = escalated(desk)
    resolve = ("ticket", "status", str(tid), "resolved", "-m", "fixed", "--code", "user_error")
    refused(desk, "--as", "lena", *resolve, says="only its members or a supervisor may resolve")
    refused(desk, "--as", "lena", "ticket", "handback", str(tid), "-m", "mine again")
    ok(desk, "--as", "bob", "ticket", "take", str(tid))
    refused(desk, "--as", "sue", "ticket", "take", str(tid), code=4, says="already taken by bob")
    ok(desk, "--as", "bob", *resolve)
    refused(desk, "--as", "dora", "ticket", "confirm", str(tid), "--via", "phone")
    ok(desk, "--as", "lena", "ticket", "confirm", str(tid), "--via", "phone")
    reopen = ("ticket", "status", str(tid), "in_progress")
    refused(desk, "--as", "dora", *reopen, "-m", "still broken", says="may reopen it")
    refused(desk, "--as", "lena", *reopen, code=2, says="needs a reason (--note)")
    assert show(desk, tid)["status"] == "closed"
    ok(desk, "--as", "lena", *reopen, "-m", "drops again since this morning")
    data = show(desk, tid)
    assert data["status"] == "in_progress" and data["assignee"] == "bob"


def test_overrides_need_a_reason_on_the_command_line(desk: str) -> None:
    new = ("--as", "lena", "ticket", "new", "-t", "VPN won't connect")
    refused(desk, *new, "--category", "hardware", code=2, says="overrides the suggested network")
    refused(desk, *new, "--priority", "critical", code=2, says="overrides the matrix")
    tid = int(ok(desk, *new, "--category", "hardware", "--reason", "dock").strip())
    assert show(desk, tid)["category"] == "hardware"
    update = ("--as", "lena", "ticket", "update", str(tid))
    refused(desk, *update, "--category", "software", code=2, says="give a reason (--reason)")
    ok(desk, *update, "--category", "software", "--reason", "the client crashes")
    ok(desk, *update, "--category", "network")  # the suggestion itself
    assert show(desk, tid)["category"] == "network"


def test_autoclose_is_a_supervisors_action(desk: str) -> None:
    refused(desk, "--as", "lena", "ticket", "autoclose", says="'ticket.autoclose'")
    refused(desk, "--as", "bob", "ticket", "autoclose", says="'ticket.autoclose'")
    assert json.loads(ok(desk, "--as", "sue", "ticket", "autoclose", "--json"))["closed"] == []
