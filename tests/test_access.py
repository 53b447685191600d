"""Nobody becomes admin by accident (issue 11): agent rules and who may init or upgrade.

Service tests on every configured backend (SQLite, and PostgreSQL when
HELPDESK_TEST_PG_URL is set).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import col

from helpdesk_tui.errors import (
    Conflict,
    HelpdeskError,
    PermissionDenied,
    StoreUnavailable,
    UsageError,
)
from helpdesk_tui.services import rbac
from helpdesk_tui.services.setup import (
    DatabaseKind,
    database_kind,
    initialise_desk,
    upgrade_desk,
)
from helpdesk_tui.services.sop import sync_library
from helpdesk_tui.services.sop_files import Sop, load_library, shipped_sop_dir
from helpdesk_tui.store import migrate
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.models import Agent, Audit, SopEntry
from tests.conftest import Desk

ME = rbac.os_login()


def roles_of(desk: Desk, login: str) -> list[str]:
    with desk.store.read() as session:
        return rbac.agent_role_names(session, login)


# --- logins ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("", "cannot be empty"),
        ("a" * 65, "at most 64"),
        ("evil\x1b]0;PWNED\x07", "not a valid login"),
        ("two words", "not a valid login"),
        ("-rf", "not a valid login"),
        (".hidden", "not a valid login"),
        ("tab\there", "not a valid login"),
        ("line\nbreak", "not a valid login"),
        ("bidi\u202euser", "not a valid login"),
    ],
)
def test_bad_logins_are_refused(desk: Desk, login: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        desk.store.run_write(lambda s: rbac.add_agent(s, desk.admin, login, ""))
    with desk.store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Agent)) == 1


@pytest.mark.parametrize("login", ["alice", "j.smith", "alice@corp.example", "u_1-x", "PC01$"])
def test_real_world_logins_are_accepted(desk: Desk, login: str) -> None:
    desk.add_agent(login)
    assert roles_of(desk, login) == ["agent"]


def test_a_name_with_control_characters_is_refused(desk: Desk) -> None:
    with pytest.raises(UsageError, match="control characters"):
        desk.store.run_write(lambda s: rbac.add_agent(s, desk.admin, "eve", "Eve\x1b[2J"))


@pytest.mark.parametrize("email", ["jane", "a@b", "two words@corp.example", "x\u202e@corp.example"])
def test_a_bad_email_is_refused(desk: Desk, email: str) -> None:
    with pytest.raises(UsageError, match="not an e-mail address"):
        desk.store.run_write(lambda s: rbac.add_agent(s, desk.admin, "eve", "Eve", email=email))


def test_a_good_email_is_kept(desk: Desk) -> None:
    desk.store.run_write(
        lambda s: rbac.add_agent(s, desk.admin, "eve", "Eve", email=" eve@corp.example ")
    )
    with desk.store.read() as session:
        assert session.scalar(sa.select(col(Agent.email)).where(col(Agent.login) == "eve")) == (
            "eve@corp.example"
        )


# --- the last active admin ---------------------------------------------------------------


def test_the_last_admin_cannot_demote_themselves(desk: Desk) -> None:
    for change in (
        lambda s: rbac.set_agent_roles(s, desk.admin, ME, ["agent"]),
        lambda s: rbac.revoke_roles(s, desk.admin, ME, ["admin"]),
        lambda s: rbac.set_agent_active(s, desk.admin, ME, False),
    ):
        with pytest.raises(Conflict, match="last active admin"):
            desk.store.run_write(change)
    assert roles_of(desk, ME) == ["admin"]
    assert desk.actor(ME).can("agent.manage")


def test_an_inactive_admin_does_not_count(desk: Desk) -> None:
    desk.add_agent("bob", "admin")
    desk.store.run_write(lambda s: rbac.set_agent_active(s, desk.admin, "bob", False))
    with pytest.raises(Conflict, match="last active admin"):
        desk.store.run_write(lambda s: rbac.revoke_roles(s, desk.admin, ME, ["admin"]))
    # bob back: now the OS account may step down, and bob may not any more
    desk.store.run_write(lambda s: rbac.set_agent_active(s, desk.admin, "bob", True))
    desk.store.run_write(lambda s: rbac.revoke_roles(s, desk.admin, ME, ["admin"]))
    bob = desk.actor("bob")
    with pytest.raises(Conflict):
        desk.store.run_write(lambda s: rbac.set_agent_active(s, bob, "bob", False))
    with pytest.raises(PermissionDenied):
        desk.store.run_write(lambda s: rbac.grant_roles(s, desk.actor(ME), ME, ["admin"]))


def test_grant_revoke_and_disable_are_audited(desk: Desk) -> None:
    desk.add_agent("carol")
    assert desk.store.run_write(
        lambda s: rbac.grant_roles(s, desk.admin, "carol", ["supervisor", "agent"])
    ) == ["agent", "supervisor"]
    assert desk.store.run_write(lambda s: rbac.revoke_roles(s, desk.admin, "carol", ["agent"])) == [
        "supervisor"
    ]
    with pytest.raises(UsageError, match="does not have the role 'admin'"):
        desk.store.run_write(lambda s: rbac.revoke_roles(s, desk.admin, "carol", ["admin"]))
    with pytest.raises(UsageError, match="unknown role 'boss'"):
        desk.store.run_write(lambda s: rbac.grant_roles(s, desk.admin, "carol", ["boss"]))
    desk.store.run_write(lambda s: rbac.set_agent_active(s, desk.admin, "carol", False))
    with pytest.raises(PermissionDenied, match="disabled"), desk.store.read() as session:
        rbac.resolve_actor(session, "carol")
    with pytest.raises(PermissionDenied, match="disabled"), desk.store.read() as session:
        rbac.resolve_actor(session, ME, as_login="carol")
    with desk.store.read() as session:
        actions = list(session.scalars(sa.select(col(Audit.action)).order_by(col(Audit.id))))
    assert actions[-3:] == ["agent.grant", "agent.revoke", "agent.disable"]


def test_only_agent_managers_change_roles(desk: Desk) -> None:
    agent = desk.add_agent("dave")
    for change in (
        lambda s: rbac.grant_roles(s, agent, "dave", ["admin"]),
        lambda s: rbac.revoke_roles(s, agent, ME, ["admin"]),
        lambda s: rbac.set_agent_active(s, agent, ME, False),
    ):
        with pytest.raises(PermissionDenied, match="agent.manage"):
            desk.store.run_write(change)


# --- init and upgrade --------------------------------------------------------------------


def test_init_on_an_existing_desk_grants_nothing(desk: Desk) -> None:
    """The takeover of issue 11: the last admin stepped down is refused, and even on a
    desk without an admin a stranger's init makes nobody admin (exit 3)."""
    with pytest.raises(PermissionDenied, match="stranger is not an agent"):
        initialise_desk(desk.store, "stranger", "Stranger")
    desk.add_agent("erin")
    with pytest.raises(PermissionDenied, match="config.manage"):
        initialise_desk(desk.store, "erin", "Erin")
    with pytest.raises(PermissionDenied, match="config.manage"):
        upgrade_desk(desk.store, "erin")
    with desk.store.read() as session:
        logins = set(session.scalars(sa.select(col(Agent.login))))
    assert logins == {ME, "erin"} and roles_of(desk, "erin") == ["agent"]
    again = initialise_desk(desk.store, ME, "Test Admin")
    assert not again.created_admin
    assert upgrade_desk(desk.store, ME) == migrate.SCHEMA_HEAD


def test_a_disabled_admin_cannot_upgrade(desk: Desk) -> None:
    desk.add_agent("frank", "admin")
    desk.store.run_write(lambda s: rbac.set_agent_active(s, desk.admin, "frank", False))
    with pytest.raises(PermissionDenied, match="disabled"):
        upgrade_desk(desk.store, "frank")


def test_first_init_makes_the_admin_and_loads_the_sops(store: Store) -> None:
    with store.engine.connect() as conn:
        assert database_kind(conn) is DatabaseKind.EMPTY
    result = initialise_desk(store, "ada", "Ada", sops=lambda: load_library(shipped_sop_dir()))
    assert result.created_admin and result.sops_loaded == 42
    with store.read() as session:
        assert rbac.agent_role_names(session, "ada") == ["admin"]
        assert session.get(SopEntry, "vpn-cannot-connect") is not None
    with store.engine.connect() as conn:
        assert database_kind(conn) is DatabaseKind.DESK


def test_init_keeps_a_desks_own_sops(desk: Desk) -> None:
    """A desk that has SOPs (perhaps its own library) is not given the shipped ones."""
    sops = load_library(shipped_sop_dir())[:3]
    desk.store.run_write(lambda s: sync_library(s, desk.admin, sops))
    result = initialise_desk(desk.store, ME, "x", sops=lambda: load_library(shipped_sop_dir()))
    assert result.sops_loaded == 0
    with desk.store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SopEntry)) == 3


def test_a_broken_library_leaves_nothing_behind(store: Store) -> None:
    def broken() -> list[Sop]:
        raise UsageError("bad.md:1: no front matter")

    with pytest.raises(UsageError, match="bad.md"):
        initialise_desk(store, "ada", "Ada", sops=broken)
    with store.engine.connect() as conn:
        assert database_kind(conn) is DatabaseKind.EMPTY  # not even the schema


def test_an_unfinished_desk_can_be_finished(store: Store) -> None:
    """A schema without a single agent (an init interrupted before it was atomic)."""
    migrate.upgrade(store)
    with store.engine.connect() as conn:
        assert database_kind(conn) is DatabaseKind.UNFINISHED
    assert initialise_desk(store, "ada", "Ada").created_admin


def test_a_foreign_database_is_refused_untouched(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    with pytest.raises(HelpdeskError, match=r"another program's tables \(notes\)"):
        initialise_desk(store, "ada", "Ada")
    with pytest.raises(HelpdeskError, match="another program"):
        upgrade_desk(store, "ada")
    with store.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"notes"}


def test_upgrade_needs_a_desk(store: Store) -> None:
    with pytest.raises(StoreUnavailable, match="helpdesk init"):
        upgrade_desk(store, "ada")


def test_a_newer_schema_is_refused(desk: Desk) -> None:
    with desk.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreUnavailable, match="newer than this program"):
        upgrade_desk(desk.store, ME)
