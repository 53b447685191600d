"""Issue 11 items 6-7: no escape, bidi control or formula leaves through any CLI output.

Every command of the typer app is in one of the tables below (a test fails for a command
that is not, so a new command cannot escape). Each runs against a desk whose outside
text is hostile (tests/hostile_desk.py); read commands run in every output format they
offer and once more as if stdout were a terminal. The checks are on the raw bytes of
stdout and stderr.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.cli.common import FORMATS
from tests.cli_commands import cli_commands
from tests.hostile_desk import FORMULAS, SHORT_ESCAPES, HostileDesk, evil, evil_short, seed

Args = Callable[[HostileDesk], list[str]]


@dataclass(frozen=True)
class Run:
    """One way to run a command: its arguments, and whether its output quotes the corpus."""

    args: Args = lambda d: []
    quotes: bool = True
    formulas: bool = True  # its CSV has outside text at the start of a cell
    csv_only: bool = False  # `triage --batch`: CSV whatever the options


def t(name: str) -> Args:
    """Arguments: the id of one of the seeded tickets."""
    return lambda d: [str(d.tickets[name])]


#: Commands that print records or pages: run in every format they offer.
READS: dict[str, list[Run]] = {
    "where": [Run()],
    "doctor": [Run()],
    "db current": [Run(quotes=False)],
    "user list": [Run()],
    # every role (seeded names: nothing outside to quote), then the hostile agent's roles
    "user roles": [Run(quotes=False, formulas=False), Run(lambda d: ["--", d.agent])],
    "category list": [Run()],
    "ticket list": [
        Run(),
        Run(lambda d: [a for s in ("resolved", "closed", "escalated") for a in ("-s", s)]),
    ],
    "ticket show": [Run(t(name)) for name in ("escalated", "handed_back", "resolved", "noted")],
    "ticket handoff": [Run(t("escalated")), Run(lambda d: [*t("escalated")(d), "--draft"])],
    "triage suggest": [
        Run(lambda d: [evil("printer toner")], quotes=False),
        Run(lambda d: ["--batch", str(d.files["batch"])], csv_only=True),
    ],
    "triage eval": [Run(lambda d: [str(d.files["batch"])])],
    "sop lint": [Run(lambda d: ["--dir", str(d.files["sops"])], quotes=False)],
    "sop list": [Run()],
    "sop show": [Run(lambda d: [d.sop])],
    "kb list": [Run()],
    "kb show": [Run(lambda d: [str(d.article)])],
    "report triage": [Run()],
    "ola list": [Run()],
    "sla watch": [Run(lambda d: ["--once"], quotes=False)],
    "sla calendar list": [Run()],
    "sla calendar show": [Run(lambda d: [d.calendar])],
    "sla policy list": [Run()],
    "sla rule list": [Run()],
    "policy show": [Run(quotes=False)],
    "notifications": [Run()],
    "survey due": [Run()],
    "survey list": [Run()],
    "survey improvements": [Run()],
    "survey results": [Run()],
    "survey questions": [Run()],
    "survey plan list": [Run()],
    "secret list": [Run(formulas=False)],  # secret names are checked; paths start with /
}

#: Commands that change something: run once each; their confirmation or error line.
WRITES: dict[str, list[Run]] = {
    "init": [Run(quotes=False)],  # the database URL it prints is percent-encoded
    "demo": [Run(lambda d: ["--tickets", "0", "--append"], quotes=False)],
    "db upgrade": [Run(quotes=False)],
    # Names and labels hold 120 characters (store/limits.py refuses more on every backend).
    "user add": [Run(lambda d: ["--name", evil("name")[:120], "--", evil_short("login")])],
    "user grant": [Run(lambda d: ["--", d.agent, "engineer"])],
    "user revoke": [Run(lambda d: ["--", d.agent, evil_short("role")])],
    # an unknown (hostile) login: the planted agent stays enabled for the other runs
    "user disable": [Run(lambda d: ["--", evil_short("login")])],
    "user enable": [Run(lambda d: ["--", evil_short("login")])],
    "category add": [Run(lambda d: ["--label", evil("label")[:120], "--", evil_short("newcat")])],
    "import tickets": [Run(lambda d: [str(d.files["import"])])],
    "ticket new": [
        Run(lambda d: ["--title", evil("t"), "--requester", evil_short("r")], quotes=False),
        Run(lambda d: ["--title", evil("t"), "--body", evil("b"), "--json"]),
        Run(lambda d: ["--title", "x", "--category", evil_short("nocat")]),
    ],
    "ticket update": [
        Run(lambda d: [*t("w_update")(d), "--title", evil("u"), "--system", evil("s")], False),
        Run(lambda d: [*t("w_update")(d), "--assignee", evil_short("who")]),
    ],
    "ticket note": [
        Run(lambda d: ["--", *t("w_note")(d), evil("note")], quotes=False),
        Run(lambda d: ["--kind", evil_short("kind"), "--", *t("w_note")(d), evil("note")]),
    ],
    "ticket take": [Run(t("w_take"), quotes=False)],
    "ticket status": [Run(lambda d: ["--", *t("w_status")(d), evil_short("status")])],
    "ticket escalate": [
        Run(lambda d: [*t("w_escalate")(d), "--reason", evil("why"), "--to", d.group])
    ],
    # (quotes the tier-1 group, which `init` may have re-created under its plain name)
    "ticket handback": [Run(lambda d: [*t("w_handback")(d), "--note", evil("back")], False)],
    "ticket ask": [Run(lambda d: ["--whom", evil_short("whom"), "--", *t("w_ask")(d), evil("q")])],
    "ticket confirm": [Run(lambda d: [*t("w_confirm")(d), "--via", evil_short("via")])],
    "ticket autoclose": [Run(lambda d: ["--days", "0"], quotes=False)],
    "triage train": [Run(quotes=False)],
    "sop sync": [Run(lambda d: ["--dir", str(d.files["sops"])], quotes=False)],
    "kb new": [Run(lambda d: ["--title", evil("kb"), "--body", evil("kb body"), "--json"])],
    "kb publish": [Run(lambda d: [str(d.article)], quotes=False)],
    "kb retire": [Run(lambda d: [str(d.article)], quotes=False)],
    "kb feedback": [
        Run(lambda d: [str(d.article), "helpful"], quotes=False),
        Run(lambda d: ["--", str(d.article), evil_short("verdict")]),
    ],
    "kb export": [Run(lambda d: [str(d.files["kb_out"])])],
    "kb import": [Run(lambda d: [str(d.files["kb_in"])], quotes=False)],
    "ola set": [Run(lambda d: ["--response", "5", "--resolve", "60", "--", d.group])],
    "notifications read": [Run(lambda d: ["--all"], quotes=False)],
    "survey record": [
        Run(
            lambda d: [
                *(str(d.survey), "--outcome", "done", "--consent"),
                *("--answer", f"{evil_short('q')}=1"),
            ]
        )
    ],
    "survey improvement-done": [
        Run(lambda d: [str(d.improvement), "--note", evil("done")], quotes=False)
    ],
    "survey plan add": [Run(lambda d: ["--rate", "0.5", "--", evil_short("plan")])],
    "survey plan disable": [Run(lambda d: ["--", d.plan])],
    "survey plan enable": [Run(lambda d: ["--", d.plan])],
    # (a fixed start: a value starting with "=" would be an empty id, quoting nothing)
    "survey questions set": [Run(lambda d: ["--", f"Q{SHORT_ESCAPES}=x"])],
    "survey questions reset": [Run(quotes=False)],
    "policy set": [Run(lambda d: ["--reopen-days", "12"], quotes=False)],
    "policy import": [Run(lambda d: [str(d.files["policy"])])],
    "sla calendar add": [Run(lambda d: ["--timezone", f"Mars{SHORT_ESCAPES}", "--", "apac"])],
    "sla calendar set": [Run(lambda d: ["--opens", "07:00", "--", d.calendar])],
    "sla calendar holiday add": [Run(lambda d: ["--", d.calendar, "2027-01-01"])],
    "sla calendar holiday remove": [Run(lambda d: ["--", d.calendar, evil_short("day")])],
    "sla calendar holiday import": [Run(lambda d: ["--", d.calendar, str(d.files["holidays"])])],
    "sla policy set": [Run(lambda d: ["--calendar", d.calendar, "--", "low"])],
    "sla rule add": [Run(lambda d: ["--on", "breach", "--to-group", d.group, "--", "r2"])],
    "sla rule disable": [Run(lambda d: ["--", d.rule])],
    "sla rule enable": [Run(lambda d: ["--", d.rule])],
    "sla rule remove": [Run(lambda d: ["--", d.rule])],
    "secret set": [Run(lambda d: ["--", evil_short("secret")])],
    "secret delete": [Run(lambda d: ["--", evil_short("secret")]), Run(lambda d: ["smtp"])],
}

#: Commands not run here, with the reason.
SKIPPED: dict[str, str] = {}


COMMANDS = cli_commands()


def _options(path: str) -> set[str]:
    return {opt for param in COMMANDS[path].params for opt in param.opts}


def _formats(path: str) -> list[str]:
    """The output variants a read command offers: default, each --format, --json, a tty."""
    options = _options(path)
    variants = ["default", "tty"]
    if "--format" in options:
        variants += [f"--format={fmt}" for fmt in FORMATS]
    if "--json" in options:
        variants.append("--json")
    return variants


def _cases() -> Iterator[Any]:
    for path, runs in READS.items():
        for n, run in enumerate(runs):
            for variant in ["csv"] if run.csv_only else _formats(path):
                yield pytest.param(path, run, variant, id=f"{path}#{n}[{variant}]")
    for path, runs in WRITES.items():
        for n, run in enumerate(runs):
            yield pytest.param(path, run, "default", id=f"{path}#{n}")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileDesk:
    return seed(tmp_path_factory.mktemp("hostile"))


# --------------------------------------------------------------------------- the checks

_BIDI = set("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\ufeff") | {
    chr(c) for c in (*range(0x2066, 0x206A), *range(0x206A, 0x2070))
}
_SGR = re.compile(rb"\x1b\[[0-9;]*m")


def assert_clean(raw: bytes, *, crlf: bool = False, sgr: bool = False) -> str:
    """No C0 (but TAB, LF, and CRLF in CSV), DEL, C1, bidi or surrogate: the decoded text.

    With `sgr`, Rich's own colour sequences (a terminal run) are taken out first.
    """
    if sgr:
        raw = _SGR.sub(b"", raw)
    text = raw.decode("utf-8")  # strict: a lone surrogate or broken UTF-8 fails here
    if crlf:
        text = text.replace("\r\n", "\n")
    bad = sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F or c in _BIDI
        }
    )
    assert not bad, f"unsafe characters {bad} in output: {text[:2000]!r}"
    return text


def assert_no_formula(text: str) -> None:
    """No CSV cell starts a formula (OWASP: = + - @ TAB CR; also after white space)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, "no CSV"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("\t", "\r", "\n")), row
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), row


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _quoted(text: str) -> bool:
    """The output carries the corpus, made harmless (a stand-in or an escape)."""
    return any(mark in text for mark in ("\u241b", "\\x1b", "\\u001b"))


@pytest.mark.parametrize(("path", "run", "variant"), list(_cases()))
def test_no_escape_or_formula_leaves(
    hostile: HostileDesk, path: str, run: Run, variant: str
) -> None:
    args = [*path.split(), *run.args(hostile)]
    env = {}
    if variant == "tty":
        env["FORCE_COLOR"] = "1"  # Rich renders as for a terminal (styles on)
    elif variant.startswith("--"):
        # before a `--` that ends the options (a hostile argument may start with "-")
        end = args.index("--") if "--" in args else len(args)
        args[end:end] = variant.split("=")
    code, out, err = hostile.run(*args, env=env)
    assert code in range(6), (args, err)
    is_csv = variant in ("csv", "--format=csv")
    stdout = assert_clean(out, crlf=is_csv, sgr=variant == "tty")
    stderr = assert_clean(err)
    assert "Traceback" not in stderr
    if code == 0 and is_csv:
        assert_no_formula(stdout)
        neutralised = re.search("(^|,)\"?'[-=+@\t\n]", stdout, re.M)
        assert neutralised or not run.formulas, "no neutralised formula: was the corpus there?"
    if code == 0 and variant == "--json":
        data = json.loads(stdout)
        exact = [s for s in _strings(data) if "\x1b" in s or "\u202e" in s]
        assert exact or not run.quotes, "JSON should carry the exact text, escaped"
    elif run.quotes:
        assert _quoted(stdout + stderr), f"the corpus never reached {args}: {stdout + stderr}"


_PATH = "/nonexistent/x \x1b]0;PWNED\x07\x9b2J\u202e"  # a path can hold all but NUL


@pytest.mark.parametrize(
    ("args", "quotes"),
    [
        ([evil_short("command")], True),
        (["ticket", "show", evil_short("id")], False),  # "not a valid integer"
        (["ticket", "list", "--limit", evil_short("n")], False),
        (["ticket", "list", f"--{evil_short('option')}"], True),
        (["ticket", "list", "--format", evil_short("fmt")], True),
        (["ticket", "list", "--category", evil_short("cat")], True),
        (["ticket", "list", "-s", evil("status")], True),
        (["import", "tickets", _PATH], True),
        (["kb", "import", _PATH], True),
        (["sop", "lint", "--dir", _PATH], True),
        (["--as", evil_short("who"), "ticket", "list"], True),
    ],
    ids=lambda value: (
        " ".join(a for a in value if a.isascii() and a.isprintable())[:40]
        if isinstance(value, list)
        else None
    ),
)
def test_usage_errors_quote_the_command_line_harmlessly(
    hostile: HostileDesk, args: list[str], quotes: bool
) -> None:
    """Click's own messages and ours quote what was typed: as one harmless line."""
    code, out, err = hostile.run(*args)
    assert code in (1, 2, 3, 5), (args, err)
    assert_clean(out)
    message = assert_clean(err)
    assert "Traceback" not in message
    last = message.rstrip("\n").splitlines()[-1]
    assert last.startswith(("helpdesk: ", "Error: ")), message
    assert _quoted(last) or not quotes, message


def test_every_command_is_in_the_tables() -> None:
    """A new command must be added to READS, WRITES or SKIPPED (with a reason)."""
    tables = set(READS) | set(WRITES) | set(SKIPPED)
    assert set(COMMANDS) == tables, {
        "not in a table": sorted(set(COMMANDS) - tables),
        "no such command": sorted(tables - set(COMMANDS)),
    }
    assert not set(READS) & set(WRITES)


def test_every_record_printing_command_runs_in_each_format() -> None:
    """Commands with --format are read commands: they run in every format above."""
    with_format = {path for path in COMMANDS if "--format" in _options(path)}
    assert with_format <= set(READS)
    assert {"ticket list", "user list", "kb list", "ola list"} <= with_format


def test_formula_corpus_is_neutralised_in_the_ticket_csv(hostile: HostileDesk) -> None:
    """Each formula start of the corpus comes out behind a `'`, the rest of the cell kept."""
    code, out, _ = hostile.run("ticket", "list", "--format", "csv", "-s", "new")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.decode(), newline="")))
    titles = [row["title"] for row in rows]
    for formula in FORMULAS:
        # A title is stored stripped ("\t=1+1" as "=1+1"); `triage --batch` ids are not.
        shown = "'" + formula.strip()
        assert any(title.startswith(shown) for title in titles), (formula, titles)
    sample = next(title for title in titles if "title-new" in title)
    assert "\u241b]52;c;ZXZpbA==\u2407" in sample  # OSC 52, visible and inert
    assert "<U+202E>evil" in sample and "[@click=app.quit]x[/]" in sample


def test_kb_export_files_carry_no_escape_and_front_matter_round_trips(
    hostile: HostileDesk, tmp_path: Path
) -> None:
    out_dir = tmp_path / "kb"
    code, _, err = hostile.run("kb", "export", str(out_dir))
    assert code == 0, err
    files = sorted(out_dir.glob("*.md"))
    assert files
    for path in files:
        assert_clean(path.read_bytes())
    code, out, _ = hostile.run("kb", "show", str(hostile.article), "--json")
    title = json.loads(out)["title"]
    assert "\x1b]52" in title  # stored exactly ...
    from helpdesk_tui.services.kb import parse_markdown

    meta, body = parse_markdown(files[0])
    assert meta["title"] == title  # ... and exported exactly, as TOML escapes
    assert "\u241b]52;c;ZXZpbA==\u2407" in body  # the body with visible stand-ins


# --------------------------------------------------------------------------- one way out

CLI = Path(__file__).parents[1] / "src" / "helpdesk_tui" / "cli"
#: Writing to stdout/stderr other than through cli/common.py's helpers.
_RAW_OUTPUT = {"echo", "secho", "print", "write", "writelines", "Console", "Text", "writer"}


def _raw_output_calls(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _RAW_OUTPUT:
            owner = ast.unparse(func.value)
            if owner in ("typer", "click", "sys.stdout", "sys.stderr", "csv", "rich.text"):
                found.append(f"line {node.lineno}: {ast.unparse(func)}")
        elif isinstance(func, ast.Name) and func.id in {"print", "Console", "Text"}:
            found.append(f"line {node.lineno}: {func.id}")
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in CLI.glob("*.py")))
def test_cli_modules_write_only_through_common(module: str) -> None:
    """Only cli/common.py (and entry.py's sanitised error line) write output themselves."""
    if module == "common.py":
        return
    found = _raw_output_calls((CLI / module).read_text(encoding="utf-8"))
    if module == "entry.py":
        assert found == [f"line {_line_of(CLI / module, 'print(sanitize_message(')}: print"]
        return
    assert not found, f"{module} writes output past the sanitiser: {found}"


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)
