"""Admin commands: init, where, doctor, db, user, category."""

from __future__ import annotations

import textwrap
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.text import Text
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.cli.common import CliState, echo, print_json, print_records, state, stdout
from helpdesk_tui.cli.knowledge import library_dir
from helpdesk_tui.errors import Conflict, HelpdeskError, UsageError
from helpdesk_tui.services import rbac
from helpdesk_tui.services.audit import record_audit
from helpdesk_tui.services.context import Actor
from helpdesk_tui.services.doctor import run_checks
from helpdesk_tui.services.identity import agent_login, current_identity
from helpdesk_tui.services.setup import initialise_desk, upgrade_desk
from helpdesk_tui.services.sop_files import load_library
from helpdesk_tui.store import migrate
from helpdesk_tui.store.models import Agent, AgentRole, Category, GroupMember, Role, SupportGroup
from helpdesk_tui.text import plain

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
    """Create a desk (you, the OS account, become its first admin) and load the SOPs.

    On an existing desk it upgrades the schema instead, which needs an admin; it never
    makes anyone admin there. A database of another program is refused untouched.
    """
    cli = state(ctx)
    if db is not None:
        cli.db = db
        cli._settings = None
    _own_account_only(cli, "init")
    settings = cli.settings
    who = current_identity()
    folder = library_dir(settings)
    store = cli.store(check=False)
    result = initialise_desk(
        store,
        who.login,
        who.name,
        timezone or settings.timezone,
        sops=lambda: load_library(folder),
    )
    data = {
        "db": store.describe(),
        "schema": result.revision,
        "admin": result.admin_login,
        "created_admin": result.created_admin,
        "sops_loaded": result.sops_loaded,
    }
    if as_json:
        print_json(data)
        return
    echo(f"desk ready at {data['db']} (schema {data['schema']})")
    if result.created_admin:
        echo(f"{result.admin_login} is the first admin")
    if result.sops_loaded:
        echo(f"SOP library loaded: {result.sops_loaded} SOPs from {folder}")


def _own_account_only(cli: CliState, command: str) -> None:
    """`init` and `db upgrade` act as the account itself: `--as` has no meaning there."""
    if cli.as_login is not None:
        raise UsageError(f"`{command}` runs as your own account; leave out --as")


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
    """Apply pending schema migrations (admins: permission config.manage)."""
    cli = state(ctx)
    _own_account_only(cli, "db upgrade")
    store = cli.store(check=False)
    path = store.missing_file()
    if path is not None:
        raise UsageError(f"no database at {path}; run `helpdesk init` first")
    revision = upgrade_desk(store, agent_login())
    echo(f"schema at {revision}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision of the database."""
    store = state(ctx).store(check=False)
    path = store.missing_file()
    if path is not None:
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


LoginArg = Annotated[str, typer.Argument(help="agent login")]
RolesArg = Annotated[list[str], typer.Argument(metavar="ROLE...", help="one or more roles")]


@user_app.command("roles")
def user_roles(
    ctx: typer.Context,
    login: Annotated[
        str | None, typer.Argument(help="agent login (default: every role of the desk)")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", "-r", hidden=True, help="no longer here")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """List an agent's roles, or every role of the desk with its permissions."""
    if role:
        raise UsageError("`user roles` only lists roles now; use `user grant` or `user revoke`")
    fmt = "json" if as_json else fmt
    if login is None:
        catalogue = state(ctx).read(lambda session, actor: rbac.role_catalogue(session))
        if fmt == "table":
            _print_catalogue(catalogue)
        else:
            print_records(catalogue, ["role", "description", "permissions"], fmt)
        return
    names = state(ctx).read(lambda session, actor: rbac.agent_role_names(session, login))
    print_records([{"login": login, "role": name} for name in names], ["login", "role"], fmt)


def _print_catalogue(catalogue: list[dict[str, str]]) -> None:
    """Each role on a line with its description, then its permissions, wrapped."""
    console = stdout()
    for entry in catalogue:
        console.print(plain(f"{entry['role']}: {entry['description']}", "bold", one_line=True))
        permissions = entry["permissions"].replace(",", ", ") or "(none)"
        for line in textwrap.wrap(permissions, width=76, break_on_hyphens=False):
            console.print(Text.assemble("    ", plain(line, one_line=True)))


@user_app.command("grant")
def user_grant(ctx: typer.Context, login: LoginArg, roles: RolesArg) -> None:
    """Give an agent one or more roles (permission agent.manage)."""
    held = state(ctx).write(lambda session, actor: rbac.grant_roles(session, actor, login, roles))
    echo(f"{login}: {', '.join(held)}")


@user_app.command("revoke")
def user_revoke(ctx: typer.Context, login: LoginArg, roles: RolesArg) -> None:
    """Take roles from an agent (the last active admin keeps theirs: exit 4)."""
    left = state(ctx).write(lambda session, actor: rbac.revoke_roles(session, actor, login, roles))
    echo(f"{login}: {', '.join(left) or 'no roles'}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, login: LoginArg) -> None:
    """Disable an agent who left: kept in the history, can no longer act (not the last admin)."""
    state(ctx).write(lambda session, actor: rbac.set_agent_active(session, actor, login, False))
    echo(f"agent {login} disabled")


@user_app.command("enable")
def user_enable(ctx: typer.Context, login: LoginArg) -> None:
    """Enable a disabled agent again."""
    state(ctx).write(lambda session, actor: rbac.set_agent_active(session, actor, login, True))
    echo(f"agent {login} enabled")


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
    if not as_json and fmt != "json":
        records = [r | {"active": "yes" if r["active"] else "no"} for r in records]
    print_records(
        records,
        ["login", "name", "roles", "groups", "presence", "active"],
        "json" if as_json else fmt,
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
