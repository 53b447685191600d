"""Settings: paths from platformdirs, a TOML config file, environment overrides.

Precedence: command-line option > environment (`HELPDESK_DB`, `HELPDESK_CONFIG_DIR`,
`HELPDESK_DATA_DIR`) > config file > defaults. Secrets never live here (see `secrets`).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from helpdesk_tui.errors import UsageError

APP_NAME = "helpdesk-tui"


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


@dataclass
class Settings:
    """Everything the CLI and the app read from configuration."""

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
    ui: dict[str, Any] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

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

    @classmethod
    def load(cls, db: str | None = None) -> Settings:
        """Read the config file and the environment; `db` (from `--db`) wins over both."""
        data_dir = default_data_dir()
        config_dir = default_config_dir()
        raw: dict[str, Any] = {}
        path = config_dir / "config.toml"
        if path.exists():
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise UsageError(f"{path}: {exc}") from None
        desk = raw.get("desk", {})
        url = db or os.environ.get("HELPDESK_DB") or desk.get("db")
        return cls(
            data_dir=data_dir,
            config_dir=config_dir,
            db_url=normalise_db(url) if url else sqlite_url(data_dir / "helpdesk.db"),
            timezone=str(desk.get("timezone", _local_timezone())),
            db_secret=_choice(path, "db_secret", desk.get("db_secret", "db"), _SECRET_NAME),
            file_mode=_choice(path, "file_mode", desk.get("file_mode", "private"), _FILE_MODES),
            ui=dict(raw.get("ui", {})),
            keymap={str(k): str(v) for k, v in raw.get("keymap", {}).items()},
            raw=raw,
        )


#: What `[desk] db_secret` and `[desk] file_mode` accept (services/secrets.py and
#: store/files.py hold the same rules; these are checked without importing them).
_SECRET_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FILE_MODES = re.compile(r"private|group")


def _choice(path: Path, key: str, value: object, valid: re.Pattern[str]) -> str:
    """A `[desk]` string setting, or a one-line error naming the file and the key."""
    if not isinstance(value, str) or valid.fullmatch(value) is None:
        raise UsageError(f"{path}: [desk] {key} = {value!r} is not {_EXPECTED[key]}")
    return value


_EXPECTED = {
    "db_secret": "a secret name (lowercase letters, digits and _)",
    "file_mode": '"private" or "group"',
}


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
