"""The `helpdesk` command (DESIGN §6). `helpdesk` with no command opens the TUI."""

from __future__ import annotations

from helpdesk_tui.cli.main import app, main

__all__ = ["app", "main"]
