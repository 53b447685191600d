"""Who acts: the OS account, and SUDO_USER only for the declared service account.

The rule is tested as a function (with uids and environments given), and once for real:
a forked child that really runs as another account (`nobody`) and sets SUDO_USER=root
gains nothing, neither in `current_identity()` nor on a desk through the CLI.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services.identity import current_identity, declared_service_account

ROOT = pwd.getpwuid(0)
NOBODY = pwd.getpwnam("nobody")
DAEMON = pwd.getpwnam("daemon")
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root to own files and change uid")


@pytest.fixture
def deploy() -> Iterator[Callable[..., Path]]:
    """Write /etc/helpdesk-tui/deploy.toml's stand-in: a root-owned folder others can read."""
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-deploy-"))
    folder.chmod(0o755)

    def write(account: str, *, mode: int = 0o644) -> Path:
        path = folder / "deploy.toml"
        path.write_text(f'service_account = "{account}"\n')
        path.chmod(mode)
        return path

    yield write
    shutil.rmtree(folder)


def sudo_env(user: pwd.struct_passwd) -> dict[str, str]:
    return {"SUDO_USER": user.pw_name, "SUDO_UID": str(user.pw_uid)}


@needs_root
def test_the_service_account_run_by_sudo_acts_for_sudo_user(deploy: Callable[..., Path]) -> None:
    file = deploy("nobody")
    who = current_identity(
        environ=sudo_env(DAEMON), uid=NOBODY.pw_uid, euid=NOBODY.pw_uid, deploy_file=file
    )
    assert (who.login, who.via, who.os_account) == ("daemon", "sudo", "nobody")


@needs_root
@pytest.mark.parametrize(
    ("uid", "env", "reason"),
    [
        # a plain account (not the service account) sets SUDO_USER: ignored
        (DAEMON.pw_uid, sudo_env(ROOT), "does not run as the service account nobody"),
        # the service account, but SUDO_UID is not SUDO_USER's uid (set by hand)
        (NOBODY.pw_uid, {"SUDO_USER": "root", "SUDO_UID": "1"}, "SUDO_UID does not match"),
        (NOBODY.pw_uid, {"SUDO_USER": "root"}, "SUDO_UID does not match"),
        (NOBODY.pw_uid, {"SUDO_USER": "no-such-user", "SUDO_UID": "5"}, "no account"),
    ],
)
def test_sudo_user_is_ignored_unless_every_condition_holds(
    deploy: Callable[..., Path], uid: int, env: dict[str, str], reason: str
) -> None:
    file = deploy("nobody")
    who = current_identity(environ=env, uid=uid, euid=uid, deploy_file=file)
    assert who.login == pwd.getpwuid(uid).pw_name and who.via == "os"
    assert reason in who.ignored


@needs_root
def test_a_setuid_like_process_is_not_the_service_account(deploy: Callable[..., Path]) -> None:
    file = deploy("nobody")
    who = current_identity(
        environ=sudo_env(ROOT), uid=DAEMON.pw_uid, euid=NOBODY.pw_uid, deploy_file=file
    )
    assert who.login == "daemon" and who.via == "os"


@needs_root
@pytest.mark.parametrize(
    ("account", "mode", "owner", "reason"),
    [
        ("nobody", 0o664, 0, "writable by group or others"),
        ("nobody", 0o646, 0, "writable by group or others"),
        ("nobody", 0o644, NOBODY.pw_uid, "not owned by root"),
        ("root", 0o644, 0, "must not be root"),
        ("no-such-account", 0o644, 0, "does not exist"),
    ],
)
def test_an_untrusted_declaration_declares_nobody(
    deploy: Callable[..., Path], account: str, mode: int, owner: int, reason: str
) -> None:
    file = deploy(account, mode=mode)
    os.chown(file, owner, -1)
    service, problem = declared_service_account(file)
    assert service is None and reason in problem
    who = current_identity(
        environ=sudo_env(DAEMON), uid=NOBODY.pw_uid, euid=NOBODY.pw_uid, deploy_file=file
    )
    assert who.login == "nobody" and reason in who.ignored


@needs_root
def test_a_folder_others_can_write_makes_the_declaration_untrusted(
    deploy: Callable[..., Path],
) -> None:
    file = deploy("nobody")
    file.parent.chmod(0o777)  # anyone could replace the file
    assert declared_service_account(file) == (
        None,
        f"{file.parent} is not trusted: writable by group or others (0777)",
    )


def test_no_declaration_no_sudo(tmp_path: Path) -> None:
    who = current_identity(environ=sudo_env(ROOT), deploy_file=tmp_path / "missing.toml")
    assert who.via == "os" and "no service account is declared" in who.ignored
    assert current_identity(environ={}, deploy_file=tmp_path / "missing.toml").ignored == ""


def _in_child_as(uid: int, gid: int, work: Callable[[], object]) -> object:
    """Run `work` in a forked child whose real and effective ids are `uid`/`gid`."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to the account, run, report, never return to pytest
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            result = json.dumps({"ok": work()})
        except BaseException as exc:
            result = json.dumps({"error": repr(exc)})
            status = 1
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(result)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = json.loads(pipe.read() or '{"error": "no answer"}')
    os.waitpid(pid, 0)
    assert "error" not in answer, answer
    return answer["ok"]


@needs_root
def test_a_real_other_account_setting_sudo_user_gains_nothing(
    deploy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that really runs as `daemon` (not the service account `nobody`) claims
    SUDO_USER=root: it stays `daemon` and the root admin's desk refuses it (exit 3)."""
    file = deploy("nobody")
    shared = Path(tempfile.mkdtemp(prefix="helpdesk-shared-"))
    try:
        shared.chmod(0o777)  # the insecure shared folder this issue is about
        db = shared / "desk.db"
        assert CliRunner().invoke(app, ["--db", str(db), "init"]).exit_code == 0
        for path in shared.iterdir():
            path.chmod(0o666)
        monkeypatch.setenv("SUDO_USER", "root")
        monkeypatch.setenv("SUDO_UID", "0")
        monkeypatch.setenv("HELPDESK_DATA_DIR", str(shared))
        monkeypatch.setenv("HELPDESK_CONFIG_DIR", str(shared))

        def as_daemon() -> object:
            who = current_identity(deploy_file=file)
            result = CliRunner().invoke(app, ["--db", str(db), "user", "list", "--json"])
            return [who.login, who.via, result.exit_code, result.stderr]

        login, via, code, err = _in_child_as(DAEMON.pw_uid, DAEMON.pw_gid, as_daemon)  # type: ignore[misc]
        assert (login, via, code) == ("daemon", "os", 3)
        assert err.strip() == (
            "helpdesk: daemon is not an agent of this desk; an admin can add you with "
            "`helpdesk user add daemon`"
        )
    finally:
        shutil.rmtree(shared)


@needs_root
def test_the_declared_service_account_really_run_for_sudo_user(
    deploy: Callable[..., Path],
) -> None:
    file = deploy("nobody")
    env = sudo_env(DAEMON)

    def as_service() -> object:
        who = current_identity(environ=env, deploy_file=file)
        return [who.login, who.via, who.os_account]

    assert _in_child_as(NOBODY.pw_uid, NOBODY.pw_gid, as_service) == ["daemon", "sudo", "nobody"]


def test_deploy_file_mode_is_checked_on_the_file_itself(tmp_path: Path) -> None:
    link = tmp_path / "deploy.toml"
    link.symlink_to("/etc/passwd")
    service, problem = declared_service_account(link)
    assert service is None and "not a regular file" in problem
