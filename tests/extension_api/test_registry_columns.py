"""The column layout of GET /v1/registry reads back to the entries it was made from."""

from __future__ import annotations

import pytest

from extension_api.registry_columns import COLUMNS, columns_from_entries, entries_from_columns


def _entry(i: int) -> dict[str, object]:
    return {name: f"{name}-{i}" for name in COLUMNS} | {"reissues": [f"r{i}"] * i}


def test_columns_read_back_to_the_same_entries_in_order() -> None:
    entries = [_entry(i) for i in range(3)]
    columns = columns_from_entries(entries)
    assert columns["sha256"] == ["sha256-0", "sha256-1", "sha256-2"]
    assert entries_from_columns(columns, 3) == entries


def test_a_short_or_missing_column_is_refused() -> None:
    columns = columns_from_entries([_entry(0), _entry(1)])
    with pytest.raises(ValueError, match="'ski'"):
        entries_from_columns({**columns, "ski": ["only one"]}, 2)
    without = {k: v for k, v in columns.items() if k != "remedy"}
    with pytest.raises(ValueError, match="'remedy'"):
        entries_from_columns(without, 2)
