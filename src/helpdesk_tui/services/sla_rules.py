"""The desk's SLA auto-escalation rules in the `sla_rule` table (`helpdesk sla rule ...`).

Reading them needs `ticket.read` (agents may know what will escalate their tickets);
adding, removing and switching them needs `config.manage`, and each change is an audit
row. The watcher reads the active ones with `active_rules`, however it was started: a
personal config file has no say (issue 11, item 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, NotFound, UsageError, invalid_choice
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.monitor_config import AutoEscalateRule
from helpdesk_tui.store.models import Category, SupportGroup
from helpdesk_tui.store.models.policy import SlaRule
from helpdesk_tui.store.types import utcnow

__all__ = [
    "RuleRow",
    "active_rules",
    "add_rule",
    "list_rules",
    "remove_rule",
    "set_rule_active",
]


@dataclass(frozen=True)
class RuleRow:
    """A stored rule as `sla rule list` shows it."""

    rule: AutoEscalateRule
    active: bool
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        """JSON-able form with stable keys (`--json`)."""
        rule = self.rule
        return {
            "name": rule.name,
            "active": self.active,
            "priorities": list(rule.priorities),
            "categories": list(rule.categories),
            "no_response_minutes": rule.no_response_minutes,
            "on": rule.on,
            "clock": None if rule.no_response_minutes is not None else rule.clock,
            "to": "supervisor" if rule.to_supervisor else rule.to_group,
            "describe": rule.describe(),
            "created_at": self.created_at.isoformat(),
        }


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


def _rows(session: Session, *, active_only: bool) -> list[RuleRow]:
    query = (
        sa.select(SlaRule, col(SupportGroup.name))
        .outerjoin(SupportGroup, col(SupportGroup.id) == col(SlaRule.to_group_id))
        .order_by(col(SlaRule.id))
    )
    if active_only:
        query = query.where(col(SlaRule.active))
    return [
        RuleRow(
            AutoEscalateRule(
                name=row.name,
                to_supervisor=row.to_supervisor,
                to_group=group,
                priorities=_split(row.priorities),
                categories=_split(row.categories),
                no_response_minutes=row.no_response_minutes,
                on=row.on_level,
                clock=row.clock,
            ),
            row.active,
            row.created_at,
        )
        for row, group in session.execute(query)
    ]


def active_rules(session: Session) -> tuple[AutoEscalateRule, ...]:
    """The rules the watcher applies, in the order they were added."""
    return tuple(r.rule for r in _rows(session, active_only=True))


def list_rules(session: Session, actor: Actor) -> list[RuleRow]:
    """Every rule, active or not (permission `ticket.read`)."""
    actor.require("ticket.read")
    return _rows(session, active_only=False)


def _target_group(session: Session, rule: AutoEscalateRule) -> int | None:
    if rule.to_group is None:
        return None
    groups = {g.name: g for g in session.scalars(sa.select(SupportGroup))}
    group = groups.get(rule.to_group)
    if group is None:
        raise invalid_choice("group", rule.to_group, sorted(groups))
    if group.tier < 2:
        raise UsageError(
            f"rule {rule.name!r}: {group.name} is a first-line group; escalate to an L2/L3 group"
        )
    return group.id


def _check_categories(session: Session, rule: AutoEscalateRule) -> None:
    known = list(session.scalars(sa.select(col(Category.name)).order_by(col(Category.position))))
    for category in rule.categories:
        if category not in known:
            raise invalid_choice("category", category, known)


def add_rule(
    session: Session, actor: Actor, rule: AutoEscalateRule, *, now: datetime | None = None
) -> None:
    """Store a new rule (permission `config.manage`, audited).

    The name is the rule's once-per-ticket key: an existing name is a Conflict (remove
    the old rule first; a rule re-added under its old name does not fire again on the
    tickets it already fired on).
    """
    actor.require("config.manage")
    group_id = _target_group(session, rule)
    _check_categories(session, rule)
    taken = session.scalar(sa.select(col(SlaRule.id)).where(col(SlaRule.name) == rule.name))
    if taken is not None:
        raise Conflict(f"an auto-escalation rule named {rule.name!r} exists already")
    now = now or utcnow()
    session.add(
        SlaRule(
            name=rule.name,
            priorities=",".join(rule.priorities),
            categories=",".join(rule.categories),
            no_response_minutes=rule.no_response_minutes,
            on_level=rule.on,
            clock=rule.clock,
            to_supervisor=rule.to_supervisor,
            to_group_id=group_id,
            created_at=now,
            created_by_id=actor.agent_id,
        )
    )
    session.flush()
    record_audit(
        session,
        actor,
        "sla_rule.add",
        "sla_rule",
        rule.name,
        {"rule": rule.describe(), "priorities": rule.priorities, "categories": rule.categories},
        now=now,
    )


def _stored(session: Session, name: str) -> SlaRule:
    row = session.scalars(sa.select(SlaRule).where(col(SlaRule.name) == name)).first()
    if row is None:
        names: Sequence[str] = list(
            session.scalars(sa.select(col(SlaRule.name)).order_by(col(SlaRule.id)))
        )
        hint = f"; rules: {', '.join(names)}" if names else "; the desk has no rules"
        raise NotFound(f"no auto-escalation rule named {name!r}{hint}")
    return row


def remove_rule(session: Session, actor: Actor, name: str) -> None:
    """Delete a rule (permission `config.manage`, audited). Its firings stay recorded."""
    actor.require("config.manage")
    row = _stored(session, name)
    session.delete(row)
    session.flush()
    record_audit(session, actor, "sla_rule.remove", "sla_rule", name, {})


def set_rule_active(session: Session, actor: Actor, name: str, active: bool) -> bool:
    """Switch a rule on or off (permission `config.manage`); False if it already was."""
    actor.require("config.manage")
    row = _stored(session, name)
    if row.active == active:
        return False
    row.active = active
    record_audit(
        session, actor, "sla_rule.enable" if active else "sla_rule.disable", "sla_rule", name, {}
    )
    return True
