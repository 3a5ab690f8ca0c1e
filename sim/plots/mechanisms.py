"""Figures for the revocation mechanisms: exposure windows, exposed clients, bandwidth.

The numbers come from ``sim.mechanisms``: :func:`sim.mechanisms.mechanism_table` for the bars
and the bandwidth scatter, :func:`sim.mechanisms.client_exposure` for the curve.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from sim.errors import ParameterError
from sim.plots.labels import label, term
from sim.plots.style import PALETTE, break_mark, new_axes, style_axes

__all__ = ["bandwidth_vs_coverage", "clients_exposed_curve", "exposure_window_bars"]

def exposure_window_bars(
    table: pd.DataFrame,
    *,
    scenario: str = "leaf",
    horizon_days: float = 30.0,
    ax: Axes | None = None,
    lang: str = "en",
) -> Axes:
    """Horizontal bars: days a client stays exposed after the revocation, per mechanism.

    The x axis shows the first ``horizon_days`` days. A finite window is a blue bar of its true
    length; one longer than the horizon runs past the axis, cut by it, with a break mark
    (:func:`sim.plots.style.break_mark`) and its length written after the axis. A mechanism that
    never protects (infinite days, or coverage 0) gets a hatched vermilion bar to the horizon
    labelled "never". A partial coverage is written next to its bar. A legend says which is which.

    Args:
        table: :func:`sim.mechanisms.mechanism_table`'s DataFrame.
        scenario: Which scenario's columns to draw (``leaf``, ``leaf_blocked``,
            ``intermediate_2020``).
        horizon_days: The x-axis limit; longer windows run past it with a break mark.
        ax: Axes to draw on; a new figure's when None.
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes; ``ax.texts`` holds one label per bar, in the table's order.
    """
    days_col, covered_col = f"days_{scenario}", f"covered_{scenario}"
    if days_col not in table.columns or covered_col not in table.columns:
        raise ParameterError(f"scenario must name columns of the table, got {scenario!r}")
    if not (horizon_days > 0 and math.isfinite(horizon_days)):
        raise ParameterError(f"horizon_days must be a finite number > 0, got {horizon_days!r}")
    ax = new_axes(ax)
    labels = [term(str(v), lang) for v in table["label"]]
    positions = list(range(len(labels)))
    never_style = {"facecolor": PALETTE["affected"], "hatch": "//", "edgecolor": "white"}
    days_style = {"facecolor": PALETTE["accent"], "edgecolor": "white"}
    ax.set_xlim(0, horizon_days)
    # Rows top-down; one empty row at the bottom holds the legend.
    ax.set_ylim(len(labels) + 0.6, -0.6)
    cut: list[int] = []
    for y, (days, covered) in enumerate(zip(table[days_col], table[covered_col], strict=True)):
        never = math.isinf(days) or covered == 0.0
        if never:
            ax.barh(y, horizon_days, **never_style)  # type: ignore[arg-type]
            text = label("exposure.never", lang)
        else:
            ax.barh(y, days, **days_style)  # type: ignore[arg-type]
            amount = label("exposure.days", lang, days=f"{days:.3g}")
            text = (label("exposure.days_covers", lang, days=f"{days:.3g}",
                          covered=f"{covered:.2%}") if covered < 1.0 else amount)  # fmt: skip
            if days > horizon_days:
                cut.append(y)
        end = horizon_days if never or days > horizon_days else days
        ax.text(end, y, f" {text}", va="center", fontsize=11)
    for y in cut:
        break_mark(ax, horizon_days * 0.97, y)
    ax.set_yticks(positions, labels)
    handles = [
        Patch(**days_style, label=label("exposure.legend.days", lang)),  # type: ignore[arg-type]
        Patch(**never_style, label=label("exposure.legend.never", lang)),  # type: ignore[arg-type]
    ]
    ax.legend(handles=handles, loc="lower left", ncol=2, frameon=False, fontsize=11)
    return style_axes(
        ax,
        title=label("exposure.title", lang, scenario=label(f"exposure.scenario.{scenario}", lang)),
        xlabel=label("exposure.xlabel", lang, horizon=f"{horizon_days:g}"),
        ylabel="",
        lang=lang,
    )


def clients_exposed_curve(
    exposure: pd.DataFrame, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """The share of clients still trusting the revoked certificates, day by day.

    Args:
        exposure: :func:`sim.mechanisms.client_exposure`'s DataFrame: one thin line per
            ``exposed_<profile>`` column, a thick one for ``exposed_all``.
        ax: Axes to draw on; a new figure's when None.
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

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
            label=term(column.removeprefix("exposed_"), lang),
        )
    ax.plot(
        exposure.index,
        exposure["exposed_all"],
        color=PALETTE["affected"],
        linewidth=3,
        label=label("clients.all", lang),
    )
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper right")
    return style_axes(
        ax,
        title=label("clients.title", lang),
        xlabel=label("clients.xlabel", lang),
        ylabel=label("clients.ylabel", lang),
        lang=lang,
    )


def bandwidth_vs_coverage(
    table: pd.DataFrame, *, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Bytes per client per day against the share of leaf revocations each mechanism covers.

    Points that nearly coincide (the CRL and the three OCSP variants all cost about 100 kB a
    day and cover every leaf revocation) get their labels stacked below the point, each with a
    thin leader line, so that no two labels overlap.

    Args:
        table: :func:`sim.mechanisms.mechanism_table`'s DataFrame (``bytes_per_day``,
            ``coverage_leaf``, ``label``).
        ax: Axes to draw on; a new figure's when None.
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes (x on a symmetric log scale, so zero bytes stays visible); one annotation
        per mechanism, its ``xy`` at the mechanism's point.
    """
    for column in ("bytes_per_day", "coverage_leaf", "label"):
        if column not in table.columns:
            raise ParameterError(f"table must have a {column!r} column")
    ax = new_axes(ax)
    xs = [float(v) for v in table["bytes_per_day"]]
    ys = [float(v) for v in table["coverage_leaf"]]
    names = [term(str(v), lang) for v in table["label"]]
    ax.scatter(xs, ys, s=80, color=PALETTE["accent"])
    for members in _clusters(xs, ys):
        if len(members) == 1:
            (k,) = members
            ax.annotate(names[k], (xs[k], ys[k]), textcoords="offset points", xytext=(6, 6),
                        fontsize=11)  # fmt: skip
            continue
        for row, k in enumerate(sorted(members, key=lambda m: (xs[m], names[m]))):
            ax.annotate(
                names[k], (xs[k], ys[k]), textcoords="offset points",
                xytext=(-12, -16 - 17 * row), ha="right", va="top", fontsize=11,
                arrowprops={"arrowstyle": "-", "color": PALETTE["neutral"], "lw": 0.8},
            )  # fmt: skip
    ax.set_xscale("symlog", linthresh=1000)
    ax.set_ylim(-0.05, 1.1)
    return style_axes(
        ax,
        title=label("bandwidth.title", lang),
        xlabel=label("bandwidth.xlabel", lang),
        ylabel=label("bandwidth.ylabel", lang),
        lang=lang,
    )


def _clusters(xs: list[float], ys: list[float]) -> list[list[int]]:
    """Indices of points closer than a factor of 2 in x (log) and 0.05 in y, grouped."""
    groups: list[list[int]] = []
    for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
        for group in groups:
            gx, gy = xs[group[0]], ys[group[0]]
            if abs(y - gy) < 0.05 and abs(math.log10(x + 1) - math.log10(gx + 1)) < math.log10(2):
                group.append(k)
                break
        else:
            groups.append([k])
    return groups
