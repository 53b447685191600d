"""Run every benchmark in bench/ (each `bench_*.py`, in name order) and show its output.

    .venv/bin/python bench/run_all.py [--quick]

Each script runs in its own process with this Python; `--quick` is passed on. Benchmarks
print figures and never assert; a script that crashes is reported at the end and makes
this runner exit 1, the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    """Every benchmark script, in name order."""
    return sorted(BENCH.glob("bench_*.py"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks one after the other; 1 if any of them failed."""
    parser = argparse.ArgumentParser(description="Run every bench/bench_*.py script.")
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    args = parser.parse_args(argv)
    failed: list[str] = []
    for script in scripts():
        command = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        print(f"=== {script.name}{' --quick' if args.quick else ''}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command, cwd=BENCH.parent)
        took = time.perf_counter() - started
        print(f"=== {script.name}: exit {code} after {took:.1f} s\n", flush=True)
        if code != 0:
            failed.append(f"{script.name} (exit {code})")
    if failed:
        print("failed: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
