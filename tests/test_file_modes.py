"""The modes of the files the desk creates (store/files.py), whatever the umask."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.store.engine import Store
from helpdesk_tui.store.files import GROUP, PRIVATE, FileModes, create_file, make_dir


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o002, 0o000, 0o022])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    # 002 is the (files came out 0644, the data dir 0775); 000 is the worst case.
    before = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(before)


def _write_config(tmp_path: Path, text: str) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text(text)


def _wal_and_shm(db: Path) -> tuple[int, int]:
    """The modes of the -wal and -shm files while a connection holds them open."""
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM agent").scalar()
            return _mode(Path(f"{db}-wal")), _mode(Path(f"{db}-shm"))
    finally:
        store.dispose()


def test_init_makes_a_private_data_dir_and_database(tmp_path: Path, umask: int) -> None:
    code, _, err = run("init")  # the default database in HELPDESK_DATA_DIR (tests/conftest)
    assert code == 0, err
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    assert _mode(data / "helpdesk.db") == 0o600
    assert _wal_and_shm(data / "helpdesk.db") == (0o600, 0o600)


def test_the_group_setting_of_the_shared_deployment(tmp_path: Path, umask: int) -> None:
    _write_config(tmp_path, '[desk]\nfile_mode = "group"\n')
    code, _, err = run("init")
    assert code == 0, err
    data = tmp_path / "data"
    # Group may read (a backup account); never write: that is a role anyone could grant.
    assert _mode(data) == 0o750
    assert _mode(data / "helpdesk.db") == 0o640
    assert _wal_and_shm(data / "helpdesk.db") == (0o640, 0o640)


def test_a_bad_file_mode_setting_is_one_line(tmp_path: Path) -> None:
    _write_config(tmp_path, '[desk]\nfile_mode = "world"\n')
    code, _, err = run("init")
    assert code == 2 and err.count("\n") == 1
    assert "config.toml" in err and "file_mode" in err and '"private" or "group"' in err
    assert not (tmp_path / "data").exists()


def test_an_existing_directory_keeps_its_mode(tmp_path: Path, umask: int) -> None:
    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o755)
    code, _, err = run("--db", str(shared / "desk.db"), "init")
    assert code == 0, err
    assert _mode(shared) == 0o755  # the admin's choice; doctor says what it sees
    assert _mode(shared / "desk.db") == 0o600


def test_demo_on_a_new_file_is_private_too(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "new" / "demo.db"
    code, _, err = run("--db", str(db), "demo", "--tickets", "5", "--seed", "1")
    assert code == 0, err
    assert _mode(db.parent) == 0o700 and _mode(db) == 0o600


def test_an_existing_database_is_not_changed(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    run("--db", str(db), "init")
    db.chmod(0o644)
    run("--db", str(db), "init")
    assert _mode(db) == 0o644


def test_store_leaves_sqlite_uris_to_sqlite(tmp_path: Path) -> None:
    before = os.umask(0)
    try:
        read_only = tmp_path / "ro.db"
        store = Store(f"sqlite:///file:{read_only}?mode=ro&uri=true")
        with pytest.raises(Exception, match="unable to open"), store.engine.connect():
            pass
        store.dispose()
        assert not read_only.exists()  # mode=ro: SQLite's own rules, nothing created
        with_options = tmp_path / "options.db"
        store = Store(f"sqlite:///{with_options}?timeout=30", file_modes=GROUP)
        with store.engine.connect():
            pass
        store.dispose()
        assert _mode(with_options) == 0o640
    finally:
        os.umask(before)


@pytest.mark.parametrize("modes", [PRIVATE, GROUP])
def test_helpers_set_exact_modes_and_leave_existing_paths(
    tmp_path: Path, umask: int, modes: FileModes
) -> None:
    directory = tmp_path / "a" / "b"
    assert make_dir(directory, modes) is True
    assert _mode(directory) == modes.directory
    assert make_dir(directory, PRIVATE) is False and _mode(directory) == modes.directory
    path = directory / "f"
    assert create_file(path, modes) is True and _mode(path) == modes.file
    path.chmod(0o644)
    assert create_file(path, modes) is False and _mode(path) == 0o644


def test_doctor_reports_the_modes_it_sees(tmp_path: Path) -> None:
    db = tmp_path / "desk" / "desk.db"
    assert run("--db", str(db), "init")[0] == 0
    _, out, _ = run("--db", str(db), "doctor", "--json")
    modes = {c["name"]: c for c in json.loads(out)}["file modes"]
    assert modes["status"] == "ok" and modes["detail"].startswith(
        "private: desk 0700, desk.db 0600"
    )
    db.chmod(0o664)
    db.parent.chmod(0o755)
    _, out, _ = run("--db", str(db), "doctor", "--json")
    modes = {c["name"]: c for c in json.loads(out)}["file modes"]
    assert modes["status"] == "warn"
    assert "desk.db 0664" in modes["detail"] and "desk 0755" in modes["detail"]
    assert f"chmod 700 {db.parent}" in modes["detail"]
    assert f"chmod 600 {db} {db}-wal {db}-shm" in modes["detail"]


def test_doctor_accepts_group_modes_in_the_group_setting(tmp_path: Path) -> None:
    _write_config(tmp_path, '[desk]\nfile_mode = "group"\n')
    assert run("init")[0] == 0
    _, out, _ = run("doctor", "--json")
    modes = {c["name"]: c for c in json.loads(out)}["file modes"]
    assert modes["status"] == "ok" and modes["detail"].startswith("group: data 0750")
    (tmp_path / "data" / "helpdesk.db").chmod(0o660)  # group-writable: never
    _, out, _ = run("doctor", "--json")
    modes = {c["name"]: c for c in json.loads(out)}["file modes"]
    assert modes["status"] == "warn" and "chmod 640" in modes["detail"]
