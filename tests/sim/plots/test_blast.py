"""sim.plots.blast: bars per CA and a hierarchy treemap."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.blast import BlastRadius, blast_radius
from sim.incident import ocsp_eku_2020, simulate
from sim.plots.blast import plot_blast_by_ca, plot_blast_hierarchy
from sim.plots.style import PALETTE


@pytest.fixture(scope="module")
def blast() -> BlastRadius:
    return blast_radius(simulate(ocsp_eku_2020(cas=("GlobalSign", "HARICA")), n=20_000, seed=0), 7)


def test_bars_show_each_ca_count_largest_on_top(blast: BlastRadius) -> None:
    ax = plot_blast_by_ca(blast, ax=Figure().add_subplot())
    widths = [p.get_width() for p in ax.patches]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == next(iter(blast.by_ca))
    assert widths[::-1] == list(blast.by_ca.values())
    assert f"{blast.certificates:,.0f} certificates" in ax.get_title(loc="left")
    assert ax.get_title(loc="left").startswith("Simulated population")
    assert "simulated" in ax.get_xlabel()


def test_treemap_highlights_affected_subtrees(blast: BlastRadius) -> None:
    ax = plot_blast_hierarchy(blast, ax=Figure().add_subplot())
    cells = {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle)}
    by_name = {r.name: r for r in blast.by_intermediate}
    area = sum(
        c.get_width() * c.get_height() for k, c in cells.items() if not k.startswith("breaking:")
    )
    assert area == pytest.approx(1.0)
    for name, row in by_name.items():
        expected = PALETTE["affected"] if row.affected else PALETTE["neutral"]
        assert to_hex(cells[name].get_facecolor()).upper() == expected.upper()
    assert any(f"breaking:{r.name}" in cells for r in blast.by_intermediate if r.affected)
    assert not any(f"breaking:{r.name}" in cells for r in blast.by_intermediate if not r.affected)
    assert "GlobalSign" in [t.get_text() for t in ax.texts]
    assert ax.get_title(loc="left").startswith("Simulated population")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["still served on day 7 (breaks once revoked)",
                      "affected, leaves already moved", "not affected"]  # fmt: skip
