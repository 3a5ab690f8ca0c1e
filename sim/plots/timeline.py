"""The mass-revocation timeline: what happens to affected certificates day by day."""

from __future__ import annotations

from matplotlib.axes import Axes

from sim.incident import STATES, Timeline
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["plot_timeline"]

_LABELS = {
    "affected": "still affected (valid, not yet revoked)",
    "replaced": "replaced",
    "expired": "expired naturally",
    "broken": "broken (served under a revoked intermediate)",
}


def plot_timeline(timeline: Timeline, *, ax: Axes | None = None) -> Axes:
    """Percent of affected certificates in each state per day, with deadline markers.

    Draws one line per state (``sim.incident.STATES``), a dashed vertical line per deadline
    marker of the timeline, and a dotted one per distinct revocation day.

    Args:
        timeline: A simulated timeline.
        ax: Axes to draw on (default: a new figure's).

    Returns:
        The axes.
    """
    ax = new_axes(ax)
    frac = timeline.fractions() * 100.0
    days = frac.index.to_numpy()
    for state in STATES:
        ax.plot(days, frac[state].to_numpy(), color=PALETTE[state], lw=2.5,
                label=_LABELS[state])  # fmt: skip
    for name, day in timeline.deadlines.items():
        if 0 <= day < timeline.days:
            ax.axvline(
                day, color=PALETTE["neutral"], ls="--", lw=1.2, label=f"{name} (day {day:g})"
            )
    for day in sorted(set(timeline.revocation_days)):
        if 0 <= day < timeline.days and day not in timeline.deadlines.values():
            ax.axvline(
                day, color=PALETTE["broken"], ls=":", lw=1.2, label=f"revocation (day {day:g})"
            )
    ax.set_xlim(0, max(timeline.days - 1, 1))
    ax.set_ylim(0, 100)
    ax.legend(loc="center right", fontsize=10, frameon=False)
    start = timeline.start.date().isoformat()
    return style_axes(
        ax,
        title=f"{timeline.scenario}: affected certificates over time",
        xlabel=f"days after disclosure ({start})",
        ylabel="% of affected certificates",
    )
