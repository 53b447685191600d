"""helpdesk-tui: a keyboard-first terminal service desk for first-line IT support."""

__version__ = "0.1.0"
