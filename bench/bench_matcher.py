"""SOP/KB suggestion latency while typing, and how long a UI thread stalls meanwhile.

DESIGN §8 budget: suggestions <= 10 ms for 1k entries, <= 50 ms for 100k entries, never
blocking the UI thread. For a library of 1,000 and of 100,000 entries (the shipped SOPs plus
synthetic KB articles built from SOP texts and, if present, the real ticket texts in
/work/shared/data/tickets-dev.csv), this prints:

* build time (all preprocessing, done once when the library is loaded) and memory held;
* p50/p95/max latency of `Matcher.match` for every prefix of a few realistic queries, as an
  agent types them, next to the budget, and what scoring every entry would cost instead;
* the longest gap between 1 ms ticks of a simulated UI thread while a worker thread runs
  `match` in a loop, against the same for a naive `process.extract` over every title and
  keyword of the library (what a matcher without prefilter and without `cdist` would do),
  after two noise-floor lines (an idle worker, a pure-Python worker) for this machine.

Prints figures; asserts nothing (timing lives in bench/, not in tests).
Usage: .venv/bin/python bench/bench_matcher.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import gc
import itertools
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from helpdesk_tui.services import matcher as matcher_module
from helpdesk_tui.services.matcher import MatchEntry, Matcher
from helpdesk_tui.services.sop_files import Sop, load_library, shipped_sop_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tickets-dev.csv"

#: What agents type, one character at a time.
QUERIES = [
    "vpn wont connect from home",
    "my password expired and windows wont let me in",
    "printer on the 3rd floor is offline again",
    "outlook keeps asking for my password",
    "the whole office has no internet since 9am",
    "laptop wont turn on after i spilled coffee",
]
BUDGET_MS = {1_000: 10.0, 100_000: 50.0}

PRODUCTS = [
    "Windows 11", "Windows 10", "macOS", "Outlook", "Teams", "Excel", "Word", "SharePoint",
    "OneDrive", "Chrome", "Edge", "Firefox", "Zoom", "SAP", "Salesforce", "GlobalProtect",
    "AnyConnect", "Citrix", "Adobe Acrobat", "Visio", "HP LaserJet", "Canon imageRUNNER",
    "Dell Latitude", "Lenovo ThinkPad", "iPhone", "Android", "Intune", "Exchange Online",
]  # fmt: skip
TEMPLATES = [
    "{kw} on {product}",
    "How to fix: {symptom}",
    "{product}: {kw} (error {code})",
    "Known issue: {kw} after {product} update",
    "{product} {kw} - workaround",
    "Troubleshooting {kw} for {product} users",
]


def ticket_texts(limit: int) -> list[str]:
    """Real ticket texts (keyword soup, see the data README), or nothing if absent."""
    if not DATA.exists():
        return []
    with DATA.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [row["text"] for _, row in zip(range(limit), reader, strict=False)]


def sop_entries(sops: list[Sop]) -> list[MatchEntry]:
    return [
        MatchEntry(
            kind="sop",
            id=sop.id,
            title=sop.title,
            keywords=sop.keywords,
            symptoms=sop.symptoms,
            body="\n".join(step.text for step in sop.steps),
            category=sop.category,
        )
        for sop in sops
    ]


def kb_entries(count: int, sops: list[Sop], tickets: list[str], seed: int = 7) -> list[MatchEntry]:
    """`count` synthetic KB articles about the same topics as the SOPs, in realistic words.

    Each article takes a topic SOP's keywords, symptoms and steps, a product name and one to
    three real ticket texts, so the prefilter faces what a real KB gives it: many articles
    sharing the query's words, most of them about something else.
    """
    rng = random.Random(seed)
    entries: list[MatchEntry] = []
    for number in range(count):
        topic = rng.choice(sops)
        product = rng.choice(PRODUCTS)
        title = rng.choice(TEMPLATES).format(
            kw=rng.choice(topic.keywords),
            symptom=rng.choice(topic.symptoms),
            product=product,
            code=rng.randint(100, 0xFFFF),
        )
        steps = rng.sample(topic.steps, k=min(3, len(topic.steps)))
        body_parts = [step.text for step in steps]
        if tickets:
            body_parts += rng.sample(tickets, k=rng.randint(1, 3))
        entries.append(
            MatchEntry(
                kind="kb",
                id=f"KB{number:06d}",
                title=title[:1].upper() + title[1:],
                keywords=(rng.choice(topic.keywords), product.lower()),
                body="\n\n".join(body_parts),
                category=topic.category,
            )
        )
    return entries


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def prefixes(query: str) -> list[str]:
    """Every prefix from three characters on: what the agent has typed after each key."""
    return [query[:end] for end in range(3, len(query) + 1)]


def ui_stall(work: Callable[[], object], seconds: float) -> tuple[float, float, int]:
    """Gaps (ms) between 1 ms ticks of this thread while `work` loops in a worker.

    Returns (longest gap, 99th-percentile gap, how many times `work` ran). A worker holding
    the GIL shows up as a long gap: the ticking thread cannot run until it is released. On
    a busy machine the operating system adds its own gaps, hence the percentile.
    """
    stop = threading.Event()
    runs = 0

    def worker() -> None:
        nonlocal runs
        while not stop.is_set():
            work()
            runs += 1

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    gaps: list[float] = []
    start = last = time.perf_counter()
    while last - start < seconds:
        time.sleep(0.001)
        now = time.perf_counter()
        gaps.append((now - last) * 1000)
        last = now
    stop.set()
    thread.join()
    return max(gaps), percentile(gaps, 99), runs


def load() -> str:
    """The 1-minute load average and the core count: a busy machine inflates wall times."""
    try:
        return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return "unknown"


def rss_mb() -> float | None:
    """Resident memory of this process in MB (Linux), for a rough "memory held" figure."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def stall_line(label: str, work: Callable[[], object], seconds: float) -> None:
    longest, p99, runs = ui_stall(work, seconds)
    print(f"  {label:56} {longest:7.1f} ms {p99:6.1f} ms   ({runs:,} runs in {seconds:.0f} s)")


def bench_size(size: int, sops: list[Sop], tickets: list[str], quick: bool) -> None:
    print(
        f"\n== library of {size:,} entries ({len(sops)} SOPs + {size - len(sops):,} KB articles) =="
    )
    entries = sop_entries(sops) + kb_entries(size - len(sops), sops, tickets)
    gc.collect()
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    matcher = Matcher(entries)
    build, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    after = rss_mb()
    held = f", about {after - before:.0f} MB resident" if before is not None and after else ""
    print(
        f"build (all preprocessing, once): {build * 1000:,.0f} ms wall, "
        f"{build_cpu * 1000:,.0f} ms CPU{held}"
    )

    queries = QUERIES[:3] if quick else QUERIES
    typed = [prefix for query in queries for prefix in prefixes(query)]
    # Wall time is what the agent waits; CPU time of the calling thread is what the work
    # costs, and stays meaningful when other processes compete for the cores.
    wall: list[float] = []
    cpu: list[float] = []
    for text in typed:
        started, started_cpu = time.perf_counter(), time.thread_time()
        matcher.match(text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    budget = BUDGET_MS[size]
    verdict = "within budget" if percentile(wall, 95) <= budget else "OVER BUDGET"
    print(
        f"match() per keystroke, {len(wall)} prefixes of {len(queries)} queries "
        f"(budget {budget:.0f} ms):"
    )
    for label, values in (("wall", wall), ("CPU", cpu)):
        print(
            f"  {label:4}  p50 {statistics.median(values):6.2f} ms   p95 "
            f"{percentile(values, 95):6.2f} ms   max {max(values):6.2f} ms"
        )
    print(f"  wall p95 {verdict}; load average now {load()}")
    for query in queries[:3]:
        top = matcher.match(query, limit=1)
        best = f"{top[0].kind} {top[0].id} ({top[0].score:.0f}: {', '.join(top[0].matched)})"
        print(f"  {query!r:50} -> {best if top else '-'}")

    # What the prefilter saves: rapidfuzz over every short field, in C++ and without the GIL.
    shorts = [text for e in entries for text in (e.title, *e.keywords, *e.symptoms)]
    started = time.perf_counter()
    for text in typed[:20]:
        matcher_module._score_row(text, shorts, fuzz.token_set_ratio, 45.0)
    full_ms = (time.perf_counter() - started) * 1000 / 20
    print(f"without a prefilter (cdist over all {len(shorts):,} short fields): {full_ms:.1f} ms")

    # The UI thread ticks every 1 ms while a worker computes; the longest gap is the stall.
    # The first two lines are the noise floor on this machine: an idle worker, and a worker
    # running plain Python (which hands the GIL over every sys.getswitchinterval() seconds).
    seconds = 1.0 if quick else 3.0
    print(
        "gaps between 1 ms ticks of a UI thread while a worker runs (GIL switch interval"
        f" {sys.getswitchinterval() * 1000:.0f} ms):\n  {'':56} {'longest':>10} {'p99':>9}"
    )
    stall_line("idle worker (sleeps)", lambda: time.sleep(0.01), seconds)
    stall_line("pure-Python worker (sum(range(100_000)))", lambda: sum(range(100_000)), seconds)
    cycle = itertools.cycle(typed)
    stall_line("Matcher.match() on each prefix", lambda: matcher.match(next(cycle)), seconds)
    choices = [e.title for e in entries] + [k for e in entries for k in e.keywords]

    def naive() -> object:
        return process.extract(
            next(cycle), choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=5
        )

    started = time.perf_counter()
    naive()
    naive_ms = (time.perf_counter() - started) * 1000
    stall_line(f"naive process.extract (WRatio, {len(choices):,} titles+keywords)", naive, seconds)
    print(f"  (one naive extract call takes {naive_ms:,.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries, shorter stall runs")
    args = parser.parse_args()
    sops = load_library(shipped_sop_dir())
    tickets = ticket_texts(40_000)
    source = f"{len(tickets):,} ticket texts from {DATA}" if tickets else "SOP texts only"
    print(f"KB articles built from SOP texts and {source}; load average {load()}")
    for size in (1_000, 100_000):
        bench_size(size, sops, tickets, args.quick)


if __name__ == "__main__":
    main()
