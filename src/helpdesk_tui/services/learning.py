"""Training the category model on the desk's closed tickets, storing and loading it.

Retraining, not incremental learning: `helpdesk triage train` refits on all closed
tickets (about 30 s for 38k on two cores) and is meant for a nightly cron or after an
import; `--if-stale N` skips the work until N tickets closed since the last model. A full
refit keeps the calibration of the confidence honest and lets categories appear and
retire with the desk's taxonomy; an online learner would drift and could not drop a
retired category. Training runs outside any transaction: only reading the history and
storing the result touch the database, each briefly.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.store.models import CategoryModelRow, Ticket

if TYPE_CHECKING:
    from helpdesk_tui.services.classifier import CategoryModel

#: The one meaning of "closed tickets" for the model and `report triage` alike: closed
#: (confirmed by the requester or auto-closed). A resolved ticket may still be reopened and
#: recategorised, so its category is not yet the desk's final word.
CLOSED: Final = "closed"

#: Below these a model is still trained, but `triage train` warns that its suggestions
#: will be unreliable: a few hundred tickets in all, a few dozen per category, is where a
#: text model starts to beat the keyword rules (and its held-out estimate means something).
MIN_TICKETS: Final = 200
MIN_PER_CATEGORY: Final = 20


def closed_tickets() -> sa.ColumnElement[bool]:
    """The WHERE of "closed tickets" (see `CLOSED`)."""
    return col(Ticket.status) == CLOSED


@dataclass(frozen=True)
class History:
    """Closed tickets as training data: texts and the category they were closed under."""

    texts: list[str]
    labels: list[str]
    newest_ticket_id: int

    @property
    def per_category(self) -> dict[str, int]:
        """Closed tickets per category, most first (ties by name)."""
        counts = Counter(self.labels)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def training_warnings(history: History) -> list[str]:
    """Why a model trained on `history` may suggest badly: too few tickets in all or per
    category, each warning with the per-category counts. Empty when there is enough."""
    counts = history.per_category
    total = len(history.labels)
    listed = ", ".join(f"{name} {n}" for name, n in counts.items())
    if total < MIN_TICKETS:
        return [
            f"only {total:,} closed tickets to learn from (at least {MIN_TICKETS} recommended,"
            f" {MIN_PER_CATEGORY} per category): suggestions will be unreliable; per category:"
            f" {listed}"
        ]
    thin = {name: n for name, n in counts.items() if n < MIN_PER_CATEGORY}
    if not thin:
        return []
    few = ", ".join(f"{name} {n}" for name, n in thin.items())
    return [
        f"{len(thin)} of {len(counts)} categories have fewer than {MIN_PER_CATEGORY} closed"
        f" tickets, so their suggestions will be unreliable: {few}"
    ]


def ticket_text(title: str, body: str) -> str:
    """The text a model sees for a ticket (the same at training and suggestion time)."""
    return f"{title}\n{body}".strip()


def training_history(session: Session, actor: Actor) -> History:
    """Read the closed tickets (short read; train outside the transaction)."""
    actor.require("triage.train")
    rows = session.execute(
        sa.select(col(Ticket.id), col(Ticket.title), col(Ticket.body), col(Ticket.category))
        .where(closed_tickets())
        .order_by(col(Ticket.id))
    ).all()
    if not rows:
        raise UsageError("no closed tickets to learn from; import history first (helpdesk import)")
    return History(
        texts=[ticket_text(r[1], r[2]) for r in rows],
        labels=[r[3] for r in rows],
        newest_ticket_id=int(rows[-1][0] or 0),
    )


def closed_since_last_model(session: Session) -> int | None:
    """Tickets closed after the active model was trained (None when there is no model)."""
    row = session.execute(
        sa.select(col(CategoryModelRow.trained_at))
        .where(col(CategoryModelRow.active))
        .order_by(col(CategoryModelRow.version).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(closed_tickets(), col(Ticket.closed_at) > row[0])
        )
        or 0
    )


def next_version(session: Session) -> int:
    """The version number the next trained model gets."""
    return int(session.scalar(sa.select(sa.func.max(col(CategoryModelRow.version)))) or 0) + 1


def model_bytes(model: CategoryModel) -> bytes:
    """The model's file (`.npz`, no pickle) as bytes, for storing in the database."""
    with tempfile.TemporaryDirectory(prefix="helpdesk-model-") as tmp:
        path = Path(tmp) / "model.npz"
        model.save(path)
        return path.read_bytes()


def store_model(
    session: Session, actor: Actor, model: CategoryModel, data: bytes
) -> CategoryModelRow:
    """Keep a trained model as the desk's active one (older versions stay, inactive)."""
    actor.require("triage.train")
    info = model.info
    session.execute(sa.update(CategoryModelRow).values(active=False))
    row = CategoryModelRow(
        version=info.version,
        trained_at=info.trained_at,
        n_samples=info.n_samples,
        categories=json.dumps(list(info.categories)),
        algorithm=info.algorithm,
        metrics=json.dumps(info.metrics),
        size_bytes=len(data),
        data=data,
        active=True,
        trained_by_id=actor.agent_id,
    )
    session.add(row)
    record_audit(
        session,
        actor,
        "triage.train",
        "category_model",
        info.version,
        {"n_samples": info.n_samples, "categories": len(info.categories)},
    )
    return row


@dataclass(frozen=True)
class StoredModel:
    """The active model's metadata (without loading the model)."""

    version: int
    trained_at: datetime
    n_samples: int
    categories: list[str]
    algorithm: str
    metrics: dict[str, Any]
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        data = dict(self.__dict__)
        data["trained_at"] = self.trained_at.isoformat()
        return data


def active_model_info(session: Session) -> StoredModel | None:
    """Metadata of the active model, if any."""
    row = session.execute(
        sa.select(
            col(CategoryModelRow.version),
            col(CategoryModelRow.trained_at),
            col(CategoryModelRow.n_samples),
            col(CategoryModelRow.categories),
            col(CategoryModelRow.algorithm),
            col(CategoryModelRow.metrics),
            col(CategoryModelRow.size_bytes),
        )
        .where(col(CategoryModelRow.active))
        .order_by(col(CategoryModelRow.version).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredModel(
        row[0], row[1], row[2], json.loads(row[3]), row[4], json.loads(row[5]), row[6]
    )


def load_active_model(session: Session) -> CategoryModel | None:
    """The active model, loaded (numpy needed), or None when the desk has none."""
    data = session.scalar(
        sa.select(col(CategoryModelRow.data))
        .where(col(CategoryModelRow.active))
        .order_by(col(CategoryModelRow.version).desc())
        .limit(1)
    )
    if data is None:
        return None
    from helpdesk_tui.services.classifier import CategoryModel

    with tempfile.TemporaryDirectory(prefix="helpdesk-model-") as tmp:
        path = Path(tmp) / "model.npz"
        path.write_bytes(data)
        return CategoryModel.load(path)
