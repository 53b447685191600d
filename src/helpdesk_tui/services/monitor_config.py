"""SLA watcher inputs: the auto-escalation rule type, its validation, the legacy TOML form.

The desk's rules live in the `sla_rule` table (`services/sla_rules.py`, set with
`helpdesk sla rule ...`); `make_rule` validates one whatever its source. Before issue 11
they were `[[sla.auto_escalate]]` tables in each user's config.toml, which is no longer
read; `parse_legacy_sla` reads that form once more for `helpdesk policy import`.
The watch pass itself is `helpdesk_tui.services.monitor.watch_once`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.closure import DEFAULT_AUTO_CLOSE_DAYS
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
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$")
#: Beyond a year of business minutes a rule is a typo, and the calendar walk gets long.
MAX_NO_RESPONSE_MINUTES: Final = 525_600


@dataclass(frozen=True)
class AutoEscalateRule:
    """One auto-escalation rule of the desk.

    Trigger: `no_response_minutes` (business minutes on the ticket's SLA calendar since
    creation without a first response) or `on` = warning|breach of `clock`
    (response|resolution|ola_response|ola), i.e. when the watcher records that event.
    Target: the supervisors (hierarchical: the least busy one is assigned) or `to_group`
    (functional: the ticket is escalated to that group). Each rule fires at most once
    per ticket.
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
    """What one watcher pass applies: the desk's active rules, backlog window, auto-close."""

    rules: tuple[AutoEscalateRule, ...] = ()
    backlog_hours: float = DEFAULT_BACKLOG_HOURS
    #: Resolved tickets without the requester's confirmation close after this many days.
    auto_close_days: int = DEFAULT_AUTO_CLOSE_DAYS

    @property
    def backlog(self) -> timedelta:
        """The backlog window as a timedelta."""
        return timedelta(hours=self.backlog_hours)


def make_rule(
    name: str,
    *,
    priorities: Iterable[str] = (),
    categories: Iterable[str] = (),
    no_response_minutes: int | None = None,
    on: str | None = None,
    clock: str | None = None,
    to_supervisor: bool = False,
    to_group: str | None = None,
    where: str | None = None,
) -> AutoEscalateRule:
    """A validated rule; every mistake is one UsageError line starting with `where`.

    Groups and categories are checked against the desk when the rule is stored
    (`sla_rules.add_rule`); this checks what needs no database.
    """
    where = where or f"rule {name!r}"
    if not isinstance(name, str) or not _NAME_OK.match(name):
        raise UsageError(
            f"{where}: the name must be 1-64 letters, digits, spaces or _ . : - "
            "(it is the key that fires a rule once per ticket)"
        )
    priorities = tuple(dict.fromkeys(priorities))
    for priority in priorities:
        if priority not in PRIORITIES:
            raise UsageError(
                f"{where}: unknown priority {priority!r}; valid: {', '.join(PRIORITIES)}"
            )
    categories = tuple(dict.fromkeys(c.strip() for c in categories))
    if any(not c for c in categories):
        raise UsageError(f"{where}: a category must be a name")
    if (no_response_minutes is None) == (on is None):
        raise UsageError(
            f"{where}: give exactly one trigger: no-response minutes, or on warning|breach"
        )
    if no_response_minutes is not None and (
        isinstance(no_response_minutes, bool)
        or not isinstance(no_response_minutes, int)
        or not 1 <= no_response_minutes <= MAX_NO_RESPONSE_MINUTES
    ):
        raise UsageError(
            f"{where}: no-response minutes must be a whole number from 1 to "
            f"{MAX_NO_RESPONSE_MINUTES}, not {no_response_minutes!r}"
        )
    if on is not None and on not in LEVELS:
        raise UsageError(f"{where}: on must be one of {', '.join(LEVELS)}, not {on!r}")
    if clock is not None and no_response_minutes is not None:
        raise UsageError(f"{where}: a clock goes with on warning|breach, not with no-response")
    clock = clock or "resolution"
    if clock not in CLOCKS:
        raise UsageError(f"{where}: clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
    if to_supervisor == (to_group is not None):
        raise UsageError(f"{where}: give exactly one target: the supervisors or an L2/L3 group")
    if to_group is not None and (not isinstance(to_group, str) or not to_group.strip()):
        raise UsageError(f"{where}: the target group must be a group name")
    return AutoEscalateRule(
        name=name,
        to_supervisor=to_supervisor,
        to_group=to_group.strip() if to_group is not None else None,
        priorities=priorities,
        categories=categories,
        no_response_minutes=no_response_minutes,
        on=on,
        clock=clock,
    )


# --------------------------------------------------------------------------- legacy TOML


def _where(index: int, table: Mapping[str, Any]) -> str:
    name = table.get("name")
    label = f"[[sla.auto_escalate]] #{index}"
    return f"{label} ({name!r})" if isinstance(name, str) and name else label


def _names(value: object, what: str, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise UsageError(f"{where}: {what} must be a name or a list of names")
    return tuple(items)


def parse_rule(index: int, table: object) -> AutoEscalateRule:
    """Validate one legacy `[[sla.auto_escalate]]` table (`index` counts from 1)."""
    if not isinstance(table, Mapping):
        raise UsageError(f"[[sla.auto_escalate]] #{index}: must be a table")
    where = _where(index, table)
    unknown = sorted(set(table) - set(_RULE_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(_RULE_KEYS)}")
    to = table.get("to")
    if to is not None and to != SUPERVISOR_ROLE:
        raise UsageError(f'{where}: to must be "supervisor" (use to_group for a group)')
    name = table.get("name", f"rule-{index}")
    return make_rule(
        name,
        priorities=_names(table["priority"], "priority", where) if "priority" in table else (),
        categories=_names(table["category"], "category", where) if "category" in table else (),
        no_response_minutes=table.get("no_response_minutes"),
        on=table.get("on"),
        clock=table.get("clock"),
        to_supervisor=to is not None,
        to_group=table.get("to_group"),
        where=where,
    )


def parse_legacy_sla(raw: Mapping[str, Any]) -> WatchConfig:
    """The `[sla]` table of an old config.toml (rules and backlog), validated.

    Only `helpdesk policy import` reads it now; one UsageError line per mistake.
    """
    sla = raw.get("sla", {})
    if not isinstance(sla, Mapping):
        raise UsageError("[sla] must be a table")
    unknown = sorted(set(sla) - {"auto_escalate", "backlog_hours"})
    if unknown:
        raise UsageError(f"[sla]: unknown key {unknown[0]!r}; valid: auto_escalate, backlog_hours")
    tables = sla.get("auto_escalate", [])
    if not isinstance(tables, list):
        raise UsageError("write auto-escalation rules as [[sla.auto_escalate]] tables")
    rules = tuple(parse_rule(n, t) for n, t in enumerate(tables, start=1))
    _unique(rules)
    hours = sla.get("backlog_hours", DEFAULT_BACKLOG_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise UsageError("[sla] backlog_hours must be a number of hours >= 0")
    return WatchConfig(rules=rules, backlog_hours=float(hours))


def _unique(rules: Sequence[AutoEscalateRule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise UsageError(f"[[sla.auto_escalate]]: two rules are named {rule.name!r}")
        seen.add(rule.name)
