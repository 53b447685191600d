"""Service-desk logic. Never imports Textual (tests/test_layering.py checks this)."""
