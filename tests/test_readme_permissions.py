"""The README's permission table is exactly what `services/rbac.py` grants (issue 10).

The table between the `permissions:begin/end` markers lists every permission and the
default roles holding it. When this fails, paste the table it prints into the README.
"""

from __future__ import annotations

from pathlib import Path

from helpdesk_tui.services.rbac import DEFAULT_ROLES, PERMISSIONS

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"


def expected_table() -> str:
    """The Markdown table of every permission per default role, from rbac."""
    roles = list(DEFAULT_ROLES)
    lines = [
        "| permission | what it allows | " + " | ".join(roles) + " |",
        "|---|---|" + "|".join(":-:" for _ in roles) + "|",
    ]
    for name, description in PERMISSIONS.items():
        cells = ["✓" if name in DEFAULT_ROLES[role][1] else "" for role in roles]
        lines.append(f"| `{name}` | {description} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "the markers are missing"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_the_readme_table_is_the_one_rbac_grants() -> None:
    expected = expected_table()
    assert readme_table() == expected, f"README permission table is stale; use:\n{expected}"


def test_every_role_and_permission_is_in_the_table() -> None:
    # Guards the generator itself: a table missing a role or a permission cannot pass.
    table = readme_table()
    for name in PERMISSIONS:
        assert f"| `{name}` |" in table
    header = table.splitlines()[0]
    assert all(f" {role} |" in header for role in DEFAULT_ROLES)
    assert {"ticket.autoclose", "sla.watch", "ticket.supervise"} <= set(PERMISSIONS)
    for role in ("supervisor", "admin"):
        granted = set(DEFAULT_ROLES[role][1])
        assert {"ticket.autoclose", "sla.watch", "ticket.supervise"} <= granted
