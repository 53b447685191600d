"""The shipped SOP library and the SOP file parser/linter (services/sop_files.py)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.sop_files import (
    LintProblem,
    Sop,
    SopStep,
    lint_file,
    lint_library,
    load_library,
    parse_sop,
    shipped_sop_dir,
)
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES

REQUIRED_IDS = {
    "password-reset",
    "account-lockout",
    "mfa-reset",
    "vpn-cannot-connect",
    "wifi-cannot-connect",
    "network-outage-site",
    "dns-resolution",
    "printer-offline",
    "printer-driver-install",
    "email-not-syncing",
    "mailbox-full",
    "shared-mailbox-access",
    "disk-full",
    "slow-computer",
    "application-crash",
    "software-install-request",
    "license-activation",
    "admin-rights-request",
    "access-request-shared-folder",
    "new-hire-onboarding",
    "leaver-offboarding",
    "lost-or-stolen-device",
    "phishing-report",
    "malware-suspected",
    "data-restore-from-backup",
    "deleted-file-recovery",
    "backup-job-failed",
    "monitor-no-signal",
    "keyboard-mouse-not-working",
    "laptop-hardware-fault",
    "video-call-audio",
    "browser-certificate-error",
    "database-connection-error",
    "system-performance-degraded",
    "how-to-consultation",
}

# A valid SOP, one list item per file line, so tests can break a known line.
# Line numbers (1-based) are noted where tests rely on them.
SAMPLE = [
    "+++",  # 1
    'id = "sample"',  # 2
    'title = "Printer offline"',  # 3
    'category = "hardware"',  # 4
    'keywords = ["printer", "can\'t print"]',  # 5
    'symptoms = ["the printer says offline"]',  # 6
    'applies_to = ["network-printer"]',  # 7
    'escalate_if = ["hardware error code"]',  # 8
    'owner = "service-desk"',  # 9
    "version = 2",  # 10
    "reviewed = 2026-09-14",  # 11
    "+++",  # 12
    "## Purpose",  # 13
    "",  # 14
    "Get printing working again.",  # 15
    "",  # 16
    "## Steps",  # 17
    "",  # 18
    "- [ ] Note the printer name from the label",  # 19
    "- [ ] Switch the printer off and on",  # 20
    "- [ ] Print a test page",  # 21
    "",  # 22
    "## Verify with the user",  # 23
    "",  # 24
    "The user prints a test page.",  # 25
    "",  # 26
    "## Escalate",  # 27
    "",  # 28
    "When it shows an error code, escalate to **L2 Desktop**.",  # 29
]


def write_sop(directory: Path, lines: list[str], name: str = "sample.md") -> Path:
    """Write `lines` as an SOP file and return its path."""
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replaced(number: int, new: str | None) -> list[str]:
    """SAMPLE with file line `number` replaced (or removed when `new` is None)."""
    lines = list(SAMPLE)
    if new is None:
        del lines[number - 1]
    else:
        lines[number - 1] = new
    return lines


def only_problem(path: Path) -> LintProblem:
    problems = lint_file(path, DEFAULT_CATEGORIES)
    assert len(problems) == 1, problems
    return problems[0]


# --- the shipped library -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> list[Sop]:
    return load_library(shipped_sop_dir())


def test_shipped_sop_dir_is_the_repo_sop_directory() -> None:
    repo_root = Path(__file__).resolve().parents[1]
    assert shipped_sop_dir() == repo_root / "sop"


def test_shipped_library_lints_clean() -> None:
    assert [str(problem) for problem in lint_library(shipped_sop_dir())] == []


def test_shipped_library_has_required_ids(shipped: list[Sop]) -> None:
    ids = {sop.id for sop in shipped}
    assert REQUIRED_IDS - ids == set()
    assert len(shipped) >= 38


def test_shipped_library_covers_every_category(shipped: list[Sop]) -> None:
    counts = Counter(sop.category for sop in shipped)
    assert {
        category: counts[category] for category in DEFAULT_CATEGORIES if counts[category] < 2
    } == {}


def test_shipped_sops_are_usable_on_a_call(shipped: list[Sop]) -> None:
    for sop in shipped:
        # Long enough to be a procedure, short enough to follow with a caller waiting.
        assert 5 <= len(sop.steps) <= 12, sop.id
        assert sop.keywords and sop.symptoms and sop.escalate_if, sop.id
        assert sop.reviewed is not None and sop.reviewed <= date(2026, 12, 31), sop.id
        # The agent must know where to send it: a group in bold in the Escalate section.
        assert re.search(r"\*\*[^*]+\*\*", sop.sections["Escalate"]), sop.id
        assert sop.path.name == f"{sop.id}.md"


# --- parsing -----------------------------------------------------------------------------


def test_parse_round_trip(tmp_path: Path) -> None:
    path = write_sop(tmp_path, SAMPLE)
    sop = parse_sop(path)
    assert sop.id == "sample"
    assert sop.title == "Printer offline"
    assert sop.category == "hardware"
    assert sop.keywords == ("printer", "can't print")
    assert sop.symptoms == ("the printer says offline",)
    assert sop.applies_to == ("network-printer",)
    assert sop.escalate_if == ("hardware error code",)
    assert sop.owner == "service-desk"
    assert sop.version == 2
    assert sop.reviewed == date(2026, 9, 14)
    assert sop.steps == (
        SopStep(1, "Note the printer name from the label", 19),
        SopStep(2, "Switch the printer off and on", 20),
        SopStep(3, "Print a test page", 21),
    )
    # The step line numbers point at the step text in the file.
    lines = path.read_text(encoding="utf-8").splitlines()
    for step in sop.steps:
        assert lines[step.line - 1].endswith(step.text)
    assert list(sop.sections) == ["Purpose", "Steps", "Verify with the user", "Escalate"]
    assert sop.sections["Purpose"] == "Get printing working again."
    assert sop.sections["Escalate"] == "When it shows an error code, escalate to **L2 Desktop**."
    assert sop.body.startswith("## Purpose")
    assert "+++" not in sop.body
    assert sop.path == path
    assert sop.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sha256_changes_with_the_file(tmp_path: Path) -> None:
    before = parse_sop(write_sop(tmp_path, SAMPLE)).sha256
    after = parse_sop(write_sop(tmp_path, replaced(10, "version = 3"))).sha256
    assert before != after


def test_applies_to_is_optional(tmp_path: Path) -> None:
    assert parse_sop(write_sop(tmp_path, replaced(7, None))).applies_to == ()


def test_wrapped_steps_and_code_blocks(tmp_path: Path) -> None:
    lines = [
        *SAMPLE[:20],  # up to and including step 2 on line 20
        "  and wait 30 seconds",  # 21: continuation of step 2
        "```",  # 22
        "- [ ] not a step: quoted inside a code block",  # 23
        "## not a heading either",  # 24
        "```",  # 25
        "- [x] Print a test page",  # 26: a ticked box still counts
        *SAMPLE[21:],
    ]
    sop = parse_sop(write_sop(tmp_path, lines))
    assert sop.steps == (
        SopStep(1, "Note the printer name from the label", 19),
        SopStep(2, "Switch the printer off and on and wait 30 seconds", 20),
        SopStep(3, "Print a test page", 26),
    )
    assert "not a heading either" in sop.sections["Steps"]


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "sample.md"
    path.write_bytes("\r\n".join(SAMPLE).encode())
    assert parse_sop(path).steps[0] == SopStep(1, "Note the printer name from the label", 19)


def test_parse_sop_raises_the_first_problem(tmp_path: Path) -> None:
    path = write_sop(tmp_path, replaced(10, 'version = "2"'))
    with pytest.raises(UsageError) as caught:
        parse_sop(path)
    assert str(caught.value) == f"{path}:10: 'version' must be an integer, got str"


def test_parse_sop_leaves_the_category_check_to_lint(tmp_path: Path) -> None:
    # Valid categories are desk configuration, so only lint_file (given the list) checks them.
    path = write_sop(tmp_path, replaced(4, 'category = "facilities"'))
    assert parse_sop(path).category == "facilities"
    assert lint_file(path, [*DEFAULT_CATEGORIES, "facilities"]) == []


# --- one test per kind of lint problem -----------------------------------------------------


def test_lint_clean_sample(tmp_path: Path) -> None:
    assert lint_file(write_sop(tmp_path, SAMPLE), DEFAULT_CATEGORIES) == []


def test_lint_problem_str(tmp_path: Path) -> None:
    problem = LintProblem(tmp_path / "x.md", 7, "something is wrong")
    assert str(problem) == f"{tmp_path / 'x.md'}:7: something is wrong"


def test_lint_missing_front_matter(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, SAMPLE[12:]))
    assert problem.line == 1
    assert problem.message == "missing front matter: the file must start with a '+++' line"


def test_lint_unterminated_front_matter(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, SAMPLE[:11]))
    assert problem.line == 1
    assert problem.message.startswith("unterminated front matter")


def test_lint_toml_syntax_error(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(10, "version = ")))
    assert problem.line == 10
    assert problem.message == "TOML syntax error: Invalid value (column 11)"


def test_lint_toml_error_at_end_of_front_matter(tmp_path: Path) -> None:
    # An unclosed array is only noticed at the end: report the last TOML line.
    problem = only_problem(write_sop(tmp_path, replaced(11, 'reviewed = ["x",')))
    assert problem.line == 11
    assert problem.message == "TOML syntax error: Invalid value (at end of front matter)"


def test_lint_missing_required_key(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(9, None)))
    assert (problem.line, problem.message) == (1, "missing required key: owner")


@pytest.mark.parametrize(
    ("line", "text", "message"),
    [
        (2, "id = 7", "'id' must be a string, got int"),
        (5, 'keywords = "printer"', "'keywords' must be a list of strings, got str"),
        (6, "symptoms = [1, 2]", "'symptoms' must be a list of strings, got a list containing int"),
        (8, "escalate_if = []", "'escalate_if' must not be empty"),
        (10, 'version = "2"', "'version' must be an integer, got str"),
        (10, "version = true", "'version' must be an integer, got bool"),
        (10, "version = 0", "'version' must be 1 or more, got 0"),
        (
            11,
            'reviewed = "2026-09-14"',
            "'reviewed' must be a TOML date like 2026-09-14 (unquoted, no time), got str",
        ),
        (
            11,
            "reviewed = 2026-09-14T10:00:00",
            "'reviewed' must be a TOML date like 2026-09-14 (unquoted, no time), got datetime",
        ),
    ],
)
def test_lint_wrong_type(tmp_path: Path, line: int, text: str, message: str) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(line, text)))
    assert (problem.line, problem.message) == (line, message)


def test_lint_unknown_key(tmp_path: Path) -> None:
    lines = [*SAMPLE[:9], 'priority = "high"', *SAMPLE[9:]]  # inserted as line 10
    problem = only_problem(write_sop(tmp_path, lines))
    assert problem.line == 10
    assert problem.message.startswith("unknown key 'priority'; valid: id, title, category")


def test_lint_unknown_category(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(4, 'category = "printers"')))
    assert problem.line == 4
    assert problem.message == (
        "unknown category 'printers'; valid: " + ", ".join(DEFAULT_CATEGORIES)
    )


def test_lint_id_not_matching_file_name(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, SAMPLE, name="printer.md"))
    assert problem.line == 2
    assert problem.message == "id 'sample' does not match the file name 'printer.md'"


def test_lint_id_not_a_slug(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(2, 'id = "Sample SOP"')))
    assert problem.line == 2
    assert problem.message.startswith("id 'Sample SOP' is not a slug")


def test_lint_duplicate_id_reports_both_files(tmp_path: Path) -> None:
    first = write_sop(tmp_path, SAMPLE)
    # Same id on line 3 of a second file (one extra comment line before it).
    second = write_sop(tmp_path, [SAMPLE[0], "# copied", *SAMPLE[1:]], name="copy.md")
    problems = {(p.path, p.line, p.message) for p in lint_library(tmp_path)}
    assert (first, 2, f"duplicate id 'sample' (also in {second}:3)") in problems
    assert (second, 3, f"duplicate id 'sample' (also in {first}:2)") in problems
    assert (second, 3, "id 'sample' does not match the file name 'copy.md'") in problems


def test_lint_no_steps(tmp_path: Path) -> None:
    lines = [*SAMPLE[:18], "Just do what seems right.", *SAMPLE[21:]]
    problem = only_problem(write_sop(tmp_path, lines))
    assert problem.line == 17  # the Steps heading
    assert problem.message == "no steps: the Steps section needs '- [ ] ...' checklist items"


def test_lint_missing_section(tmp_path: Path) -> None:
    lines = [*SAMPLE[:22], *SAMPLE[25:]]  # drop "## Verify with the user" and its text
    problem = only_problem(write_sop(tmp_path, lines))
    assert problem.line == 13  # first body line, where the sections start
    assert problem.message == "missing section '## Verify with the user'"


def test_lint_empty_step_text(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(20, "- [ ]   ")))
    assert (problem.line, problem.message) == (20, "empty step text")


def test_lint_plain_bullet_in_steps(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, replaced(20, "- Switch the printer off and on")))
    assert problem.line == 20
    assert problem.message == "list item in Steps is not a checklist item '- [ ] ...'"


def test_lint_duplicate_section(tmp_path: Path) -> None:
    problem = only_problem(write_sop(tmp_path, [*SAMPLE, "", "## Purpose", "Again."]))
    assert (problem.line, problem.message) == (
        31,
        "duplicate section '## Purpose' (first on line 13)",
    )


def test_lint_reports_every_problem_in_file_order(tmp_path: Path) -> None:
    lines = replaced(4, 'category = "printers"')
    lines[9] = 'version = "2"'  # line 10
    lines[19] = "- [ ]"  # line 20
    problems = lint_file(write_sop(tmp_path, lines), DEFAULT_CATEGORIES)
    assert [problem.line for problem in problems] == [4, 10, 20]


def test_lint_body_still_checked_after_toml_error(tmp_path: Path) -> None:
    lines = replaced(10, "version = ")
    lines[19] = "- [ ]"  # line 20
    problems = lint_file(write_sop(tmp_path, lines), DEFAULT_CATEGORIES)
    assert [(problem.line, problem.message.split(":")[0]) for problem in problems] == [
        (10, "TOML syntax error"),
        (20, "empty step text"),
    ]


# --- the library as a whole ----------------------------------------------------------------


def test_load_library_sorted_by_id(tmp_path: Path) -> None:
    write_sop(tmp_path, SAMPLE)
    write_sop(tmp_path, replaced(2, 'id = "another"'), name="another.md")
    assert [sop.id for sop in load_library(tmp_path)] == ["another", "sample"]


def test_load_library_refuses_a_broken_file(tmp_path: Path) -> None:
    write_sop(tmp_path, SAMPLE)
    broken = write_sop(tmp_path, replaced(2, 'id = "broken"')[:11], name="broken.md")
    with pytest.raises(UsageError, match=re.escape(f"{broken}:1: unterminated front matter")):
        load_library(tmp_path)


def test_load_library_counts_further_problems(tmp_path: Path) -> None:
    write_sop(tmp_path, SAMPLE[12:], name="a.md")
    write_sop(tmp_path, SAMPLE[12:], name="b.md")
    with pytest.raises(UsageError, match=r"\(and 1 more problem\)$"):
        load_library(tmp_path)


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        lint_library(tmp_path / "nope")
    with pytest.raises(UsageError, match="does not exist"):
        load_library(tmp_path / "nope")
