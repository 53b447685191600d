"""Issue 11: every default role x every command, allowed or exit 3, as the README's table says.

Every command of the typer app is in `TABLE` with what it needs: permissions of the
README's permission table (all of them, or `either` of them), any registered agent, or
no agent at all, the last two with the reason. A new command fails
`test_every_command_declares_what_it_needs` until someone puts it in.

Each case runs through the CLI, on a fresh copy of a prepared desk (tests/permission_desk.py),
as an agent holding only one default role (`--as`; `init` and `db upgrade` as the OS
account itself), as an agent with no role at all and, where no permission is declared, as
a disabled agent. The expectation comes from the README's table itself, parsed here: so
the README, services/rbac.py (tests/test_readme_permissions.py) and what the commands
enforce all have to agree. Allowed: exit 0, and the database changed exactly when the
case says it changes something. Refused: exit 3, one line on stderr naming a missing
permission (or the who-rule, when `ticket.supervise` is what is missing), nothing on
stdout and the database unchanged, compared as an SQL dump.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.services import identity
from tests.cli_commands import cli_commands
from tests.permission_desk import DISABLED, NO_ROLE, PermissionDesk, build

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"
SUPERVISE = "ticket.supervise"


def readme_table() -> tuple[list[str], dict[str, frozenset[str]]]:
    """The README's permission table: its roles, and each permission's roles."""
    text = README.read_text(encoding="utf-8")
    lines = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().splitlines()

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    roles = cells(lines[0])[2:]
    grants: dict[str, frozenset[str]] = {}
    for line in lines[2:]:
        row = cells(line)
        marks = row[2:]
        assert len(marks) == len(roles) and set(marks) <= {"✓", ""}, line
        grants[row[0].strip("`")] = frozenset(r for r, m in zip(roles, marks, strict=True) if m)
    return roles, grants


ROLES, GRANTS = readme_table()


def held_by(who: str) -> frozenset[str]:
    """The permissions an identity holds by the README (none without a role)."""
    return frozenset(p for p, roles in GRANTS.items() if who in roles)


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Needs:
    """What a command needs: all of `all_of`, one of `any_of`, or (with the reason) any
    registered agent or no agent at all."""

    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    any_agent: str = ""
    no_agent: str = ""

    @property
    def permissions(self) -> set[str]:
        return {*self.all_of, *self.any_of}

    def missing(self, held: frozenset[str]) -> set[str]:
        """The permissions `held` lacks for this (empty: allowed)."""
        lacking = {p for p in self.all_of if p not in held}
        if self.any_of and not held & set(self.any_of):
            lacking |= set(self.any_of)
        return lacking


def needs(*permissions: str) -> Needs:
    return Needs(all_of=permissions)


def either(*permissions: str) -> Needs:
    return Needs(any_of=permissions)


def any_agent(reason: str) -> Needs:
    return Needs(any_agent=reason)


def no_agent(reason: str) -> Needs:
    return Needs(no_agent=reason)


Args = Callable[[PermissionDesk, str], list[str]]


@dataclass(frozen=True)
class Case:
    """One way to run a command, prepared to succeed when permitted.

    `changes`: whether the desk's database changes when it is allowed. `own_account`:
    the command acts as the OS account itself (`--as` is refused), so it runs as the
    identity's OS account. `prepare` runs on the copy first (the dump is taken after it).
    """

    args: Args
    needs: Needs
    changes: bool = True
    own_account: bool = False
    stdin: str | None = None
    prepare: Callable[[PermissionDesk, str], None] | None = None


def a(*values: str) -> Args:
    """Fixed arguments."""
    return lambda d, who: list(values)


def t(which: str, *rest: str) -> Args:
    """A ticket's id, then `rest`: the identity's own (mine, resolved, escalated) or a
    shared one (fresh, others, others_escalated, l3, stale)."""

    def args(d: PermissionDesk, who: str) -> list[str]:
        own = {"mine": d.mine, "resolved": d.resolved, "escalated": d.escalated}
        tid = own[which][who] if which in own else d.tickets[which]
        return [str(tid), *rest]

    return args


def f(name: str, *rest: str) -> Args:
    """`rest` (leading arguments), then the path of one of the desk's prepared files."""
    return lambda d, who: [*rest, str(d.files[name])]


def _drop_a_grant(d: PermissionDesk, db: str) -> None:
    """A desk from before a permission existed: `init` and `db upgrade` grant it again."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "DELETE FROM role_permission WHERE role_id = (SELECT id FROM role WHERE name = "
            "'admin') AND permission_id = (SELECT id FROM permission WHERE name = 'sla.watch')"
        )
    conn.close()


def _store_secret(d: PermissionDesk, db: str) -> None:
    code, _, err = d.run(db, "secret", "set", "smtp", "--file", input="s3cret\n", env={})
    assert code == 0, err


SOLVE = ("--code", "solved_permanent", "-m", "fixed")
READ = needs("ticket.read")
CONFIG = needs("config.manage")
LISTS = "lists the desk's own reference data, shown to every agent"
NO_DESK = "the account's own secrets (keyring or a 0600 file), no desk involved"
LOOKS = "looks at the files and the schema, not at tickets, as the OS account"


def mine_to(field: str) -> Args:
    return lambda d, who: [str(d.mine[who]), field, d.spare]


def others_to_me(d: PermissionDesk, who: str) -> list[str]:
    return [str(d.tickets["others"]), "--assignee", d.logins[who]]


#: Every command, with what it needs.
TABLE: dict[str, list[Case]] = {
    # -- the desk and its people
    "init": [Case(a(), CONFIG, own_account=True, prepare=_drop_a_grant)],
    "db upgrade": [Case(a(), CONFIG, own_account=True, prepare=_drop_a_grant)],
    "db current": [Case(a(), no_agent(LOOKS), changes=False)],
    "where": [Case(a(), no_agent("prints where the files are"), changes=False)],
    "doctor": [Case(a(), no_agent(LOOKS), changes=False)],
    "demo": [Case(a("--tickets", "1", "--append"), needs("demo.generate"))],
    "user add": [Case(a("newbie"), needs("agent.manage"))],
    "user grant": [Case(lambda d, who: [d.spare, "engineer"], needs("agent.manage"))],
    "user revoke": [Case(lambda d, who: [d.spare, "agent"], needs("agent.manage"))],
    "user disable": [Case(lambda d, who: [d.spare], needs("agent.manage"))],
    "user enable": [Case(a("leaver"), needs("agent.manage"))],
    "user roles": [
        Case(a(), any_agent("what each role may do is no secret to the desk"), changes=False),
        Case(lambda d, who: [d.spare], any_agent("who holds which role"), changes=False),
    ],
    "user list": [Case(a(), READ, changes=False)],
    "category list": [Case(a(), any_agent(LISTS), changes=False)],
    "category add": [Case(a("facilities"), CONFIG)],
    "import tickets": [Case(f("import"), needs("ticket.import"))],
    # -- tickets; "mine", "resolved" and "escalated" are the acting agent's own
    "ticket new": [
        Case(a("-t", "Mouse broken"), needs("ticket.create")),
        Case(
            a("-t", "Mouse broken", "--priority", "critical", "--reason", "the CEO's"),
            needs("ticket.create", "ticket.priority.override"),
        ),
    ],
    "ticket list": [Case(a(), READ, changes=False)],
    "ticket show": [Case(t("others"), READ, changes=False)],
    "ticket handoff": [Case(t("escalated"), READ, changes=False)],
    "ticket update": [
        Case(t("mine", "--title", "Outlook crashes at start"), needs("ticket.update")),
        Case(
            t("mine", "--priority", "critical", "--reason", "the whole team"),
            needs("ticket.update", "ticket.priority.override"),
        ),
        Case(mine_to("--assignee"), needs("ticket.update", "ticket.assign")),
        Case(t("mine", "--group", "L2 Desktop"), needs("ticket.update", "ticket.assign")),
        # Someone else's: its facts are anyone's to correct, its assignment is not.
        Case(t("others", "--title", "Laptop does not boot"), needs("ticket.update")),
        Case(others_to_me, needs("ticket.update", "ticket.assign", SUPERVISE)),
    ],
    "ticket note": [
        Case(t("mine", "called back"), needs("ticket.note")),
        Case(t("others", "the requester called"), needs("ticket.note")),
    ],
    "ticket take": [
        Case(t("fresh"), needs("ticket.take")),
        Case(t("l3"), needs("ticket.take", SUPERVISE)),  # nobody here is in L3
    ],
    "ticket status": [
        Case(t("mine", "resolved", *SOLVE), needs("ticket.status")),
        Case(t("mine", "waiting_customer"), needs("ticket.status")),
        Case(t("mine", "cancelled"), needs("ticket.cancel")),
        Case(t("resolved", "in_progress", "-m", "still broken"), needs("ticket.status")),
        Case(t("others", "resolved", *SOLVE), needs("ticket.status", SUPERVISE)),
        Case(t("others", "cancelled"), needs("ticket.cancel", SUPERVISE)),
    ],
    "ticket escalate": [
        Case(t("mine", "--to", "L2 Network", "-r", "error 809"), needs("ticket.escalate")),
        Case(t("mine", "--to-supervisor", "-r", "a VIP"), needs("ticket.escalate")),
        Case(t("others", "--to", "L2 Network", "-r", "809"), needs("ticket.escalate", SUPERVISE)),
    ],
    "ticket handback": [
        Case(t("escalated", "-m", "first line can do this"), needs("ticket.status")),
        Case(t("others_escalated", "-m", "yours"), needs("ticket.status", SUPERVISE)),
    ],
    "ticket ask": [
        Case(t("escalated", "which office?"), needs("ticket.note")),
        Case(t("others_escalated", "which office?"), needs("ticket.note", SUPERVISE)),
        Case(t("others_escalated", "which client?", "--whom", "l1"), needs("ticket.note")),
    ],
    "ticket confirm": [Case(t("resolved", "--via", "phone"), needs("ticket.status"))],
    "ticket autoclose": [Case(a("--days", "5"), needs("ticket.autoclose"))],
    # -- triage and knowledge
    "triage suggest": [
        Case(a("printer jam"), no_agent("works without a desk: rules and SOPs"), changes=False)
    ],
    "triage eval": [Case(f("eval"), no_agent("scores the model on a file"), changes=False)],
    "triage train": [Case(a(), needs("triage.train"))],
    "report triage": [Case(a(), needs("report.view"), changes=False)],
    "sop lint": [Case(f("sops", "--dir"), no_agent("checks SOP files"), changes=False)],
    "sop sync": [Case(f("sops", "--dir"), needs("sop.manage"))],
    "sop list": [Case(a(), any_agent(LISTS), changes=False)],
    "sop show": [Case(a("vpn-cannot-connect"), any_agent(LISTS), changes=False)],
    "kb new": [
        Case(a("-t", "Printer jams", "-b", "Open tray 2"), needs("kb.write")),
        Case(a("-t", "Printer jams", "-b", "Tray 2", "--publish"), needs("kb.write", "kb.publish")),
    ],
    "kb list": [Case(a(), any_agent("the knowledge base is every agent's"), changes=False)],
    "kb show": [
        Case(
            lambda d, who: [str(d.draft)],
            any_agent("the knowledge base is every agent's"),
            changes=False,
        )
    ],
    "kb feedback": [Case(lambda d, who: [str(d.published), "helpful"], READ)],
    "kb publish": [Case(lambda d, who: [str(d.draft)], needs("kb.publish"))],
    "kb retire": [Case(lambda d, who: [str(d.published)], needs("kb.publish"))],
    # writes files, not the desk
    "kb export": [Case(lambda d, who: [str(d.root / "export" / who)], READ, changes=False)],
    "kb import": [
        Case(f("kb_draft"), needs("kb.write")),
        Case(f("kb_published"), needs("kb.write", "kb.publish")),
    ],
    # -- SLA, OLA, desk policy
    "ola list": [
        Case(
            a(),
            any_agent("lists the OLA targets (it makes the defaults on first use)"),
            changes=False,  # escalations made them on this desk already
        )
    ],
    "ola set": [Case(a("--response", "5", "--resolve", "60", "L2 Network"), CONFIG)],
    "sla watch": [Case(a("--once"), needs("sla.watch"))],
    "sla calendar list": [Case(a(), READ, changes=False)],
    "sla calendar show": [Case(a("business"), READ, changes=False)],
    "sla calendar add": [Case(a("apac", "--timezone", "Asia/Tokyo"), CONFIG)],
    "sla calendar set": [Case(a("business", "--opens", "07:00"), CONFIG)],
    "sla calendar holiday add": [Case(a("business", "2027-01-01"), CONFIG)],
    "sla calendar holiday remove": [Case(a("business", "2027-12-24"), CONFIG)],
    "sla calendar holiday import": [Case(f("holidays", "business"), CONFIG)],
    "sla policy list": [Case(a(), READ, changes=False)],
    "sla policy set": [Case(a("low", "--response", "2h"), CONFIG)],
    "sla rule list": [Case(a(), READ, changes=False)],
    "sla rule add": [Case(a("r2", "--on", "breach", "--to-supervisor"), CONFIG)],
    "sla rule remove": [Case(a("r1"), CONFIG)],
    "sla rule disable": [Case(a("r1"), CONFIG)],
    "sla rule enable": [Case(a("r_off"), CONFIG)],
    "policy show": [Case(a(), READ, changes=False)],
    "policy set": [Case(a("--reopen-days", "12"), CONFIG)],
    "policy import": [
        Case(f("policy"), CONFIG),
        Case(f("policy_questions"), needs("config.manage", "survey.manage")),
    ],
    "notifications": [Case(a(), any_agent("one's own notifications"), changes=False)],
    "notifications read": [Case(a("--all"), any_agent("marks one's own notifications read"))],
    # -- satisfaction surveys
    "survey due": [Case(a(), either("survey.record", "survey.manage"))],
    "survey record": [
        Case(
            lambda d, who: [str(d.survey), "--outcome", "done", "--consent", "-a", "overall=4"],
            needs("survey.record"),
        )
    ],
    "survey list": [Case(a(), either("survey.record", "survey.manage"), changes=False)],
    "survey improvements": [Case(a(), needs("survey.manage"), changes=False)],
    "survey improvement-done": [
        Case(lambda d, who: [str(d.improvement), "--note", "called"], needs("survey.manage"))
    ],
    "survey results": [Case(a(), either("report.view", "survey.manage"), changes=False)],
    "survey plan add": [Case(a("p2", "--rate", "0.5"), needs("survey.manage"))],
    "survey plan list": [Case(a(), either("survey.manage", "survey.record"), changes=False)],
    "survey plan disable": [Case(a("p1"), needs("survey.manage"))],
    "survey plan enable": [Case(a("p_off"), needs("survey.manage"))],
    "survey questions": [Case(a(), any_agent("the questions agents ask"), changes=False)],
    "survey questions set": [Case(a("overall=How did we do?"), needs("survey.manage"))],
    "survey questions reset": [Case(a(), needs("survey.manage"))],
    # -- the account's own secrets
    "secret set": [Case(a("smtp", "--file"), no_agent(NO_DESK), changes=False, stdin="pw\n")],
    "secret delete": [Case(a("smtp"), no_agent(NO_DESK), changes=False, prepare=_store_secret)],
    "secret list": [Case(a(), no_agent(NO_DESK), changes=False)],
}

#: Permissions of the README's table that no command needs, and why.
NOT_ON_THE_CLI: dict[str, str] = {
    "agent.impersonate": "`--as` itself: test_acting_as_another_agent_follows_the_table",
    "triage.run": "`triage` works without a desk or an agent; the TUI's intake asks no one",
    "audit.view": "no audit command yet",
    "announcement.create": "announcements are not built yet",
    "announcement.approve": "announcements are not built yet",
    "cmdb.change.request": "the CMDB is not built yet",
    "cmdb.change.approve": "the CMDB is not built yet",
}


# --------------------------------------------------------------------------- the desk


@pytest.fixture(scope="module")
def perm_desk(tmp_path_factory: pytest.TempPathFactory) -> PermissionDesk:
    return build(tmp_path_factory.mktemp("permissions"), ROLES)


_DUMPS: dict[str, str] = {}


def dump(db: str) -> str:
    """The database as SQL text: what "unchanged" means."""
    with sqlite3.connect(db) as conn:
        text = "\n".join(conn.iterdump())
    conn.close()
    return text


def template_dump(desk: PermissionDesk) -> str:
    key = str(desk.template)
    if key not in _DUMPS:
        _DUMPS[key] = dump(key)
    return _DUMPS[key]


def identities(case: Case) -> list[str]:
    """Who runs the case: each role, an agent with no role; a disabled agent where no
    permission is declared (it tells "any agent" from "no agent")."""
    extra = [DISABLED] if case.needs.any_agent or case.needs.no_agent else []
    return [*ROLES, NO_ROLE, *extra]


def allowed(case: Case, who: str) -> bool:
    """What the README's table (and the declaration) says for `who`."""
    if case.needs.no_agent:
        return True
    if who == DISABLED:
        return False
    return bool(case.needs.any_agent) or not case.needs.missing(held_by(who))


def _params() -> Iterator[Any]:
    for path, cases in TABLE.items():
        for n, case in enumerate(cases):
            for who in identities(case):
                yield pytest.param(path, case, who, id=f"{path}#{n}-{who}")


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(("path", "case", "who"), list(_params()))
def test_each_role_may_do_what_the_readme_table_says(
    perm_desk: PermissionDesk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    case: Case,
    who: str,
) -> None:
    db = perm_desk.copy_to(tmp_path / "desk.db")
    before = template_dump(perm_desk)
    if case.prepare is not None:
        case.prepare(perm_desk, db)
        before = dump(db)
    args = [*path.split(), *case.args(perm_desk, who)]
    if case.own_account:
        uid = perm_desk.uids[who]
        monkeypatch.setattr(identity, "_process_uids", lambda: (uid, uid))
    else:
        args = ["--as", perm_desk.logins[who], *args]
    code, out, err = perm_desk.run(db, *args, input=case.stdin, env={})
    after = dump(db)
    if allowed(case, who):
        assert code == 0, (args, err)
        assert (after != before) == case.changes, "changed" if after != before else "unchanged"
        return
    assert (code, out) == (3, ""), (args, code, out, err)
    line = one_line(err)
    if who == DISABLED:
        assert "is disabled" in line, line
    else:
        missing = case.needs.missing(held_by(who))
        named = [p for p in missing if f"'{p}'" in line]
        # Without ticket.supervise, the who-rule refuses: it names who may instead.
        who_rule = missing == {SUPERVISE} and "or a supervisor may" in line
        assert named or who_rule, (missing, line)
    assert after == before, "a refused command changed the database"


@pytest.mark.parametrize("who", [*ROLES, NO_ROLE])
def test_acting_as_another_agent_follows_the_table(
    perm_desk: PermissionDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    """`--as` is the permission agent.impersonate, for the OS account itself."""
    db = perm_desk.copy_to(tmp_path / "desk.db")
    uid = perm_desk.uids[who]
    monkeypatch.setattr(identity, "_process_uids", lambda: (uid, uid))
    code, out, err = perm_desk.run(
        db, "--as", perm_desk.spare, "ticket", "note", str(perm_desk.tickets["fresh"]), "hi", env={}
    )
    if "agent.impersonate" in held_by(who):
        assert code == 0, err
        assert dump(db) != template_dump(perm_desk)
    else:
        assert (code, out) == (3, "")
        assert "may not act as another agent" in one_line(err)
        assert dump(db) == template_dump(perm_desk)


# --------------------------------------------------------------------------- the table itself


def test_every_command_declares_what_it_needs() -> None:
    """A new command must be added to TABLE; each declaration names the table's
    permissions, or gives its reason for needing none."""
    commands = set(cli_commands())
    assert set(TABLE) == commands, {
        "not in TABLE": sorted(commands - set(TABLE)),
        "no such command": sorted(set(TABLE) - commands),
    }
    for path, cases in TABLE.items():
        assert cases, path
        for case in cases:
            declared = case.needs
            kinds = [bool(declared.permissions), bool(declared.any_agent), bool(declared.no_agent)]
            assert kinds.count(True) == 1, (path, declared)
            assert declared.permissions <= set(GRANTS), (path, declared.permissions - set(GRANTS))


def test_every_permission_of_the_table_is_needed_by_a_command_or_said_why_not() -> None:
    needed = {p for cases in TABLE.values() for case in cases for p in case.needs.permissions}
    assert set(GRANTS) - needed == set(NOT_ON_THE_CLI)
    assert not needed & set(NOT_ON_THE_CLI)


def test_each_role_is_refused_somewhere_and_allowed_somewhere() -> None:
    """The table is not vacuous: every role and the agent without one meet both answers,
    and the roles differ from each other."""
    cases = [case for cases in TABLE.values() for case in cases]
    seen = {who: {allowed(case, who) for case in cases} for who in [*ROLES, NO_ROLE]}
    for who, answers in seen.items():
        everything = held_by(who) == set(GRANTS)  # admin's role
        assert answers == ({True} if everything else {True, False}), who
    rows = {who: tuple(allowed(case, who) for case in cases) for who in [*ROLES, NO_ROLE]}
    assert len(set(rows.values())) == len(rows)
