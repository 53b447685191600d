"""SLA policies and the calendars their clocks run on."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Calendar(SQLModel, table=True):
    """Business hours an SLA clock counts in: 24x7 or opening hours in a time zone.

    `weekdays` is a comma-separated list of ISO weekday numbers (0 = Monday); `holidays`
    a comma-separated list of ISO dates. Both are small and read whole.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    weekdays: str = Field(default="0,1,2,3,4,5,6", max_length=20)
    opens: str = Field(default="00:00", max_length=5)
    closes: str = Field(default="00:00", max_length=5)
    holidays: str = Field(default="")


class SlaPolicy(SQLModel, table=True):
    """Response and resolution targets for one priority, counted on a calendar."""

    __tablename__ = "sla_policy"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    priority: str = Field(max_length=16, index=True)
    response_minutes: int
    resolve_minutes: int
    calendar_id: int = Field(foreign_key="calendar.id")
    active: bool = Field(default=True)
