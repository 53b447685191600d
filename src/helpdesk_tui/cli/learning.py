"""`helpdesk triage train|eval`, `helpdesk triage --batch`, `helpdesk report triage`."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from helpdesk_tui.cli.common import echo, parse_when, print_json, print_records, state, write_csv
from helpdesk_tui.cli.triage import app as triage_app
from helpdesk_tui.errors import UsageError
from helpdesk_tui.services import learning
from helpdesk_tui.services.importer import category_lookup
from helpdesk_tui.services.report_triage import triage_report

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
report_app = typer.Typer(help="Supervisor reports.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `report` to the root app (the triage subcommands register on import)."""
    app.add_typer(report_app, name="report")


def read_labelled_csv(path: Path, *, need_label: bool) -> tuple[list[str], list[str], list[str]]:
    """ids, texts and (if wanted) categories from a CSV with `text` [, `id`, `category`]."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        try:
            return _labelled_rows(path, csv.DictReader(handle), need_label=need_label)
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text") from None


def _labelled_rows(
    path: Path, reader: csv.DictReader[str], *, need_label: bool
) -> tuple[list[str], list[str], list[str]]:
    fields = reader.fieldnames or []
    if "text" not in fields or (need_label and "category" not in fields):
        wanted = "text and category" if need_label else "text (and optionally id)"
        raise UsageError(f"{path}: needs columns {wanted}; found {', '.join(fields) or 'none'}")
    ids, texts, labels = [], [], []
    try:
        for n, row in enumerate(reader, start=2):
            ids.append(row.get("id") or str(n - 1))
            texts.append(row["text"] or "")
            if need_label:
                if not row["category"]:
                    raise UsageError(f"{path}: row {n}: empty category")
                labels.append(row["category"])
    except csv.Error as exc:
        raise UsageError(f"{path}: row {reader.line_num}: {exc}") from None
    if not texts:
        raise UsageError(f"{path}: no rows")
    return ids, texts, labels


def _model(ctx: typer.Context) -> Any:
    with state(ctx).store().read() as session:
        model = learning.load_active_model(session)
    if model is None:
        raise UsageError("this desk has no trained model yet; run `helpdesk triage train`")
    return model


@triage_app.command("train")
def train(
    ctx: typer.Context,
    if_stale: Annotated[
        int | None,
        typer.Option(
            help="only retrain when at least this many tickets closed since the last model"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Learn category suggestions from this desk's closed tickets (a full retrain)."""
    cli = state(ctx)
    store = cli.store()
    with store.read() as session:
        actor = cli.actor(session)
        actor.require("triage.train")
        if if_stale is not None:
            fresh = learning.closed_since_last_model(session)
            if fresh is not None and fresh < if_stale:
                message = f"model is current: {fresh} tickets closed since it was trained"
                print_json({"trained": False, "reason": message}) if as_json else echo(message)
                return
        history = learning.training_history(session, actor)
        version = learning.next_version(session)
    warnings = learning.training_warnings(history)
    for warning in warnings:
        echo(f"warning: {warning}", err=True)
    from helpdesk_tui.services.classifier import CategoryModel

    started = time.perf_counter()
    # No transaction is open while the model trains (tens of seconds on a big desk).
    model = CategoryModel.train(history.texts, history.labels, version=version)
    data = learning.model_bytes(model)
    seconds = time.perf_counter() - started
    cli.write(lambda session, actor: learning.store_model(session, actor, model, data))
    info = model.info
    result = {
        "trained": True,
        "version": info.version,
        "n_samples": info.n_samples,
        "categories": list(info.categories),
        "per_category": history.per_category,
        "warnings": warnings,
        "metrics": info.metrics,
        "seconds": round(seconds, 1),
        "size_bytes": len(data),
    }
    if as_json:
        print_json(result)
        return
    accuracy = info.metrics.get("holdout_accuracy")
    estimate = f", held-out accuracy {accuracy:.3f}" if accuracy is not None else ""
    echo(
        f"model v{info.version}: learned from {info.n_samples:,} closed tickets in"
        f" {len(info.categories)} categories, {seconds:.1f} s{estimate}"
    )


@triage_app.command("eval")
def evaluate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with text and category columns")],
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, macro-F1 and per-category precision/recall of the desk's model on FILE."""
    from helpdesk_tui.services.classifier import evaluate as evaluate_model

    _, texts, labels = read_labelled_csv(file, need_label=True)
    with state(ctx).store().read() as session:
        # The file may spell categories as labels ("HR Support"); the desk's are names.
        lookup = category_lookup(session)
    labels = [lookup.get(label.strip().lower(), label) for label in labels]
    report = evaluate_model(_model(ctx), texts, labels)
    if as_json:
        print_json(report.to_dict())
        return
    echo(f"tickets {report.n:,}  accuracy {report.accuracy:.4f}  macro-F1 {report.macro_f1:.4f}")
    rows = [
        {
            "category": name,
            "precision": f"{m.precision:.3f}",
            "recall": f"{m.recall:.3f}",
            "f1": f"{m.f1:.3f}",
            "support": m.support,
        }
        for name, m in sorted(report.per_category.items())
    ]
    print_records(rows, ["category", "precision", "recall", "f1", "support"], "table")


def batch(ctx: typer.Context, file: Path) -> None:
    """`helpdesk triage --batch FILE.csv`: id,category,confidence for every row, as CSV."""
    ids, texts, _ = read_labelled_csv(file, need_label=False)
    model = _model(ctx)

    def rows() -> Iterator[list[str]]:
        for start in range(0, len(texts), 2000):
            for row_id, suggestion in zip(
                ids[start : start + 2000],
                model.suggest_many(texts[start : start + 2000]),
                strict=True,
            ):
                yield [row_id, suggestion.category, f"{suggestion.confidence:.4f}"]

    # The ids echo the input file: they get the same treatment as every CSV export.
    write_csv(["id", "category", "confidence"], rows())


@report_app.command("triage")
def report_triage(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="closed at or after (ISO date)")] = None,
    until: Annotated[str | None, typer.Option(help="closed before (ISO date)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """How often intake suggestions matched the category tickets were closed under."""
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    report = state(ctx).read(
        lambda session, actor: triage_report(session, actor, since=start, until=end)
    )
    if as_json:
        print_json(report.to_dict())
        return
    echo(
        f"closed tickets {report.tickets:,}; with a suggestion {report.with_suggestion:,}; "
        f"agreement {report.agreement:.1%}"
    )
    rows = [{"category": c, **v} for c, v in report.overrides_by_category.items()]
    print_records(
        rows, ["category", "tickets", "overridden"], "table", title="overrides per category"
    )
    agents = [{"agent": a, "overrides": n} for a, n in report.overrides_by_agent.items()]
    print_records(agents, ["agent", "overrides"], "table", title="overrides per agent")
    pairs = [{"suggested": s, "final": f, "count": n} for s, f, n in report.confused]
    print_records(pairs, ["suggested", "final", "count"], "table", title="most confused")
