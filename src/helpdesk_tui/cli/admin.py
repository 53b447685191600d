"""Admin commands: init, where, doctor, db, user, category."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
import typer
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.cli.common import echo, print_json, print_records, state
from helpdesk_tui.config import normalise_db
from helpdesk_tui.errors import Conflict, HelpdeskError, UsageError
from helpdesk_tui.services import rbac
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.doctor import run_checks
from helpdesk_tui.services.setup import initialise_desk
from helpdesk_tui.store import migrate
from helpdesk_tui.store.models import Agent, AgentRole, Category, GroupMember, Role, SupportGroup

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Agents and their roles.", no_args_is_help=True)
category_app = typer.Typer(help="The desk's ticket categories.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the admin commands to the root app."""
    app.command("init")(init)
    app.command("where")(where)
    app.command("doctor")(doctor)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(category_app, name="category")


def init(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL or SQLite file")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone of the business calendar")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the database (or upgrade it) and make you, the OS account, the first admin."""
    cli = state(ctx)
    if db is not None:
        cli.db = normalise_db(db)
        cli._settings = None
    settings = cli.settings
    result = initialise_desk(
        cli.store(check=False), rbac.os_login(), rbac.os_full_name(), timezone or settings.timezone
    )
    data = {
        "db": cli.store(check=False).describe(),
        "schema": result.revision,
        "admin": result.admin_login,
        "created_admin": result.created_admin,
    }
    if as_json:
        print_json(data)
        return
    echo(f"desk ready at {data['db']} (schema {data['schema']})")
    if result.created_admin:
        echo(f"{result.admin_login} is the first admin")


def where(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Print where the data, config and database live."""
    settings = state(ctx).settings
    data = {
        "data_dir": str(settings.data_dir),
        "config_dir": str(settings.config_dir),
        "config_file": str(settings.config_file),
        "rules_file": str(settings.rules_file),
        # Only described, never opened: no need for (or trouble with) the password secret.
        "db": state(ctx).store(check=False, password=False).describe(),
    }
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        echo(f"{key:12} {value}")


def doctor(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check the database, WAL mode, file modes, database password, keyring and terminal."""
    cli = state(ctx)
    try:
        store = cli.store(check=False)
    except HelpdeskError:  # a refused password secret: its own line says why
        store = cli.store(check=False, password=False)
    checks = run_checks(store, cli.settings, cli.db)
    if as_json:
        print_json([c.to_dict() for c in checks])
    else:
        for check in checks:
            echo(f"{check.status:4}  {check.name:12} {check.detail}")
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending schema migrations."""
    store = state(ctx).store(check=False)
    path = store.sqlite_path
    if path is not None and not path.exists():
        raise UsageError(f"no database at {path}; run `helpdesk init` first")
    migrate.upgrade(store)
    echo(f"schema at {migrate.current_revision(store)}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision of the database."""
    store = state(ctx).store(check=False)
    path = store.sqlite_path
    if path is not None and not path.exists():
        raise UsageError(f"no database at {path}; run `helpdesk init` first")
    echo(migrate.current_revision(store) or "none")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="the agent's OS account name")],
    name: Annotated[str, typer.Option(help="full name")] = "",
    role: Annotated[list[str] | None, typer.Option("--role", "-r", help="repeatable")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", "-g", help="repeatable")] = None,
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
) -> None:
    """Register an agent (default role: agent)."""
    state(ctx).write(
        lambda session, actor: rbac.add_agent(
            session,
            actor,
            login,
            name or login,
            roles=role or ["agent"],
            groups=group or [],
            email=email,
        )
    )
    echo(f"agent {login} added")


@user_app.command("roles")
def user_roles(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="agent login")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="repeatable; replaces all")],
) -> None:
    """Replace an agent's roles."""
    state(ctx).write(lambda session, actor: rbac.set_agent_roles(session, actor, login, role))
    echo(f"{login}: {', '.join(role)}")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """List agents with their roles, groups and presence."""

    def work(session: Session, actor: Actor) -> list[dict[str, object]]:
        actor.require("ticket.read")
        roles: dict[int, list[str]] = {}
        for agent_id, role_name in session.execute(
            sa.select(col(AgentRole.agent_id), col(Role.name)).join(
                Role, col(Role.id) == col(AgentRole.role_id)
            )
        ):
            roles.setdefault(agent_id, []).append(role_name)
        groups: dict[int, list[str]] = {}
        for agent_id, group_name in session.execute(
            sa.select(col(GroupMember.agent_id), col(SupportGroup.name)).join(
                SupportGroup, col(SupportGroup.id) == col(GroupMember.group_id)
            )
        ):
            groups.setdefault(agent_id, []).append(group_name)
        return [
            {
                "login": a.login,
                "name": a.name,
                "roles": ",".join(sorted(roles.get(a.id or 0, []))),
                "groups": ",".join(sorted(groups.get(a.id or 0, []))),
                "presence": a.presence,
                "active": a.active,
            }
            for a in session.scalars(sa.select(Agent).order_by(col(Agent.login)))
        ]

    records = state(ctx).read(work)
    print_records(
        records, ["login", "name", "roles", "groups", "presence"], "json" if as_json else fmt
    )


@category_app.command("list")
def category_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the desk's categories."""
    rows = state(ctx).read(
        lambda session, actor: [
            {"name": c.name, "label": c.label, "active": c.active}
            for c in session.scalars(
                sa.select(Category).order_by(col(Category.position), col(Category.name))
            )
        ]
    )
    print_records(rows, ["name", "label", "active"], "json" if as_json else "table")


@category_app.command("add")
def category_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="category name (lowercase, no spaces advised)")],
    label: Annotated[str, typer.Option(help="display label")] = "",
) -> None:
    """Add a category (permission config.manage)."""

    def work(session: Session, actor: Actor) -> None:
        actor.require("config.manage")
        if not name.strip():
            raise UsageError("a category needs a name")
        if session.get(Category, name) is not None:
            raise Conflict(f"category {name!r} exists already")
        count = session.scalar(sa.select(sa.func.count()).select_from(Category)) or 0
        session.add(Category(name=name, label=label or name, position=int(count)))
        record_audit(session, actor, "category.add", "category", name, {"label": label})

    state(ctx).write(work)
    echo(f"category {name} added")
