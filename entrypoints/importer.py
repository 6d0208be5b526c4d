"""`storefront import-products`: JSON Lines or CSV rows into batched bulk upserts."""

import csv
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError as SchemaError

from application.products import BULK_MAX, BulkUpsertProducts, CreateProductCommand
from domain.access import SYSTEM
from domain.errors import ValidationError
from entrypoints.http.schemas.money import TEXT_AMOUNTS
from entrypoints.http.schemas.products import PRODUCT_CREATE, product_command

FORMATS = ("jsonl", "csv")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class ImportFileError(Exception):
    """The file cannot be read as the format asked for (not a row-level problem)."""


@dataclass
class ImportReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ImportFileError(f"cannot tell the format of {path.name}; pass --format jsonl|csv")


def count_rows(path: Path, fmt: str) -> int:
    """Data rows, for the progress bar's total (a cheap pass over the file)."""
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


def _csv_row(row: dict[str | None, Any]) -> dict[str, Any] | ValueError:
    """A CSV row as the API's JSON object: empty cells are left out (defaults apply), tags
    are split on '|', is_active reads true/false/yes/no/1/0."""
    if row.get(None):
        return ValueError("more values than header columns")
    out: dict[str, Any] = {}
    for name, cell in row.items():
        value = cell.strip() if isinstance(cell, str) else ""
        if name is None or not value:
            continue
        if name == "tags":
            out[name] = [t.strip() for t in value.split("|") if t.strip()]
        elif name == "is_active" and value.lower() in _TRUE | _FALSE:
            out[name] = value.lower() in _TRUE
        else:
            out[name] = value  # the schema parses and checks it (price as an exact Decimal)
    return out


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, raw row) pairs; a row that cannot be parsed is (line, Exception)."""
    with path.open(encoding="utf-8", newline="") as f:
        if fmt == "jsonl":
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError as exc:
                    yield number, ValueError(f"invalid JSON ({exc.msg})")
            return
        reader = csv.DictReader(f)
        if not reader.fieldnames or "sku" not in reader.fieldnames:
            raise ImportFileError("a CSV import needs a header row with at least sku,name,price")
        for row in reader:
            yield reader.line_num, _csv_row(row)


def _reason(exc: SchemaError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "row"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def to_command(raw: Any) -> CreateProductCommand:
    """One row through the HTTP schema (same rules as the API); raises ValueError."""
    if isinstance(raw, Exception):
        raise ValueError(str(raw))
    if not isinstance(raw, dict):
        raise ValueError("a row must be a JSON object")
    try:
        # CSV cells are text: a price may come as "9.99" here (never over HTTP)
        return product_command(PRODUCT_CREATE.validate_python(raw, context={TEXT_AMOUNTS: True}))
    except SchemaError as exc:
        raise ValueError(_reason(exc)) from None


async def import_products(
    path: Path,
    fmt: str,
    bulk: BulkUpsertProducts,
    batch_size: int = 1000,
    on_progress=lambda rows: None,
) -> ImportReport:
    """Validate every row, upsert the valid ones in batches, report the rejected by line.

    A batch never holds one sku twice: a repeat flushes the batch first, so the later row
    wins, as it would row by row."""
    batch_size = max(1, min(batch_size, BULK_MAX))
    report = ImportReport()
    batch: list[CreateProductCommand] = []
    lines: list[int] = []
    skus: set[str] = set()
    started = time.perf_counter()

    async def flush() -> None:
        if not batch:
            return
        result = await bulk.execute(SYSTEM, batch)
        report.inserted += result.upserted
        report.updated += result.modified
        report.unchanged += result.matched - result.modified
        on_progress(len(batch))
        batch.clear()
        lines.clear()
        skus.clear()

    for number, raw in read_rows(path, fmt):
        report.read += 1
        try:
            cmd = to_command(raw)
            bulk.validate([cmd])  # the domain's rules too, so one bad row never sinks a batch
        except (ValueError, ValidationError) as exc:
            reason = exc.detail if isinstance(exc, ValidationError) else str(exc)
            report.rejected.append((number, reason.removeprefix("products[0]: ")))
            on_progress(1)
            continue
        if cmd.sku in skus:
            await flush()
        batch.append(cmd)
        lines.append(number)
        skus.add(cmd.sku)
        if len(batch) >= batch_size:
            await flush()
    await flush()
    report.seconds = time.perf_counter() - started
    return report
