"""The triage accuracy report: what was suggested at intake vs the category at closure.

The service-desk practice of regularly checking classification: agreement rate,
overrides per category and per agent, and the most-confused pairs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.learning import closed_tickets
from helpdesk_tui.store.models import Agent, Interaction, Ticket


@dataclass(frozen=True)
class TriageReport:
    """Agreement between intake suggestions and final categories in a period."""

    since: datetime | None
    until: datetime | None
    tickets: int
    with_suggestion: int
    agreed: int
    overrides_by_category: dict[str, dict[str, int]]
    overrides_by_agent: dict[str, int]
    confused: list[tuple[str, str, int]]

    @property
    def agreement(self) -> float:
        """Share of suggested tickets closed under the suggested category."""
        return self.agreed / self.with_suggestion if self.with_suggestion else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "tickets": self.tickets,
            "with_suggestion": self.with_suggestion,
            "agreed": self.agreed,
            "agreement": round(self.agreement, 4),
            "overrides_by_category": self.overrides_by_category,
            "overrides_by_agent": self.overrides_by_agent,
            "most_confused": [
                {"suggested": s, "final": f, "count": n} for s, f, n in self.confused
            ],
        }


def triage_report(
    session: Session, actor: Actor, *, since: datetime | None = None, until: datetime | None = None
) -> TriageReport:
    """Compare suggested and final categories of tickets closed in [since, until)."""
    actor.require("report.view")
    query = sa.select(
        col(Ticket.id),
        col(Ticket.suggested_category),
        col(Ticket.category),
        col(Ticket.created_by_id),
    ).where(closed_tickets())  # the same tickets `triage train` learns from
    if since is not None:
        query = query.where(col(Ticket.closed_at) >= since)
    if until is not None:
        query = query.where(col(Ticket.closed_at) < until)
    rows = session.execute(query).all()
    suggested = [r for r in rows if r[1]]
    overridden = [r for r in suggested if r[1] != r[2]]
    # Who overrode: the agent of the last category change on the ticket, else its recorder.
    changer: dict[int, int | None] = {}  # ticket id -> agent id
    ids = [r[0] for r in overridden]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for ticket_id, agent_id in session.execute(
            sa.select(col(Interaction.ticket_id), col(Interaction.agent_id))
            .where(col(Interaction.kind) == "category", col(Interaction.ticket_id).in_(chunk))
            .order_by(col(Interaction.id))
        ):
            changer[ticket_id] = agent_id
    logins: dict[int | None, str] = {
        agent_id: login
        for agent_id, login in session.execute(sa.select(col(Agent.id), col(Agent.login)))
    }
    by_agent: Counter[str] = Counter()
    for r in overridden:
        ticket_id = int(r[0] or 0)
        by_agent[logins.get(changer.get(ticket_id, r[3]), "unknown")] += 1
    totals: Counter[str] = Counter(r[2] for r in suggested)
    overrides: Counter[str] = Counter(r[2] for r in overridden)
    by_category = {
        cat: {"tickets": totals[cat], "overridden": overrides[cat]} for cat in sorted(totals)
    }
    pairs = Counter((str(r[1]), r[2]) for r in overridden)
    return TriageReport(
        since=since,
        until=until,
        tickets=len(rows),
        with_suggestion=len(suggested),
        agreed=len(suggested) - len(overridden),
        overrides_by_category=by_category,
        overrides_by_agent=dict(by_agent.most_common()),
        confused=[(s, f, n) for (s, f), n in pairs.most_common(10)],
    )
