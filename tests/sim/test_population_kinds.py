"""``sim.intermediates.kinds_by_ca`` and ``primary_kind``: the 293 intermediates by CA and kind."""

from __future__ import annotations

import pytest

from sim.intermediates import (
    PRIMARY_KINDS,
    Intermediate,
    IntermediateSet,
    kinds_by_ca,
    load_hierarchy_2020,
    primary_kind,
)


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (("smime", "tls", "other"), "tls"),
        (("smime", "other"), "smime"),
        (("code_signing",), "other"),
        ((), "unknown"),
    ],
)
def test_primary_kind_prefers_tls_then_smime(kinds: tuple[str, ...], expected: str) -> None:
    assert primary_kind(Intermediate("x", "x", "CA", kinds)) == expected


def test_kinds_by_ca_counts_all_293_real_intermediates() -> None:
    table = kinds_by_ca(load_hierarchy_2020())
    assert list(table.columns) == [*PRIMARY_KINDS, "total"]
    assert int(table["total"].sum()) == 293
    assert (table[list(PRIMARY_KINDS)].sum(axis=1) == table["total"]).all()
    assert table.index[0] == "GlobalSign"
    assert int(table.loc["unidentified", "unknown"]) == 33


def test_kinds_by_ca_sorts_ties_by_name() -> None:
    hier = IntermediateSet("t", (Intermediate("1", "a", "B", ("tls",)),
                           Intermediate("2", "b", "A", ("smime",))))  # fmt: skip
    table = kinds_by_ca(hier)
    assert list(table.index) == ["A", "B"]
    assert table.loc["A"].to_dict() == {"tls": 0, "smime": 1, "other": 0, "unknown": 0, "total": 1}
