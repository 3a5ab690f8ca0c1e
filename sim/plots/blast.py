"""The blast radius of a mass revocation: by CA (bars) and by hierarchy (treemap)."""

from __future__ import annotations

from itertools import groupby

from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from sim.incident import BlastRadius
from sim.plots.labels import label
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["plot_blast_by_ca", "plot_blast_hierarchy"]


def plot_blast_by_ca(
    blast: BlastRadius, *, ax: Axes | None = None, top: int = 15, lang: str = "en"
) -> Axes:
    """Horizontal bars: certificates that break per CA if revocation happens on ``blast.day``.

    The counts come from a simulated population of leaf certificates under the real 2020
    hierarchy (``sim.incident.simulate``), and the title says so.

    Args:
        blast: A blast-radius summary.
        ax: Axes to draw on (default: a new figure's).
        top: How many CAs to show (largest first).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; bars top-down from the largest CA, each labelled with its count.
    """
    ax = new_axes(ax)
    items = list(blast.by_ca.items())[:top]
    names = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    bars = ax.barh(names, values, color=PALETTE["affected"])
    ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3, fontsize=10)
    return style_axes(
        ax,
        title=label("blast.title", lang, day=blast.day, certificates=f"{blast.certificates:,.0f}",
                    sites=f"{blast.sites:,.0f}"),
        xlabel=label("blast.xlabel", lang),
        ylabel=label("blast.ylabel", lang),
        lang=lang,
    )  # fmt: skip


def plot_blast_hierarchy(
    blast: BlastRadius, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Treemap of the hierarchy: one column per CA, one cell per intermediate.

    Column width is the CA's share of leaves and cell height the intermediate's share within
    it (slice-and-dice layout). Affected intermediates are filled in the "affected" colour,
    with the part still served on ``blast.day`` (what breaks) drawn darker; unaffected ones are
    grey. Each CA column is labelled with its name when wide enough; a legend under the map
    explains the three fills.

    Args:
        blast: A blast-radius summary.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; each patch's ``get_gid()`` is the intermediate's name.
    """
    ax = new_axes(ax)
    total = sum(r.leaves for r in blast.by_intermediate) or 1.0
    x = 0.0
    for ca, rows_iter in groupby(blast.by_intermediate, key=lambda r: r.ca):
        rows = list(rows_iter)
        ca_leaves = sum(r.leaves for r in rows)
        width = ca_leaves / total
        y = 0.0
        for r in rows:
            height = r.leaves / ca_leaves if ca_leaves else 0.0
            colour = PALETTE["affected"] if r.affected else PALETTE["neutral"]
            cell = Rectangle((x, y), width, height, facecolor=colour, edgecolor="white",
                             lw=0.4, alpha=0.45, gid=r.name)  # fmt: skip
            ax.add_patch(cell)
            if r.affected and r.leaves > 0:
                part = height * r.breaking / r.leaves
                ax.add_patch(Rectangle((x, y), width, part, facecolor=PALETTE["affected"],
                                       edgecolor="none", gid=f"breaking:{r.name}"))  # fmt: skip
            y += height
        if width > 0.04:
            ax.text(x + width / 2, 0.5, ca, rotation=90, ha="center", va="center", fontsize=9)
        x += width
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.set_yticks([])
    handles = [
        Patch(facecolor=PALETTE["affected"], edgecolor="none",
              label=label("hierarchy.legend.breaking", lang, day=blast.day)),
        Patch(facecolor=PALETTE["affected"], edgecolor="white", lw=0.4, alpha=0.45,
              label=label("hierarchy.legend.affected", lang)),
        Patch(facecolor=PALETTE["neutral"], edgecolor="white", lw=0.4, alpha=0.45,
              label=label("hierarchy.legend.unaffected", lang)),
    ]  # fmt: skip
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.08), ncol=3,
              frameon=False, fontsize=10)  # fmt: skip
    return style_axes(
        ax,
        title=label("hierarchy.title", lang, day=blast.day),
        xlabel="",
        ylabel=label("hierarchy.ylabel", lang),
        lang=lang,
    )
