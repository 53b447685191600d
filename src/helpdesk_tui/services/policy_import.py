"""Moving an old config.toml's desk policy into the database (`helpdesk policy import`).

Before issue 11 the `[closure]`, `[sla]` (backlog window, `[[sla.auto_escalate]]` rules)
and `[[survey.question]]` tables of each user's config.toml were desk policy. They are no
longer read; an admin moves them once with this, in one transaction, with the same
checks and audit rows as the commands that set each of them now. Rules whose name the
desk has already are kept as they are (reported), so running the import twice is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.desk_policy import set_policy
from helpdesk_tui.services.monitor_config import parse_legacy_sla
from helpdesk_tui.services.sla_rules import add_rule
from helpdesk_tui.services.survey_questions import parse_legacy_questions, set_questionnaire
from helpdesk_tui.store.models.policy import SlaRule

__all__ = ["ImportReport", "import_legacy_policy"]

_CLOSURE_KEYS = ("auto_close_days", "reopen_days")


@dataclass
class ImportReport:
    """What an import set."""

    settings: dict[str, object] = field(default_factory=dict)
    rules_added: list[str] = field(default_factory=list)
    rules_kept: list[str] = field(default_factory=list)
    questions: list[str] | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with stable keys (`policy import --json`)."""
        return {
            "settings": self.settings,
            "rules_added": self.rules_added,
            "rules_kept": self.rules_kept,
            "questions": self.questions,
        }


def _closure(raw: Mapping[str, Any]) -> dict[str, object]:
    table = raw.get("closure")
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise UsageError("[closure] must be a table")
    unknown = sorted(set(table) - set(_CLOSURE_KEYS))
    if unknown:
        raise UsageError(
            f"[closure]: unknown key {unknown[0]!r}; valid: {', '.join(_CLOSURE_KEYS)}"
        )
    return {key: table[key] for key in _CLOSURE_KEYS if key in table}


def import_legacy_policy(
    session: Session, actor: Actor, raw: Mapping[str, Any], *, now: datetime | None = None
) -> ImportReport:
    """Set the desk policy an old config.toml (parsed as `raw`) still has.

    Needs `config.manage` (and `survey.manage` for a questionnaire). Every table is
    validated before anything is written; a mistake is one UsageError line naming it.
    """
    actor.require("config.manage")
    if not any(name in raw for name in ("closure", "sla", "survey")):
        raise UsageError("nothing to import: no [closure], [sla] or [survey] table")
    settings = _closure(raw)
    sla = parse_legacy_sla(raw)
    sla_table = raw.get("sla")
    if isinstance(sla_table, Mapping) and "backlog_hours" in sla_table:
        settings["backlog_hours"] = sla.backlog_hours
    questions = parse_legacy_questions(raw)
    if questions is not None:
        actor.require("survey.manage")
    report = ImportReport()
    if settings:
        policy = set_policy(session, actor, settings, now=now)
        report.settings = {name: getattr(policy, name) for name in settings}
    existing = set(session.scalars(sa.select(col(SlaRule.name))))
    for rule in sla.rules:
        if rule.name in existing:
            report.rules_kept.append(rule.name)
            continue
        add_rule(session, actor, rule, now=now)
        report.rules_added.append(rule.name)
    if questions is not None:
        report.questions = [q.id for q in set_questionnaire(session, actor, questions, now=now)]
    return report
