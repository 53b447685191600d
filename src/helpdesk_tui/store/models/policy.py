"""Desk-wide policy set by admins: scalar settings and the SLA auto-escalation rules.

Policy lives in the database, never in a personal config file: the watcher and every
agent's client read the same values, and every change is audited (issue 11, item 3).
Calendars and SLA policies have their own tables (`store/models/sla.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from helpdesk_tui.store.types import UTCDateTime, utcnow


class DeskSetting(SQLModel, table=True):
    """One desk-wide setting: `key` (such as `closure.auto_close_days`) -> a JSON value.

    The keys and their types are defined and validated in `services/desk_policy.py`; a
    key that is absent takes its default there, so a new setting needs no migration.
    """

    __tablename__ = "desk_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(description="JSON")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="agent.id")


class SlaRule(SQLModel, table=True):
    """An auto-escalation rule the SLA watcher applies (`helpdesk sla rule ...`).

    Trigger: `no_response_minutes` (business minutes without a first response) or `on_level`
    (warning | breach) of `clock`. Target: the supervisors (`to_supervisor`) or an L2/L3
    group (`to_group_id`). `priorities` and `categories` are comma-separated names, empty
    for all. `name` is the once-per-ticket key of `sla_auto_escalation.rule`.
    """

    __tablename__ = "sla_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    priorities: str = Field(default="", max_length=200)
    categories: str = Field(default="")
    no_response_minutes: int | None = Field(default=None)
    on_level: str | None = Field(default=None, max_length=8)  # not "on": a reserved word
    clock: str = Field(default="resolution", max_length=12)
    to_supervisor: bool = Field(default=False)
    to_group_id: int | None = Field(default=None, foreign_key="support_group.id")
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="agent.id")
