"""The mass-revocation timeline: what happens to affected certificates day by day."""

from __future__ import annotations

from collections import Counter

from matplotlib.axes import Axes

from sim.incident import STATES, Timeline
from sim.plots.labels import label, term
from sim.plots.style import PALETTE, new_axes, style_axes

__all__ = ["plot_timeline", "revocation_groups"]


def revocation_groups(timeline: Timeline) -> dict[float, Counter[str]]:
    """Whose revocation happens on each day: day -> CA -> intermediates revoked that day.

    Args:
        timeline: A simulated timeline.

    Returns:
        Days in order (only those inside the timeline), each with a count per CA.
    """
    groups: dict[float, Counter[str]] = {}
    for name, day in timeline.revocation_days.sort_values(kind="stable").items():
        day = float(day)
        if 0 <= day < timeline.days:
            ca = timeline.ca_by_intermediate.get(str(name), "?")
            groups.setdefault(day, Counter())[ca] += 1
    return groups


def _whose(cas: Counter[str], lang: str) -> str:
    """"3 GlobalSign intermediates", "12 intermediates of GlobalSign and HARICA", "of 11 CAs"."""
    count = sum(cas.values())
    names = sorted(cas, key=lambda c: (-cas[c], c))
    if len(names) == 1:
        return label("timeline.whose.one", lang, count=count, ca=names[0])
    if len(names) == 2:
        return label("timeline.whose.two", lang, count=count, a=names[0], b=names[1])
    return label("timeline.whose.many", lang, count=count, cas=len(names))


def plot_timeline(timeline: Timeline, *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Percent of affected certificates in each state per day, with deadline markers.

    Draws one line per state (``sim.incident.STATES``), a dashed vertical line per deadline
    marker of the timeline, and a dotted one per distinct revocation day, whose legend entry
    says whose intermediates are revoked that day (see :func:`revocation_groups`).

    Args:
        timeline: A simulated timeline.
        ax: Axes to draw on (default: a new figure's).
        lang: The language of the words (:data:`sim.plots.labels.LANGUAGES`).

    Returns:
        The axes.
    """
    ax = new_axes(ax)
    frac = timeline.fractions() * 100.0
    days = frac.index.to_numpy()
    for state in STATES:
        ax.plot(days, frac[state].to_numpy(), color=PALETTE[state], lw=2.5,
                label=label(f"timeline.state.{state}", lang))  # fmt: skip
    groups = revocation_groups(timeline)
    for name, day in timeline.deadlines.items():
        if 0 <= day < timeline.days:
            ax.axvline(day, color=PALETTE["neutral"], ls="--", lw=1.2,
                       label=label("timeline.deadline", lang, name=term(name, lang),
                                   day=f"{day:g}"))  # fmt: skip
    for day, cas in groups.items():
        if day not in timeline.deadlines.values():
            ax.axvline(day, color=PALETTE["broken"], ls=":", lw=1.5,
                       label=label("timeline.revocation", lang, whose=_whose(cas, lang),
                                   day=f"{day:g}"))  # fmt: skip
    ax.set_xlim(0, max(timeline.days - 1, 1))
    ax.set_ylim(0, 100)
    ax.legend(loc="center right", fontsize=10, frameon=False)
    start = timeline.start.date().isoformat()
    return style_axes(
        ax,
        title=label("timeline.title", lang, scenario=term(timeline.scenario, lang)),
        xlabel=label("timeline.xlabel", lang, start=start),
        ylabel=label("timeline.ylabel", lang),
        lang=lang,
    )
