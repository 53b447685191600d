"""Who is at the keyboard (DESIGN §7): the OS account, or the agent sudo ran us for.

The acting agent is the OS account running this process, from the kernel's uid (never
`$USER`, which anyone can set). One exception makes the shared-desk setup possible: one
service account owns the database, and agents run `helpdesk` through
`sudo -u <service account>`. The process then runs as the service account and the agent
is the login sudo puts in `SUDO_USER`.

`SUDO_USER` is honoured only when all of these hold, so that a plain user who sets it
gains nothing:

- the service account is declared in `/etc/helpdesk-tui/deploy.toml`
  (`service_account = "helpdesk"`), a file and folder only root can change (owned by
  root, not group- or world-writable). The path is fixed on purpose: no environment
  variable or personal config can name another file, since those belong to the user;
- the process's real and effective uid are the service account's. Nobody becomes that
  account without sudo, su, sshd or cron, all started by root;
- `SUDO_UID` is the uid of `SUDO_USER`, as sudo sets both.

Anywhere else `SUDO_USER` is ignored, and `helpdesk doctor` says why.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DEPLOY_FILE",
    "Identity",
    "agent_full_name",
    "agent_login",
    "current_identity",
    "declared_service_account",
    "os_full_name",
    "os_login",
]

#: Where root declares the service account of a shared desk (see the module docstring).
DEPLOY_FILE: Final = Path("/etc/helpdesk-tui/deploy.toml")


@dataclass(frozen=True)
class Identity:
    """The acting agent and how we know.

    `via` is "os" (the account running the process) or "sudo" (the service account ran
    us for `SUDO_USER`). `ignored` says why a `SUDO_USER` in the environment was not
    believed (empty when there was none or it was honoured).
    """

    login: str
    name: str
    os_account: str
    via: str = "os"
    ignored: str = ""


def os_login() -> str:
    """The OS account running this process, from the kernel's uid (never `$USER`)."""
    return pwd.getpwuid(_process_uids()[0]).pw_name


def os_full_name() -> str:
    """The OS account's full name from the GECOS field, or its login."""
    return _full_name(pwd.getpwuid(_process_uids()[0]))


def _process_uids() -> tuple[int, int]:
    """The process's real and effective uid (one place, so tests can be another account)."""
    return os.getuid(), os.geteuid()


def agent_login() -> str:
    """The login of the acting agent (`current_identity().login`)."""
    return current_identity().login


def agent_full_name() -> str:
    """The full name of the acting agent (`current_identity().name`)."""
    return current_identity().name


def current_identity(
    *,
    environ: Mapping[str, str] | None = None,
    uid: int | None = None,
    euid: int | None = None,
    deploy_file: Path = DEPLOY_FILE,
) -> Identity:
    """Who acts: the OS account, or `SUDO_USER` under the rules of the module docstring.

    The keyword arguments exist for tests; the program always passes none of them.
    """
    env = os.environ if environ is None else environ
    process_real, process_effective = _process_uids()
    real = process_real if uid is None else uid
    effective = process_effective if euid is None else euid
    account = pwd.getpwuid(real)
    own = Identity(login=account.pw_name, name=_full_name(account), os_account=account.pw_name)
    sudo_user = env.get("SUDO_USER", "")
    if not sudo_user:
        return own
    service, problem = declared_service_account(deploy_file)
    reason = problem or _sudo_problem(env, sudo_user, service, real, effective)
    if reason:
        return Identity(own.login, own.name, own.os_account, ignored=reason)
    invoker = pwd.getpwnam(sudo_user)
    return Identity(
        login=invoker.pw_name, name=_full_name(invoker), os_account=account.pw_name, via="sudo"
    )


def declared_service_account(deploy_file: Path = DEPLOY_FILE) -> tuple[str | None, str]:
    """(the declared service account, "") or (None, why there is none we can trust)."""
    try:
        info = deploy_file.lstat()
        folder = deploy_file.parent.lstat()
    except FileNotFoundError:
        return None, f"no service account is declared ({deploy_file} does not exist)"
    except OSError as exc:
        return None, f"cannot read {deploy_file}: {exc.strerror}"
    for path, entry, kind in ((deploy_file, info, "file"), (deploy_file.parent, folder, "dir")):
        unsafe = _unsafe(entry, kind)
        if unsafe:
            return None, f"{path} is not trusted: {unsafe}"
    import tomllib

    try:
        data = tomllib.loads(deploy_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, f"{deploy_file} is unreadable: {exc}"
    name = data.get("service_account")
    if not isinstance(name, str) or not name:
        return None, f'{deploy_file} has no service_account = "LOGIN"'
    try:
        account = pwd.getpwnam(name)
    except (KeyError, ValueError):
        return None, f"the service account {name!r} of {deploy_file} does not exist"
    if account.pw_uid == 0:
        return None, f"{deploy_file}: the service account must not be root"
    return name, ""


def _unsafe(entry: os.stat_result, kind: str) -> str:
    """Why a file or folder of the deploy declaration cannot be trusted, or ""."""
    if kind == "file" and not stat.S_ISREG(entry.st_mode):
        return "not a regular file"
    if kind == "dir" and not stat.S_ISDIR(entry.st_mode):
        return "not a folder"
    if entry.st_uid != 0:
        return "not owned by root"
    if entry.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by group or others ({stat.S_IMODE(entry.st_mode):04o})"
    return ""


def _sudo_problem(
    env: Mapping[str, str], sudo_user: str, service: str | None, real: int, effective: int
) -> str:
    """Why `SUDO_USER` must not be believed here, or "" when it may."""
    assert service is not None
    service_uid = pwd.getpwnam(service).pw_uid
    if real != service_uid or effective != service_uid:
        return f"this process does not run as the service account {service}"
    try:
        invoker = pwd.getpwnam(sudo_user)
    except (KeyError, ValueError):
        return f"SUDO_USER {sudo_user!r} is no account of this system"
    if env.get("SUDO_UID", "") != str(invoker.pw_uid):
        return "SUDO_UID does not match SUDO_USER"
    return ""


def _full_name(entry: pwd.struct_passwd) -> str:
    return entry.pw_gecos.split(",")[0].strip() or entry.pw_name
