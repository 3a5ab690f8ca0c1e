"""Shared output helpers for ``revlab`` subcommands: tables, JSON and CSV on stdout."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

__all__ = ["FORMATS", "add_format_argument", "write_csv", "write_json", "write_table"]

FORMATS: tuple[str, ...] = ("table", "json", "csv")


def add_format_argument(parser: Any, choices: Sequence[str] = FORMATS) -> None:
    """Add ``--format`` with the given choices (table first, the default)."""
    parser.add_argument(
        "--format",
        choices=list(choices),
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )


def write_json(value: Any, out: TextIO | None = None) -> None:
    """Pretty JSON on stdout (dates and other objects as strings)."""
    json.dump(value, out or sys.stdout, indent=2, ensure_ascii=False, default=str)
    (out or sys.stdout).write("\n")


def write_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None
) -> None:
    """CSV with a header row on stdout."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def write_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO | None = None
) -> None:
    """A plain-text table with columns padded to their widest cell."""
    text_rows = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in text_rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    stream = out or sys.stdout
    stream.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip() + "\n")
    stream.write("  ".join("-" * w for w in widths) + "\n")
    for row in text_rows:
        stream.write(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
