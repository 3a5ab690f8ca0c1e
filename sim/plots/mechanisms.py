"""Figures for the revocation mechanisms: exposure windows, exposed clients, bandwidth.

The numbers come from ``sim.exposure``: :func:`sim.exposure.mechanism_table` for the bars
and the bandwidth scatter, :func:`sim.exposure.client_exposure` for the curve.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes

from sim.errors import ParameterError
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["bandwidth_vs_coverage", "clients_exposed_curve", "exposure_window_bars"]

_NEVER_LABEL = "never"


def exposure_window_bars(
    table: pd.DataFrame,
    *,
    scenario: str = "leaf",
    horizon_days: float = 30.0,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: days a client stays exposed after the revocation, per mechanism.

    A mechanism that never protects (infinite days, or coverage 0) gets a hatched bar to the
    horizon labelled "never"; a partial coverage is written next to its bar.

    Args:
        table: :func:`sim.exposure.mechanism_table`'s DataFrame.
        scenario: Which scenario's columns to draw (``leaf``, ``leaf_blocked``,
            ``intermediate_2020``).
        horizon_days: The x-axis limit; longer windows are drawn to it.
        ax: Axes to draw on; a new figure's when None.

    Returns:
        The axes.
    """
    days_col, covered_col = f"days_{scenario}", f"covered_{scenario}"
    if days_col not in table.columns or covered_col not in table.columns:
        raise ParameterError(f"scenario must name columns of the table, got {scenario!r}")
    if not (horizon_days > 0 and math.isfinite(horizon_days)):
        raise ParameterError(f"horizon_days must be a finite number > 0, got {horizon_days!r}")
    ax = new_axes(ax)
    labels = list(table["label"])
    positions = list(range(len(labels)))
    for y, (days, covered) in enumerate(zip(table[days_col], table[covered_col], strict=True)):
        never = math.isinf(days) or covered == 0.0
        width = horizon_days if never else min(days, horizon_days)
        colour = PALETTE["affected"] if never else PALETTE["accent"]
        ax.barh(y, width, color=colour, hatch="//" if never else None, edgecolor="white")
        if never:
            text = _NEVER_LABEL
        elif covered < 1.0:
            text = f"{days:.3g} d, covers {covered:.2%}"
        else:
            text = f"{days:.3g} d"
        ax.text(width, y, f" {text}", va="center", fontsize=11)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, horizon_days * 1.25)
    return style_axes(
        ax,
        title=f"How long clients stay exposed ({scenario.replace('_', ' ')}, worst case)",
        xlabel="days after the revocation",
        ylabel="",
    )


def clients_exposed_curve(exposure: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The share of clients still trusting the revoked certificates, day by day.

    Args:
        exposure: :func:`sim.exposure.client_exposure`'s DataFrame: one thin line per
            ``exposed_<profile>`` column, a thick one for ``exposed_all``.
        ax: Axes to draw on; a new figure's when None.

    Returns:
        The axes.
    """
    if "exposed_all" not in exposure.columns:
        raise ParameterError("exposure must be client_exposure's DataFrame (no exposed_all column)")
    ax = new_axes(ax)
    profiles = [c for c in exposure.columns if c.startswith("exposed_") and c != "exposed_all"]
    colours = [PALETTE["accent"], PALETTE["warning"], PALETTE["neutral"], PALETTE["expired"]]
    for k, column in enumerate(profiles):
        ax.plot(
            exposure.index,
            exposure[column],
            color=colours[k % len(colours)],
            linestyle="--",
            linewidth=1.5,
            label=column.removeprefix("exposed_"),
        )
    ax.plot(
        exposure.index,
        exposure["exposed_all"],
        color=PALETTE["affected"],
        linewidth=3,
        label="all clients",
    )
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper right")
    return style_axes(
        ax,
        title="Clients still trusting the revoked certificates",
        xlabel="day",
        ylabel="share of clients exposed",
    )


def bandwidth_vs_coverage(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bytes per client per day against the share of leaf revocations each mechanism covers.

    Args:
        table: :func:`sim.exposure.mechanism_table`'s DataFrame (``bytes_per_day``,
            ``coverage_leaf``, ``label``).
        ax: Axes to draw on; a new figure's when None.

    Returns:
        The axes (x on a symmetric log scale, so zero bytes stays visible).
    """
    for column in ("bytes_per_day", "coverage_leaf", "label"):
        if column not in table.columns:
            raise ParameterError(f"table must have a {column!r} column")
    ax = new_axes(ax)
    ax.scatter(table["bytes_per_day"], table["coverage_leaf"], s=80, color=PALETTE["accent"])
    for x, y, label in zip(
        table["bytes_per_day"], table["coverage_leaf"], table["label"], strict=True
    ):
        ax.annotate(str(label), (x, y), textcoords="offset points", xytext=(6, 6), fontsize=11)
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_ylim(-0.05, 1.1)
    return style_axes(
        ax,
        title="What a client downloads per day, and what it gets for it",
        xlabel="bytes per client per day",
        ylabel="share of leaf revocations covered",
    )
