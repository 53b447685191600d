"""Learned category suggester: accuracy, calibration, speed and size on real tickets.

Loads /work/shared/data/tickets-dev.csv (38k real tickets, 8 categories), makes a stratified
80/20 split with a fixed seed, trains `CategoryModel` on the 80 % and prints:

* training time and the model's own held-out estimate (from the 20 % of its training
  tickets it holds out to fit the confidence temperature);
* accuracy and macro-F1 on the 20 % test split, per-category figures, top confusions;
* that the numpy-only predictor reproduces scikit-learn's decision values;
* calibration: accuracy per confidence band and for each candidate `LOW_CONFIDENCE`;
* single-suggestion latency p50/p95 (budget <= 20 ms p95), batch rate
  (budget >= 1,000 tickets/s), model file size and load time;
* for comparison, the rapidfuzz nearest-neighbour baseline (`token_sort_ratio` against every
  training ticket) on a sample of 2,000 test tickets;
* training time on all the tickets, the size of the history the budget is for.

Wall times suffer when other work shares the machine; CPU times are printed next to them.

Prints figures; asserts nothing (timing lives in bench/, not in tests).
Usage: .venv/bin/python bench/bench_classifier.py [--csv PATH] [--quick]
(`--quick`: a quarter of the data, a smaller baseline sample, no full-data training.)
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.model_selection import train_test_split

from helpdesk_tui.services import classifier
from helpdesk_tui.services.classifier import (
    LOW_CONFIDENCE,
    CategoryModel,
    evaluate,
    normalise,
    train_with_reference,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tickets-dev.csv"
SEED = 42


def load(path: Path) -> tuple[list[str], list[str]]:
    """Texts and categories of the CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def calibration(confidence: np.ndarray, correct: np.ndarray) -> None:
    """Accuracy per confidence band, expected calibration error, threshold candidates."""
    print("\ncalibration on the test split (confidence = calibrated top probability)")
    print(f"  {'band':>11} {'tickets':>8} {'share':>6} {'mean conf':>9} {'accuracy':>8}")
    edges = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    ece = 0.0
    for low, high in itertools.pairwise(edges):
        band = (confidence >= low) & (confidence < high)
        if not band.any():
            continue
        ece += band.mean() * abs(confidence[band].mean() - correct[band].mean())
        print(
            f"  {low:4.2f}-{min(high, 1.0):4.2f} {int(band.sum()):8d} {band.mean():6.1%} "
            f"{confidence[band].mean():9.3f} {correct[band].mean():8.1%}"
        )
    print(f"  expected calibration error: {ece:.3f}")
    print(f"  {'threshold':>9} {'flagged low':>11} {'acc. flagged':>12} {'acc. others':>11}")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        low = confidence < threshold
        flagged = f"{correct[low].mean():12.1%}" if low.any() else f"{'-':>12}"
        marker = "  <- LOW_CONFIDENCE" if threshold == LOW_CONFIDENCE else ""
        print(
            f"  {threshold:9.2f} {low.mean():11.1%} {flagged} {correct[~low].mean():11.1%}{marker}"
        )


def fuzzy_baseline(
    train_x: list[str], train_y: list[str], test_x: list[str], test_y: list[str], n: int
) -> None:
    """1-nearest-neighbour by rapidfuzz token_sort_ratio over all training tickets.

    token_sort_ratio(a, b) is ratio() of the texts with their words sorted; sorting each
    text once up front gives the same scores about 4x faster than sorting per pair.
    """
    rng = np.random.default_rng(SEED)
    sample = rng.choice(len(test_x), size=min(n, len(test_x)), replace=False)
    started = time.perf_counter()
    queries = [" ".join(sorted(test_x[i].split())) for i in sample]
    choices = [" ".join(sorted(text.split())) for text in train_x]
    scores = process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
    took = time.perf_counter() - started
    nearest = scores.argmax(axis=1)
    right = sum(train_y[j] == test_y[i] for i, j in zip(sample, nearest, strict=True))
    print(
        f"\nrapidfuzz 1-NN baseline (token_sort_ratio, {len(queries):,} test tickets against "
        f"{len(train_x):,}): accuracy {right / len(queries):.4f}, "
        f"{len(queries) / took:,.0f} tickets/s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DATA, help=f"tickets CSV (default {DATA})")
    parser.add_argument("--quick", action="store_true", help="a quarter of the data")
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"no data at {args.csv}; nothing to benchmark", file=sys.stderr)
        return 1
    texts, labels = load(args.csv)
    if args.quick:
        texts, _, labels, _ = train_test_split(
            texts, labels, train_size=0.25, stratify=labels, random_state=SEED
        )
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=SEED
    )
    print(
        f"{len(texts):,} tickets, {len(set(labels))} categories; "
        f"train {len(train_x):,} / test {len(test_x):,} (stratified, seed {SEED})"
    )

    started, cpu_started = time.perf_counter(), time.process_time()
    model, reference = train_with_reference(train_x, train_y, seed=0)
    train_s, train_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    info = model.info
    print(
        f"\ntraining time: {train_s:.1f} s wall, {train_cpu:.1f} s CPU ({info.algorithm}, "
        f"{len(train_x):,} tickets; budget 38k tickets <= 60 s)"
    )
    print(
        "  model's own estimate (held out from its training tickets): "
        + ", ".join(f"{k} {v:.4g}" for k, v in info.metrics.items())
    )

    report = evaluate(model, test_x, test_y)
    print(f"\nheld-out accuracy: {report.accuracy:.4f}   macro-F1: {report.macro_f1:.4f}")
    print(f"  {'category':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for name, m in report.per_category.items():
        print(f"  {name:<24} {m.precision:9.3f} {m.recall:7.3f} {m.f1:6.3f} {m.support:8d}")
    print("  most confused (true -> predicted: count):")
    for true, pred, count in report.confusions[:5]:
        print(f"    {true} -> {pred}: {count}")

    ours = model.decision_function(test_x)
    theirs = reference.decision_function(test_x)
    mismatches = int((ours.argmax(axis=1) != theirs.argmax(axis=1)).sum())
    print(
        f"\nnumpy predictor vs scikit-learn on the test split: max |decision diff| "
        f"{np.abs(ours - theirs).max():.1e}, differing predictions {mismatches}"
    )

    suggestions = model.suggest_many(test_x)
    confidence = np.array([s.confidence for s in suggestions])
    correct = np.array([s.category == y for s, y in zip(suggestions, test_y, strict=True)])
    calibration(confidence, correct)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "category-model.npz"
        started = time.perf_counter()
        model.save(path)
        save_s = time.perf_counter() - started
        started = time.perf_counter()
        loaded = CategoryModel.load(path)
        load_s = time.perf_counter() - started
        size = path.stat().st_size
        fresh, fresh_batch = CategoryModel.load(path), CategoryModel.load(path)
    same = loaded.suggest_many(test_x) == suggestions
    print(
        f"\nmodel file: {size / 1e6:.1f} MB (.npz, {info.n_samples:,} tickets), "
        f"save {save_s:.2f} s, load {load_s:.2f} s; loaded model suggests the same: {same}"
    )

    # Timed on a model fresh from its file with every per-word cache empty, as in the TUI
    # right after start-up (the module-level n-gram cache is warm from training otherwise).
    classifier._word_char_terms.cache_clear()
    latencies = []
    for text in test_x[:1000]:
        started = time.perf_counter()
        fresh.suggest(text)
        latencies.append((time.perf_counter() - started) * 1000)
    print(
        f"single suggest ({len(latencies):,} test tickets, model just loaded): p50 "
        f"{statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
        f"max {max(latencies):.2f} ms (budget p95 <= 20 ms)"
    )
    started = time.perf_counter()
    fresh_batch.suggest_many(test_x)
    batch_s = time.perf_counter() - started
    print(
        f"batch suggest_many ({len(test_x):,} tickets, model just loaded): "
        f"{len(test_x) / batch_s:,.0f} tickets/s (budget >= 1,000)"
    )
    print(f"normalise() example: {normalise('VPN-Client (v2.3) crashed! Café')!r}")

    fuzzy_baseline(train_x, train_y, test_x, test_y, 300 if args.quick else 2000)

    if not args.quick:  # the budget is for a desk's whole history: time that too
        started, cpu_started = time.perf_counter(), time.process_time()
        CategoryModel.train(texts, labels, seed=0)
        print(
            f"\ntraining on all {len(texts):,} tickets: {time.perf_counter() - started:.1f} s "
            f"wall, {time.process_time() - cpu_started:.1f} s CPU (budget <= 60 s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
