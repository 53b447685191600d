"""Tables of issue 6 (monitoring). Filled in by its implementation."""

from __future__ import annotations
