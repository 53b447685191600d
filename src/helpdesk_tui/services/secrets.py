"""Secrets (database, SMTP, IMAP passwords): the keyring, or an env var or 0600 file.

A secret has a name (`db`, `smtp`, ...) and is looked up in this order:

1. the environment variable `HELPDESK_SECRET_<NAME>` (a service manager's credential for
   one process; it wins so that a unit file can override what an account has stored);
2. the system keyring (service `helpdesk-tui`, user name = the secret's name);
3. the file `<config dir>/secrets/<name>`, which must be the account's own and mode 0600.

Secrets are written to the keyring; on a machine without a keyring backend (a headless
server: keyring's `fail` backend) or when asked to, to the file, created 0600 at once.
Nothing here prints a value, and no value ever comes from the command line, where `ps`
shows it to every user. The secrets belong to the OS account, not to the desk: no
database is needed to manage them (the database password is one of them).

`keyring` is imported only when a secret is looked up in it: the TUI's launch path on
SQLite never gets here.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets as _random
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from helpdesk_tui.errors import HelpdeskError, NotFound, UsageError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = [
    "ENV_PREFIX",
    "KEYRING_SERVICE",
    "Secret",
    "SecretInfo",
    "SecretRefused",
    "SecretStore",
    "Source",
    "Stored",
    "check_name",
    "env_var",
    "keyring_status",
]

#: The keyring's service name for every helpdesk secret.
KEYRING_SERVICE: Final = "helpdesk-tui"
#: Prefix of the environment variables that carry secrets.
ENV_PREFIX: Final = "HELPDESK_SECRET_"
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Names of the secrets stored in the keyring (which cannot list its entries), in the
#: secrets directory; a dot name, so never a secret's file.
_KEYRING_INDEX: Final = ".keyring-names"
#: Backends that store nothing: keyring's `fail` (no backend found) and `null` (disabled).
_FAIL: Final = "keyring.backends.fail.Keyring"
_NULL: Final = "keyring.backends.null.Keyring"


class Source(StrEnum):
    """Where a secret is kept, in lookup order."""

    ENV = "env"
    KEYRING = "keyring"
    FILE = "file"


class SecretRefused(HelpdeskError):
    """A secret file that others could read or that is not the account's own."""

    exit_code = 1


@dataclass(frozen=True)
class Secret:
    """A secret's value and where it came from (the value is never printed)."""

    name: str
    value: str = field(repr=False)
    source: Source
    location: str


@dataclass(frozen=True)
class Stored:
    """Where `SecretStore.save` put a secret."""

    source: Source
    location: str
    #: Why a file was used: there is no keyring backend.
    fallback: str | None = None
    #: The place a lookup takes first and that holds the secret too (env var or keyring).
    shadowed_by: str | None = None


@dataclass(frozen=True)
class SecretInfo:
    """One line of `secret list`: where a secret is, never its value."""

    name: str
    #: Where a lookup takes it from, or None when the first place holding it is refused.
    used: Source | None
    #: Every place holding it, in lookup order.
    stored: tuple[Source, ...]
    #: The env var, keyring backend or file of the place used.
    location: str
    #: Why a place cannot be used (a file others can read, a locked keyring), or "".
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the `secret list --json` contract)."""
        return {
            "name": self.name,
            "used": self.used.value if self.used else None,
            "stored": [source.value for source in self.stored],
            "location": self.location,
            "problem": self.problem or None,
        }


def check_name(name: str) -> str:
    """`name` if it is a valid secret name, else a usage error."""
    if _NAME.fullmatch(name) is None:
        raise UsageError(
            f"secret name {name!r}: use 1-64 lowercase letters, digits and _, "
            "starting with a letter (e.g. db, smtp)"
        )
    return name


def env_var(name: str) -> str:
    """The environment variable that carries secret `name`."""
    return ENV_PREFIX + name.upper()


def keyring_status() -> tuple[KeyringBackend | None, str]:
    """The usable keyring backend (None without one) and its name or why there is none."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install or config: no keyring, say why
        return None, f"keyring unusable: {_one_line(exc)}"
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if name == _FAIL:
        return None, "no keyring backend on this machine"
    if name == _NULL:
        return None, f"the keyring is switched off ({_NULL})"
    return backend, name


class SecretStore:
    """The secrets of one OS account: env vars, its keyring and its secrets directory."""

    def __init__(self, config_dir: Path, environ: Mapping[str, str] | None = None) -> None:
        self.directory = config_dir / "secrets"
        self._environ = os.environ if environ is None else environ

    def file_of(self, name: str) -> Path:
        """The fallback file of secret `name`."""
        return self.directory / check_name(name)

    # -- lookup ---------------------------------------------------------------------------

    def lookup(self, name: str) -> Secret | None:
        """Secret `name` from the first place that has it (env, keyring, file), or None.

        A keyring that is present but fails (locked, D-Bus trouble) is passed over for the
        file; if the file has nothing either, the keyring's error is raised, since the
        secret may well be in it. A file others can read is refused (SecretRefused).
        """
        check_name(name)
        value = self._environ.get(env_var(name))
        if value:
            return Secret(name, value, Source.ENV, env_var(name))
        keyring_error: Exception | None = None
        backend, backend_name = keyring_status()
        if backend is not None:
            try:
                value = backend.get_password(KEYRING_SERVICE, name)
            except Exception as exc:  # any backend failure: try the file, report if none
                keyring_error = exc
            if value:
                return Secret(name, value, Source.KEYRING, backend_name)
        value = self._read_file(name)
        if value is not None:
            return Secret(name, value, Source.FILE, str(self.file_of(name)))
        if keyring_error is not None:
            raise HelpdeskError(
                f"cannot read secret {name!r} from the keyring: {_one_line(keyring_error)}"
            )
        return None

    def _read_file(self, name: str) -> str | None:
        """The file's value (one trailing newline dropped), None if absent; refused if
        other accounts could read it or it is not this account's own."""
        path = self.file_of(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not hang us
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretRefused(f"cannot read {path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())  # of what was opened, not of the name
            _refuse_unsafe(path, info)
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretRefused(f"{path} is not UTF-8 text") from None
        return _strip_newline(text) or None

    # -- writing --------------------------------------------------------------------------

    def save(self, name: str, value: str, *, to_file: bool = False) -> Stored:
        """Store secret `name` in the keyring, or in its 0600 file when there is no keyring
        backend or `to_file`. Replaces a value stored there before."""
        check_name(name)
        check_value(value)
        backend, backend_name = (None, "") if to_file else keyring_status()
        if backend is not None:
            self._set_in_keyring(backend, backend_name, name, value)
            stored = Stored(Source.KEYRING, backend_name)
        else:
            path = self._write_file(name, value)
            fallback = None
            if not to_file:
                fallback = f"{backend_name}: secret {name} kept in a 0600 file instead"
            stored = Stored(Source.FILE, str(path), fallback)
        info = self.info(name)
        if info is not None and info.used not in (None, stored.source):
            return replace(stored, shadowed_by=f"{info.used.value} ({info.location})")
        return stored

    def _set_in_keyring(
        self, backend: KeyringBackend, backend_name: str, name: str, value: str
    ) -> None:
        try:
            backend.set_password(KEYRING_SERVICE, name, value)
            stored = backend.get_password(KEYRING_SERVICE, name)
        except Exception as exc:  # locked, D-Bus gone, refused: one line, nothing half-done
            raise HelpdeskError(
                f"the keyring ({backend_name}) refused secret {name!r}: {_one_line(exc)}; "
                "use --file to keep it in a 0600 file instead"
            ) from None
        if stored != value:  # a backend that silently stores nothing
            raise HelpdeskError(
                f"the keyring ({backend_name}) did not keep secret {name!r}; "
                "use --file to keep it in a 0600 file instead"
            )
        self._write_index(self._keyring_index() | {name})

    def _write_file(self, name: str, value: str) -> Path:
        self._make_directory()
        path = self.file_of(name)
        _write_private(path, value.encode("utf-8"))
        return path

    def _make_directory(self) -> None:
        """The config dir (if missing) and the secrets directory, both 0700."""
        for directory in (self.directory.parent, self.directory):
            if not directory.is_dir():
                directory.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):
                    directory.mkdir(mode=0o700)
                    os.chmod(directory, 0o700)  # mkdir's mode is narrowed by the umask

    # -- deleting -------------------------------------------------------------------------

    def delete(self, name: str) -> list[Source]:
        """Remove secret `name` from the keyring and its file; the places it was removed
        from. NotFound when neither held it (an env var is the environment's business)."""
        check_name(name)
        removed: list[Source] = []
        backend, backend_name = keyring_status()
        if backend is not None:
            try:
                if backend.get_password(KEYRING_SERVICE, name) is not None:
                    backend.delete_password(KEYRING_SERVICE, name)
                    removed.append(Source.KEYRING)
            except Exception as exc:  # report, and leave the file for a second try
                raise HelpdeskError(
                    f"the keyring ({backend_name}) refused to delete secret {name!r}: "
                    f"{_one_line(exc)}"
                ) from None
            index = self._keyring_index()
            if name in index:  # only once the keyring itself says it is gone
                self._write_index(index - {name})
        path = self.file_of(name)
        try:
            path.unlink()
            removed.append(Source.FILE)
        except FileNotFoundError:
            pass
        if not removed:
            where = "the keyring or " if backend is not None else ""
            raise NotFound(f"no secret {name!r} in {where}{self.directory}")
        return removed

    # -- listing --------------------------------------------------------------------------

    def names(self, known: tuple[str, ...] = ()) -> list[str]:
        """Every secret name this account may have: `known` ones (the configured database
        secret), env vars, the keyring's index and the files."""
        found = set(known)
        found |= {
            key[len(ENV_PREFIX) :].lower()
            for key, value in self._environ.items()
            if key.startswith(ENV_PREFIX) and value
        }
        found |= self._keyring_index()
        found |= set(self._file_names())
        return sorted(n for n in found if _NAME.fullmatch(n))

    def info(self, name: str) -> SecretInfo | None:
        """Where secret `name` is stored and which place a lookup uses; None if nowhere."""
        places: list[tuple[Source, str, str]] = []  # (source, location, problem)
        if self._environ.get(env_var(name)):
            places.append((Source.ENV, env_var(name), ""))
        backend, backend_name = keyring_status()
        if backend is not None:
            try:
                if backend.get_password(KEYRING_SERVICE, name) is not None:
                    places.append((Source.KEYRING, backend_name, ""))
            except Exception as exc:  # list what can be listed; say what could not
                if name in self._keyring_index():
                    places.append((Source.KEYRING, backend_name, _one_line(exc)))
        elif name in self._keyring_index():
            places.append((Source.KEYRING, "keyring", backend_name))
        path = self.file_of(name)
        if path.exists() or path.is_symlink():
            places.append((Source.FILE, str(path), self._file_problem(name)))
        if not places:
            return None
        used: Source | None = None
        location, problem = places[0][1], ""
        for source, where, trouble in places:
            location, problem = where, problem or trouble
            if not trouble:
                used = source
                break
            if source is not Source.KEYRING:
                break  # a refused file stops a lookup; a failing keyring is passed over
        return SecretInfo(
            name=name,
            used=used,
            stored=tuple(place[0] for place in places),
            location=location,
            problem=problem,
        )

    def listing(self, known: tuple[str, ...] = ()) -> list[SecretInfo]:
        """Every secret stored anywhere, by name (see `names`)."""
        return [info for name in self.names(known) if (info := self.info(name)) is not None]

    def _file_problem(self, name: str) -> str:
        try:
            self._read_file(name)
        except HelpdeskError as exc:
            return str(exc)
        return ""

    def _file_names(self) -> Iterator[str]:
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.directory):
                if _NAME.fullmatch(entry.name):
                    yield entry.name

    def _keyring_index(self) -> set[str]:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = (self.directory / _KEYRING_INDEX).read_text(encoding="utf-8")
            return {line for line in text.splitlines() if _NAME.fullmatch(line)}
        return set()

    def _write_index(self, names: set[str]) -> None:
        self._make_directory()
        body = "".join(f"{name}\n" for name in sorted(names))
        _write_private(self.directory / _KEYRING_INDEX, body.encode("utf-8"))


def check_value(value: str) -> str:
    """`value` if it can be a secret: not empty, one line, no NUL."""
    if not value:
        raise UsageError("a secret cannot be empty; nothing stored")
    if any(ch in value for ch in "\r\n\0"):
        raise UsageError("a secret is one line without NUL; nothing stored")
    return value


def _refuse_unsafe(path: Path, info: os.stat_result) -> None:
    """Refuse a secret file that is not a regular file of this account with mode 0600."""
    if not stat.S_ISREG(info.st_mode):
        raise SecretRefused(f"refusing {path}: not a regular file")
    if info.st_uid != os.geteuid():
        raise SecretRefused(
            f"refusing {path}: it belongs to uid {info.st_uid}, not to this account "
            f"(uid {os.geteuid()})"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SecretRefused(
            f"refusing {path}: mode {mode:04o} is open to other accounts; run `chmod 600 {path}`"
        )


def _write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file is 0600 from its first byte."""
    temporary = path.with_name(f".{path.name}.{_random.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _strip_newline(text: str) -> str:
    """Drop the one newline an editor or `echo` adds at the end of a file."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
