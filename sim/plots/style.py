"""One visual style for every figure: readable on a 16:9 slide and in a notebook."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["PALETTE", "SLIDE_SIZE", "new_axes", "style_axes"]

#: Figure size in inches for a 16:9 slide at 100 dpi (1600 x 900 px at dpi=100).
SLIDE_SIZE: tuple[float, float] = (16.0, 9.0)

#: Colours with meaning, the same in every figure (colour-blind safe, Okabe-Ito).
PALETTE: dict[str, str] = {
    "affected": "#D55E00",  # vermilion: still exposed / still affected
    "replaced": "#009E73",  # bluish green: replaced
    "expired": "#56B4E9",  # sky blue: expired naturally
    "broken": "#CC79A7",  # reddish purple: broken (served under a revoked intermediate)
    "neutral": "#999999",
    "accent": "#0072B2",  # blue
    "warning": "#E69F00",  # orange
    "model": "#000000",
}

_FONT = {"title": 16, "label": 13, "tick": 11}


def new_axes(ax: Axes | None) -> Axes:
    """Return ``ax`` or the axes of a new figure, so that figure functions can take ``ax=None``."""
    if ax is not None:
        return ax
    fig = Figure(figsize=(10, 5.625), layout="constrained")
    return fig.add_subplot()


def style_axes(ax: Axes, *, title: str, xlabel: str, ylabel: str, **_: Any) -> Axes:
    """Apply the shared style: title, labels, light grid, no top/right spines."""
    ax.set_title(title, fontsize=_FONT["title"], loc="left")
    ax.set_xlabel(xlabel, fontsize=_FONT["label"])
    ax.set_ylabel(ylabel, fontsize=_FONT["label"])
    ax.tick_params(labelsize=_FONT["tick"])
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
