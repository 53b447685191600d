"""No traceback from the command line: every input that used to end in one is one line on
stderr and an exit code, the same on SQLite and PostgreSQL (issue 11, items 9, 11, 12)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.cli.entry import open_tui
from tests.conftest import BACKENDS, PG_URL


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module", params=BACKENDS)
def desk_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An initialised desk with one ticket, on each backend, as the URL `--db` takes.

    One per module: the commands run against it either fail (and must change nothing)
    or only add to the log.
    """
    tmp_path = tmp_path_factory.mktemp("desk")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = None
    if request.param == "sqlite":
        url = str(tmp_path / "desk.db")
    else:
        assert PG_URL is not None
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        pg = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        url = pg.render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))
        env.setenv("HELPDESK_CONFIG_DIR", str(tmp_path / "config"))
        env.delenv("HELPDESK_DB", raising=False)
        try:
            assert run(url, "init")[0] == 0
            assert run(url, "ticket", "new", "--title", "printer jams")[0] == 0
            yield url
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["ticket", "show", "99999999999999999999"], 5, "no ticket #99999999999999999999"),
        (["ticket", "show", "3000000000"], 5, "no ticket #3000000000"),
        (["ticket", "note", "9" * 30, "x"], 5, "no ticket #9999"),
        (["kb", "show", "9" * 25], 5, "no knowledge article #9999"),
        (["survey", "record", "9" * 25, "--outcome", "done"], 5, "no survey #9999"),
        (["notifications", "read", "1", "9" * 25], 5, "no notification #9999"),
        (["ticket", "list", "--limit", "9" * 25], 2, "'--limit': 9999"),
        (["ticket", "new", "--title", "x", "--affected-users", "9" * 25], 2, "out of range"),
        (["ticket", "new", "--title", "x", "--affected-users", "3000000000"], 2, "out of range"),
        (["ticket", "note", "1", "x", "--minutes", "nan"], 2, "not a finite number"),
        (["ticket", "note", "1", "x", "--minutes", "inf"], 2, "not a finite number"),
        (["ticket", "note", "1", "x", "--minutes", "1e308"], 2, "minutes must be a number"),
        (["ticket", "new", "--title", "t" * 5_000], 2, "ticket title is too long: 5,000"),
        (["ticket", "update", "1", "--title", "t" * 301], 2, "ticket title is too long"),
        (["ticket", "show", "abc"], 2, "ticket show: Invalid value for 'ticket_id'"),
        (["ticket", "bogus"], 2, "ticket: No such command 'bogus'"),
        (["ticket", "show"], 2, "Missing argument"),
        (["--bogus"], 2, "No such option: --bogus"),
    ],
)
def test_one_line_and_the_same_exit_code_on_every_backend(
    desk_url: str, args: list[str], code: int, needle: str
) -> None:
    got, _, err = run(desk_url, *args)
    assert (got, needle in one_line(err)) == (code, True), err
    assert one_line(err).startswith("helpdesk: ")


def test_ids_in_range_still_work(desk_url: str) -> None:
    code, out, _ = run(desk_url, "ticket", "show", "1", "--json")
    assert code == 0 and '"printer jams"' in out
    assert run(desk_url, "ticket", "note", "1", "called back", "--minutes", "2.5")[0] == 0


@pytest.mark.parametrize(
    ("db", "needle"),
    [
        ("bogus://x", "unsupported database 'bogus'"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql+nodriver://u@h/db", "cannot use the database URL"),
        ("postgresql+psycopg://u@h:port/db", "not a database URL"),
        ("://", "not a database URL"),
        ("", "--db is empty"),
        ("   ", "--db is empty"),
    ],
)
def test_bad_database_urls_are_usage_errors(db: str, needle: str) -> None:
    code, _, err = run(db, "ticket", "list")
    assert code == 2 and needle in one_line(err)


def test_empty_db_is_a_usage_error_for_init_and_the_tui(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", "--db", ""])
    assert result.exit_code == 2 and "--db is empty" in one_line(result.stderr)
    assert open_tui("", None) == 2  # `helpdesk --db ""` opens no desk at all
    assert "--db is empty" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []  # no default desk was created on the way


def test_refused_connection_is_one_line() -> None:
    code, _, err = run("postgresql+psycopg://nobody@127.0.0.1:1/none", "ticket", "list")
    line = one_line(err)
    assert code == 1 and "cannot open the database" in line and "refused" in line


def _set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()


@pytest.mark.parametrize("args", [["init"], ["db", "upgrade"], ["ticket", "list"], ["demo"]])
def test_a_newer_schema_is_one_line_for_every_command(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "desk.db"
    assert run(str(db), "init")[0] == 0
    _set_revision(db, "9999")
    code, _, err = run(str(db), *args)
    assert code == 1 and "newer than this program" in one_line(err)


def test_a_directory_that_cannot_be_entered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    db = locked / "desk.db"
    if os.geteuid() == 0:  # root enters every directory: make stat() fail like for others
        real_stat = Path.stat

        def stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
            if self.parent == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "stat", stat)
    else:
        locked.chmod(0)
    try:
        for args in (["ticket", "list"], ["db", "upgrade"], ["db", "current"]):
            code, _, err = run(str(db), *args)
            assert code == 1 and "cannot reach the database" in one_line(err), err
    finally:
        locked.chmod(0o755)


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and directories read-only, also for root (the immutable attribute)."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("running as root without chattr: cannot make a file read-only")
        flag = subprocess.run([chattr, "+i", *map(str, paths)], capture_output=True)
        if flag.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {flag.stderr.decode().strip()}")
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", *map(str, paths)], check=True)
        return
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_reads_work_in_a_read_only_directory(tmp_path: Path, journal: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "desk.db"
    assert run(str(db), "init")[0] == 0
    assert run(str(db), "ticket", "new", "--title", "printer jams")[0] == 0
    with sqlite3.connect(db) as conn:  # a copy on read-only media is often not in WAL
        conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["desk.db"]  # no -wal/-shm left
    with read_only(db, folder):
        code, out, err = run(str(db), "ticket", "list", "--format", "csv")
        assert code == 0, err
        assert "printer jams" in out
        code, out, _ = run(str(db), "ticket", "show", "1", "--json")
        assert code == 0 and "printer jams" in out
        code, _, err = run(str(db), "ticket", "new", "--title", "another")
        assert code == 1 and "read-only" in one_line(err)


def test_an_unexpected_error_is_one_line_that_says_it_is_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_tui.services import views

    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(views, "list_tickets", broken)
    code, _, err = run(db, "ticket", "list")
    line = one_line(err)
    assert code == 1 and "internal error (ZeroDivisionError" in line and "bug" in line


@pytest.mark.parametrize(
    "args",
    [
        ["--as", "\udcff", "ticket", "list"],
        ["category", "add", "caf\udce9"],
        ["sop", "show", "\udcff"],
        ["user", "roles", "\udcff", "--role", "agent"],
        ["ticket", "new", "--title", "caf\udce9"],
    ],
)
def test_an_argument_that_is_not_utf8_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    # A byte that is not UTF-8 reaches sys.argv as a lone surrogate (PEP 383).
    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0
    code, _, err = run(db, *args)
    assert code == 2 and "not UTF-8 text" in one_line(err)


def test_the_tui_path_refuses_an_as_login_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0
    assert open_tui(db, "\udcff") == 2
    assert "--as is not UTF-8 text" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "args",
    [
        ["ticket", "note", "1", "-"],
        ["triage", "-"],
        ["kb", "new", "--title", "t", "--body", "-"],
    ],
)
def test_standard_input_that_is_not_utf8_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0
    assert run(db, "ticket", "new", "--title", "printer jams")[0] == 0
    result = CliRunner().invoke(app, ["--db", db, *args], input=b"caf\xe9 latin-1")
    assert result.exit_code == 2
    assert "standard input is not UTF-8 text (byte 4)" in one_line(result.stderr)


@pytest.mark.parametrize("args", [["triage", "eval"], ["triage", "--batch"]])
def test_a_csv_that_is_not_utf8_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0
    garbage = tmp_path / "latin1.csv"
    garbage.write_bytes("text,category\ncaf\xe9,software\n".encode("latin-1"))
    code, _, err = run(db, *args, str(garbage))
    assert code == 2 and "not UTF-8 text" in one_line(err)


def test_autoclose_days_past_ten_years_is_a_usage_error(tmp_path: Path) -> None:
    db = str(tmp_path / "desk.db")
    assert run(db, "init")[0] == 0
    code, _, err = run(db, "ticket", "autoclose", "--days", "2147483647")
    assert code == 2 and "auto-close takes 1 to 3,650 days" in one_line(err)


def test_a_bad_format_fails_before_ola_list_writes_its_defaults(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    assert run(str(db), "init")[0] == 0
    with sqlite3.connect(db) as conn:
        before = list(conn.iterdump())
    conn.close()
    code, _, err = run(str(db), "ola", "list", "--format", "xml")
    assert code == 2 and "unknown format 'xml'" in one_line(err)
    with sqlite3.connect(db) as conn:
        assert list(conn.iterdump()) == before
    conn.close()


def test_a_huge_demo_is_refused_before_it_starts(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "desk.db"), "demo", "--tickets", "2147483647")
    assert code == 2 and "--tickets" in one_line(err)
    assert not (tmp_path / "desk.db").exists()
