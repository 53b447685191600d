"""The CLI side of access (issue 11 items 1, 2, 5; issue 10's user commands, KB feedback,
`sop list --format`, SOPs and articles on a new or demo desk)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pwd
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services import identity
from helpdesk_tui.services.rbac import os_login
from helpdesk_tui.store.schema import SCHEMA_HEAD

ME = os_login()


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def ready(tmp_path: Path) -> str:
    db = str(tmp_path / "desk.db")
    code, _, err = run(db, "init")
    assert code == 0, err
    return db


@pytest.fixture
def as_daemon(monkeypatch: pytest.MonkeyPatch) -> str:
    """From here on the process counts as the OS account `daemon` (not registered)."""
    monkeypatch.setattr(identity, "_process_uids", lambda: (1, 1))
    return pwd.getpwuid(1).pw_name


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- logins and the last admin -----------------------------------------------------------


def test_user_add_validates_the_login(ready: str) -> None:
    code, _, err = run(ready, "user", "add", "")
    assert code == 2 and "cannot be empty" in one_line(err)
    code, _, err = run(ready, "user", "add", "evil\x1b]0;PWNED\x07")
    assert code == 2 and "\x1b" not in err and "\\x1b" in one_line(err)
    code, out, _ = run(ready, "user", "list", "--json")
    assert [u["login"] for u in json.loads(out)] == [ME]


def test_the_last_admin_keeps_the_role(ready: str) -> None:
    """Issue 11: `user roles <admin> --role agent` let the last admin step down."""
    code, _, err = run(ready, "user", "revoke", ME, "admin")
    assert code == 4 and "last active admin" in one_line(err)
    code, _, err = run(ready, "user", "disable", ME)
    assert code == 4 and "last active admin" in one_line(err)
    code, out, _ = run(ready, "user", "roles", ME, "--json")
    assert json.loads(out) == [{"login": ME, "role": "admin"}]


def test_roles_are_listed_granted_and_revoked(ready: str) -> None:
    assert run(ready, "user", "add", "alice")[0] == 0
    assert run(ready, "user", "grant", "alice", "supervisor", "admin") == (
        0,
        "alice: admin, agent, supervisor\n",
        "",
    )
    assert run(ready, "user", "revoke", ME, "admin") == (0, f"{ME}: no roles\n", "")
    code, _, err = run(ready, "user", "roles", "alice", "--role", "agent")
    assert code == 2 and "user grant" in one_line(err)
    code, out, _ = run(ready, "user", "roles", "--format", "csv")
    rows = {r["role"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"admin", "agent", "engineer", "supervisor"}
    assert "ticket.cancel" in rows["supervisor"]["permissions"]
    assert "ticket.cancel" not in rows["agent"]["permissions"]
    code, out, _ = run(ready, "user", "roles")
    assert code == 0 and out.startswith("admin: administrator: everything\n    agent.")
    code, _, err = run(ready, "user", "roles", "nobody")
    assert code == 5 and "nobody" in one_line(err)


def test_a_disabled_agent_cannot_act_and_is_enabled_again(ready: str) -> None:
    run(ready, "user", "add", "bob")
    assert run(ready, "user", "disable", "bob") == (0, "agent bob disabled\n", "")
    code, _, err = run(ready, "--as", "bob", "ticket", "list")
    assert code == 3 and "disabled" in one_line(err)
    code, out, _ = run(ready, "user", "list", "--json")
    assert {u["login"]: u["active"] for u in json.loads(out)} == {ME: True, "bob": False}
    assert run(ready, "user", "enable", "bob")[0] == 0
    assert run(ready, "--as", "bob", "ticket", "list")[0] == 0


# --- init and db upgrade -----------------------------------------------------------------


def test_init_on_an_existing_desk_needs_an_admin(ready: str, as_daemon: str) -> None:
    """Issue 11: "hdstranger is the first admin" after `helpdesk init` on a shared file."""
    code, out, err = run(ready, "init")
    assert code == 3 and f"{as_daemon} is not an agent" in one_line(err) and out == ""
    code, _, err = run(ready, "db", "upgrade")
    assert code == 3 and f"{as_daemon} is not an agent" in one_line(err)


def test_init_and_upgrade_refuse_a_registered_non_admin(
    ready: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = pwd.getpwuid(1).pw_name
    assert run(ready, "user", "add", daemon, "--role", "supervisor")[0] == 0
    monkeypatch.setattr(identity, "_process_uids", lambda: (1, 1))
    for command in (["init"], ["db", "upgrade"]):
        code, _, err = run(ready, *command)
        assert code == 3 and "config.manage" in one_line(err)
    code, out, _ = run(ready, "user", "roles", daemon, "--json")
    assert [r["role"] for r in json.loads(out)] == ["supervisor"]


def test_the_admin_reinitialises_and_upgrades(ready: str) -> None:
    code, out, _ = run(ready, "init", "--json")
    assert code == 0 and json.loads(out)["created_admin"] is False
    assert json.loads(out)["sops_loaded"] == 0  # loaded by the first init already
    assert run(ready, "db", "upgrade")[:2] == (0, f"schema at {SCHEMA_HEAD}\n")
    code, _, err = run(ready, "--as", ME, "init")
    assert code == 2 and "--as" in one_line(err)


def test_the_first_init_of_a_new_file_needs_no_one(tmp_path: Path, as_daemon: str) -> None:
    code, out, err = run(str(tmp_path / "new.db"), "init")
    assert code == 0, err
    assert f"{as_daemon} is the first admin" in out and "SOP library loaded: 42 SOPs" in out


def test_init_and_demo_refuse_another_programs_database(tmp_path: Path) -> None:
    other = tmp_path / "notes.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.close()
    before = digest(other)
    for command in (["init"], ["demo", "--tickets", "5"], ["db", "upgrade"]):
        code, _, err = run(str(other), *command)
        assert code == 1 and "another program's tables (notes)" in one_line(err)
    assert digest(other) == before  # not even switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database " * 100)
    code, _, err = run(str(junk), "init")
    assert code == 1 and "not an SQLite database" in one_line(err)
    empty = tmp_path / "empty.db"
    empty.touch()
    assert run(str(empty), "init")[0] == 0


def test_init_refuses_what_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    for target in (folder, fifo):
        code, _, err = run(str(target), "init")
        assert code == 1 and "is not a file" in one_line(err)


# --- SOPs, knowledge feedback ------------------------------------------------------------


def test_a_new_desk_has_the_sop_library(ready: str) -> None:
    """Issue 10: `sop list` was empty and `sop show vpn-cannot-connect` exited 5."""
    code, out, _ = run(ready, "sop", "show", "vpn-cannot-connect")
    assert code == 0 and out.startswith("vpn-cannot-connect v")
    code, out, _ = run(ready, "sop", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 42 and set(rows[0]) == {"id", "category", "title", "version"}
    code, out, _ = run(ready, "sop", "list", "--category", "network", "--format", "json")
    assert code == 0 and {s["category"] for s in json.loads(out)} == {"network"}
    code, _, err = run(ready, "sop", "list", "--format", "xml")
    assert code == 2 and "table, csv, json" in one_line(err)


def test_kb_feedback_on_the_cli(ready: str) -> None:
    code, out, _ = run(ready, "kb", "new", "-t", "Map a drive", "-b", "Use Explorer", "--publish")
    article = out.strip()
    assert run(ready, "kb", "feedback", article, "helpful") == (
        0,
        f"article #{article}: 1 helpful, 0 not helpful\n",
        "",
    )
    run(ready, "user", "add", "alice")
    code, out, _ = run(ready, "--as", "alice", "kb", "feedback", article, "not-helpful", "--json")
    assert json.loads(out)["helpful"] == 1 and json.loads(out)["not_helpful"] == 1
    # a second vote replaces the first: one vote per agent
    assert run(ready, "kb", "feedback", article, "not-helpful")[1].startswith(
        f"article #{article}: 0 helpful, 2 not helpful"
    )
    code, out, _ = run(ready, "kb", "show", article)
    assert "feedback: 0 helpful, 2 not helpful" in out
    code, _, err = run(ready, "kb", "feedback", article, "meh")
    assert code == 2 and "helpful, not-helpful" in one_line(err)
    code, _, err = run(ready, "kb", "feedback", "999", "helpful")
    assert code == 5 and "#999" in one_line(err)


@pytest.mark.slow
def test_the_demo_desk_has_sops_and_published_articles(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    code, out, err = run(db, "demo", "--tickets", "40", "--seed", "1", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["sops_loaded"] == 42 and summary["kb_articles_loaded"] >= 8
    code, out, _ = run(db, "kb", "list", "--status", "published", "--json")
    titles = [a["title"] for a in json.loads(out)]
    assert len(titles) == summary["kb_articles_loaded"]
    assert any("VPN" in title for title in titles)
    code, out, _ = run(db, "kb", "list", "--search", "0x800CCC0E", "--json")
    assert [a["category"] for a in json.loads(out)] == ["software"]
    assert run(db, "sop", "show", "vpn-cannot-connect")[0] == 0
    code, out, _ = run(db, "demo", "--tickets", "10", "--append", "--json")
    assert json.loads(out)["kb_articles_loaded"] == 0 and json.loads(out)["sops_loaded"] == 0
