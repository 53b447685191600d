"""The desk the permission table runs on (tests/test_cli_permissions.py, issue 11).

Built once through the CLI by the OS account running the tests (the desk's admin), then
copied for every case, so each command meets the desk as it was made here. The desk has
one agent per default role of the README's permission table, an agent with no role at
all and a disabled one; each of the first five is an OS account too, so `init` and
`db upgrade` (which act as the account itself, never `--as`) can run as them.

Tickets are prepared so that only the permission decides: each identity has its own
ticket in each state (new, resolved, escalated and accepted), assigned to them; the
"others" tickets belong to a spare agent, for the rows where `ticket.supervise` decides.
"""

from __future__ import annotations

import json
import pwd
import re
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import typer.main
import typer.testing
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.agent_rules import validate_login
from helpdesk_tui.services.rbac import os_login
from helpdesk_tui.services.sop_files import shipped_sop_dir
from helpdesk_tui.store.types import utcnow

#: The identity holding no role, and the disabled agent (who can no longer act).
NO_ROLE = "no-role"
DISABLED = "disabled"


def os_accounts(count: int) -> list[pwd.struct_passwd]:
    """`count` OS accounts other than the one running the tests, lowest uid first."""
    me = os_login()
    found = [
        entry
        for entry in sorted(pwd.getpwall(), key=lambda e: e.pw_uid)
        if entry.pw_name != me and _valid(entry.pw_name)
    ]
    assert len(found) >= count, "the permission test needs that many OS accounts"
    return found[:count]


@cache
def _click_command() -> Any:
    return typer.main.get_command(app)


def invoke(args: list[str], env: Mapping[str, str], input: str | None) -> typer.testing.Result:
    """CliRunner's invoke, with the app converted to a click command once per process.

    typer's CliRunner converts the whole app on every call (0.13 s, most of a run here);
    the console script converts it once per process too.
    """
    with mock.patch.object(typer.testing, "_get_command", lambda _app: _click_command()):
        return CliRunner().invoke(app, args, env=dict(env), input=input)


def _valid(login: str) -> bool:
    try:
        validate_login(login)
    except UsageError:
        return False
    return True


@dataclass
class PermissionDesk:
    """The template desk and the names of what the cases address."""

    root: Path
    template: Path
    env: Mapping[str, str]
    #: identity (a role, NO_ROLE, DISABLED) -> login
    logins: dict[str, str] = field(default_factory=dict)
    #: identity -> OS uid (not for DISABLED)
    uids: dict[str, int] = field(default_factory=dict)
    #: identity -> their own ticket: new, resolved, escalated to L2 Network and accepted
    mine: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    escalated: dict[str, int] = field(default_factory=dict)
    #: shared tickets: fresh (new, nobody's), others (the spare's), others_escalated,
    #: l3 (escalated to L3, unassigned), stale (resolved long ago)
    tickets: dict[str, int] = field(default_factory=dict)
    draft: int = 0
    published: int = 0
    survey: int = 0
    improvement: int = 0
    spare: str = "spare"
    files: dict[str, Path] = field(default_factory=dict)

    def run(
        self,
        db: str,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """`helpdesk --db DB ARGS` in process: exit code, stdout, stderr.

        The environment is the template's own directories unless `env` is given (`{}`:
        the test's, from conftest's fixture).
        """
        chosen = self.env if env is None else env
        result = invoke(["--db", db, *args], chosen, input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> str:
        """Run a seeding command on the template that must succeed; its stdout."""
        code, out, err = self.run(str(self.template), *args)
        assert code == 0, (args, err)
        return out

    def sql(self, statement: str, *params: object) -> None:
        """What the CLI cannot set (old timestamps, notifications), as SQL on the template."""
        with sqlite3.connect(self.template) as conn:
            conn.execute(statement, params)
        conn.close()

    def copy_to(self, path: Path) -> str:
        """A copy of the template for one case (SQLite's backup API: WAL or not, whole)."""
        with sqlite3.connect(self.template) as source, sqlite3.connect(path) as target:
            source.backup(target)
        source.close()
        target.close()
        return str(path)


def _new(desk: PermissionDesk, title: str, *extra: str) -> int:
    return int(desk.ok("ticket", "new", "-t", title, "--requester", "Ann Example", *extra))


def _assigned(desk: PermissionDesk, login: str, title: str) -> int:
    tid = _new(desk, title)
    desk.ok("ticket", "update", str(tid), "--assignee", login)
    return tid


def _resolve(desk: PermissionDesk, tid: int) -> None:
    desk.ok("ticket", "status", str(tid), "resolved", "--code", "solved_permanent", "-m", "fixed")


def _escalated(desk: PermissionDesk, login: str | None, title: str, group: str) -> int:
    tid = _new(desk, title)
    desk.ok("ticket", "escalate", str(tid), "--to", group, "-r", "beyond first line")
    if login is not None:
        desk.ok("ticket", "update", str(tid), "--assignee", login)
    return tid


def _closed(desk: PermissionDesk, title: str, category: str) -> int:
    tid = _new(desk, title, "--category", category, "--reason", "the caller knows")
    _resolve(desk, tid)
    desk.ok("ticket", "confirm", str(tid), "--via", "phone")
    return tid


def _agents(desk: PermissionDesk, roles: list[str]) -> None:
    accounts = os_accounts(len(roles) + 1)
    groups = {"engineer": "L2 Network", "admin": ""}
    for role, account in zip([*roles, NO_ROLE], accounts, strict=True):
        login = account.pw_name
        desk.logins[role], desk.uids[role] = login, account.pw_uid
        group = groups.get(role, "Service Desk")
        args = ["user", "add", login, "--role", "agent" if role == NO_ROLE else role]
        desk.ok(*args, *(["--group", group] if group else []))
    desk.ok("user", "revoke", desk.logins[NO_ROLE], "agent")
    desk.ok("user", "add", desk.spare, "--group", "Service Desk")
    desk.logins[DISABLED] = "leaver"
    desk.ok("user", "add", "leaver", "--group", "Service Desk")
    desk.ok("user", "disable", "leaver")


def _tickets(desk: PermissionDesk, roles: list[str]) -> None:
    for who in [*roles, NO_ROLE]:
        login = desk.logins[who]
        desk.mine[who] = _assigned(desk, login, f"Outlook keeps crashing ({who})")
        desk.resolved[who] = _assigned(desk, login, f"Printer offline ({who})")
        _resolve(desk, desk.resolved[who])
        desk.escalated[who] = _escalated(desk, login, f"VPN drops ({who})", "L2 Network")
    desk.tickets["fresh"] = _new(desk, "Monitor flickers")
    desk.tickets["others"] = _assigned(desk, desk.spare, "Laptop will not boot")
    desk.tickets["others_escalated"] = _escalated(
        desk, desk.spare, "Switch port dead", "L2 Network"
    )
    desk.tickets["l3"] = _escalated(desk, None, "Storage array degraded", "L3 Infrastructure")
    stale = _new(desk, "Keyboard sticky")
    _resolve(desk, stale)
    long_ago = (utcnow() - timedelta(days=30)).isoformat(sep=" ")
    desk.sql("UPDATE ticket SET resolved_at = ? WHERE id = ?", long_ago, stale)
    desk.tickets["stale"] = stale


def _surveys(desk: PermissionDesk) -> None:
    """Closed tickets (training data, survey targets), plans, a due survey, an improvement,
    and one closed ticket no `survey due` has seen yet."""
    for n in range(6):
        _closed(desk, f"Closed case {n}", "hardware" if n % 2 else "network")
    since = (utcnow() - timedelta(days=30)).isoformat()
    desk.ok("survey", "plan", "add", "p1", "--rate", "1", "--delay", "0h", "--since", since)
    desk.ok("survey", "plan", "add", "p_off", "--rate", "0.5")
    desk.ok("survey", "plan", "disable", "p_off")
    due = json.loads(desk.ok("survey", "due", "--json"))
    desk.survey = due[0]["survey_id"]
    desk.ok(
        "survey", "record", str(due[1]["survey_id"]), "--outcome", "done", "--consent",
        "--answer", "overall=1", "--comment", "slow",
    )  # fmt: skip
    desk.improvement = json.loads(desk.ok("survey", "improvements", "--json"))[0]["id"]
    _closed(desk, "Closed after the last survey run", "hardware")
    desk.ok("triage", "train")


def _policy(desk: PermissionDesk) -> None:
    desk.ok("sla", "calendar", "holiday", "add", "business", "2027-12-24")
    desk.ok("sla", "rule", "add", "r1", "--on", "breach", "--to-group", "L2 Network")
    desk.ok("sla", "rule", "add", "r_off", "--on", "warning", "--to-supervisor")
    desk.ok("sla", "rule", "disable", "r_off")
    desk.draft = int(desk.ok("kb", "new", "-t", "Map a drive", "-b", "Use Explorer"))
    desk.published = int(
        desk.ok("kb", "new", "-t", "Reset a PIN", "-b", "Use the portal", "--publish")
    )
    now = utcnow().isoformat(sep=" ")
    for who, login in desk.logins.items():
        desk.sql(
            "INSERT INTO notification (agent_id, ticket_id, kind, text, created_at) "
            "SELECT id, ?, 'breach', 'SLA breached', ? FROM agent WHERE login = ?",
            desk.mine.get(who),
            now,
            login,
        )


def _files(desk: PermissionDesk) -> None:
    root = desk.root
    files = desk.files
    files["import"] = root / "import.csv"
    files["import"].write_text("id,title,category,priority\next-1,Printer jam,hardware,low\n")
    for status in ("draft", "published"):
        folder = root / f"kb-{status}"
        folder.mkdir()
        (folder / "a.md").write_text(
            f'+++\ntitle = "Imported {status}"\ncategory = "other"\nstatus = "{status}"\n'
            "+++\nSteps.\n"
        )
        files[f"kb_{status}"] = folder
    sops = root / "sops"
    shutil.copytree(shipped_sop_dir(), sops)
    first = sorted(sops.glob("*.md"))[0]
    text = first.read_text(encoding="utf-8")
    first.write_text(re.sub(r'(?m)^title = "', 'title = "Changed: ', text, count=1))
    files["sops"] = sops
    files["holidays"] = root / "holidays.txt"
    files["holidays"].write_text("2027-05-01\n")
    files["policy"] = root / "closure.toml"
    files["policy"].write_text("[closure]\nreopen_days = 9\n")
    files["policy_questions"] = root / "questions.toml"
    files["policy_questions"].write_text(
        '[closure]\nreopen_days = 9\n\n[[survey.question]]\nid = "overall"\ntext = "How was it?"\n'
    )
    files["eval"] = root / "eval.csv"
    files["eval"].write_text("text,category\nprinter jam,hardware\nvpn drops,network\n")


def build(root: Path, roles: list[str]) -> PermissionDesk:
    """Build the template desk under `root` with an agent per role of `roles`."""
    config = root / "config"
    config.mkdir(parents=True)
    env = {"HELPDESK_DATA_DIR": str(root / "data"), "HELPDESK_CONFIG_DIR": str(config)}
    desk = PermissionDesk(root=root, template=root / "template.db", env=env)
    desk.ok("init", "--timezone", "UTC")
    _agents(desk, roles)
    _tickets(desk, roles)
    _surveys(desk)
    _policy(desk)
    _files(desk)
    return desk
