"""`helpdesk survey ...` through typer's CliRunner on a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services import rbac
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.types import utcnow

HOSTILE = "Mallory \x1b]52;c;ZXZpbA==\x07\x1b[2J [@click=app.quit]x[/]"


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ready(tmp_path: Path) -> str:
    db = str(tmp_path / "desk.db")
    code, _, err = run(db, "init", "--timezone", "UTC")
    assert code == 0, err
    return db


def close_tickets(db: str, *requesters: str, hours_ago: float = 1) -> list[int]:
    """Closed tickets, one per requester (closed directly: closure rules are part 4's)."""
    store = Store(f"sqlite:///{db}")
    with store.read() as s:
        admin = rbac.resolve_actor(s, rbac.os_login())
    at = utcnow() - timedelta(hours=hours_ago)

    def work(session: Any, requester: str) -> int:
        data = NewTicket(title=f"Printer jam for {requester}", requester=requester)
        ticket = create_ticket(session, admin, data, rules=RuleSet.default(), now=at)
        ticket.status, ticket.closed_at = "closed", at
        session.flush()
        return int(ticket.id or 0)

    try:
        return [store.run_write(partial(work, requester=r)) for r in requesters]
    finally:
        store.dispose()


@pytest.fixture
def planned(ready: str) -> Iterator[str]:
    since = (utcnow() - timedelta(days=1)).isoformat()
    code, _, err = run(
        ready, "survey", "plan", "add", "everyone", "--rate", "1", "--delay", "0h", "--since", since
    )
    assert code == 0, err
    yield ready


def test_plan_add_list_disable(ready: str) -> None:
    code, out, err = run(
        ready,
        "survey", "plan", "add", "network 10%", "--rate", "0.1", "--delay", "2d",
        "--method", "phone", "--category", "network", "--json",
    )  # fmt: skip
    assert code == 0, err
    plan = json.loads(out)
    assert plan["name"] == "network 10%" and plan["rate"] == 0.1 and plan["delay_hours"] == 48
    assert plan["categories"] == ["network"] and plan["active"] is True
    code, out, _ = run(ready, "survey", "plan", "list")
    assert code == 0 and "network 10%" in out and "10%" in out
    code, out, _ = run(ready, "survey", "plan", "disable", "network 10%")
    assert code == 0 and "disabled" in out
    code, out, _ = run(ready, "survey", "plan", "list", "--json")
    assert json.loads(out)[0]["active"] is False
    code, out, _ = run(ready, "survey", "plan", "enable", "1", "--json")
    assert code == 0 and json.loads(out)["active"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--rate", "2"], 2, "rate"),
        (["--rate", "0.5", "--delay", "2"], 2, "needs a unit"),
        (["--rate", "0.5", "--method", "fax"], 2, "unknown method 'fax'"),
        (["--rate", "0.5", "--category", "toasters"], 2, "unknown category"),
        (["--rate", "0.5", "--owner", "ghost"], 5, "no agent"),
    ],
)
def test_plan_add_errors(ready: str, args: list[str], code: int, message: str) -> None:
    got, _, err = run(ready, "survey", "plan", "add", "p", *args)
    assert got == code and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_plan_disable_unknown_is_not_found(ready: str) -> None:
    code, _, err = run(ready, "survey", "plan", "disable", "nope")
    assert code == 5 and "no survey plan 'nope'" in err


def test_due_schedules_then_lists_and_record(planned: str) -> None:
    ticket_id, other = close_tickets(planned, "Jane Roe", "John Doe")
    code, out, err = run(planned, "survey", "due", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["ticket_id"] for r in rows] == [ticket_id, other]
    assert rows[0]["requester"] == "Jane Roe" and rows[0]["method"] == "phone"
    first = str(rows[0]["survey_id"])
    code, out, err = run(
        planned,
        "survey", "record", first, "--outcome", "done", "--consent",
        "-a", "overall=5", "-a", "response_time=4", "--comment", "great", "--json",
    )  # fmt: skip
    assert code == 0, err
    recorded = json.loads(out)
    assert recorded["status"] == "done" and recorded["consent"] is True
    assert recorded["answers"] == {"response_time": 4, "overall": 5}
    # Recorded callbacks leave the list; a second recording is a conflict (exit 4).
    code, out, _ = run(planned, "survey", "due", "--json")
    assert [r["ticket_id"] for r in json.loads(out)] == [other]
    code, _, err = run(planned, "survey", "record", first, "--outcome", "declined")
    assert code == 4 and "already recorded" in err
    code, out, _ = run(planned, "survey", "list", "--status", "done", "--json")
    assert [s["id"] for s in json.loads(out)] == [int(first)]


def test_record_errors(planned: str) -> None:
    close_tickets(planned, "Jane Roe")
    code, out, _ = run(planned, "survey", "due", "--json")
    sid = str(json.loads(out)[0]["survey_id"])
    cases = [
        (["--outcome", "done", "-a", "overall=4"], 2, "consent"),
        (["--outcome", "done", "--consent", "-a", "overall"], 2, "QUESTION=SCORE"),
        (["--outcome", "done", "--consent", "-a", "overall=9"], 2, "1-5"),
        (["--outcome", "done", "--consent", "-a", "mood=3"], 2, "unknown question 'mood'"),
        (["--outcome", "maybe"], 2, "unknown outcome"),
    ]
    for args, want, message in cases:
        code, _, err = run(planned, "survey", "record", sid, *args)
        assert code == want and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1
    code, _, err = run(planned, "survey", "record", "999", "--outcome", "declined")
    assert code == 5 and "no survey #999" in err


def test_agents_record_but_do_not_plan(planned: str) -> None:
    code, _, err = run(planned, "user", "add", "alice", "--role", "agent")
    assert code == 0, err
    code, _, err = run(planned, "--as", "alice", "survey", "plan", "add", "x", "--rate", "0.5")
    assert code == 3 and "survey.manage" in err
    code, _, err = run(planned, "--as", "alice", "survey", "due")
    assert code == 0, err


def test_low_score_improvement_and_results(planned: str) -> None:
    close_tickets(planned, "Jane Roe", "John Doe")
    code, out, _ = run(planned, "survey", "due", "--json")
    first, second = (str(r["survey_id"]) for r in json.loads(out))
    code, out, err = run(
        planned, "survey", "record", first, "--outcome", "done", "--consent",
        "-a", "overall=1", "--comment", "never called back",
    )  # fmt: skip
    assert code == 0, err
    assert "improvement item opened (overall)" in out
    run(planned, "survey", "record", second, "--outcome", "unreachable")
    code, out, _ = run(planned, "survey", "improvements", "--json")
    [item] = json.loads(out)
    assert item["status"] == "open" and "never called back" in item["text"]
    code, out, _ = run(planned, "survey", "improvements")
    assert code == 0 and "Low satisfaction" in out
    code, out, err = run(
        planned, "survey", "improvement-done", str(item["id"]), "--note", "coached"
    )
    assert code == 0, err
    code, out, _ = run(planned, "survey", "improvements", "--json")
    assert json.loads(out) == []
    code, out, _ = run(planned, "survey", "results", "--json")
    summary = json.loads(out)
    assert summary["done"] == 1 and summary["unreachable"] == 1 and summary["response_rate"] == 0.5
    overall = next(q for q in summary["questions"] if q["id"] == "overall")
    assert overall["average"] == 1.0 and overall["low"] == 1
    code, out, _ = run(planned, "survey", "results")
    assert code == 0 and "response rate 50%" in out


def test_questionnaire_set_then_used_by_callbacks(planned: str) -> None:
    code, out, err = run(planned, "survey", "questions", "set", "speed=Fast enough?", "--json")
    assert code == 0, err
    assert json.loads(out) == [{"id": "speed", "text": "Fast enough?"}]
    code, out, _ = run(planned, "survey", "questions", "--json")
    assert code == 0 and json.loads(out) == [{"id": "speed", "text": "Fast enough?"}]
    close_tickets(planned, "Jane Roe")
    code, out, _ = run(planned, "survey", "due", "--json")
    sid = str(json.loads(out)[0]["survey_id"])
    code, _, err = run(
        planned, "survey", "record", sid, "--outcome", "done", "--consent", "-a", "overall=4"
    )
    assert code == 2 and "valid: speed" in err
    code, _, err = run(
        planned, "survey", "record", sid, "--outcome", "done", "--consent", "-a", "speed=4"
    )
    assert code == 0, err
    code, _, err = run(planned, "survey", "questions", "set", "Bad Id=x")
    assert code == 2 and err.count("\n") == 1 and "the id must be" in err
    code, out, _ = run(planned, "survey", "questions", "reset")
    assert code == 0 and out.splitlines()[0].startswith("response_time: ")


def test_questionnaire_in_config_file_is_ignored_with_a_warning(
    planned: str, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "config.toml"  # HELPDESK_CONFIG_DIR of the test
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[survey.question]]\nid = "speed"\ntext = "Fast?"\n', encoding="utf-8")
    code, out, err = run(planned, "survey", "questions", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == "response_time"
    assert err.count("\n") == 1
    assert "config.toml: [survey] is no longer read" in err
    assert "helpdesk survey questions set" in err and "helpdesk policy import" in err


def test_untrusted_names_are_plain_in_tables(planned: str) -> None:
    close_tickets(planned, HOSTILE)
    code, out, err = run(planned, "survey", "due")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "Mallory" in out
    code, out, _ = run(planned, "survey", "due", "--json")
    assert "\x1b" not in out  # JSON escapes control characters
    assert json.loads(out)[0]["requester"] == HOSTILE


def test_nothing_due(planned: str) -> None:
    code, out, _ = run(planned, "survey", "due")
    assert code == 0 and "no callbacks due today" in out
