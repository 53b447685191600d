"""Running totals of business time over a span of opening windows (O(log n) `between`).

A queue page shows the SLA clock of 200 tickets; one overdue for four months would walk
some 120 daily windows per ticket (~40 ms a page). Instead a calendar keeps, per span it
has been asked about, its windows with the business time before each; the time between
two instants is then a difference of two bisections. Exact: the totals are sums of the
same integer microsecond windows the day-by-day walk visits.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RunningTotals:
    """Opening windows covering ``[lo, hi]`` with the business time before each."""

    lo: int
    hi: int
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    before: tuple[int, ...]

    @classmethod
    def build(cls, lo: int, hi: int, windows: Iterator[tuple[int, int]]) -> RunningTotals:
        """Collect `windows` (in time order, starting at or before `lo`) up to `hi`."""
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        total = 0
        for start, end in windows:
            if start > hi:
                break
            starts.append(start)
            ends.append(end)
            before.append(total)
            total += end - start
        return cls(lo, hi, tuple(starts), tuple(ends), tuple(before))

    def covers(self, lo: int, hi: int) -> bool:
        """True when both instants lie inside the span these totals were built for."""
        return self.lo <= lo and hi <= self.hi

    def upto(self, at: int) -> int:
        """Business microseconds from the first window's start to `at`."""
        k = bisect_right(self.starts, at) - 1
        if k < 0:
            return 0
        return self.before[k] + min(max(at - self.starts[k], 0), self.ends[k] - self.starts[k])

    def between(self, lo: int, hi: int) -> int:
        """Business microseconds in ``[lo, hi)``; both must be covered."""
        return self.upto(hi) - self.upto(lo)
