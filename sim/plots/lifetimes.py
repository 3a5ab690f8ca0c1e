"""Certificate lifetimes compared: natural attrition and renewal cost."""

from __future__ import annotations

from matplotlib.axes import Axes

from sim.lifetimes import LifetimeComparison
from sim.plots.labels import label
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["plot_attrition", "plot_renewal_cost"]

_COLOURS = ("#000000", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#D55E00", "#56B4E9")


def _label(lifetime: float, lang: str) -> str:
    return label("lifetimes.days", lang, days=f"{lifetime:g}")


def plot_attrition(
    comparison: LifetimeComparison, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Percent of affected certificates still valid per day, one line per lifetime.

    Args:
        comparison: From ``sim.lifetimes.compare_lifetimes``.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; lines labelled ``"<L> days"``.
    """
    ax = new_axes(ax)
    frame = comparison.attrition
    days = frame.index.to_numpy()
    for k, life in enumerate(frame.columns):
        ax.plot(days, 100 * frame[life].to_numpy(), lw=2.5, color=_COLOURS[k % len(_COLOURS)],
                label=_label(float(life), lang))  # fmt: skip
    ax.set_ylim(0, 100)
    ax.legend(title=label("attrition.legend", lang), frameon=False)
    return style_axes(
        ax,
        title=label("attrition.title", lang),
        xlabel=label("attrition.xlabel", lang),
        ylabel=label("attrition.ylabel", lang),
        lang=lang,
    )


def plot_renewal_cost(
    comparison: LifetimeComparison, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Bars: renewals per year per site for each lifetime, labelled with the value.

    Args:
        comparison: From ``sim.lifetimes.compare_lifetimes``.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes.
    """
    ax = new_axes(ax)
    summary = comparison.summary
    labels = [_label(float(v), lang) for v in summary.index]
    values = summary["renewals_per_year"].to_numpy()
    bars = ax.bar(labels, values, color=PALETTE["accent"])
    ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], padding=3)
    return style_axes(
        ax,
        title=label("renewal.title", lang),
        xlabel=label("renewal.xlabel", lang),
        ylabel=label("renewal.ylabel", lang),
        lang=lang,
    )
