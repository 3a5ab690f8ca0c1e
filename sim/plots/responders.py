"""Today's exposure (lesson 8): valid CA certificates with OCSPSigning, by issuer."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes

from sim.plots.labels import label
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["plot_responders_by_issuer"]


def plot_responders_by_issuer(
    rows: Sequence[tuple[str, int, int]],
    *,
    as_of: str,
    ax: Axes | None = None,
    top: int = 12,
    lang: str = "en",
) -> Axes:
    """Stacked horizontal bars per issuer: responders on the 2020 list, and those not on it.

    Args:
        rows: ``(issuer organisation, responders, of which not on the 2020 list)``, largest
            first, as `sim.responders.by_issuer_organization` returns them.
        as_of: the date of the question, for the title.
        ax: Axes to draw on (default: a new figure's).
        top: How many issuers to show.
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes, with a legend naming both colours.
    """
    ax = new_axes(ax)
    shown = list(rows)[:top][::-1]
    names = [name if len(name) <= 40 else name[:39] + "…" for name, _, _ in shown]
    listed = [total - new for _, total, new in shown]
    fresh = [new for _, _, new in shown]
    ax.barh(names, listed, color=PALETTE["neutral"], label=label("responders.legend.listed", lang))
    bars = ax.barh(names, fresh, left=listed, color=PALETTE["affected"],
                   label=label("responders.legend.new", lang))  # fmt: skip
    totals = [a + b for a, b in zip(listed, fresh, strict=True)]
    ax.bar_label(bars, labels=[str(t) for t in totals], padding=3, fontsize=10)
    ax.set_xlim(0, max(totals, default=1) * 1.12)
    ax.legend(loc="lower right", frameon=False)
    total = sum(t for _, t, _ in rows)
    new_total = sum(n for _, _, n in rows)
    return style_axes(
        ax,
        title=label("responders.title", lang, as_of=as_of, total=total, new=new_total),
        xlabel=label("responders.xlabel", lang),
        ylabel=label("responders.ylabel", lang),
        lang=lang,
    )
