"""The blast radius: what breaks if every affected intermediate of a timeline is revoked on a day.

Reads a :class:`sim.incident.Timeline`; ``sim.plots.blast`` and ``sim.plots.hierarchy`` draw
the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ParameterError
from sim.incident import Timeline
from sim.policy import LeafKind

__all__ = ["BlastRadius", "IntermediateBlast", "blast_radius"]


@dataclass(frozen=True)
class IntermediateBlast:
    """One intermediate in a blast-radius summary.

    Attributes:
        name: Intermediate name.
        ca: Its CA.
        leaves: Its certificates in the population.
        breaking: Those that break if it is revoked on the summary's day (0 if not affected).
        affected: Whether the scenario affects it.
    """

    name: str
    ca: str
    leaves: float
    breaking: float
    affected: bool


@dataclass(frozen=True)
class BlastRadius:
    """What breaks if every affected intermediate is revoked on ``day``.

    Attributes:
        day: Days after disclosure.
        certificates: Certificates still served under affected intermediates on ``day``.
        sites: TLS certificates among them times ``sites_per_certificate``.
        total: Certificates under affected intermediates at disclosure.
        by_ca: CA -> certificates that break, largest first.
        by_intermediate: Every populated intermediate, largest CA first.
    """

    day: int
    certificates: float
    sites: float
    total: float
    by_ca: Mapping[str, float]
    by_intermediate: tuple[IntermediateBlast, ...]


def _served(frame: pd.DataFrame | pd.Series) -> pd.Series:
    out: pd.Series = frame["affected"] + frame["broken"]
    return out


def blast_radius(
    timeline: Timeline, day: int, *, sites_per_certificate: float = 1.0
) -> BlastRadius:
    """The blast radius of revoking every affected intermediate on ``day``.

    A certificate breaks if it is still served (``affected`` or ``broken``) on that day.
    Sites: one TLS certificate may name several sites; no public average exists for the 2020
    population, so ``sites_per_certificate`` is a parameter (default 1).

    Args:
        timeline: A simulated timeline.
        day: Day of the revocation, in [0, timeline.days - 1].
        sites_per_certificate: Sites per TLS certificate, > 0.

    Raises:
        ParameterError: ``day`` or ``sites_per_certificate`` out of range.
    """
    if isinstance(day, bool) or not isinstance(day, (int, np.integer)):
        raise ParameterError(f"day must be an integer in [0, {timeline.days - 1}], got {day!r}")
    if not 0 <= day < timeline.days:
        raise ParameterError(f"day must be in [0, {timeline.days - 1}], got {day}")
    if not (math.isfinite(sites_per_certificate) and sites_per_certificate > 0):
        raise ParameterError(f"sites_per_certificate must be > 0, got {sites_per_certificate!r}")
    by_ca = _served(timeline.by("ca").xs(day, level="day"))
    by_inter = _served(timeline.by("intermediate").xs(day, level="day"))
    by_kind = _served(timeline.by("kind").xs(day, level="day"))
    rows = [
        IntermediateBlast(
            name=str(name), ca=timeline.ca_by_intermediate[str(name)], leaves=float(leaves),
            breaking=float(by_inter.get(name, 0.0)),
            affected=str(name) in timeline.revocation_days.index,
        )
        for name, leaves in timeline.leaves_by_intermediate.items()
    ]  # fmt: skip
    ca_size: dict[str, float] = {}
    for r in rows:
        ca_size[r.ca] = ca_size.get(r.ca, 0.0) + r.leaves
    rows.sort(key=lambda r: (-ca_size[r.ca], r.ca, -r.leaves, r.name))
    ordered = by_ca[by_ca > 0].sort_values(ascending=False, kind="stable")
    return BlastRadius(
        day=int(day),
        certificates=float(_served(timeline.overall).to_numpy()[day]),
        sites=float(by_kind.get(LeafKind.TLS, 0.0)) * sites_per_certificate,
        total=timeline.total,
        by_ca={str(k): float(v) for k, v in ordered.items()},
        by_intermediate=tuple(rows),
    )
