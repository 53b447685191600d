"""Rules every change to agents keeps: valid logins, and always one active admin.

A desk without an active admin cannot be managed any more (nobody may add agents,
change roles or upgrade the schema), so removing the admin role from, or disabling, the
last active admin is refused. The admin role's row is locked first, so that two admins
demoting each other at the same moment on PostgreSQL cannot both succeed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from helpdesk_tui.errors import Conflict, UsageError
from helpdesk_tui.store.models import Agent, AgentRole, Role

__all__ = [
    "ADMIN_ROLE",
    "LOGIN_MAX",
    "NAME_MAX",
    "active_admin_count",
    "check_admin_remains",
    "validate_agent_name",
    "validate_email",
    "validate_login",
]

#: The role that holds every permission; a desk always keeps one active agent with it.
ADMIN_ROLE: Final = "admin"
#: Longest login (the column is 64 characters; POSIX systems allow 32).
LOGIN_MAX: Final = 64
#: Longest full name (the column's length).
NAME_MAX: Final = 120
#: Longest e-mail address (RFC 5321's limit, the column's length).
EMAIL_MAX: Final = 254
#: local@domain.tld without blanks, control or bidi characters (the mail server checks
#: the rest).
_ADDR_CHAR: Final = r"[^\s@\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
_EMAIL: Final = re.compile(rf"{_ADDR_CHAR}+@{_ADDR_CHAR}+\.{_ADDR_CHAR}+")
#: An OS login: letters, digits and `_`, then also `.`, `-` and `@` (directory accounts such
#: as `j.smith` or `alice@corp.example`), at most one trailing `$` (Samba machine accounts).
_LOGIN: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*\$?")


def validate_login(login: str) -> str:
    """The login unchanged, or UsageError (exit 2) saying what is wrong with it."""
    if not login:
        raise UsageError("a login cannot be empty")
    if len(login) > LOGIN_MAX:
        raise UsageError(f"a login has at most {LOGIN_MAX} characters (this one has {len(login)})")
    if _LOGIN.fullmatch(login) is None:
        raise UsageError(
            f"not a valid login: {login!a} (letters, digits, _ . - @; not starting with . - or @)"
        )
    return login


def validate_agent_name(name: str) -> str:
    """A full name stripped of outer blanks, or UsageError for control characters."""
    cleaned = name.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in cleaned):
        raise UsageError(f"a name cannot contain control characters: {cleaned!a}")
    if len(cleaned) > NAME_MAX:
        raise UsageError(f"a name has at most {NAME_MAX} characters")
    return cleaned


def validate_email(email: str | None) -> str | None:
    """An agent's e-mail address (None or blank: none), or UsageError when it is no address."""
    if email is None or not email.strip():
        return None
    email = email.strip()
    if len(email) > EMAIL_MAX or _EMAIL.fullmatch(email) is None:
        raise UsageError(f"not an e-mail address: {email!a}")
    return email


def active_admin_count(session: Session, *, lock: bool = False) -> int:
    """Active agents holding the admin role; with `lock`, lock the admin role first."""
    role_query = sa.select(col(Role.id)).where(col(Role.name) == ADMIN_ROLE)
    if lock:
        role_query = role_query.with_for_update()
    role_id = session.scalar(role_query)
    if role_id is None:
        return 0
    query = (
        sa.select(sa.func.count())
        .select_from(AgentRole)
        .join(Agent, col(Agent.id) == col(AgentRole.agent_id))
        .where(col(AgentRole.role_id) == role_id, col(Agent.active))
    )
    return int(session.scalar(query) or 0)


def check_admin_remains(session: Session, before: int, login: str) -> None:
    """Refuse (Conflict, exit 4) a change that left no active admin where there was one.

    Call with `before = active_admin_count(session, lock=True)` taken ahead of the change,
    after the change is flushed; the caller's transaction then rolls it back.
    """
    session.flush()
    if before > 0 and active_admin_count(session) == 0:
        raise Conflict(
            f"{login} is the last active admin of this desk; make another agent admin "
            "first (`helpdesk user grant LOGIN admin`)"
        )
