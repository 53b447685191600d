"""The modes of the files and directories the desk creates: private unless told otherwise.

A desk's SQLite file holds every ticket, requester and audit row, and anyone who can
write it can give themselves any role. So the data directory is created 0700 and the
database 0600 whatever the umask (SQLite itself would create it 0644, less the umask,
and gives its -wal and -shm files the database's mode). The one alternative is the
`group` setting of the service-account deployment (README): 0750 and 0640, so that a
backup or monitoring account in the service account's group can read; never
group-writable, since a writable database is a role anyone can grant themselves.

Only what the desk creates gets these modes; existing files keep theirs (`helpdesk
doctor` reports them). Standard library only: the TUI's launch path may import this.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["FILE_MODES", "GROUP", "PRIVATE", "FileModes", "create_file", "make_dir", "mode_of"]


@dataclass(frozen=True)
class FileModes:
    """Which modes the desk gives the directories and files it creates."""

    name: str
    directory: int
    file: int

    def excess(self, mode: int, *, is_dir: bool) -> int:
        """The permission bits of `mode` beyond what this setting allows."""
        allowed = self.directory if is_dir else self.file
        return stat.S_IMODE(mode) & 0o777 & ~allowed


PRIVATE: Final = FileModes("private", directory=0o700, file=0o600)
GROUP: Final = FileModes("group", directory=0o750, file=0o640)
#: The values of the `[desk] file_mode` setting.
FILE_MODES: Final = {modes.name: modes for modes in (PRIVATE, GROUP)}


def make_dir(path: Path, modes: FileModes) -> bool:
    """Create `path` (and missing parents) with the setting's directory mode; True if made.

    Only the last directory gets the mode (the parents, such as ~/.local/share, are the
    system's business); an existing directory is left as it is.
    """
    if path.is_dir():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=modes.directory)
    except FileExistsError:
        return False  # made by someone else in the meantime: theirs to choose
    # mkdir's mode is narrowed by the umask; the setting says exactly what we want.
    os.chmod(path, modes.directory)
    return True


def create_file(path: Path, modes: FileModes) -> bool:
    """Create an empty `path` with the setting's file mode; False if it exists already.

    Created with O_EXCL and the mode in one call, so it never exists with a wider mode,
    not even for a moment.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, modes.file)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, modes.file)  # the umask may have taken bits the setting grants
    finally:
        os.close(fd)
    return True


def mode_of(path: Path) -> int | None:
    """The permission bits of `path`, or None when it does not exist or cannot be seen."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    return None
