"""Who is at the keyboard: the OS account (DESIGN §7), never `$USER`."""

from __future__ import annotations

import os
import pwd

__all__ = ["os_full_name", "os_login"]


def os_login() -> str:
    """The OS account running this process, from the kernel's uid (never `$USER`)."""
    return pwd.getpwuid(os.getuid()).pw_name


def os_full_name() -> str:
    """The OS account's full name from the GECOS field, or its login."""
    entry = pwd.getpwuid(os.getuid())
    return entry.pw_gecos.split(",")[0].strip() or entry.pw_name
