"""Screens of the TUI, one module each; modals beside them."""
