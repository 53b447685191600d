"""The `helpdesk` command (DESIGN §6). `helpdesk` with no command opens the TUI."""

from __future__ import annotations

from typing import Any

from helpdesk_tui.cli.entry import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    # The full CLI `app` is built on first use (see cli/main.py): the TUI does not need it.
    if name == "app":
        from helpdesk_tui.cli.main import app

        return app
    raise AttributeError(name)
