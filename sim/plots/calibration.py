"""Calibration: the model's curve against each observed fraction of real events."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes

from sim.calibration import EventFit
from sim.holdout import HeldOut
from sim.plots.labels import label, term
from sim.plots.style import new_axes, style_axes

__all__ = ["plot_calibration", "plot_heldout"]

_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def plot_calibration(
    data: Sequence[tuple[EventFit, npt.NDArray[np.float64], npt.NDArray[np.float64]]],
    *,
    ax: Axes | None = None,
    lang: str = "en",
) -> Axes:
    """One model line per fitted row and its observed point, on a log day axis.

    Args:
        data: ``(fit, days, modelled)`` triples, e.g.
            ``[(f, *sim.calibration.model_curve(f)) for f in sim.calibration.fit_all()]``.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`); event and
            metric names are looked up as terms (:func:`sim.plots.labels.term`).

    Returns:
        The axes: a line labelled ``"<event> <metric> (model)"`` and a marker labelled
        ``"<event> <metric> (observed)"`` per row; schedule facts are drawn dashed.
    """
    ax = new_axes(ax)
    for k, (fit, days, values) in enumerate(data):
        obs = fit.observation
        colour = _COLOURS[k % len(_COLOURS)]
        name = f"{term(obs.event, lang)} {term(obs.metric, lang)}"
        keep = days >= 1
        ax.plot(days[keep], 100 * values[keep], color=colour, lw=2,
                ls="--" if fit.kind == "schedule" else "-",
                label=label("calibration.model", lang, name=name))  # fmt: skip
        ax.plot([obs.observed_day], [100 * obs.observed_fraction], marker="o", ms=9,
                ls="none", color=colour,
                label=label("calibration.observed", lang, name=name))  # fmt: skip
    ax.set_xscale("log")
    ax.set_ylim(0, 105)
    # Beside the axes, not over the curves: the observed points sit near the top left.
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return style_axes(
        ax,
        title=label("calibration.title", lang),
        xlabel=label("calibration.xlabel", lang),
        ylabel=label("calibration.ylabel", lang),
        lang=lang,
    )


#: Bar colours of ``plot_heldout``: observed, fitted (in-sample) and predicted (held out).
_HELDOUT_BARS = (("observed", "#000000"), ("fitted", "#56B4E9"), ("predicted", "#D55E00"))


def plot_heldout(rows: Sequence[HeldOut], *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Observed, fitted and predicted (leave one event out) side by side, per checked row.

    Args:
        rows: ``sim.holdout.held_out()``; rows with role ``"input"`` (schedule facts) are left
            out, they check nothing.
        ax: Axes to draw on (default: a new figure's).
        lang: Language of the labels (``sim.plots.labels``).

    Returns:
        The axes: one group of bars per row, labelled with its event and metric; the bar
        containers are labelled ``observed``, ``fitted`` and ``predicted`` (in ``lang``; a row
        without a prediction has no predicted bar).
    """
    ax = new_axes(ax)
    checks = [r for r in rows if r.role == "check"]
    width = 0.27
    for j, (bar, colour) in enumerate(_HELDOUT_BARS):
        xs, heights = [], []
        for k, r in enumerate(checks):
            value = {"observed": r.fit.observation.observed_fraction,
                     "fitted": r.fit.modelled_fraction, "predicted": r.fraction}[bar]  # fmt: skip
            if value is not None:
                xs.append(k + (j - 1) * width)
                heights.append(100 * value)
        ax.bar(xs, heights, width=width, color=colour, label=label(f"heldout.{bar}", lang))
    ax.set_xticks(range(len(checks)))
    ax.set_xticklabels(
        [
            f"{term(r.fit.observation.event, lang)}\n{term(r.fit.observation.metric, lang)}"
            .replace("_", " ")
            for r in checks
        ],
        fontsize=8,
    )
    ax.legend(fontsize=9, frameon=False)
    return style_axes(
        ax,
        title=label("heldout.title", lang),
        xlabel=label("heldout.xlabel", lang),
        ylabel=label("heldout.ylabel", lang),
        lang=lang,
    )
