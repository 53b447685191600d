"""Triage latency: rules evaluated on realistic ticket texts, and the CLI end to end.

Prints figures; asserts nothing (DESIGN §8: timing lives in bench/, not in tests).
Usage: .venv/bin/python bench/bench_triage.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

from helpdesk_tui.services.triage_rules import RuleSet, TriageInput

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tickets-dev.csv"
PHRASES = [
    "VPN won't connect from home, error 809",
    "printer on the 3rd floor is offline again",
    "I forgot my password and now I'm locked out",
    "Outlook keeps asking for my password and does not sync",
    "whole office has no internet since 9am",
    "laptop won't turn on after the update",
    "need access to the finance shared folder please",
    "I clicked a link in a phishing mail and entered my password",
    "computer is very slow, takes forever to open excel",
    "how do I set up an out of office reply?",
]


def texts(limit: int) -> list[str]:
    """Ticket texts: the real data set if present, else the built-in phrasings."""
    if DATA.exists():
        with DATA.open(encoding="utf-8", newline="") as handle:
            rows = [
                row["text"] for _, row in zip(range(limit), csv.DictReader(handle), strict=False)
            ]
        return rows + PHRASES
    return PHRASES * (limit // len(PHRASES) + 1)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000

    started = time.perf_counter()
    rules = RuleSet.default()
    load_ms = (time.perf_counter() - started) * 1000
    samples = texts(n)
    timings = []
    for text in samples:
        t0 = time.perf_counter()
        rules.evaluate(TriageInput(title=text[:80], body=text))
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"triage rules: {len(rules)} rules loaded in {load_ms:.1f} ms")
    print(
        f"triage evaluate: {len(samples):,} tickets, p50 {statistics.median(timings):.3f} ms, "
        f"p95 {percentile(timings, 95):.3f} ms, max {max(timings):.2f} ms, "
        f"{len(samples) / (sum(timings) / 1000):,.0f} tickets/s"
    )
    helpdesk = Path(sys.executable).parent / "helpdesk"
    if helpdesk.exists():
        runs = []
        for _ in range(3 if args.quick else 5):
            t0 = time.perf_counter()
            subprocess.run(
                [str(helpdesk), "triage", PHRASES[0], "--json"], capture_output=True, check=True
            )
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"`helpdesk triage TEXT --json` end to end: median {statistics.median(runs):.0f} ms")


if __name__ == "__main__":
    main()
