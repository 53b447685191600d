"""The SLA watcher over a big desk (issue 6: `sla watch --once` over 1M tickets < 2 s).

Uses the 1,000,000-ticket demo desk in bench/out/ (made once with `helpdesk demo --tickets
1000000 --seed 1` and shared with the other benchmarks; 100,000 with --quick). The shared
desk is never written: each run takes a consistent copy through SQLite's online backup
API, upgrades the copy's schema, and measures on it:

1. `watch_once` alone (in process, one write transaction): the first pass over the desk
   (records every crossing it finds; the old backlog is summarised), then a second pass
   (nothing new: the steady state of a watcher polling every minute);
2. the same first pass with no backlog window (every crossing notified to everyone: the
   worst case a desk can configure);
3. `helpdesk sla watch --once` end to end (process start, imports, config, the pass,
   output), first and further passes, on fresh state, beside `helpdesk --version` (the
   start-up cost every command pays).

Wall clock and CPU time are both printed: on a busy machine wall time grows with the
other load, CPU time does not.

Policy for the runs: two auto-escalation rules to the supervisors (critical without a
response after 15 minutes, any resolution breach of a critical ticket), imported into the
copy with `helpdesk policy import` (rules are desk policy in the database); in process,
the same rules are handed to `watch_once` as its config. Prints figures, never asserts.

    .venv/bin/python bench/bench_sla_watch.py [--quick] [--keep] [--runs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import sqlalchemy  # noqa: E402

from helpdesk_tui.services import monitor  # noqa: E402
from helpdesk_tui.services.context import SYSTEM  # noqa: E402
from helpdesk_tui.services.monitor_config import parse_legacy_sla  # noqa: E402
from helpdesk_tui.store.engine import Store  # noqa: E402
from helpdesk_tui.store.types import utcnow  # noqa: E402

OUT = ROOT / "bench" / "out"
HELPDESK = Path(sys.executable).parent / "helpdesk"
BUDGET_S = 2.0

CONFIG = """
[sla]
backlog_hours = 24

[[sla.auto_escalate]]
name = "critical-no-response"
priority = "critical"
no_response_minutes = 15
to = "supervisor"

[[sla.auto_escalate]]
name = "critical-breach"
priority = "critical"
on = "breach"
clock = "resolution"
to = "supervisor"
"""


def env(config_dir: Path) -> dict[str, str]:
    """The caller's environment with config and data under a scratch directory."""
    base = dict(os.environ)
    base["HELPDESK_CONFIG_DIR"] = str(config_dir)
    base["HELPDESK_DATA_DIR"] = str(config_dir)
    base.pop("HELPDESK_DB", None)
    return base


def demo_desk(tickets: int, environ: dict[str, str]) -> Path:
    """The shared demo desk of `tickets` tickets (seed 1), made once and reused."""
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"demo-{tickets}.db"
    done = db.with_suffix(".complete")
    if db.exists() and done.exists():
        return db
    for stale in OUT.glob(f"{db.name}*"):
        stale.unlink()
    print(f"  making {db.relative_to(ROOT)} ({tickets:,} tickets, a few minutes)...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [HELPDESK, "--db", db, "demo", "--tickets", str(tickets), "--seed", "1"],
        env=environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done.write_text(f"{tickets}\n")
    print(f"  made in {time.perf_counter() - started:.1f} s", flush=True)
    return db


def private_copy(source: Path, target: Path, environ: dict[str, str]) -> None:
    """A consistent copy via the online backup API (never a file copy), schema upgraded."""
    for stale in target.parent.glob(f"{target.name}*"):
        stale.unlink()
    started = time.perf_counter()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    subprocess.run(
        [HELPDESK, "--db", target, "db", "upgrade"], env=environ, check=True, capture_output=True
    )
    print(f"  private copy {target.name} in {time.perf_counter() - started:.1f} s", flush=True)


class Reset:
    """Remembers where the log and audit ended and which tickets awaited confirmation,
    to undo a pass's rows (and its auto-closes) between runs."""

    def __init__(self, db: Path) -> None:
        self.db = db
        with sqlite3.connect(db) as conn:
            self.interaction = conn.execute("SELECT coalesce(max(id), 0) FROM interaction")
            self.interaction = self.interaction.fetchone()[0]
            self.audit = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
            conn.execute("DROP TABLE IF EXISTS bench_resolved")
            conn.execute(
                "CREATE TABLE bench_resolved AS SELECT id FROM ticket WHERE status = 'resolved'"
            )

    def __call__(self) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(
                "UPDATE ticket SET status = 'resolved', closed_at = NULL, "
                "confirmation_channel = NULL WHERE status = 'closed' "
                "AND id IN (SELECT id FROM bench_resolved)"
            )
            conn.execute("DELETE FROM notification")
            conn.execute("DELETE FROM sla_event")
            conn.execute("DELETE FROM sla_auto_escalation")
            conn.execute("DELETE FROM interaction WHERE id > ?", (self.interaction,))
            conn.execute("DELETE FROM audit WHERE id > ?", (self.audit,))


def in_process(
    db: Path, config: monitor.WatchConfig, backlog: timedelta
) -> tuple[float, float, str]:
    """Wall and CPU seconds of one `watch_once` pass in its write transaction, a summary."""
    store = Store(f"sqlite:///{db}")
    try:
        with store.read() as session:  # warm the pool and the page cache like a service
            session.execute(sqlalchemy.text("SELECT 1"))
        config = dataclasses.replace(config, backlog_hours=backlog.total_seconds() / 3600)
        started, cpu = time.perf_counter(), time.process_time()
        report = store.run_write(
            lambda s: monitor.watch_once(s, utcnow(), actor=SYSTEM, config=config)
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        store.dispose()
    return seconds, cpu, summary(report)


def summary(report: monitor.WatchReport) -> str:
    """One line about what a pass did."""
    return (
        f"{report.candidates:,} checked, {len(report.events):,} recorded "
        f"({report.backlog:,} backlog), {len(report.escalations):,} escalations, "
        f"{report.notifications:,} notifications"
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_pass(db: Path, environ: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of `helpdesk --db DB sla watch --once`, its first output line."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [HELPDESK, "--db", db, "sla", "watch", "--once"],
        env=environ,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    return seconds, cpu, done.stdout.splitlines()[0] if done.stdout else ""


def line(label: str, seconds: float, cpu: float, detail: str = "") -> None:
    """One figure (wall clock, and CPU time: other load on the machine inflates wall only)."""
    verdict = "ok" if seconds < BUDGET_S else "OVER"
    print(
        f"  {label:<42} {seconds * 1000:6.0f} ms wall {cpu * 1000:6.0f} ms CPU"
        f"   budget < {BUDGET_S:.0f} s: {verdict}"
    )
    if detail:
        print(f"      {detail}")


def main() -> None:
    """Build or reuse the desk, copy it, time the watcher."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 tickets instead of 1M")
    parser.add_argument("--keep", action="store_true", help="keep the private copy")
    parser.add_argument("--runs", type=int, default=3, help="CLI passes after the first")
    args = parser.parse_args()
    tickets = 100_000 if args.quick else 1_000_000

    with tempfile.TemporaryDirectory(prefix="sla-watch-") as scratch:
        config_dir = Path(scratch)
        policy_file = config_dir / "policy.toml"
        policy_file.write_text(CONFIG, encoding="utf-8")
        environ = env(config_dir)
        print(f"sla watch over a {tickets:,}-ticket demo desk", flush=True)
        source = demo_desk(tickets, environ)
        copy = OUT / f"sla-watch-{tickets}.db"
        private_copy(source, copy, environ)
        reset = Reset(copy)
        with sqlite3.connect(copy) as conn:
            open_count = conn.execute(
                "SELECT count(*) FROM ticket WHERE status IN "
                "('new', 'in_progress', 'waiting_customer', 'escalated')"
            ).fetchone()[0]
        print(f"  {open_count:,} open tickets of {tickets:,}", flush=True)
        config = parse_legacy_sla({"sla": _toml(CONFIG)})
        subprocess.run(
            [HELPDESK, "--db", copy, "policy", "import", policy_file],
            env=environ,
            check=True,
            capture_output=True,
        )

        line("watch_once, first pass", *in_process(copy, config, config.backlog))
        line("watch_once, second pass (steady state)", *in_process(copy, config, config.backlog))
        reset()
        line(
            "watch_once, first pass, no backlog window",
            *in_process(copy, config, timedelta(days=3650)),
        )
        reset()
        # What every command pays before doing anything (imports of the whole CLI).
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([HELPDESK, "--version"], env=environ, check=True, capture_output=True)
        seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
        line("baseline: `helpdesk --version`", seconds, cpu)
        line("`helpdesk sla watch --once`, first pass", *cli_pass(copy, environ))
        for n in range(1, args.runs + 1):
            line(f"`helpdesk sla watch --once`, pass {n + 1}", *cli_pass(copy, environ))
        if not args.keep:
            for path in OUT.glob(f"{copy.name}*"):
                path.unlink()


def _toml(text: str) -> dict[str, object]:
    import tomllib

    sla = tomllib.loads(text)["sla"]
    assert isinstance(sla, dict)
    return sla


if __name__ == "__main__":
    main()
