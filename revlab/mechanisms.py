"""``revlab mechanisms``: the revocation mechanisms, their time to protection and bandwidth.

Prints :func:`sim.mechanisms.mechanism_table`: for each mechanism, the worst-case days until a
client stops trusting a revoked certificate (a leaf; a leaf behind an attacker who blocks the
responder; the 2020 self-vouching intermediate), the share of leaf revocations it covers and
the bytes a client downloads per day. In JSON, "never" is ``null``.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from sim.mechanisms import Scenario, mechanism_table

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "mechanisms"
HELP = "compare revocation mechanisms: time to protection and bytes per client per day"

_FORMATS = ("table", "json")
_HEADERS = {
    Scenario.LEAF: "leaf",
    Scenario.LEAF_BLOCKED: "leaf, blocked",
    Scenario.INTERMEDIATE_2020: "2020 interm.",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--format``."""
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        default="table",
        help="output format (default: table; JSON writes null for 'never')",
    )


def _days(days: float, covered: float) -> str:
    if math.isinf(days) or covered == 0.0:
        return "never"
    text = f"{days:.1f} d"
    return text if covered >= 1.0 else f"{text} ({covered:.2%})"


def _records() -> list[dict[str, Any]]:
    table = mechanism_table()
    records = []
    for mechanism, row in table.iterrows():
        record: dict[str, Any] = {"mechanism": str(mechanism), "label": str(row["label"])}
        for scenario in Scenario:
            days = float(row[f"days_{scenario.value}"])
            covered = float(row[f"covered_{scenario.value}"])
            never = math.isinf(days) or covered == 0.0
            record[f"days_{scenario.value}"] = None if never else round(days, 4)
            record[f"covered_{scenario.value}"] = covered
        record["coverage_leaf"] = float(row["coverage_leaf"])
        record["coverage_intermediate"] = float(row["coverage_intermediate"])
        record["bytes_per_day"] = round(float(row["bytes_per_day"]), 1)
        records.append(record)
    return records


def _render_table(records: list[dict[str, Any]]) -> str:
    headers = ["mechanism", *_HEADERS.values(), "leaf coverage", "bytes/day"]
    rows = []
    for r in records:
        cells = [r["label"]]
        for scenario in _HEADERS:
            days = r[f"days_{scenario.value}"]
            covered = r[f"covered_{scenario.value}"]
            cells.append(_days(math.inf if days is None else days, covered))
        cells.append(f"{r['coverage_leaf']:.2%}")
        cells.append(f"{r['bytes_per_day']:,.0f}")
        rows.append(cells)
    widths = [max(len(row[k]) for row in [headers, *rows]) for k in range(len(headers))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the table of mechanisms; returns 0."""
    records = _records()
    if args.format == "json":
        print(json.dumps(records, indent=2))
    else:
        print(_render_table(records))
        print("worst case: revoked right after each mechanism's last publication")
    return 0
