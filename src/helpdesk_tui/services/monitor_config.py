"""SLA watcher configuration: the `[sla]` table of config.toml (issue 6, part 3).

`load_watch_config` reads and validates it into a `WatchConfig`: the backlog window and
the `[[sla.auto_escalate]]` rules (`AutoEscalateRule`, one per table, see `parse_rule`).
The watch pass itself is `helpdesk_tui.services.monitor.watch_once`, which re-exports
every public name of this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.vocab import PRIORITIES

#: Clocks the watcher checks: the SLA's, and the resolver group's OLA while it has the ticket.
CLOCKS: Final = ("response", "resolution", "ola_response", "ola")
LEVELS: Final = ("warning", "breach")
#: The role whose holders get every SLA notification and the hierarchical escalations.
SUPERVISOR_ROLE: Final = "supervisor"
#: Crossings older than this when first seen are recorded but not sent to everyone.
DEFAULT_BACKLOG_HOURS: Final = 24.0

_RULE_KEYS: Final = (
    "name",
    "priority",
    "category",
    "no_response_minutes",
    "on",
    "clock",
    "to",
    "to_group",
)
_SLA_KEYS: Final = ("auto_escalate", "backlog_hours")
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class AutoEscalateRule:
    """One `[[sla.auto_escalate]]` table of config.toml.

    Trigger: `no_response_minutes` (business minutes on the ticket's SLA calendar since
    creation without a first response) or `on` = warning|breach of `clock`
    (response|resolution), i.e. when the watcher records that event. Target: `to =
    "supervisor"` (hierarchical: the supervisors are told) or `to_group` (functional:
    the ticket is escalated to that group). Each rule fires at most once per ticket.
    """

    name: str
    to_supervisor: bool = False
    to_group: str | None = None
    priorities: tuple[str, ...] = ()  # empty: every priority
    categories: tuple[str, ...] = ()  # empty: every category
    no_response_minutes: int | None = None
    on: str | None = None  # warning | breach
    clock: str = "resolution"

    def matches(self, priority: str, category: str) -> bool:
        """True when the ticket is in the rule's scope."""
        return (not self.priorities or priority in self.priorities) and (
            not self.categories or category in self.categories
        )

    def describe(self) -> str:
        """What the rule does, in words (log entries, notifications, `--json`)."""
        if self.no_response_minutes is not None:
            trigger = f"no response after {self.no_response_minutes} min"
        else:
            trigger = f"{self.clock} {self.on}"
        target = "the supervisors" if self.to_supervisor else str(self.to_group)
        return f"{trigger} -> {target}"


@dataclass(frozen=True)
class WatchConfig:
    """The `[sla]` table of config.toml as far as the watcher reads it."""

    rules: tuple[AutoEscalateRule, ...] = ()
    backlog_hours: float = DEFAULT_BACKLOG_HOURS

    @property
    def backlog(self) -> timedelta:
        """The backlog window as a timedelta."""
        return timedelta(hours=self.backlog_hours)


def _where(index: int, table: Mapping[str, Any]) -> str:
    name = table.get("name")
    label = f"[[sla.auto_escalate]] #{index}"
    return f"{label} ({name!r})" if isinstance(name, str) and name else label


def _names(value: object, what: str, valid: Sequence[str] | None, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise UsageError(f"{where}: {what} must be a name or a list of names")
    for item in items:
        if valid is not None and item not in valid:
            raise UsageError(f"{where}: unknown {what} {item!r}; valid: {', '.join(valid)}")
    return tuple(dict.fromkeys(items))


def parse_rule(index: int, table: object) -> AutoEscalateRule:
    """Validate one `[[sla.auto_escalate]]` table (`index` counts from 1 for messages)."""
    if not isinstance(table, Mapping):
        raise UsageError(f"[[sla.auto_escalate]] #{index}: must be a table")
    where = _where(index, table)
    unknown = sorted(set(table) - set(_RULE_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(_RULE_KEYS)}")
    name = table.get("name", f"rule-{index}")
    if not isinstance(name, str) or not _NAME_OK.match(name):
        raise UsageError(
            f"{where}: name must be 1-64 letters, digits, spaces or _ . : - "
            "(it is the key that fires a rule once per ticket)"
        )
    priorities = (
        _names(table["priority"], "priority", PRIORITIES, where) if "priority" in table else ()
    )
    categories = _names(table["category"], "category", None, where) if "category" in table else ()
    minutes = table.get("no_response_minutes")
    on = table.get("on")
    if (minutes is None) == (on is None):
        raise UsageError(f"{where}: give exactly one trigger: no_response_minutes = N or on = ...")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1
    ):
        raise UsageError(f"{where}: no_response_minutes must be a whole number >= 1")
    if on is not None and on not in LEVELS:
        raise UsageError(f"{where}: on must be one of {', '.join(LEVELS)}, not {on!r}")
    clock = table.get("clock", "resolution")
    if clock not in CLOCKS:
        raise UsageError(f"{where}: clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
    if "clock" in table and minutes is not None:
        raise UsageError(f"{where}: clock goes with on = ..., not with no_response_minutes")
    to, group = table.get("to"), table.get("to_group")
    if (to is None) == (group is None):
        raise UsageError(f'{where}: give exactly one target: to = "supervisor" or to_group = ...')
    if to is not None and to != SUPERVISOR_ROLE:
        raise UsageError(f'{where}: to must be "supervisor" (use to_group for a group)')
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise UsageError(f"{where}: to_group must be a group name")
    return AutoEscalateRule(
        name=name,
        to_supervisor=to is not None,
        to_group=group,
        priorities=priorities,
        categories=categories,
        no_response_minutes=minutes,
        on=on,
        clock=clock,
    )


def load_watch_config(raw: Mapping[str, Any]) -> WatchConfig:
    """Read and validate the `[sla]` table of a parsed config.toml (UsageError, one line)."""
    sla = raw.get("sla", {})
    if not isinstance(sla, Mapping):
        raise UsageError("config.toml: [sla] must be a table")
    tables = sla.get("auto_escalate", [])
    if not isinstance(tables, list):
        raise UsageError("config.toml: write auto-escalation rules as [[sla.auto_escalate]] tables")
    rules = tuple(parse_rule(n, t) for n, t in enumerate(tables, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise UsageError(f"[[sla.auto_escalate]]: two rules are named {rule.name!r}")
        seen.add(rule.name)
    hours = sla.get("backlog_hours", DEFAULT_BACKLOG_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise UsageError("[sla] backlog_hours must be a number of hours >= 0")
    return WatchConfig(rules=rules, backlog_hours=float(hours))
