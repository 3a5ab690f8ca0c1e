"""The column layout of ``GET /v1/registry``: one array per field instead of one object per entry.

The body is mostly SHA-256 values, which gzip cannot shrink (32 random bytes each); what it can
shrink is the repeated keys, quotes and separators around them. One array per field keeps the
document plain JSON while it sends each key once: for the 293 shipped entries, 29.8 KB gzipped
instead of 32 KB for a list of objects (and fields the extension never reads, such as
``not_after`` and ``status_source``, are left out; ``GET /v1/registry/<sha256>`` has the full
entry).

Entry ``i`` is ``{name: columns[name][i] for name in COLUMNS}``; `entries_from_columns` reads it
back and is what a client does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLUMNS", "FORMAT", "columns_from_entries", "entries_from_columns"]

#: The layout's name in the document's ``format`` field (a client checks it).
FORMAT = "columns-1"
#: The fields of a served entry, in order.
COLUMNS: tuple[str, ...] = (
    "sha256",
    "spki_sha256",
    "ski",
    "ca_label",
    "incident",
    "status",
    "status_date",
    "remedy",
    "reissues",
)


def columns_from_entries(entries: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """One list per field of ``COLUMNS``, each as long as ``entries``.

    Raises:
        KeyError: an entry lacks one of the fields.
    """
    return {name: [entry[name] for entry in entries] for name in COLUMNS}


def entries_from_columns(columns: Mapping[str, Sequence[Any]], count: int) -> list[dict[str, Any]]:
    """The entries back from their columns.

    Raises:
        ValueError: a column is missing or its length is not ``count``.
    """
    for name in COLUMNS:
        if name not in columns or len(columns[name]) != count:
            raise ValueError(f"column {name!r} is missing or does not hold {count} values")
    return [{name: columns[name][i] for name in COLUMNS} for i in range(count)]
