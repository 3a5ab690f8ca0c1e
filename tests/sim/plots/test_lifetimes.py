"""sim.plots.lifetimes: attrition lines and renewal-cost bars."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from sim.lifetimes import compare_lifetimes
from sim.plots.lifetimes import plot_attrition, plot_renewal_cost


def test_attrition_has_one_line_per_lifetime_reaching_zero_at_expiry() -> None:
    comparison = compare_lifetimes((397.0, 47.0), days=400)
    ax = plot_attrition(comparison, ax=Figure().add_subplot())
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"397 days", "47 days"}
    assert lines["47 days"].get_ydata()[47] == 0
    assert lines["397 days"].get_ydata()[0] == 100


def test_renewal_cost_bars_carry_the_values() -> None:
    comparison = compare_lifetimes()
    ax = plot_renewal_cost(comparison, ax=Figure().add_subplot())
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(comparison.summary["renewals_per_year"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "6 days"
