"""sim.plots.timeline: one line per state, deadline markers."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.incident import ocsp_eku_2020, simulate
from sim.plots.timeline import plot_timeline, revocation_groups


def test_timeline_draws_each_state_as_a_percentage_and_the_deadlines() -> None:
    tl = simulate(ocsp_eku_2020(), n=10_000, seed=0)
    ax = plot_timeline(tl, ax=Figure().add_subplot())
    lines = {line.get_label(): line for line in ax.get_lines()}
    broken = lines["broken (served under a revoked intermediate)"]
    assert np.allclose(broken.get_ydata(), 100 * tl.fractions()["broken"].to_numpy())
    assert lines["replaced"].get_ydata()[0] == 0
    markers = [k for k in lines if k.startswith("BR 1.7.0 §4.9.1.2")]
    assert markers and list(lines[markers[0]].get_xdata()) == [7, 7]
    assert "day 183: 9 of GlobalSign's intermediates revoked" in lines
    assert ax.get_ylabel() == "% of affected certificates"


def test_each_revocation_line_says_whose_intermediates_are_revoked() -> None:
    tl = simulate(ocsp_eku_2020(), n=10_000, seed=0)
    groups = revocation_groups(tl)
    assert groups[183.0] == {"GlobalSign": 9}
    assert sum(sum(c.values()) for c in groups.values()) == int((tl.revocation_days < 365).sum())
    ax = plot_timeline(tl, ax=Figure().add_subplot())
    dotted = [line.get_label() for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert dotted and all(" revoked" in k and ("'s intermediates" in k or " CAs" in k)
                          for k in dotted)  # fmt: skip
    assert any(k.startswith("day 200:") and "CAs" in k for k in dotted)
