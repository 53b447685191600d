"""Secrets (services/secrets.py): keyring, HELPDESK_SECRET_<NAME>, the 0600 file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.fail import Keyring as FailKeyring
from keyring.backends.null import Keyring as NullKeyring

from helpdesk_tui.errors import HelpdeskError, NotFound, UsageError
from helpdesk_tui.services.secrets import (
    KEYRING_SERVICE,
    SecretRefused,
    SecretStore,
    Source,
)
from tests.keyrings import ForgetfulKeyring, LockedKeyring, MemoryKeyring, use_keyring


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
def umask_002() -> Iterator[None]:
    # The umask of the issue: files would come out 0664/0644 and directories 0775.
    before = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_set_goes_to_the_keyring_and_lookup_finds_it(tmp_path: Path, memory: MemoryKeyring) -> None:
    store = SecretStore(tmp_path / "config", environ={})
    stored = store.save("db", "s3cret pw")
    assert stored.source is Source.KEYRING and stored.fallback is None
    assert memory.entries == {(KEYRING_SERVICE, "db"): "s3cret pw"}
    assert not (tmp_path / "config" / "secrets" / "db").exists()  # nothing on disk
    secret = store.lookup("db")
    assert secret is not None and secret.value == "s3cret pw" and secret.source is Source.KEYRING
    assert "s3cret" not in repr(secret)
    assert store.lookup("smtp") is None


def test_no_keyring_backend_falls_back_to_a_0600_file(
    tmp_path: Path, no_keyring: None, umask_002: None
) -> None:
    store = SecretStore(tmp_path / "config", environ={})
    stored = store.save("db", "pw")
    path = tmp_path / "config" / "secrets" / "db"
    assert stored.source is Source.FILE and stored.location == str(path)
    assert stored.fallback is not None and "no keyring backend" in stored.fallback
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert path.read_text() == "pw"
    secret = store.lookup("db")
    assert secret is not None and secret.value == "pw" and secret.source is Source.FILE
    # Replacing keeps the mode and leaves no temporary file behind.
    store.save("db", "pw2")
    assert _mode(path) == 0o600 and path.read_text() == "pw2"
    assert sorted(p.name for p in path.parent.iterdir()) == ["db"]


def test_the_null_keyring_counts_as_none(tmp_path: Path) -> None:
    # keyring.disable() selects a backend that accepts everything and stores nothing.
    with use_keyring(NullKeyring()):
        stored = SecretStore(tmp_path, environ={}).save("db", "pw")
    assert stored.source is Source.FILE and stored.fallback and "switched off" in stored.fallback


def test_a_keyring_that_keeps_nothing_is_an_error(tmp_path: Path) -> None:
    with use_keyring(ForgetfulKeyring()), pytest.raises(HelpdeskError, match="did not keep"):
        SecretStore(tmp_path, environ={}).save("db", "pw")


def test_a_locked_keyring_is_reported_in_one_line_and_the_file_still_works(
    tmp_path: Path,
) -> None:
    store = SecretStore(tmp_path, environ={})
    with use_keyring(LockedKeyring()):
        with pytest.raises(HelpdeskError, match="refused secret 'db'.*--file") as refused:
            store.save("db", "pw")
        assert "\n" not in str(refused.value)
        with pytest.raises(HelpdeskError, match="locked"):
            store.lookup("db")  # it may be in there: say so rather than "no password"
        store.save("db", "pw", to_file=True)
        secret = store.lookup("db")
    assert secret is not None and secret.source is Source.FILE


def test_to_file_even_with_a_keyring(tmp_path: Path, memory: MemoryKeyring) -> None:
    stored = SecretStore(tmp_path, environ={}).save("db", "pw", to_file=True)
    assert stored.source is Source.FILE and stored.fallback is None and memory.entries == {}


def test_lookup_order_env_then_keyring_then_file(tmp_path: Path, memory: MemoryKeyring) -> None:
    environ: dict[str, str] = {}
    store = SecretStore(tmp_path, environ=environ)
    store.save("db", "from-file", to_file=True)
    assert (found := store.lookup("db")) is not None and found.value == "from-file"
    stored = store.save("db", "from-keyring")
    assert stored.shadowed_by is None
    assert (found := store.lookup("db")) is not None and found.source is Source.KEYRING
    environ["HELPDESK_SECRET_DB"] = "from-env"
    assert (found := store.lookup("db")) is not None
    assert found.source is Source.ENV and found.value == "from-env"
    assert found.location == "HELPDESK_SECRET_DB"
    # Storing a value that a lookup would not use says so.
    stored = store.save("db", "another", to_file=True)
    assert stored.shadowed_by == "env (HELPDESK_SECRET_DB)"
    environ["HELPDESK_SECRET_DB"] = ""  # set but empty: as good as unset
    assert (found := store.lookup("db")) is not None and found.source is Source.KEYRING


def test_file_with_a_wider_mode_is_refused_with_the_fix(tmp_path: Path, no_keyring: None) -> None:
    store = SecretStore(tmp_path, environ={})
    store.save("db", "pw")
    path = store.file_of("db")
    for mode in (0o644, 0o640, 0o604, 0o620):
        path.chmod(mode)
        with pytest.raises(SecretRefused) as refused:
            store.lookup("db")
        message = str(refused.value)
        assert f"mode {mode:04o}" in message and f"chmod 600 {path}" in message
        assert "\n" not in message and "pw" not in message.replace(str(path), "")
    path.chmod(0o400)  # narrower is fine
    assert (found := store.lookup("db")) is not None and found.value == "pw"


def test_a_file_written_by_hand_loses_one_trailing_newline(
    tmp_path: Path, no_keyring: None
) -> None:
    store = SecretStore(tmp_path, environ={})
    store.save("smtp", "x")
    path = store.file_of("smtp")
    path.write_text("mail pw \n")  # `echo` adds the newline, the space is the password's
    assert (found := store.lookup("smtp")) is not None and found.value == "mail pw "


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_file_of_another_account_is_refused(tmp_path: Path, no_keyring: None) -> None:
    store = SecretStore(tmp_path, environ={})
    store.save("db", "pw")
    os.chown(store.file_of("db"), 4321, -1)
    with pytest.raises(SecretRefused, match="belongs to uid 4321"):
        store.lookup("db")


def test_a_symlink_to_a_readable_file_is_judged_by_its_target(
    tmp_path: Path, no_keyring: None
) -> None:
    store = SecretStore(tmp_path / "config", environ={})
    store.save("db", "pw")
    exposed = tmp_path / "exposed"
    exposed.write_text("other")
    exposed.chmod(0o644)
    store.file_of("db").unlink()
    store.file_of("db").symlink_to(exposed)
    with pytest.raises(SecretRefused, match="mode 0644"):
        store.lookup("db")


def test_delete_removes_every_stored_copy_and_is_honest_when_there_is_none(
    tmp_path: Path, memory: MemoryKeyring
) -> None:
    store = SecretStore(tmp_path, environ={})
    store.save("db", "pw")
    store.save("db", "pw", to_file=True)
    assert store.delete("db") == [Source.KEYRING, Source.FILE]
    assert memory.entries == {} and store.lookup("db") is None
    with pytest.raises(NotFound, match="no secret 'db'"):
        store.delete("db")


def test_delete_without_a_keyring_keeps_the_keyring_index(tmp_path: Path) -> None:
    # Stored in a desktop session's keyring, deleted over SSH where there is none: the
    # keyring still has it, so `secret list` must keep naming it.
    store = SecretStore(tmp_path, environ={})
    backend = MemoryKeyring()
    with use_keyring(backend):
        store.save("db", "pw")
    with use_keyring(FailKeyring()), pytest.raises(NotFound):
        store.delete("db")
    with use_keyring(backend):
        assert [info.name for info in store.listing()] == ["db"]


def test_listing_names_and_places_never_values(tmp_path: Path, memory: MemoryKeyring) -> None:
    environ = {"HELPDESK_SECRET_IMAP": "imap-pw", "HELPDESK_SECRET_": "x", "OTHER": "y"}
    store = SecretStore(tmp_path, environ=environ)
    store.save("db", "db-pw")
    store.save("smtp", "smtp-pw", to_file=True)
    store.save("ldap", "ldap-pw", to_file=True)
    store.file_of("ldap").chmod(0o644)
    memory.entries[(KEYRING_SERVICE, "smtp")] = "smtp-keyring"  # stored by another tool
    infos = {info.name: info for info in store.listing(known=("smtp", "nowhere"))}
    assert sorted(infos) == ["db", "imap", "ldap", "smtp"]
    assert infos["db"].used is Source.KEYRING and infos["db"].stored == (Source.KEYRING,)
    assert infos["imap"].used is Source.ENV
    assert infos["smtp"].stored == (Source.KEYRING, Source.FILE)
    assert infos["smtp"].used is Source.KEYRING
    assert infos["ldap"].used is None and "chmod 600" in infos["ldap"].problem
    dumped = repr([info.to_dict() for info in infos.values()])
    assert not any(value in dumped for value in ("db-pw", "imap-pw", "smtp-pw", "ldap-pw"))


@pytest.mark.parametrize("name", ["", "DB", "1db", "db-prod", "db/../x", "a" * 65, "db\n"])
def test_names_are_checked(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match="secret name"):
        SecretStore(tmp_path, environ={}).lookup(name)


@pytest.mark.parametrize("value", ["", "two\nlines", "nul\0byte", "cr\rhere"])
def test_values_are_one_nonempty_line(tmp_path: Path, memory: MemoryKeyring, value: str) -> None:
    with pytest.raises(UsageError, match="nothing stored"):
        SecretStore(tmp_path, environ={}).save("db", value)
    assert memory.entries == {}
