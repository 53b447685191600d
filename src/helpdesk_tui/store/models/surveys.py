"""Tables of issue 6 (surveys). Filled in by its implementation."""

from __future__ import annotations
