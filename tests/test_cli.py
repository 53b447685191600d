"""The CLI through typer's CliRunner on a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services.rbac import os_login


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "desk.db")


def run(db: str, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ready(db: str) -> str:
    code, _, err = run(db, "init", "--timezone", "Europe/Berlin")
    assert code == 0, err
    return db


def new_ticket(db: str, *args: str) -> int:
    code, out, err = run(db, "ticket", "new", *args)
    assert code == 0, err
    return int(out.strip())


def test_init_makes_os_account_admin_and_is_idempotent(db: str) -> None:
    code, out, _ = run(db, "init", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["admin"] == os_login() and data["created_admin"] is True
    code, out, _ = run(db, "init", "--json")
    assert code == 0 and json.loads(out)["created_admin"] is False
    code, out, _ = run(db, "user", "list", "--json")
    users = json.loads(out)
    assert users[0]["login"] == os_login() and "admin" in users[0]["roles"]


def test_no_database_tells_to_init(db: str) -> None:
    code, _, err = run(db, "ticket", "list")
    assert code == 1
    assert "helpdesk init" in err and "Traceback" not in err
    assert not Path(db).exists()  # nothing half-created


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    code, _, err = run(str(junk), "ticket", "list")
    assert code == 1 and "database" in err and len(err.strip().splitlines()) == 1


def test_ticket_new_show_json(ready: str) -> None:
    code, out, err = run(
        ready,
        "ticket", "new", "--title", "VPN won't connect from home", "--body", "error 809",
        "--requester", "Jane Roe", "--channel", "email", "--json",
    )  # fmt: skip
    assert code == 0, err
    created = json.loads(out)
    tid = created["id"]
    assert created["category"] == "network"
    code, out, _ = run(ready, "ticket", "show", str(tid), "--json")
    shown = json.loads(out)
    for key in ("status", "category", "priority", "sla", "log"):
        assert key in shown
    assert set(shown["sla"]) >= {"response_due", "resolve_due", "state"}
    assert shown["status"] == "new" and shown["requester"]["name"] == "Jane Roe"


def test_ticket_new_prints_id(ready: str) -> None:
    assert new_ticket(ready, "--title", "Mouse not working") == 1
    assert new_ticket(ready, "--title", "Keyboard not working") == 2


def test_work_a_ticket(ready: str) -> None:
    tid = new_ticket(ready, "--title", "Outlook not syncing", "--channel", "email")
    assert run(ready, "ticket", "take", str(tid))[0] == 0
    assert (
        run(ready, "ticket", "note", str(tid), "asked for a screenshot", "--minutes", "4")[0] == 0
    )
    assert run(ready, "ticket", "status", str(tid), "waiting_customer")[0] == 0
    assert run(ready, "ticket", "status", str(tid), "in_progress")[0] == 0
    code, _, err = run(ready, "ticket", "status", str(tid), "resolved")
    assert code == 2 and "resolution summary" in err
    code, _, err = run(ready, "ticket", "status", str(tid), "resolved", "-m", "re-created profile")
    assert code == 2 and "--code" in err and "solved_permanent, solved_workaround" in err
    assert len(err.strip().splitlines()) == 1
    resolve = ["resolved", "-m", "re-created profile", "--code", "solved_permanent"]
    assert run(ready, "ticket", "status", str(tid), *resolve)[0] == 0
    code, out, _ = run(ready, "ticket", "show", str(tid), "--json")
    detail = json.loads(out)
    assert detail["status"] == "resolved" and detail["assignee"] == os_login()
    assert detail["resolution_code"] == "solved_permanent" and detail["fcr"] is False
    kinds = [e["kind"] for e in detail["log"]]
    assert kinds == ["created", "assignment", "note", "status", "status", "resolution"]
    assert detail["log"][2]["handle_seconds"] == 240


def test_list_filters_and_formats(ready: str) -> None:
    new_ticket(ready, "--title", "Printer offline")
    tid = new_ticket(ready, "--title", "Laptop won't boot")
    run(ready, "ticket", "take", str(tid))
    _, out, _ = run(ready, "ticket", "list", "--mine", "--json")
    assert [t["id"] for t in json.loads(out)] == [tid]
    _, out, _ = run(ready, "ticket", "list", "--format", "csv")
    assert out.splitlines()[0] == "id,priority,status,sla,due,category,title,assignee"
    assert len(out.splitlines()) == 3
    _, out, _ = run(ready, "ticket", "list", "--status", "closed", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["ticket", "new", "--title", "x", "--category", "printers"], 2, "valid: hardware"),
        (["ticket", "new", "--title", "x", "--priority", "urgent"], 2, "critical, high"),
        (["ticket", "list", "--status", "open"], 2, "in_progress"),
        (["ticket", "show", "999"], 5, "no ticket #999"),
        (["ticket", "status", "999", "closed"], 5, "no ticket #999"),
        (["ticket", "status", "1", "bogus"], 2, "valid: new"),
        (["ticket", "update", "1"], 2, "nothing to change"),
        (["ticket", "new", "--title", "x", "--occurred-at", "yesterday"], 2, "ISO"),
    ],
)
def test_bad_input_is_one_line_with_exit_code(
    ready: str, args: list[str], code: int, needle: str
) -> None:
    new_ticket(ready, "--title", "Printer offline")
    got, _, err = run(ready, *args)
    assert got == code, err
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_stale_version_exit_4(ready: str) -> None:
    tid = new_ticket(ready, "--title", "Printer offline")
    run(ready, "ticket", "update", str(tid), "--error-codes", "E42")
    code, _, err = run(ready, "ticket", "update", str(tid), "--tried", "x", "--if-version", "1")
    assert code == 4 and "changed by someone else" in err


def test_take_taken_ticket_exit_4(ready: str) -> None:
    tid = new_ticket(ready, "--title", "Printer offline")
    run(ready, "user", "add", "alice")
    assert run(ready, "--as", "alice", "ticket", "take", str(tid))[0] == 0
    code, _, err = run(ready, "ticket", "take", str(tid))
    assert code == 4 and "alice" in err


def test_as_other_agent_is_audited_and_limited(ready: str) -> None:
    run(ready, "user", "add", "alice")
    run(ready, "user", "add", "bob")
    tid = new_ticket(ready, "--title", "Printer offline")
    assert run(ready, "--as", "alice", "ticket", "note", str(tid), "hello")[0] == 0
    code, _, err = run(ready, "--as", "alice", "ticket", "status", str(tid), "cancelled")
    assert code == 3 and "ticket.cancel" in err
    code, out, _ = run(ready, "ticket", "show", str(tid), "--json")
    assert json.loads(out)["log"][-1]["agent"] == "alice"
    import sqlalchemy as sa

    from helpdesk_tui.store.engine import Store

    store = Store(f"sqlite:///{ready}")
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT actor_id, real_actor_id FROM audit WHERE action = 'ticket.note'")
        ).one()
    assert row[0] != row[1]  # attributed to alice, done by the admin's OS account
    store.dispose()


def test_as_needs_admin(ready: str) -> None:
    run(ready, "user", "add", "alice", "--role", "supervisor")
    # the OS account is admin; demote it so it cannot impersonate any more
    run(ready, "user", "add", "boss", "--role", "admin")
    assert run(ready, "user", "grant", os_login(), "agent")[0] == 0
    assert run(ready, "user", "revoke", os_login(), "admin")[0] == 0
    code, _, err = run(ready, "--as", "alice", "ticket", "list")
    assert code == 3 and "--as" in err


def test_unknown_agent_is_told_how_to_join(ready: str) -> None:
    code, _, err = run(ready, "--as", "nobody", "ticket", "list")
    assert code == 5 and "nobody" in err


def test_where_and_doctor(ready: str) -> None:
    code, out, _ = run(ready, "where", "--json")
    assert code == 0 and json.loads(out)["db"].endswith("desk.db")
    code, out, _ = run(ready, "doctor", "--json")
    checks = {c["name"]: c["status"] for c in json.loads(out)}
    assert checks["database"] == "ok" and checks["wal"] == "ok"
    assert code == 0


def test_triage_json_and_stdin(ready: str) -> None:
    code, out, _ = run(ready, "triage", "I forgot my password and I'm locked out", "--json")
    data = json.loads(out)
    assert code == 0 and data["category"] == "user_support"
    assert data["priority"] and data["reasons"]
    code, out, _ = run(ready, "triage", "-", "--json", input="wifi keeps dropping in room 4\n")
    assert json.loads(out)["category"] == "network"


def test_hostile_text_is_not_sent_raw_to_the_terminal(ready: str) -> None:
    evil = "pwn\x1b]52;c;ZXZpbA==\x07 \x1b[2J \x9b31m [@click=app.quit]x[/]"
    tid = new_ticket(ready, "--title", evil)
    code, out, _ = run(ready, "ticket", "show", str(tid))
    assert code == 0
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "[@click=app.quit]x[/]" in out  # shown as text, not interpreted
    code, out, _ = run(ready, "ticket", "list")
    assert "\x1b" not in out


def test_json_output_escapes_terminal_controls(ready: str) -> None:
    tid = new_ticket(ready, "--title", "evil \x9b31m \u202ertl \x1b]52;c;eA==\x07 Zoë")
    code, out, _ = run(ready, "ticket", "show", str(tid), "--json")
    assert code == 0
    assert "\x9b" not in out and "\u202e" not in out and "\x1b" not in out
    assert json.loads(out)["title"] == "evil \x9b31m \u202ertl \x1b]52;c;eA==\x07 Zoë"
    assert "Zoë" in out  # readable non-ASCII stays readable


def test_triage_returns_sops_and_articles(ready: str) -> None:
    run(ready, "sop", "sync")
    run(
        ready,
        "kb",
        "new",
        "-t",
        "VPN error 809 fix",
        "-b",
        "Allow UDP 500",
        "--category",
        "network",
        "--publish",
    )
    code, out, _ = run(ready, "triage", "vpn says error 809 and will not connect", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"category", "priority", "reasons", "sops", "kb"}
    assert data["sops"][0]["id"] == "vpn-cannot-connect"
    assert set(data["sops"][0]) >= {"id", "title", "score", "matched"}
    assert data["kb"][0]["title"] == "VPN error 809 fix"
    scores = [s["score"] for s in data["sops"]]
    assert scores == sorted(scores, reverse=True)


def test_triage_without_a_desk_uses_the_shipped_sops(db: str) -> None:
    code, out, _ = run(db, "triage", "printer is offline", "--json")
    assert code == 0 and json.loads(out)["sops"][0]["id"] == "printer-offline"
