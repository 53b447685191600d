"""Opening the TUI from the CLI (imports Textual only when the TUI is wanted)."""

from __future__ import annotations

from helpdesk_tui.cli.state import CliState


def run_tui(cli: CliState) -> None:
    """Open the agent's TUI on the configured database."""
    from helpdesk_tui.app import run_app

    run_app(cli)
