"""`helpdesk doctor` flags a database or folder others can write (issue 11 item 4).

Real files with real modes in tmp_path; the CLI's exit code follows the worst line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services.doctor import Check, check_identity, check_write_access
from helpdesk_tui.store.engine import Store


@pytest.fixture
def desk_file(tmp_path: Path) -> Path:
    folder = tmp_path / "desk"
    folder.mkdir(mode=0o700)
    db = folder / "helpdesk.db"
    result = CliRunner().invoke(app, ["--db", str(db), "init"])
    assert result.exit_code == 0, result.stderr
    db.chmod(0o600)
    return db


def doctor(db: Path) -> tuple[int, dict[str, list[dict[str, str]]]]:
    result = CliRunner().invoke(app, ["--db", str(db), "doctor", "--json"])
    by_name: dict[str, list[dict[str, str]]] = {}
    for check in json.loads(result.stdout):
        by_name.setdefault(check["name"], []).append(check)
    return result.exit_code, by_name


def write_access(db: Path) -> list[Check]:
    store = Store(f"sqlite:///{db}")
    try:
        return check_write_access(store)
    finally:
        store.dispose()


def test_a_private_desk_has_no_write_access_line(desk_file: Path) -> None:
    assert write_access(desk_file) == []
    code, checks = doctor(desk_file)
    assert code == 0 and "write access" not in checks


def test_a_group_writable_database_is_flagged_with_why_and_what_to_do(desk_file: Path) -> None:
    desk_file.chmod(0o660)
    (check,) = write_access(desk_file)
    assert check.status == "warn" and "\n" not in check.detail
    assert "writable by group" in check.detail and "(0660)" in check.detail
    assert "make themselves admin" in check.detail  # why
    assert "chmod 600" in check.detail and "service account" in check.detail  # what to do


def test_a_world_writable_database_fails_the_doctor(desk_file: Path) -> None:
    desk_file.chmod(0o666)
    code, checks = doctor(desk_file)
    assert code == 1
    assert [c["status"] for c in checks["write access"]] == ["fail"]
    assert "writable by every user (0666)" in checks["write access"][0]["detail"]


@pytest.mark.parametrize(
    ("mode", "status", "text"),
    [
        (0o770, "warn", "writable by group"),
        (0o2775, "warn", "writable by group"),
        (0o777, "fail", "writable by every user"),
        (0o1777, "fail", "writable by every user"),  # sticky: others may still plant -wal
    ],
)
def test_a_folder_others_can_write_is_flagged(
    desk_file: Path, mode: int, status: str, text: str
) -> None:
    desk_file.parent.chmod(mode)
    (check,) = write_access(desk_file)  # the file itself is fine: no line for it
    assert check.status == status and text in check.detail
    assert f"the folder {desk_file.parent}" in check.detail
    assert "replace the database" in check.detail


def test_a_wal_file_others_can_write_is_flagged(desk_file: Path) -> None:
    wal = desk_file.with_name(desk_file.name + "-wal")
    wal.touch(mode=0o666)
    wal.chmod(0o666)
    (check,) = write_access(desk_file)
    assert check.status == "fail" and str(wal) in check.detail


def test_the_identity_line_says_why_sudo_user_is_ignored(
    desk_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_identity().status == "ok"
    monkeypatch.setenv("SUDO_USER", "root")
    monkeypatch.setenv("SUDO_UID", "0")
    check = check_identity()
    assert check.status == "warn" and "SUDO_USER is ignored" in check.detail
    _, checks = doctor(desk_file)
    assert checks["identity"][0]["status"] == "warn"
