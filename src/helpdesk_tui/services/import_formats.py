"""Reading import files: CSV (RFC 4180, header row) and JSONL, one record at a time.

Each record comes out as `(row, first line, values)`, values being a dict from field to
raw text, or an error message for a record that cannot be read (bad quoting, wrong field
count, not JSON). Checking the values is `services.import_parse`'s job.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final, TextIO

from helpdesk_tui.errors import UsageError
from helpdesk_tui.store.limits import check_text

#: Fields an import column can fill (`--map column=field` renames a column to one).
FIELDS: Final = (
    "id", "title", "body", "text", "category", "priority", "status", "kind", "channel",
    "requester", "created_at", "first_response_at", "resolved_at", "closed_at", "assignee",
    "impact_scope", "affected_users", "affected_system", "error_codes",
)  # fmt: skip
#: Column names understood without `--map` besides the field names themselves. The old
#: desk's ticket number is what makes a re-import recognise its tickets, so the names
#: other tools export it under (Freshdesk "Ticket ID", ServiceNow "Number", Jira "Issue
#: key", osTicket "Ticket Number") all fill `id`.
ALIASES: Final = {
    "external_ref": "id",
    "external_id": "id",
    "ticket_id": "id",
    "ticket_number": "id",
    "ticket_no": "id",
    "number": "id",
    "issue_key": "id",
    "incident_number": "id",
    "reference": "id",
    "subject": "title",
    "summary": "title",
    "description": "body",
    "created": "created_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}
#: `--map column=ignore` (or `column=`) drops a column.
IGNORE: Final = "ignore"
Record = tuple[int, int, dict[str, str] | str]


def quote(raw: str) -> str:
    """A value from the file, quoted for a message: repr() also escapes control codes."""
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def key(value: str) -> str:
    """A vocabulary key: lower case, spaces and dashes as underscores."""
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def columns(names: list[str], mapping: Mapping[str, str], path: Path) -> list[str | None]:
    """The field each column fills (None = ignored), from the header and `--map`."""
    wanted = {key(col): field_ for col, field_ in mapping.items()}
    for col, field_ in wanted.items():
        if col not in {key(n) for n in names}:
            raise UsageError(f"--map {col}={field_}: {path.name} has no column {col!r}")
    fields: list[str | None] = []
    for name in names:
        k = key(name)
        target = wanted.get(k, ALIASES.get(k, k))
        fields.append(target if target in FIELDS else None)
    taken = [f for f in fields if f is not None]
    for f in taken:
        if taken.count(f) > 1:
            raise UsageError(f"{path.name}: more than one column fills {f!r}; use --map")
    return fields


def sniff(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def _unstorable(values: Mapping[str, str]) -> str | None:
    """The problem of the first value no backend can store (NUL, a lone surrogate)."""
    for name, value in values.items():
        try:
            check_text(name, value)
        except UsageError as exc:
            return str(exc)
    return None


def has_nul(path: Path) -> bool:
    """True when the file contains a NUL byte anywhere (one fast pass over the bytes).

    PostgreSQL stores no NUL in text; checking every CSV row for one would cost more
    than reading the whole file once more, and a file with a NUL is rare.
    """
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            if b"\x00" in chunk:
                return True
    return False


def open_source(path: Path) -> tuple[TextIO, str, int]:
    """Open the file as UTF-8 text (BOM tolerated); one-line errors for the usual failures."""
    try:
        size = path.stat().st_size
        with path.open("rb") as probe:
            head = probe.read(4096)
        if path.is_dir():
            raise IsADirectoryError
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a CSV or JSONL file") from None
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return handle, sniff(path, head), size


def csv_records(
    handle: TextIO, path: Path, mapping: Mapping[str, str], ignored: list[str]
) -> Iterator[Record]:
    """(row, first line, values or an error message) per CSV record after the header.

    Strict UTF-8 decoding lets no lone surrogate through; a NUL is looked for in each
    record only when the file has one (`has_nul`).
    """
    nul = has_nul(path)
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader, None)
        while header == []:  # blank lines before the header
            header = next(reader, None)
    except csv.Error as exc:
        raise UsageError(f"{path.name}: malformed CSV header: {exc}") from None
    if not header:
        raise UsageError(f"{path.name} is empty (a CSV file needs a header row)")
    fields = columns(header, mapping, path)
    ignored.extend(name for name, f in zip(header, fields, strict=True) if f is None)
    wanted = [(i, f) for i, f in enumerate(fields) if f is not None]
    width, row = len(header), reader.line_num
    while True:
        line = reader.line_num + 1
        row += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            text = str(exc)
            if text == "unexpected end of data":
                text = "a quoted field is never closed (it runs to the end of the file)"
            yield row, line, f"malformed CSV: {text}"
            continue
        if not record:
            continue  # a blank line
        if len(record) != width:
            yield row, line, f"expected {width} fields as in the header, found {len(record)}"
            continue
        values = {f: record[i] for i, f in wanted}
        yield row, line, (nul and _unstorable(values)) or values


def jsonl_records(
    handle: TextIO, path: Path, mapping: Mapping[str, str], ignored: list[str]
) -> Iterator[Record]:
    """(line, line, values or an error message) per JSONL line."""
    names: dict[str, str | None] = {}
    wanted = {key(col): f for col, f in mapping.items()}
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, number, f"not valid JSON: {exc.msg} at column {exc.colno}"
            continue
        except RecursionError:
            yield number, number, "not a ticket: JSON nested too deeply"
            continue
        except ValueError as exc:  # e.g. a number of more than 4,300 digits
            yield number, number, f"not valid JSON: {exc}"
            continue
        if not isinstance(obj, dict):
            yield number, number, "not a JSON object"
            continue
        values: dict[str, str] = {}
        for name, value in obj.items():
            if name not in names:
                own = {key(name): wanted[key(name)]} if key(name) in wanted else {}
                names[name] = columns([name], own, path)[0]
                if names[name] is None:
                    ignored.append(name)
            target = names[name]
            if target is None or value is None:
                continue
            if isinstance(value, list) and target == "error_codes":
                value = ", ".join(str(x) for x in value)
            if isinstance(value, dict | list):
                yield (
                    number,
                    number,
                    f"{quote(name)}: expected text, found a JSON {type(value).__name__}",
                )
                break
            values[target] = value if isinstance(value, str) else str(value)
        else:
            # Raw NUL and surrogates are not valid JSON text: only a \\u escape makes one.
            unstorable = "\\u" in text and _unstorable(values)
            yield number, number, unstorable or values
