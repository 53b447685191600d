"""Loading triage rule files: read, parse and check TOML `[[rule]]` tables.

Split out of `triage_rules`, whose docstring describes the file format. This module turns
one file's text into `(id, values)` pairs keyed by `Rule` field name, raising `UsageError`
naming the file and rule on any problem; merging files and compiling the rules is
`triage_rules.RuleSet`'s job. No database and no Textual.
"""

from __future__ import annotations

import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Final

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.triage_text import _variants
from helpdesk_tui.services.vocab import LEVELS

#: The shipped rules, relative to the `helpdesk_tui` package.
DEFAULT_RULES_RESOURCE: Final = "data/triage_rules.toml"

#: TOML keys a `[[rule]]` table may use.
RULE_KEYS: Final = (
    "id",
    "description",
    "enabled",
    "any",
    "all",
    "none",
    "vip",
    "min_affected_users",
    "systems",
    "weight",
    "category",
    "impact",
    "urgency",
)

#: TOML key -> `Rule` field, where they differ (`any`/`all` would shadow builtins).
_FIELD_FOR_KEY: Final = {"any": "any_of", "all": "all_of", "none": "none_of"}

_RULE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


# ----------------------------------------------------------------------------- loading


def _fail(where: str, message: str) -> UsageError:
    return UsageError(f"{where}: {message}")


def _string_list(where: str, key: str, value: object) -> tuple[str, ...]:
    """A list of phrases, each of which must contain at least one word."""
    if not isinstance(value, list):
        raise _fail(where, f"{key!r} must be a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise _fail(where, f"{key!r} must be a list of strings, got {item!r}")
        if not _variants(item):
            raise _fail(where, f"{key!r}: phrase {item!r} has no words")
        out.append(item)
    return tuple(out)


def _clean(where: str, table: dict[str, Any]) -> dict[str, Any]:
    """Check one `[[rule]]` table and return its values keyed by `Rule` field name."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in RULE_KEYS:
            raise _fail(where, f"unknown key {key!r}; valid: {', '.join(RULE_KEYS)}")
        if key == "id":
            continue
        if key == "description":
            if not isinstance(value, str):
                raise _fail(where, "'description' must be a string")
            out[key] = value.strip()
        elif key == "category":
            if not isinstance(value, str) or not value.strip():
                raise _fail(where, "'category' must be a non-empty string")
            out[key] = value.strip()
        elif key in ("enabled", "vip"):
            if not isinstance(value, bool):
                raise _fail(where, f"{key!r} must be true or false")
            out[key] = value
        elif key in ("any", "none", "systems"):
            out[_FIELD_FOR_KEY.get(key, key)] = _string_list(where, key, value)
        elif key == "all":
            if not isinstance(value, list):
                raise _fail(where, "'all' must be a list of phrases or lists of phrases")
            groups = []
            for entry in value:
                alternatives = entry if isinstance(entry, list) else [entry]
                groups.append(_string_list(where, "all", alternatives))
                if not groups[-1]:
                    raise _fail(where, "'all' has an empty list of alternatives")
            out["all_of"] = tuple(groups)
        elif key == "weight":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise _fail(where, f"'weight' must be a positive number, got {value!r}")
            out[key] = float(value)
        elif key == "min_affected_users":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _fail(where, f"'min_affected_users' must be an integer >= 1, got {value!r}")
            out[key] = value
        else:  # impact, urgency
            if value not in LEVELS:
                raise _fail(where, f"unknown {key} {value!r}; valid: {', '.join(LEVELS)}")
            out[key] = value
    return out


def _parse(source: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The `(id, values)` of every rule in one file, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"invalid TOML: {exc}") from None
    for key in data:
        if key != "rule":
            raise _fail(source, f"unknown top-level key {key!r}; rules are [[rule]] tables")
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise _fail(source, "'rule' must be an array of tables: write [[rule]], not [rule]")
    parsed: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise _fail(source, f"rule #{number} is not a table")
        rule_id = table.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            raise _fail(
                source,
                f"rule #{number}: missing or invalid 'id' {rule_id!r} "
                "(letters, digits, '.', '_', '-')",
            )
        where = f"{source}: rule {rule_id!r}"
        if rule_id in seen:
            raise _fail(where, "defined twice in the same file")
        seen.add(rule_id)
        parsed.append((rule_id, _clean(where, table)))
    return parsed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(str(path), "not UTF-8 text") from None
    except OSError as exc:
        raise _fail(str(path), f"cannot read rules file: {exc.strerror or exc}") from None


def _default_source() -> tuple[str, str]:
    """(name, text) of the shipped rules file, read through importlib.resources."""
    resource = resources.files("helpdesk_tui").joinpath(DEFAULT_RULES_RESOURCE)
    return str(resource), resource.read_text(encoding="utf-8")


__all__ = ["DEFAULT_RULES_RESOURCE", "RULE_KEYS"]
