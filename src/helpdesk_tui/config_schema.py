"""The schema of config.toml (pydantic), and one line for whatever does not fit it.

`validate_config` checks a parsed config.toml against `ConfigFile` and turns the first
problem into a `UsageError` naming the file, the key and what was expected:

    /home/ann/.config/helpdesk-tui/config.toml: [desk] db: expected a SQLAlchemy URL or
    an SQLite file path (text), got 5 (a number)

Imported only when a config file has something in it: pydantic costs ~60 ms of a
launch that is budgeted to the tenth of a second (see `config.Settings.load_for_launch`).
The desk-wide policy tables that used to live here (`[sla]`, `[closure]`, `[survey]`)
are accepted and reported as moved, never applied (`MOVED_TABLES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo

from helpdesk_tui.config import MOVED_TABLES
from helpdesk_tui.errors import UsageError

__all__ = ["ConfigFile", "DeskTable", "UiTable", "validate_config"]

#: What a key of the keymap table holds, for messages (its entries have no model).
_KEYMAP_ENTRY = "a key or comma-separated keys such as 'f2' or 'ctrl+k' (text)"


class _Table(BaseModel):
    """A TOML table: unknown keys are mistakes, and values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DeskTable(_Table):
    """`[desk]`: which database, the default business time zone, the SOP folder."""

    db: str | None = Field(
        default=None, min_length=1, description="a SQLAlchemy URL or an SQLite file path (text)"
    )
    timezone: str | None = Field(
        default=None, description="an IANA time zone name such as 'Europe/Berlin' (text)"
    )
    sop_dir: str | None = Field(
        default=None, min_length=1, description="the folder of the SOP library (text)"
    )
    # services/secrets.py and store/files.py hold the same rules for these two.
    db_secret: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="a secret name: lowercase letters, digits and _ (text)",
    )
    file_mode: Literal["private", "group"] | None = Field(
        default=None, description='"private" or "group"'
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise ValueError("unknown time zone") from None
        return value


class UiTable(_Table):
    """`[ui]`: how the TUI behaves on this terminal."""

    mouse: bool | None = Field(
        default=None, description="true or false (default: off over SSH, on otherwise)"
    )


class ConfigFile(_Table):
    """The whole config.toml. Every table is optional."""

    desk: DeskTable = Field(default_factory=DeskTable, description="a table [desk]")
    ui: UiTable = Field(default_factory=UiTable, description="a table [ui]")
    keymap: dict[str, str] = Field(
        default_factory=dict, description="a table [keymap] of binding id = key(s)"
    )
    # Moved to the database (see MOVED_TABLES): accepted in any shape, reported, ignored.
    sla: Any = Field(default=None, description="moved to the database")
    closure: Any = Field(default=None, description="moved to the database")
    survey: Any = Field(default=None, description="moved to the database")

    @property
    def moved(self) -> tuple[str, ...]:
        """The moved policy tables this file still has."""
        return tuple(name for name in MOVED_TABLES if getattr(self, name) is not None)


def validate_config(raw: Mapping[str, Any], path: Path) -> ConfigFile:
    """`raw` (a parsed config.toml) as a `ConfigFile`; a `UsageError` line if it does not fit."""
    try:
        return ConfigFile.model_validate(dict(raw))
    except ValidationError as exc:
        raise UsageError(f"{path}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    """The first error as "KEY: expected WHAT, got VALUE" (or the unknown key, valid keys)."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    key = _key_label(loc)
    if error["type"] == "extra_forbidden":
        fields = _model_at(loc[:-1]).model_fields
        valid = ", ".join(name for name in fields if name not in MOVED_TABLES)
        return f"{key}: unknown key; valid here: {valid}"
    return f"{key}: expected {_expected(loc)}, got {_shown(error.get('input'))}"


def _key_label(loc: tuple[str, ...]) -> str:
    """TOML spelling: `desk` for a table, `[desk] db` for a key in it."""
    if len(loc) == 1:
        return loc[0]
    return f"[{'.'.join(loc[:-1])}] {loc[-1]}"


def _model_at(loc: tuple[str, ...]) -> type[BaseModel]:
    """The model of the table at `loc` (the whole file for the empty path)."""
    model: type[BaseModel] = ConfigFile
    for part in loc:
        annotation = model.model_fields[part].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation
    return model


def _expected(loc: tuple[str, ...]) -> str:
    if len(loc) == 2 and loc[0] == "keymap":
        return _KEYMAP_ENTRY
    info: FieldInfo = _model_at(loc[:-1]).model_fields[loc[-1]]
    return info.description or "a valid value"


def _shown(value: object) -> str:
    """A value as the TOML reader gave it, with its TOML kind, cut short."""
    kinds = ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"))
    kind = next((name for cls, name in kinds if isinstance(value, cls)), None)
    if isinstance(value, dict):
        kind = "a table"
    elif isinstance(value, list):
        kind = "an array"
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{text} ({kind})" if kind else text
