"""`helpdesk sla watch` and `helpdesk notifications` through typer's CliRunner.

The watcher reads the clock through `helpdesk_tui.cli.monitor.utcnow`; tests move it
forward instead of waiting for SLAs to run out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.cli import monitor as cli_monitor
from helpdesk_tui.services.rbac import os_login
from helpdesk_tui.store.types import utcnow


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "desk.db")


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ready(db: str) -> str:
    """A desk whose admin (the OS account) is a supervisor too, with two e-mail tickets."""
    assert run(db, "init", "--timezone", "Europe/Berlin")[0] == 0
    code, _, err = run(db, "user", "grant", os_login(), "supervisor")
    assert code == 0, err
    for title in ("Core switch down", "Mail relay rejects everything"):
        code, _, err = run(
            db, "ticket", "new", "-t", title, "--channel", "email", "--priority", "critical",
            "--reason", "the whole site depends on it",
        )  # fmt: skip
        assert code == 0, err
    return db


def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(cli_monitor, "utcnow", lambda: when)


def config(tmp_path: Path, text: str) -> None:
    folder = Path(os.environ["HELPDESK_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")


def test_watch_once_prints_what_it_recorded_once(
    ready: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, utcnow() + timedelta(minutes=20))
    code, out, err = run(ready, "sla", "watch", "--once")
    assert code == 0, err
    first = out.splitlines()[0]
    assert "2 tickets checked, 2 recorded (2 breaches, 2 warnings" not in first
    assert "4 recorded (2 breaches, 2 warnings, 0 backlog)" in first
    assert "4 notifications" not in first and "2 notifications" in first
    assert any(line.strip().startswith("#1 response breach crossed") for line in out.splitlines())
    code, out, _ = run(ready, "sla", "watch", "--once", "--json")
    assert code == 0
    data = json.loads(out)
    assert sorted(data) == [
        "at",
        "auto_closed",
        "backlog",
        "candidates",
        "escalations",
        "events",
        "notifications",
    ]
    assert data["events"] == [] and data["notifications"] == 0


def test_watch_json_lists_every_event(ready: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, utcnow() + timedelta(hours=5))
    code, out, _ = run(ready, "sla", "watch", "--once", "--json")
    assert code == 0
    events = json.loads(out)["events"]
    assert len(events) == 8
    assert sorted(events[0]) == ["clock", "crossed_at", "level", "notified", "ticket_id"]


def test_rules_set_by_an_admin_are_applied(ready: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(
        ready, "sla", "rule", "add", "p1-silent", "--priority", "critical",
        "--no-response-minutes", "15", "--to-group", "L3 Infrastructure",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "rule 'p1-silent' added: no response after 15 min -> L3 Infrastructure"
    at(monkeypatch, utcnow() + timedelta(minutes=16))
    code, out, err = run(ready, "sla", "watch", "--once")
    assert code == 0, err
    assert "2 escalations" in out
    assert "#1 auto-escalated by rule 'p1-silent': escalated to L3 Infrastructure" in out
    code, out, _ = run(ready, "ticket", "show", "1", "--json")
    assert json.loads(out)["status"] == "escalated"


def test_rules_in_a_config_file_are_ignored_with_a_warning(
    ready: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a personal config file must not drive what the watcher does as SYSTEM."""
    config(
        tmp_path,
        '[[sla.auto_escalate]]\nname = "p1-silent"\npriority = "critical"\n'
        'no_response_minutes = 15\nto_group = "L3 Infrastructure"\n',
    )
    at(monkeypatch, utcnow() + timedelta(minutes=16))
    code, out, err = run(ready, "sla", "watch", "--once")
    assert code == 0
    assert "0 escalations" in out
    assert err.count("\n") == 1 and err.startswith("helpdesk: warning: ")
    assert "config.toml: [sla] is no longer read" in err
    assert "helpdesk sla rule add" in err and "helpdesk policy import" in err
    code, out, _ = run(ready, "ticket", "show", "1", "--json")
    assert json.loads(out)["status"] != "escalated"


def test_an_l1_agent_cannot_run_the_watcher(ready: str) -> None:
    assert run(ready, "user", "add", "ann", "--role", "agent")[0] == 0
    assert run(ready, "user", "add", "sue", "--role", "supervisor")[0] == 0
    code, out, err = run(ready, "--as", "ann", "sla", "watch", "--once")
    assert code == 3 and out == ""
    assert err.strip() == "helpdesk: ann lacks the permission 'sla.watch'"
    code, out, err = run(ready, "--as", "sue", "sla", "watch", "--once")
    assert code == 0, err


def test_the_watcher_auto_closes(ready: str, monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = ("ticket", "status", "1", "resolved", "-m", "rebooted", "--code", "solved_permanent")
    assert run(ready, *resolve)[0] == 0
    assert run(ready, "policy", "set", "--auto-close-days", "2")[0] == 0
    at(monkeypatch, utcnow() + timedelta(days=2, minutes=1))
    code, out, err = run(ready, "sla", "watch", "--once")
    assert code == 0, err
    assert "1 auto-closed" in out and "auto-closed (no confirmation" in out and "#1" in out
    code, out, _ = run(ready, "sla", "watch", "--once", "--json")
    assert json.loads(out)["auto_closed"] == []
    code, out, _ = run(ready, "ticket", "show", "1", "--json")
    assert json.loads(out)["status"] == "closed"


def test_notifications_list_and_read(ready: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(ready, "notifications")
    assert code == 0 and out.strip() == "no notifications"
    at(monkeypatch, utcnow() + timedelta(minutes=12))  # both at 75 % of 15 min
    run(ready, "sla", "watch", "--once")
    code, out, _ = run(ready, "notifications", "--json")
    rows = json.loads(out)
    assert [r["ticket_id"] for r in rows] == [2, 1]
    assert sorted(rows[0]) == [
        "created_at",
        "id",
        "kind",
        "read_at",
        "text",
        "ticket_id",
        "ticket_title",
    ]
    assert rows[0]["kind"] == "sla_warning" and rows[0]["read_at"] is None
    code, out, _ = run(ready, "notifications")
    assert code == 0 and "unread" in out and "Mail rel" in out
    code, out, _ = run(ready, "notifications", "read", str(rows[0]["id"]))
    assert code == 0 and out.strip() == "1 notification marked read"
    code, out, _ = run(ready, "notifications", "--unread", "--json")
    assert [r["id"] for r in json.loads(out)] == [rows[1]["id"]]
    code, out, _ = run(ready, "notifications", "read", "--all", "--json")
    assert code == 0 and json.loads(out) == {"marked_read": 1}
    code, out, _ = run(ready, "notifications", "--unread")
    assert out.strip() == "no unread notifications"


def test_notifications_read_errors(ready: str) -> None:
    code, _, err = run(ready, "notifications", "read")
    assert code == 2 and "give notification ids or --all" in err
    code, _, err = run(ready, "notifications", "read", "1", "--all")
    assert code == 2
    code, _, err = run(ready, "notifications", "read", "999")
    assert code == 5 and err.strip() == "helpdesk: no notification #999 of yours"


def test_watch_needs_a_desk(db: str) -> None:
    code, _, err = run(db, "sla", "watch", "--once")
    assert code == 1 and "helpdesk init" in err


def test_watch_loop_stops_cleanly_on_sigterm(ready: str, tmp_path: Path) -> None:
    """The service form: one JSON line per pass; SIGTERM ends it with exit 0."""
    helpdesk = Path(sys.executable).parent / "helpdesk"
    proc = subprocess.Popen(
        [helpdesk, "--db", ready, "sla", "watch", "--interval", "1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first pass is done
        assert json.loads(first)["candidates"] >= 0
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert err == ""
