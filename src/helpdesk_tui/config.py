"""Settings: paths from platformdirs, a TOML config file, environment overrides.

Precedence: command-line option > environment (`HELPDESK_DB`, `HELPDESK_CONFIG_DIR`,
`HELPDESK_DATA_DIR`) > config file > defaults. Secrets never live here (see `secrets`),
and neither does desk-wide policy (SLA rules, calendars, closure days, the survey
questionnaire): that is in the database, set by admins (`helpdesk policy`, `helpdesk sla`).

`Settings` is one typed, validated object, loaded once per process. The file is checked
against the pydantic schema in `config_schema`; every mistake is one line naming the
file, the key and what was expected (`UsageError`, exit 2). This module itself imports
only the standard library and platformdirs: it is on the TUI's launch path.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from helpdesk_tui.errors import UsageError

APP_NAME = "helpdesk-tui"

#: Desk policy that moved from config.toml to the database: table -> what sets it now.
#: A config file that still has one gets a warning line per table; it is never applied.
MOVED_TABLES: dict[str, str] = {
    "sla": (
        "auto-escalation rules and the backlog window are desk policy in the database now "
        "(admins: `helpdesk sla rule add ...`, `helpdesk policy set --backlog-hours H`)"
    ),
    "closure": (
        "auto-close and reopen days are desk policy in the database now "
        "(admins: `helpdesk policy set --auto-close-days N --reopen-days N`)"
    ),
    "survey": (
        "the survey questionnaire is desk policy in the database now "
        "(supervisors: `helpdesk survey questions set ID=TEXT ...`)"
    ),
}

#: Keys the launch frame reads before the schema is imported, with their only valid type.
_LAUNCH_KEYS: dict[tuple[str, str], type] = {
    ("desk", "db"): str,
    ("desk", "timezone"): str,
    ("desk", "sop_dir"): str,
    ("ui", "mouse"): bool,
}


def default_data_dir() -> Path:
    """Where the SQLite database and learned models live."""
    env = os.environ.get("HELPDESK_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


def default_config_dir() -> Path:
    """Where `config.toml` and the desk's own triage rules live."""
    env = os.environ.get("HELPDESK_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME))


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{path}"


def normalise_db(value: str) -> str:
    """Accept a SQLAlchemy URL or a bare file path for `--db`."""
    if "://" in value:
        return value
    return sqlite_url(Path(value).expanduser().resolve())


@dataclass(frozen=True)
class Settings:
    """Everything the CLI and the app read from configuration (typed, validated)."""

    data_dir: Path
    config_dir: Path
    db_url: str
    timezone: str = "UTC"
    #: The secret holding the database password when the URL names a user but no
    #: password (`[desk] db_secret`, default "db"; see services/secrets.py).
    db_secret: str = "db"
    #: Modes of the files the desk creates: "private" (0700/0600) or "group"
    #: (0750/0640, the service-account deployment); `[desk] file_mode`, store/files.py.
    file_mode: str = "private"
    #: Mouse tracking in the TUI: None = the default (off over SSH).
    mouse: bool | None = None
    #: Binding id -> key(s), applied with `App.set_keymap`.
    keymap: Mapping[str, str] = field(default_factory=dict)
    #: The SOP library folder (`[desk] sop_dir`); None = the shipped library.
    sop_dir: Path | None = None
    #: Desk-policy tables the file still has; they moved to the database and are ignored.
    moved: tuple[str, ...] = ()
    #: False only for `load_for_launch`: then `check()` runs the schema before the desk is used.
    checked: bool = True
    #: The `--db` value this was loaded with (for `check()`).
    db_option: str | None = field(default=None, repr=False)
    #: Where `db_url` came from: "--db", "HELPDESK_DB", "config" (`[desk] db`) or "default".
    db_origin: str = "default"

    @property
    def config_file(self) -> Path:
        """The desk's config file (may not exist)."""
        return self.config_dir / "config.toml"

    @property
    def rules_file(self) -> Path:
        """The desk's own triage rules, loaded after the shipped ones (may not exist)."""
        return self.config_dir / "triage_rules.toml"

    @property
    def default_db_path(self) -> Path:
        """The SQLite file used when no `--db` or `HELPDESK_DB` is given."""
        return self.data_dir / "helpdesk.db"

    def notices(self) -> list[str]:
        """One warning line per moved policy table still in the config file."""
        return [
            f"{self.config_file}: [{name}] is no longer read: {MOVED_TABLES[name]}; "
            "`helpdesk policy import` moves it from this file, then delete the table"
            for name in self.moved
        ]

    @classmethod
    def load(cls, db: str | None = None) -> Settings:
        """Read and validate the config file and the environment; `db` (`--db`) wins.

        Raises `UsageError` (one line: file, key, expectation) for any mistake.
        """
        data_dir, config_dir = default_data_dir(), default_config_dir()
        path = config_dir / "config.toml"
        raw = read_config_file(path)
        if not raw:
            return cls._build(data_dir, config_dir, db, {}, (), checked=True)
        from helpdesk_tui.config_schema import validate_config

        valid = validate_config(raw, path)
        values = {
            "desk": valid.desk.model_dump(exclude_none=True),
            "ui": valid.ui.model_dump(exclude_none=True),
            "keymap": valid.keymap,
        }
        return cls._build(data_dir, config_dir, db, values, valid.moved, checked=True)

    @classmethod
    def load_for_launch(cls, db: str | None = None) -> Settings:
        """Settings for the TUI's first frame, without importing the schema (pydantic).

        The values the launch reads are taken when they have their one valid type; if
        any does not, the full check runs at once (its one-line error, before any frame).
        Everything else (unknown keys, an unknown time zone) is left to `check()`, which
        the TUI runs when it loads the desk, right after the first frame.
        """
        data_dir, config_dir = default_data_dir(), default_config_dir()
        raw = read_config_file(config_dir / "config.toml")
        if not raw:
            return cls._build(data_dir, config_dir, db, {}, (), checked=True)
        if not _launch_values_typed(raw):
            return cls.load(db)
        moved = tuple(name for name in MOVED_TABLES if name in raw)
        return cls._build(data_dir, config_dir, db, raw, moved, checked=False)

    def check(self) -> Settings:
        """These settings validated against the schema (raises UsageError, one line)."""
        if self.checked:
            return self
        checked = Settings.load(self.db_option)
        # The launch already used its values; the schema agrees with them or has raised.
        return replace(checked, db_url=self.db_url)

    @classmethod
    def _build(
        cls,
        data_dir: Path,
        config_dir: Path,
        db: str | None,
        values: Mapping[str, Any],
        moved: tuple[str, ...],
        *,
        checked: bool,
    ) -> Settings:
        desk = values.get("desk", {})
        ui = values.get("ui", {})
        origins = (
            ("--db", db),
            ("HELPDESK_DB", os.environ.get("HELPDESK_DB")),
            ("config", desk.get("db")),
        )
        origin, url = next(((name, value) for name, value in origins if value), ("default", None))
        sop_dir = desk.get("sop_dir")
        return cls(
            data_dir=data_dir,
            config_dir=config_dir,
            db_url=normalise_db(url) if url else sqlite_url(data_dir / "helpdesk.db"),
            timezone=desk.get("timezone") or _local_timezone(),
            db_secret=desk.get("db_secret") or "db",
            file_mode=desk.get("file_mode") or "private",
            mouse=ui.get("mouse"),
            keymap=dict(values.get("keymap", {})),
            sop_dir=Path(sop_dir).expanduser() if sop_dir else None,
            moved=moved,
            checked=checked,
            db_option=db,
            db_origin=origin,
        )


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML of `path`, {} when there is no such file; one-line errors."""
    try:
        if not path.exists():
            return {}
        if path.is_dir():
            raise UsageError(f"{path}: is a directory; expected the config file (TOML text)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; expected the config file (TOML)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None


def _launch_values_typed(raw: Mapping[str, Any]) -> bool:
    """True when every value the launch reads is absent or of its one valid type.

    Not a validation (the schema is the only judge): only whether the launch can use
    the values now and leave the verdict to `Settings.check()`.
    """
    for table in ("desk", "ui", "keymap"):
        if not isinstance(raw.get(table, {}), dict):
            return False
    for (table, key), kind in _LAUNCH_KEYS.items():
        value = raw.get(table, {}).get(key)
        if value is not None and type(value) is not kind:
            return False
    return all(isinstance(v, str) for v in raw.get("keymap", {}).values())


def _local_timezone() -> str:
    """The machine's IANA time zone name, for the default business calendar."""
    env = os.environ.get("TZ")
    if env and "/" in env:
        return env.lstrip(":")
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"
