"""`helpdesk secret set|delete|list` and the secret lines of `helpdesk doctor`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.fail import Keyring as FailKeyring
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.services.secrets import KEYRING_SERVICE
from tests.keyrings import MemoryKeyring, use_keyring


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    with use_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with use_keyring(FailKeyring()):
        yield


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "secrets"  # HELPDESK_CONFIG_DIR of tests/conftest.py


def test_set_reads_stdin_and_stores_in_the_keyring(memory: MemoryKeyring) -> None:
    code, out, err = run("secret", "set", "db", input="pa ss\n")
    assert code == 0, err
    assert memory.entries == {(KEYRING_SERVICE, "db"): "pa ss"}  # the newline of `echo` goes
    assert "stored in the keyring" in out and "pa ss" not in out + err
    code, out, _ = run("secret", "list", "--json")
    assert json.loads(out) == [
        {
            "name": "db",
            "used": "keyring",
            "stored": ["keyring"],
            "location": "tests.keyrings.MemoryKeyring",
            "problem": None,
        }
    ]


def test_without_a_keyring_set_explains_once_and_uses_the_file(
    no_keyring: None, secrets_dir: Path
) -> None:
    code, out, err = run("secret", "set", "db", input="pw")
    assert code == 0
    assert err.count("\n") == 1 and "no keyring backend" in err and "0600" in err
    assert str(secrets_dir / "db") in out
    assert (secrets_dir / "db").stat().st_mode & 0o777 == 0o600
    code, out, err = run("secret", "list")
    assert code == 0 and err == ""
    assert "db" in out and "file" in out and "pw\n" not in out


def test_the_value_is_never_an_argument() -> None:
    code, _, err = run("secret", "set", "db", "hunter2")
    assert code == 2 and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("secret", "set", "Prod-DB"), "pw", "secret name"),
        (("secret", "set", "db"), "", "cannot be empty"),
        (("secret", "set", "db"), "one\ntwo\n", "one line"),
        (("secret", "delete", "../x"), None, "secret name"),
    ],
)
def test_bad_names_and_values_are_usage_errors(
    memory: MemoryKeyring, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    code, _, err = run(*args, input=stdin)
    assert code == 2 and message in err and err.count("\n") == 1
    assert memory.entries == {}


def test_delete_is_idempotent_but_honest(memory: MemoryKeyring, secrets_dir: Path) -> None:
    run("secret", "set", "smtp", input="a")
    run("secret", "set", "smtp", "--file", input="b")
    code, out, _ = run("secret", "delete", "smtp")
    assert code == 0 and "the keyring and" in out and str(secrets_dir / "smtp") in out
    assert memory.entries == {} and not (secrets_dir / "smtp").exists()
    code, out, err = run("secret", "delete", "smtp")
    assert code == 5 and out == "" and "no secret 'smtp'" in err and err.count("\n") == 1


def test_delete_points_at_an_env_var_it_cannot_remove(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_SECRET_SMTP", "from-env")
    code, _, err = run("secret", "delete", "smtp")
    assert code == 5 and "HELPDESK_SECRET_SMTP is set in the environment" in err
    assert err.count("\n") == 1
    run("secret", "set", "smtp", input="stored")
    code, _, err = run("secret", "delete", "smtp")
    assert code == 0 and "HELPDESK_SECRET_SMTP is still set" in err


def test_set_warns_when_the_new_value_is_shadowed(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_SECRET_DB", "from-env")
    code, _, err = run("secret", "set", "db", input="stored")
    assert code == 0 and "env (HELPDESK_SECRET_DB) still comes first" in err


def test_list_shows_a_refused_file_with_its_fix(no_keyring: None, secrets_dir: Path) -> None:
    run("secret", "set", "db", input="pw")
    (secrets_dir / "db").chmod(0o644)
    code, out, _ = run("secret", "list", "--json")
    [info] = json.loads(out)
    assert code == 0 and info["used"] is None and "chmod 600" in info["problem"]
    code, out, _ = run("secret", "list", "--format", "csv")
    assert out.splitlines()[0] == "name,used,stored,location,problem"
    code, _, err = run("secret", "list", "--format", "xml")
    assert code == 2 and "unknown format" in err


def test_list_with_nothing_stored() -> None:
    code, out, _ = run("secret", "list")
    assert code == 0 and out == "no secrets stored\n"
    assert json.loads(run("secret", "list", "--json")[1]) == []


def test_secret_commands_need_no_database(no_keyring: None, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "desk.db"
    code, _, err = run("--db", str(missing), "secret", "set", "db", input="pw")
    assert code == 0, err
    assert not missing.parent.exists()


def test_the_prompt_hides_the_value_on_a_real_terminal(tmp_path: Path) -> None:
    from tests.e2e.ptyterm import PtyProcess

    helpdesk = Path(sys.executable).parent / "helpdesk"
    env = {
        **os.environ,
        "HELPDESK_CONFIG_DIR": str(tmp_path / "config"),
        "HELPDESK_DATA_DIR": str(tmp_path / "data"),
    }
    with PtyProcess([helpdesk, "secret", "set", "db"], env=env) as term:
        term.wait_text("value of secret db:", timeout=60)
        term.send("correct horse\r")
        term.wait_text("again:", timeout=20)
        term.send("correct horse\r")
        assert term.wait_exit(timeout=30) == 0
        output = term.output()
    assert b"correct horse" not in output and b"stored in file" in output
    assert (tmp_path / "config" / "secrets" / "db").read_text() == "correct horse"


def test_the_prompt_refuses_two_different_values(tmp_path: Path) -> None:
    from tests.e2e.ptyterm import PtyProcess

    helpdesk = Path(sys.executable).parent / "helpdesk"
    env = {**os.environ, "HELPDESK_CONFIG_DIR": str(tmp_path / "config")}
    with PtyProcess([helpdesk, "secret", "set", "db"], env=env) as term:
        term.wait_text("value of secret db:", timeout=60)
        term.send("one\r")
        term.wait_text("again:", timeout=20)
        term.send("two\r")
        assert term.wait_exit(timeout=30) == 2
        assert b"differ; nothing stored" in term.output()
    assert not (tmp_path / "config" / "secrets").exists()


def test_keyring_is_not_imported_for_an_sqlite_desk(tmp_path: Path) -> None:
    # keyring's import and backend discovery (D-Bus) are no part of opening an SQLite desk.
    code = (
        "import sys\n"
        "from helpdesk_tui.cli.state import CliState\n"
        f"CliState(db={str(tmp_path / 'desk.db')!r}).store(check=False)\n"
        "print('keyring' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
