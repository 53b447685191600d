"""Demo generation and CSV import speed on SQLite, against a raw `sqlite3.executemany`.

    .venv/bin/python bench/bench_demo_import.py [--tickets N]

1. `generate_demo` of N tickets into a fresh desk: tickets/s.
2. The demo's tickets exported to a CSV of N rows, then `import_tickets` into another fresh
   desk (reading, validating and writing, all timed): tickets/s.
3. The rows that import wrote (tickets, their log entries, requesters) inserted again by
   plain `sqlite3` into a third fresh desk of the same schema, with the same FTS handling
   (insert trigger dropped, new rows indexed in one statement, trigger recreated), in one
   transaction, with the importer's page cache: the floor any importer in Python can
   reach. Also without any FTS work, to show what full-text indexing costs.
4. The machine's floor: the same ticket rows into a table with no constraint, no index
   and no type, in memory. No schema-bound import can be faster than this.

Budget (DESIGN §8): import >= 50,000 tickets/s and within 3x of the raw insert.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpdesk_tui.services import rbac  # noqa: E402
from helpdesk_tui.services.demo import generate_demo  # noqa: E402
from helpdesk_tui.services.importer import import_tickets  # noqa: E402
from helpdesk_tui.services.setup import initialise_desk  # noqa: E402
from helpdesk_tui.store.bulk import BULK_CACHE_KIB  # noqa: E402
from helpdesk_tui.store.engine import Store  # noqa: E402

EXPORT = (
    "id", "title", "body", "category", "priority", "status", "kind", "channel", "created_at",
    "first_response_at", "resolved_at", "closed_at", "requester", "impact_scope",
    "affected_users", "affected_system", "error_codes",
)  # fmt: skip


def fresh_desk(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    initialise_desk(store, rbac.os_login(), "Bench Admin", timezone="Europe/Berlin")
    return store


def export_csv(db: Path, out: Path) -> int:
    """Write the demo's tickets as a CSV an old desk could have produced."""
    conn = sqlite3.connect(db)
    query = (
        "SELECT 'D-' || t.id, t.title, t.body, t.category, t.priority, t.status, t.kind, "
        "t.channel, t.created_at, t.first_response_at, t.resolved_at, t.closed_at, "
        "r.name || ' <' || r.email || '>', t.impact_scope, t.affected_users, t.affected_system, "
        "t.error_codes FROM ticket t LEFT JOIN requester r ON r.id = t.requester_id ORDER BY t.id"
    )
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT)
        for row in conn.execute(query):
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    conn.close()
    return count


def raw_insert(source: Path, target: Path, *, fts: bool) -> tuple[float, int]:
    """Copy the imported rows into a fresh desk with plain sqlite3; (seconds, tickets)."""
    src = sqlite3.connect(source)
    tables = {}
    for table in ("requester", "ticket", "interaction"):  # a fresh desk has none of these
        columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        tables[table] = (columns, src.execute(f"SELECT * FROM {table}").fetchall())  # noqa: S608
    src.close()
    fresh_desk(target).dispose()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    trigger = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ticket_fts_ai'"
    ).fetchone()[0]
    conn.execute("DROP TRIGGER ticket_fts_ai")
    for table, (columns, rows) in tables.items():
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        conn.executemany(sql, rows)
    if fts:
        conn.execute(
            "INSERT INTO ticket_fts(rowid, title, body) SELECT id, title, body FROM ticket"
        )
    conn.execute(trigger)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, len(tables["ticket"][1])


def bare_floor(source: Path) -> float:
    """Ticket rows/s into an untyped, unconstrained, unindexed table in memory."""
    src = sqlite3.connect(source)
    columns = [r[1] for r in src.execute("PRAGMA table_info(ticket)")]
    rows = src.execute("SELECT * FROM ticket").fetchall()
    src.close()
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(f"CREATE TABLE bare ({', '.join(columns)})")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO bare VALUES ({', '.join('?' * len(columns))})", rows)  # noqa: S608
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return len(rows) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="20,000 tickets")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.tickets
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        work = Path(tmp)
        demo_db = work / "demo.db"
        store = fresh_desk(demo_db)
        summary = generate_demo(store, tickets=n, seed=1)
        store.dispose()
        rate = n / summary.seconds
        print(
            f"demo: {n:,} tickets in {summary.seconds:.1f} s = {rate:,.0f} tickets/s "
            f"({summary.interactions:,} log entries, {summary.requesters:,} requesters)"
        )

        csv_path = work / "tickets.csv"
        rows = export_csv(demo_db, csv_path)
        size = csv_path.stat().st_size / 1e6
        import_db = work / "import.db"
        store = fresh_desk(import_db)
        with store.read() as session:
            admin = rbac.resolve_actor(session, rbac.os_login())
        phases: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            phases[stage] = time.perf_counter()

        started = time.perf_counter()
        report = import_tickets(store, admin, csv_path, progress=progress)
        seconds = time.perf_counter() - started
        store.dispose()
        assert report.imported == rows and not report.problems, report.problems[:3]
        reading = phases["reading"] - started
        import_rate = rows / seconds
        print(
            f"import: {rows:,} rows ({size:.0f} MB CSV) in {seconds:.1f} s = {import_rate:,.0f} "
            f"tickets/s (read+validate {reading:.1f} s, write {seconds - reading:.1f} s)"
        )

        raw_s, raw_n = raw_insert(import_db, work / "raw.db", fts=True)
        bare_s, _ = raw_insert(import_db, work / "bare.db", fts=False)
        raw_rate = raw_n / raw_s
        ratio = raw_rate / import_rate
        print(
            f"raw sqlite3 (same rows, same FTS handling): {raw_s:.1f} s = {raw_rate:,.0f} rows/s; "
            f"without FTS indexing: {bare_s:.1f} s = {raw_n / bare_s:,.0f} rows/s"
        )
        print(
            f"floor: the ticket rows alone into a bare table in memory: "
            f"{bare_floor(import_db):,.0f} rows/s"
        )
        print(
            f"import: {import_rate:,.0f} tickets/s; raw sqlite3: {raw_rate:,.0f} rows/s; "
            f"ratio {ratio:.1f}x (target <= 3x, >= 50,000/s)"
        )


if __name__ == "__main__":
    main()
