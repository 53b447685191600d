"""The database password by name (services/db_password.py), and what doctor says of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from keyring.backends.fail import Keyring as FailKeyring
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.cli.state import CliState
from helpdesk_tui.config import Settings
from helpdesk_tui.errors import HelpdeskError
from helpdesk_tui.services.db_password import connect_url, password_report
from helpdesk_tui.services.secrets import KEYRING_SERVICE, SecretStore
from tests.conftest import PG_URL
from tests.keyrings import LockedKeyring, MemoryKeyring, use_keyring

#: A server URL that names a user and no password; nothing listens on port 1.
NO_SERVER = "postgresql+psycopg://helpdesk@127.0.0.1:1/helpdesk"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    with use_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


def _settings(db: str) -> Settings:
    return Settings.load(db)


def _doctor(*args: str) -> dict[str, dict[str, str]]:
    _, out, _ = run(*args, "doctor", "--json")
    return {check["name"]: check for check in json.loads(out)}


def test_a_url_with_a_user_and_no_password_takes_secret_db(memory: MemoryKeyring) -> None:
    memory.entries[(KEYRING_SERVICE, "db")] = "p@ss:w/rd%?#"  # every URL delimiter
    url = connect_url(_settings(NO_SERVER))
    assert url.password == "p@ss:w/rd%?#" and url.username == "helpdesk"
    assert url.host == "127.0.0.1" and url.database == "helpdesk"
    assert "p@ss" not in url.render_as_string(hide_password=True)


def test_the_secret_name_comes_from_the_config(tmp_path: Path, memory: MemoryKeyring) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        f'[desk]\ndb = "{NO_SERVER}"\ndb_secret = "db_prod"\n'
    )
    memory.entries[(KEYRING_SERVICE, "db")] = "wrong one"
    memory.entries[(KEYRING_SERVICE, "db_prod")] = "prod pw"
    assert connect_url(Settings.load()).password == "prod pw"


def test_a_bad_secret_name_in_the_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[desk]\ndb_secret = "Prod DB"\n')
    code, _, err = run("where")
    assert code == 2 and err.count("\n") == 1 and "db_secret" in err and "config.toml" in err


@pytest.mark.parametrize(
    "db",
    [
        "postgresql+psycopg://helpdesk:given@127.0.0.1:1/helpdesk",  # a password is there
        "postgresql+psycopg://127.0.0.1:1/helpdesk",  # no user: libpq's defaults
        "postgresql+psycopg:///helpdesk",  # peer authentication over the socket
        "sqlite:///desk.db",
    ],
)
def test_other_urls_never_touch_the_keyring(db: str) -> None:
    with use_keyring(LockedKeyring()):  # any access would raise
        url = connect_url(_settings(db))
    assert url == sa.make_url(_settings(db).db_url)


def test_without_a_secret_the_driver_decides(memory: MemoryKeyring) -> None:
    # ~/.pgpass, PGPASSWORD, peer or trust authentication: not ours to refuse.
    assert connect_url(_settings(NO_SERVER)).password is None


def test_a_refused_secret_file_stops_the_command_in_one_line(tmp_path: Path) -> None:
    with use_keyring(FailKeyring()):
        SecretStore(tmp_path / "config").save("db", "pw")
        (tmp_path / "config" / "secrets" / "db").chmod(0o644)
        code, _, err = run("--db", NO_SERVER, "ticket", "list")
    assert code == 1 and err.count("\n") == 1
    assert "mode 0644" in err and "chmod 600" in err and "Traceback" not in err


def test_the_env_var_gives_the_password_too(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_SECRET_DB", "from env")
    assert connect_url(_settings(NO_SERVER)).password == "from env"


# -- doctor -------------------------------------------------------------------------------


def test_doctor_says_a_password_in_db_is_visible_in_ps() -> None:
    checks = _doctor("--db", "postgresql+psycopg://helpdesk:hunter2@127.0.0.1:1/helpdesk")
    line = checks["db password"]
    assert line["status"] == "warn" and "visible to every user in `ps`" in line["detail"]
    assert "helpdesk secret set db" in line["detail"]
    assert "hunter2" not in json.dumps(checks)


def test_doctor_on_a_password_in_the_environment_or_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+psycopg://helpdesk:hunter2@127.0.0.1:1/helpdesk"
    monkeypatch.setenv("HELPDESK_DB", url)
    report = password_report(Settings.load(), None)
    assert report is not None and report.status == "warn" and "HELPDESK_DB" in report.detail
    monkeypatch.delenv("HELPDESK_DB")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(f'[desk]\ndb = "{url}"\n')
    report = password_report(Settings.load(), None)
    assert report is not None and report.status == "warn"
    assert "config.toml holds the password in plain text" in report.detail


def test_doctor_names_the_secret_and_its_place(memory: MemoryKeyring) -> None:
    assert "no secret 'db'" in _doctor("--db", NO_SERVER)["db password"]["detail"]
    memory.entries[(KEYRING_SERVICE, "db")] = "pw"
    checks = _doctor("--db", NO_SERVER)
    assert checks["keyring"]["status"] == "ok"
    assert checks["keyring"]["detail"] == "tests.keyrings.MemoryKeyring"
    line = checks["db password"]
    assert line == {
        "name": "db password",
        "status": "ok",
        "detail": "password from secret 'db' (keyring)",
    }


def test_doctor_fails_on_a_refused_secret_file(tmp_path: Path) -> None:
    with use_keyring(FailKeyring()):
        SecretStore(tmp_path / "config").save("db", "pw")
        (tmp_path / "config" / "secrets" / "db").chmod(0o640)
        checks = _doctor("--db", NO_SERVER)
    assert checks["db password"]["status"] == "fail"
    assert "chmod 600" in checks["db password"]["detail"]
    assert "0600 files in" in checks["keyring"]["detail"]


def test_doctor_has_no_password_line_on_sqlite(tmp_path: Path) -> None:
    assert "db password" not in _doctor("--db", str(tmp_path / "desk.db"))


# -- on the PostgreSQL server -------------------------------------------------------------


@pytest.mark.skipif(PG_URL is None, reason="set HELPDESK_TEST_PG_URL to run on PostgreSQL")
def test_the_secret_reaches_the_postgresql_connection(memory: MemoryKeyring) -> None:
    assert PG_URL is not None
    url = sa.make_url(PG_URL)
    if url.password is not None or not url.username:
        pytest.skip("needs a URL with a user and no password")
    memory.entries[(KEYRING_SERVICE, "db")] = "s3cret"
    cli = CliState(db=PG_URL)
    try:
        store = cli.store(check=False)
        assert "s3cret" not in store.describe()
        with store.engine.connect() as conn:
            # The local server trusts 127.0.0.1, so it would connect with any password:
            # what matters is that libpq was handed this one.
            assert conn.connection.driver_connection.info.password == "s3cret"  # type: ignore[union-attr]
            assert conn.exec_driver_sql("SELECT current_user").scalar() == url.username
    finally:
        cli.close()


def test_lookup_errors_are_helpdesk_errors(memory: MemoryKeyring) -> None:
    with use_keyring(LockedKeyring()), pytest.raises(HelpdeskError, match="locked"):
        connect_url(_settings(NO_SERVER))
