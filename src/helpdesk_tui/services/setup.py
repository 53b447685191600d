"""Creating and upgrading a desk: schema, vocabularies, roles, SLA policies, first admin.

Who may do what (issue 11: nobody becomes admin by accident):

- The very first `init` of an empty database (no file, an empty file, or a database
  without tables) creates the desk and makes the account running it the first admin.
- `init` and `db upgrade` on an existing desk need the permission `config.manage`
  (admins); an account that is no agent of the desk gets exit 3. They never grant
  anything.
- A database with tables that are not a helpdesk desk is refused, untouched: no schema is
  added to someone else's data.

Each runs in one write transaction (the migration, the seeding and the first admin), so
an interrupted `init` leaves nothing behind, and two `init`s racing on an empty
database cannot both become the first admin.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import HelpdeskError, PermissionDenied, StoreUnavailable
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import SYSTEM, Actor
from helpdesk_tui.services.rbac import resolve_actor, seed_roles
from helpdesk_tui.services.sla import seed_sla
from helpdesk_tui.services.sop import sync_library
from helpdesk_tui.services.sop_files import Sop
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES
from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.files import make_dir
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    Category,
    GroupMember,
    Role,
    SopEntry,
    SupportGroup,
)
from helpdesk_tui.store.types import pk

#: The groups a new desk starts with: name -> tier.
DEFAULT_GROUPS: Final[dict[str, int]] = {
    "Service Desk": 1,
    "L2 Desktop": 2,
    "L2 Network": 2,
    "L2 Identity": 2,
    "L2 Applications": 2,
    "L2 Messaging": 2,
    "L2 Backup": 2,
    "L3 Infrastructure": 3,
    "L3 Security": 3,
}

#: What `init` and `db upgrade` of an existing desk need.
UPGRADE_PERMISSION: Final = "config.manage"
#: Our Alembic revisions are four digits ("0006"); anything else belongs to another program.
_OUR_REVISION: Final = re.compile(r"\d{4}")
#: Key of the PostgreSQL advisory lock that serialises `init` and `db upgrade`.
_PG_LOCK_KEY: Final = 0x48454C50  # "HELP"

T = TypeVar("T")

#: Loads the SOP library for a new desk (called inside the transaction, only if needed).
SopLoader = Callable[[], Sequence[Sop]]


class DatabaseKind(StrEnum):
    """What a database holds, as far as `init` is concerned."""

    EMPTY = "empty"  # no tables (or no file yet): a first init may create the desk
    UNFINISHED = "unfinished"  # our schema but no agent (an interrupted init of old)
    DESK = "desk"  # a helpdesk desk with agents
    FOREIGN = "foreign"  # someone else's tables


@dataclass(frozen=True)
class InitResult:
    """What `initialise_desk` did."""

    created_admin: bool
    admin_login: str
    revision: str
    sops_loaded: int = 0


def seed_categories(session: Session) -> None:
    """Add the default categories that do not exist yet."""
    existing = set(session.scalars(sa.select(col(Category.name))))
    for position, name in enumerate(DEFAULT_CATEGORIES):
        if name not in existing:
            session.add(
                Category(name=name, label=name.replace("_", " ").capitalize(), position=position)
            )
    session.flush()


def seed_groups(session: Session) -> None:
    """Add the default support groups that do not exist yet."""
    existing = set(session.scalars(sa.select(col(SupportGroup.name))))
    for name, tier in DEFAULT_GROUPS.items():
        if name not in existing:
            session.add(SupportGroup(name=name, tier=tier))
    session.flush()


def initialise_desk(
    store: Store,
    login: str,
    name: str,
    timezone: str = "UTC",
    *,
    sops: SopLoader | None = None,
) -> InitResult:
    """Create a desk, or upgrade an existing one (see the module docstring for who may).

    On a new desk `login` becomes the first admin. `sops` loads the SOP library into a
    desk that has none yet (a new desk, or one made before `init` loaded it).
    """
    refuse_foreign_sqlite(store)
    path = store.sqlite_path
    if path is not None:
        make_dir(path.parent, store.file_modes)  # the file itself: Store creates it

    def work(session: Session, kind: DatabaseKind) -> InitResult:
        first = kind in (DatabaseKind.EMPTY, DatabaseKind.UNFINISHED)
        seed_categories(session)
        seed_roles(session)
        seed_sla(session, timezone=timezone)
        seed_groups(session)
        created = _make_first_admin(session, login, name) if first else False
        loaded = 0
        if sops is not None:
            loaded = load_library_if_empty(session, resolve_actor(session, login), sops)
        return InitResult(created, login, migrate.SCHEMA_HEAD, loaded)

    return _in_one_transaction(store, login, work)


def upgrade_desk(store: Store, login: str) -> str:
    """`db upgrade`: migrate an existing desk and add new permissions (`config.manage`)."""
    refuse_foreign_sqlite(store)

    def work(session: Session, kind: DatabaseKind) -> str:
        if kind is DatabaseKind.EMPTY:
            raise StoreUnavailable(
                f"{store.describe()} has no helpdesk schema; run `helpdesk init`"
            )
        seed_roles(session)  # permissions added by this version reach existing desks
        return migrate.SCHEMA_HEAD

    return _in_one_transaction(store, login, work)


def load_library_if_empty(session: Session, actor: Actor, sops: SopLoader) -> int:
    """Index the SOP library into a desk that has no SOPs yet; the number added.

    A desk that has SOPs keeps them (it may use its own library: `[desk] sop_dir`); an
    actor without `sop.manage` loads nothing.
    """
    if not actor.can("sop.manage"):
        return 0
    if session.scalar(sa.select(col(SopEntry.id)).limit(1)) is not None:
        return 0
    return len(sync_library(session, actor, sops()).added)


def database_kind(conn: sa.Connection) -> DatabaseKind:
    """Classify the database behind `conn` (its default schema on PostgreSQL)."""
    tables = set(sa.inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    agents = None
    if "agent" in tables:
        agents = conn.execute(sa.text("SELECT COUNT(*) FROM agent")).scalar()
    return _classify(tables, revision, agents)


def refuse_foreign_sqlite(store: Store) -> None:
    """Refuse an SQLite file that is not ours, before SQLAlchemy opens it.

    Opening through the store would already change the file (it switches on WAL), so
    this first look uses the standard library, which only reads.
    """
    path = store.sqlite_path
    if path is None or "uri" in store.url.query:
        return  # no file, or a `file:` URI whose options SQLite itself applies
    try:
        found = _look_into(path)
    except OSError as exc:
        raise HelpdeskError(f"cannot read {path}: {exc.strerror or exc}") from None
    except sqlite3.DatabaseError as exc:
        raise HelpdeskError(f"cannot read {path}: {exc}") from None
    if found is not None and _classify(*found) is DatabaseKind.FOREIGN:
        raise _foreign(str(path), found[0])


def _look_into(path: Path) -> tuple[set[str], object, object] | None:
    """(tables, schema revision, number of agents) of an SQLite file; None if it is new.

    Raises HelpdeskError for something that is not an SQLite file at all.
    """
    if not path.exists():
        return None
    if not path.is_file():
        raise HelpdeskError(f"{path} is not a file; refusing to create a desk there")
    with path.open("rb") as handle:
        header = handle.read(16)
    if not header:
        return None  # an empty file is a new SQLite database
    if header != b"SQLite format 3\x00":
        raise HelpdeskError(f"{path} is not an SQLite database; refusing to touch it")
    conn = sqlite3.connect(path, timeout=10)
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        revision: object = None
        agents: object = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        if "agent" in tables:
            agents = conn.execute("SELECT COUNT(*) FROM agent").fetchone()[0]
    finally:
        conn.close()
    return tables, revision, agents


# --- internals ---------------------------------------------------------------------------


def _classify(tables: set[str], revision: object, agents: object) -> DatabaseKind:
    if not tables:
        return DatabaseKind.EMPTY
    if not isinstance(revision, str) or not _OUR_REVISION.fullmatch(revision) or agents is None:
        return DatabaseKind.FOREIGN
    return DatabaseKind.DESK if agents else DatabaseKind.UNFINISHED


def _foreign(where: str, tables: set[str]) -> HelpdeskError:
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    return HelpdeskError(
        f"{where} holds another program's tables ({shown}), not a helpdesk desk; "
        "refusing to add the helpdesk schema to it (choose a new file or an empty database)"
    )


def _in_one_transaction(store: Store, login: str, work: Callable[[Session, DatabaseKind], T]) -> T:
    """Classify, check the permission, migrate and run `work`, all in one transaction."""
    from alembic import command

    with store.engine.execution_options(helpdesk_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        kind = database_kind(conn)
        if kind is DatabaseKind.FOREIGN:
            raise _foreign(store.describe(), set(sa.inspect(conn).get_table_names()))
        if kind is DatabaseKind.DESK:
            _check_revision(conn)
            _require_upgrade_permission(conn, login)
        command.upgrade(migrate.alembic_config(store, conn), "head")
        with Session(bind=conn) as session:  # joins `conn`'s transaction, commits with it
            result = work(session, kind)
            session.flush()
        return result


def _check_revision(conn: sa.Connection) -> None:
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    if isinstance(revision, str) and revision > migrate.SCHEMA_HEAD:
        raise StoreUnavailable(
            f"the database schema ({revision}) is newer than this program "
            f"({migrate.SCHEMA_HEAD}); upgrade helpdesk-tui"
        )


def _require_upgrade_permission(conn: sa.Connection, login: str) -> None:
    """PermissionDenied unless `login` is an active agent holding `config.manage`.

    Plain SQL over the columns every schema revision has: this runs before the migration.
    """
    row = conn.execute(
        sa.text("SELECT id, active FROM agent WHERE login = :login"), {"login": login}
    ).first()
    if row is None:
        raise PermissionDenied(
            f"{login} is not an agent of this desk; only an admin of the desk may "
            "initialise or upgrade it"
        )
    if not row[1]:
        raise PermissionDenied(f"{login} is disabled on this desk")
    allowed = conn.execute(
        sa.text(
            "SELECT 1 FROM agent_role ar "
            "JOIN role_permission rp ON rp.role_id = ar.role_id "
            "JOIN permission p ON p.id = rp.permission_id "
            "WHERE ar.agent_id = :agent AND p.name = :permission"
        ),
        {"agent": row[0], "permission": UPGRADE_PERMISSION},
    ).first()
    if allowed is None:
        raise PermissionDenied(
            f"{login} lacks the permission {UPGRADE_PERMISSION!r}: only an admin may "
            "initialise or upgrade an existing desk"
        )


def _make_first_admin(session: Session, login: str, name: str) -> bool:
    """Make `login` the admin of a desk that has no agent yet. True if it did."""
    if session.scalar(sa.select(col(Agent.id)).limit(1)) is not None:
        return False  # an UNFINISHED desk has none; never grant on a desk with agents
    admin_role = session.scalars(sa.select(Role).where(col(Role.name) == "admin")).one()
    agent = Agent(login=login, name=name or login)
    session.add(agent)
    session.flush()
    session.add(AgentRole(agent_id=pk(agent), role_id=pk(admin_role)))
    desk = session.scalars(
        sa.select(SupportGroup).where(col(SupportGroup.name) == "Service Desk")
    ).one()
    session.add(GroupMember(group_id=pk(desk), agent_id=pk(agent)))
    record_audit(session, SYSTEM, "agent.first_admin", "agent", agent.id, {"login": login})
    return True
