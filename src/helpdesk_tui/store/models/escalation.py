"""Tables of issue 6 (escalation). Filled in by its implementation."""

from __future__ import annotations
