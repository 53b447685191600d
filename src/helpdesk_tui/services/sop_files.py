"""The SOP library on disk: parse and lint `sop/<id>.md` files (no database, no Textual).

Each SOP is one Markdown file named after its id, opened by TOML front matter between two
`+++` lines::

    +++
    id = "password-reset"
    title = "Reset a forgotten or expired password"
    category = "user_support"
    keywords = ["password", "forgot password"]
    symptoms = ["user cannot log in because they forgot their password"]
    applies_to = ["active-directory"]
    escalate_if = ["identity cannot be verified"]
    owner = "service-desk"
    version = 3
    reviewed = 2026-09-14
    +++
    ## Purpose
    ...
    ## Steps
    - [ ] Verify the caller's identity ...
    ## Verify with the user
    ...
    ## Escalate
    ...

The linter reports every problem it finds as `file:line: message` so an author can jump to
it from an editor; the parser refuses a broken file instead of indexing half of it, because
an agent following a truncated SOP on a live call is worse than an agent with no SOP.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Final

from helpdesk_tui.errors import HelpdeskError, UsageError
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES

FENCE: Final = "+++"

#: Keys every SOP must define, in the order the linter reports them.
REQUIRED_KEYS: Final = (
    "id",
    "title",
    "category",
    "keywords",
    "symptoms",
    "escalate_if",
    "owner",
    "version",
    "reviewed",
)

#: Keys that may be left out (they default to empty).
OPTIONAL_KEYS: Final = ("applies_to",)

KNOWN_KEYS: Final = REQUIRED_KEYS + OPTIONAL_KEYS

#: Level-2 headings every SOP body must have; the TUI lays the SOP out by these.
REQUIRED_SECTIONS: Final = ("Purpose", "Steps", "Verify with the user", "Escalate")

_STRING_KEYS: Final = ("id", "title", "category", "owner")
#: List keys that drive matching and escalation, so an empty list is a mistake.
_NON_EMPTY_LIST_KEYS: Final = ("keywords", "symptoms", "escalate_if")
_LIST_KEYS: Final = (*_NON_EMPTY_LIST_KEYS, "applies_to")

_SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TOML_POSITION: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END: Final = re.compile(r"\s*\(at end of document\)$")
_HEADING: Final = re.compile(r"##\s+(.+?)\s*#*\s*$")
_CODE_FENCE: Final = re.compile(r"\s*(```|~~~)")
#: A checklist item: `- [ ] text` (a ticked `[x]` is accepted so a pasted run still parses).
_CHECK_ITEM: Final = re.compile(r"[-*+]\s+\[[ xX]\](?:\s+(.*))?$")
_PLAIN_ITEM: Final = re.compile(r"[-*+]\s+")


@dataclass(frozen=True)
class SopStep:
    """One checklist step of an SOP: 1-based index within the SOP and 1-based file line."""

    index: int
    text: str
    line: int


@dataclass(frozen=True)
class Sop:
    """One parsed SOP file. `sha256` is of the raw file bytes so a sync can spot changes."""

    id: str
    title: str
    category: str
    keywords: tuple[str, ...]
    symptoms: tuple[str, ...]
    applies_to: tuple[str, ...]
    escalate_if: tuple[str, ...]
    owner: str
    version: int
    # Always set by the parser (the key is required); None is for SOPs built elsewhere.
    reviewed: date | None
    body: str
    steps: tuple[SopStep, ...]
    path: Path
    sha256: str
    # heading -> text; excluded from the hash because a dict is not hashable.
    sections: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class LintProblem:
    """One problem in one SOP file, printed as `file:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class _Checked:
    """What one pass over a file found; `sop` is None whenever `problems` is not empty."""

    problems: list[LintProblem]
    sop: Sop | None = None
    sop_id: str | None = None
    id_line: int = 1
    category: str | None = None
    category_line: int = 1


def parse_sop(path: Path) -> Sop:
    """Parse one SOP file, raising UsageError (the first problem as `file:line: msg`) if broken.

    The category is only checked for being a string here: which categories are valid is
    desk configuration, so `lint_file` checks it against the list it is given.
    """
    checked = _check(path)
    if checked.sop is None:
        raise UsageError(str(checked.problems[0]))
    return checked.sop


def lint_file(path: Path, categories: Sequence[str]) -> list[LintProblem]:
    """Every problem in one SOP file, in file order, including an unknown category."""
    return _file_problems(path, _check(path), categories)


def lint_library(
    directory: Path, categories: Sequence[str] = DEFAULT_CATEGORIES
) -> list[LintProblem]:
    """Lint every `*.md` file in `directory`, plus ids used by more than one file.

    A duplicate id is reported once in each file that uses it, naming the other locations,
    so whichever file the author opens shows where the clash is.
    """
    checks = _check_directory(directory)
    problems: list[LintProblem] = []
    for path, checked in checks:
        problems.extend(_file_problems(path, checked, categories))
    problems.extend(_duplicate_ids(checks))
    return sorted(problems, key=lambda problem: (str(problem.path), problem.line))


def load_library(directory: Path) -> list[Sop]:
    """Parse every SOP in `directory`, sorted by id.

    Nothing is skipped silently: one broken file or a duplicate id raises UsageError naming
    the first problem and how many more there are, so a half-loaded library never reaches
    the agents.
    """
    checks = _check_directory(directory)
    problems = [problem for _, checked in checks for problem in checked.problems]
    problems.extend(_duplicate_ids(checks))
    if problems:
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        raise UsageError(f"{problems[0]}{suffix}")
    sops = [checked.sop for _, checked in checks if checked.sop is not None]
    return sorted(sops, key=lambda sop: sop.id)


def shipped_sop_dir() -> Path:
    """The SOP library shipped with helpdesk-tui.

    In a source checkout that is `<repo>/sop` (this file is
    `<repo>/src/helpdesk_tui/services/sop_files.py`); an installed package carries a copy
    in `helpdesk_tui/data/sop`.
    """
    here = Path(__file__).resolve()
    candidates = (here.parents[3] / "sop", here.parents[1] / "data" / "sop")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(candidate) for candidate in candidates)
    # Not the user's fault, so not a UsageError: the installation is incomplete.
    raise HelpdeskError(f"no shipped SOP library found (looked in {looked})")


# --- internals ---------------------------------------------------------------------------


def _check_directory(directory: Path) -> list[tuple[Path, _Checked]]:
    """Check every `*.md` file in `directory` once, in name order."""
    if not directory.is_dir():
        raise UsageError(f"SOP directory {directory} does not exist or is not a directory")
    # Sorted so lint output and load order do not depend on the file system.
    paths = sorted(path for path in directory.glob("*.md") if path.is_file())
    return [(path, _check(path)) for path in paths]


def _file_problems(path: Path, checked: _Checked, categories: Sequence[str]) -> list[LintProblem]:
    """The file's own problems plus an unknown category (categories are desk configuration)."""
    problems = list(checked.problems)
    if checked.category is not None and checked.category not in categories:
        valid = ", ".join(categories)
        message = f"unknown category {checked.category!r}; valid: {valid}"
        problems.append(LintProblem(path, checked.category_line, message))
    return sorted(problems, key=lambda problem: problem.line)


def _duplicate_ids(checks: Sequence[tuple[Path, _Checked]]) -> list[LintProblem]:
    seen: dict[str, list[tuple[Path, int]]] = {}
    for path, checked in checks:
        if checked.sop_id is not None:
            seen.setdefault(checked.sop_id, []).append((path, checked.id_line))
    problems: list[LintProblem] = []
    for sop_id, places in seen.items():
        if len(places) < 2:
            continue
        for path, line in places:
            others = ", ".join(f"{other}:{n}" for other, n in places if other != path)
            problems.append(LintProblem(path, line, f"duplicate id {sop_id!r} (also in {others})"))
    return problems


def _check(path: Path) -> _Checked:
    """Read and check one file; collect every problem rather than stopping at the first."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return _Checked([LintProblem(path, 1, f"cannot read file: {error.strerror or error}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return _Checked([LintProblem(path, line, "file is not valid UTF-8")])
    # Split on newlines only: str.splitlines() also breaks on form feeds, U+2028 and other
    # separators, which would shift every reported line number against the editor's.
    lines = [line.removesuffix("\r") for line in text.removeprefix("\ufeff").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start a new one

    if not lines or lines[0].rstrip() != FENCE:
        message = f"missing front matter: the file must start with a {FENCE!r} line"
        return _Checked([LintProblem(path, 1, message)])
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if close is None:
        message = f"unterminated front matter: no closing {FENCE!r} line after line 1"
        return _Checked([LintProblem(path, 1, message)])

    checked = _Checked([])
    # File line of TOML line n is n + 1: the TOML starts on file line 2.
    toml_lines = lines[1:close]
    meta: dict[str, object] | None
    try:
        meta = tomllib.loads("\n".join(toml_lines))
    except tomllib.TOMLDecodeError as error:
        # Keep going: the body can still be checked, so the author sees all problems at once.
        meta = None
        checked.problems.append(_toml_problem(path, error, last_line=max(close, 2)))
    if meta is not None:
        _check_meta(path, meta, toml_lines, checked)

    # File line of the first body line; a file that ends at the fence gets the fence line.
    body_start = min(close + 2, len(lines))
    body_lines = lines[close + 1 :]
    sections, section_lines, steps = _read_body(path, body_lines, close + 2, checked)
    for heading in REQUIRED_SECTIONS:
        if heading not in sections:
            message = f"missing section '## {heading}'"
            checked.problems.append(LintProblem(path, body_start, message))
    if "Steps" in sections and not steps and not _has_empty_step(checked):
        message = "no steps: the Steps section needs '- [ ] ...' checklist items"
        checked.problems.append(LintProblem(path, section_lines["Steps"], message))

    checked.problems.sort(key=lambda problem: problem.line)
    if checked.problems or meta is None:
        return checked
    checked.sop = Sop(
        id=str(meta["id"]),
        title=str(meta["title"]),
        category=str(meta["category"]),
        keywords=_strings(meta["keywords"]),
        symptoms=_strings(meta["symptoms"]),
        applies_to=_strings(meta.get("applies_to", [])),
        escalate_if=_strings(meta["escalate_if"]),
        owner=str(meta["owner"]),
        version=version if isinstance(version := meta["version"], int) else 0,
        reviewed=reviewed if isinstance(reviewed := meta["reviewed"], date) else None,
        body="\n".join(body_lines).strip(),
        steps=tuple(steps),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        sections=sections,
    )
    return checked


def _strings(value: object) -> tuple[str, ...]:
    """A validated list of strings as a tuple (the isinstance only narrows the type)."""
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _toml_problem(path: Path, error: tomllib.TOMLDecodeError, last_line: int) -> LintProblem:
    """Map tomllib's `(at line N, column M)` onto the file, where the TOML starts on line 2."""
    message = str(error)
    position = _TOML_POSITION.search(message)
    if position is not None:
        reason = message[: position.start()]
        line = int(position.group(1)) + 1
        return LintProblem(path, line, f"TOML syntax error: {reason} (column {position.group(2)})")
    at_end = _TOML_AT_END.search(message)
    reason = message[: at_end.start()] if at_end is not None else message
    # "At end of document" means the last line before the closing fence.
    return LintProblem(path, last_line, f"TOML syntax error: {reason} (at end of front matter)")


def _key_line(toml_lines: Sequence[str], key: str) -> int:
    """File line where `key` is assigned (bare or quoted, or as a [table]), else line 1."""
    pattern = re.compile(
        rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*="""
        rf"""|\s*\[+\s*{re.escape(key)}\s*[\].]"""
    )
    for number, line in enumerate(toml_lines, start=2):
        if pattern.match(line):
            return number
    return 1


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_meta(
    path: Path, meta: dict[str, object], toml_lines: Sequence[str], checked: _Checked
) -> None:
    """Check the front matter keys and their types; record id and category for later checks."""
    problems = checked.problems

    def report(key: str, message: str) -> None:
        problems.append(LintProblem(path, _key_line(toml_lines, key), message))

    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        # Line 1 is the opening fence: the key belongs somewhere in the block it opens.
        plural = "s" if len(missing) > 1 else ""
        message = f"missing required key{plural}: {', '.join(missing)}"
        problems.append(LintProblem(path, 1, message))
    for key in meta:
        if key not in KNOWN_KEYS:
            report(key, f"unknown key {key!r}; valid: {', '.join(KNOWN_KEYS)}")

    for key in _STRING_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if not isinstance(value, str):
            report(key, f"{key!r} must be a string, got {_type_name(value)}")
        elif not value.strip():
            report(key, f"{key!r} must not be empty")
        elif key == "id":
            checked.sop_id = value
            checked.id_line = _key_line(toml_lines, key)
            if not _SLUG.fullmatch(value):
                report(key, f"id {value!r} is not a slug (lowercase letters, digits, hyphens)")
            elif value != path.stem:
                report(key, f"id {value!r} does not match the file name {path.name!r}")
        elif key == "category":
            checked.category = value
            checked.category_line = _key_line(toml_lines, key)

    for key in _LIST_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            report(key, f"{key!r} must be a list of strings, got {_describe(value)}")
        elif any(not item.strip() for item in value):
            report(key, f"{key!r} contains an empty string")
        elif not value and key in _NON_EMPTY_LIST_KEYS:
            report(key, f"{key!r} must not be empty")

    if "version" in meta:
        version = meta["version"]
        # bool is an int subclass in Python, but `version = true` is certainly a mistake.
        if not isinstance(version, int) or isinstance(version, bool):
            report("version", f"'version' must be an integer, got {_type_name(version)}")
        elif version < 1:
            report("version", f"'version' must be 1 or more, got {version}")

    if "reviewed" in meta:
        reviewed = meta["reviewed"]
        # datetime is a date subclass; a review is a day, and a time zone would only confuse.
        if isinstance(reviewed, datetime) or not isinstance(reviewed, date):
            report(
                "reviewed",
                "'reviewed' must be a TOML date like 2026-09-14 (unquoted, no time), "
                f"got {_type_name(reviewed)}",
            )


def _describe(value: object) -> str:
    if isinstance(value, list):
        kinds = sorted({_type_name(item) for item in value if not isinstance(item, str)})
        return f"a list containing {', '.join(kinds)}"
    return _type_name(value)


def _has_empty_step(checked: _Checked) -> bool:
    # An SOP whose only items are empty already has a precise problem; "no steps" is noise.
    return any(problem.message.startswith("empty step") for problem in checked.problems)


def _read_body(
    path: Path, body_lines: Sequence[str], first_line: int, checked: _Checked
) -> tuple[dict[str, str], dict[str, int], list[SopStep]]:
    """Split the body into `## ` sections and read the Steps checklist.

    Returns (heading -> text, heading -> file line, steps). Lines inside fenced code blocks
    are neither headings nor steps, so an SOP can quote a config file or a shell session.
    """
    sections: dict[str, list[str]] = {}
    section_lines: dict[str, int] = {}
    steps: list[SopStep] = []
    current: str | None = None
    in_code = False
    in_step = False  # the previous line was a step or its continuation
    for number, line in enumerate(body_lines, start=first_line):
        if _CODE_FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading is not None:
            current = heading.group(1)
            in_step = False
            if current in sections:
                first = section_lines[current]
                message = f"duplicate section '## {current}' (first on line {first})"
                checked.problems.append(LintProblem(path, number, message))
            sections.setdefault(current, [])
            section_lines.setdefault(current, number)
            continue
        if current is None:
            continue
        sections[current].append(line)
        if current == "Steps" and not in_code:
            in_step = _read_step_line(path, line, number, steps, in_step, checked)
    texts = {heading: "\n".join(lines).strip() for heading, lines in sections.items()}
    return texts, section_lines, steps


def _read_step_line(
    path: Path,
    line: str,
    number: int,
    steps: list[SopStep],
    in_step: bool,
    checked: _Checked,
) -> bool:
    """Read one line of the Steps section; return whether it belongs to a step."""
    item = _CHECK_ITEM.match(line)
    if item is not None:
        text = (item.group(1) or "").strip()
        if not text:
            checked.problems.append(LintProblem(path, number, "empty step text"))
            return False
        steps.append(SopStep(index=len(steps) + 1, text=text, line=number))
        return True
    if _PLAIN_ITEM.match(line):
        # A plain bullet cannot be ticked in the TUI, so its action would leave no log entry.
        message = "list item in Steps is not a checklist item '- [ ] ...'"
        checked.problems.append(LintProblem(path, number, message))
        return False
    stripped = line.strip()
    if in_step and line[:1].isspace() and stripped and not _PLAIN_ITEM.match(stripped):
        # Markdown lets a long item wrap onto indented lines; keep it one step.
        last = steps[-1]
        steps[-1] = SopStep(last.index, f"{last.text} {stripped}", last.line)
        return True
    return False
