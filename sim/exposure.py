"""What clients are exposed to: each mechanism's worst case, and a client mix over a timeline.

:func:`mechanism_table` puts every mechanism of :mod:`sim.mechanisms` through the standard
revocation cases; :func:`client_exposure` weighs protections by a :class:`ClientMix` day by
day; :func:`timeline_exposure` feeds it one revoked intermediate of a ``sim.incident``
timeline.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.errors import ParameterError
from sim.mechanisms import default_mechanisms
from sim.protection import (
    HOURS_PER_DAY,
    LABELS,
    NEVER_PROTECTS,
    Mechanism,
    MechanismConfig,
    Protection,
    Reason,
    RevocationEvent,
    Target,
    check_fraction,
)

__all__ = [
    "ClientMix",
    "ClientProfile",
    "RevocationCase",
    "browser_mix",
    "case_revocation",
    "client_exposure",
    "mechanism_table",
    "timeline_exposure",
    "worst_case_protections",
]

# Relative results do not depend on the instant: this fixed one only anchors worst cases.
_REFERENCE_TIME = dt.datetime(2020, 7, 1, tzinfo=dt.UTC)


class RevocationCase(StrEnum):
    """The standard revocations of the mechanism table."""

    LEAF = "leaf"
    LEAF_BLOCKED = "leaf_blocked"
    INTERMEDIATE_2020 = "intermediate_2020"


def case_revocation(scenario: RevocationCase, revoked_at: dt.datetime) -> RevocationEvent:
    """The :class:`RevocationEvent` of a standard scenario.

    Args:
        scenario: ``leaf``: a leaf revoked for key compromise, its key in the attacker's hands;
            ``leaf_blocked``: the same, and the attacker blocks OCSP/CRL downloads;
            ``intermediate_2020``: an intermediate with id-kp-OCSPSigning revoked, its key
            able to sign "good" OCSP answers about itself, and not destroyed.
        revoked_at: The revocation time (timezone-aware).

    Returns:
        The revocation.
    """
    scenario = RevocationCase(scenario)
    if scenario is RevocationCase.INTERMEDIATE_2020:
        return RevocationEvent(
            revoked_at, Target.INTERMEDIATE, Reason.UNSPECIFIED, self_vouching=True
        )
    return RevocationEvent(
        revoked_at,
        Target.LEAF,
        Reason.KEY_COMPROMISE,
        blocks_responder=scenario is RevocationCase.LEAF_BLOCKED,
    )


def worst_case_protections(
    revocation: RevocationEvent, mechanisms: Mapping[Mechanism, MechanismConfig] | None = None
) -> dict[Mechanism, Protection]:
    """Each mechanism's protection when the revocation comes right after its publication.

    Args:
        revocation: The revocation.
        mechanisms: Configurations; :func:`default_mechanisms` when None.

    Returns:
        The protection per mechanism, in the mapping's order.
    """
    configs = default_mechanisms() if mechanisms is None else mechanisms
    return {
        m: config.time_to_protection(revocation, last_published_at=revocation.revoked_at)
        for m, config in configs.items()
    }


def mechanism_table(
    mechanisms: Mapping[Mechanism, MechanismConfig] | None = None,
) -> pd.DataFrame:
    """The table of mechanisms: worst-case time to protection and bandwidth.

    Args:
        mechanisms: Configurations; :func:`default_mechanisms` when None.

    Returns:
        One row per mechanism (index: the mechanism's value) with columns ``label``,
        ``days_<scenario>`` and ``covered_<scenario>`` for each :class:`RevocationCase` (days are
        ``inf`` for never; covered is the coverage), ``coverage_leaf``,
        ``coverage_intermediate`` and ``bytes_per_day``.
    """
    configs = default_mechanisms() if mechanisms is None else dict(mechanisms)
    rows: dict[str, dict[str, Any]] = {m.value: {"label": LABELS[m]} for m in configs}
    for scenario in RevocationCase:
        revocation = case_revocation(scenario, _REFERENCE_TIME)
        for m, protection in worst_case_protections(revocation, configs).items():
            never = protection.never
            rows[m.value][f"days_{scenario.value}"] = NEVER_PROTECTS if never else protection.days
            rows[m.value][f"covered_{scenario.value}"] = protection.coverage
    for m, config in configs.items():
        rows[m.value]["coverage_leaf"] = config.coverage(Target.LEAF)
        rows[m.value]["coverage_intermediate"] = config.coverage(Target.INTERMEDIATE)
        rows[m.value]["bytes_per_day"] = float(config.bytes_per_day)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "mechanism"
    return table


@dataclass(frozen=True)
class ClientProfile:
    """A kind of TLS client and the mechanisms it relies on.

    Attributes:
        name: A short name (a column name of :func:`client_exposure`).
        share: Its share of all clients (0..1).
        mechanisms: The mechanisms it uses; any one that protects suffices. Empty: the
            client never checks revocation (curl by default, many mobile apps).
    """

    name: str
    share: float
    mechanisms: tuple[Mechanism, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.isidentifier():
            raise ParameterError(f"name must be a non-empty identifier, got {self.name!r}")
        check_fraction(f"share of {self.name}", self.share)
        for m in self.mechanisms:
            if not isinstance(m, Mechanism):
                raise ParameterError(
                    f"mechanisms of {self.name} must be Mechanism members, got {m!r}"
                )


@dataclass(frozen=True)
class ClientMix:
    """A population of clients: profiles whose shares sum to 1.

    Attributes:
        profiles: The client profiles, names unique.
    """

    profiles: tuple[ClientProfile, ...]

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ParameterError("profiles must name at least one client profile")
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ParameterError(f"profile names must be unique, got {names}")
        total = math.fsum(p.share for p in self.profiles)
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ParameterError(f"profile shares must sum to 1, got {total:g}")


def browser_mix(*, chrome: float = 0.6, firefox: float = 0.1, other: float = 0.3) -> ClientMix:
    """The lessons' client mix: Chrome, Firefox, and clients that never check.

    Chrome relies on CRLSets (no online checks by default); desktop Firefox on OneCRL for
    intermediates and CRLite for leaves (OCSP off since Firefox 142); "other" (curl, most
    mobile apps and libraries) checks nothing. The default shares are illustrative, not
    measured: move them in the lessons.

    Args:
        chrome: Share of Chrome (and Chromium-based) clients, 0..1.
        firefox: Share of desktop Firefox clients, 0..1.
        other: Share of clients that never check, 0..1.

    Returns:
        The mix (shares must sum to 1).
    """
    return ClientMix(
        (
            ClientProfile("chrome", chrome, (Mechanism.CRLSET,)),
            ClientProfile("firefox", firefox, (Mechanism.ONECRL, Mechanism.CRLITE)),
            ClientProfile("other", other, ()),
        )
    )


def client_exposure(
    served: Sequence[float] | np.ndarray[Any, Any] | pd.Series[Any],
    *,
    revocation_day: int,
    protections: Mapping[Mechanism, Protection],
    mix: ClientMix,
) -> pd.DataFrame:
    """The share of clients still trusting a revoked certificate, day by day.

    Plain inputs, so any timeline fits: ``served`` is, per day, the number of certificates
    still served that the revocation should stop (served under a revoked intermediate, or
    revoked but not yet replaced). The revocation happens at the start of
    ``revocation_day``; day ``d`` is evaluated at its start, ``(d - revocation_day) * 24``
    hours later. A client is protected once any of its mechanisms protects; partial
    coverages combine as independent chances.

    Args:
        served: Per-day counts (a Series keeps its index), each >= 0.
        revocation_day: Position of the revocation day in ``served``.
        protections: One :class:`Protection` per mechanism the mix uses (e.g. from
            :func:`worst_case_protections`).
        mix: The client mix.

    Returns:
        A DataFrame with ``served``, one ``exposed_<profile>`` column per profile (share of
        those clients still trusting), ``exposed_all`` (the mix-weighted share) and
        ``accepted`` (``served * exposed_all``: certificates a random client still accepts).
        Exposure is NaN before the revocation day.
    """
    counts = np.asarray(served, dtype=float)
    if counts.ndim != 1 or counts.size == 0:
        raise ParameterError("served must be a non-empty one-dimensional sequence of counts")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ParameterError("served must hold finite counts >= 0")
    if not (isinstance(revocation_day, int | np.integer) and 0 <= revocation_day < counts.size):
        raise ParameterError(f"revocation_day must be an integer in [0, {counts.size - 1}]")
    missing = sorted(
        {m.value for p in mix.profiles for m in p.mechanisms} - {m.value for m in protections}
    )
    if missing:
        raise ParameterError(
            f"protections must include every mechanism of the mix; missing {missing}"
        )
    index = (
        served.index if isinstance(served, pd.Series) else pd.RangeIndex(counts.size, name="day")
    )
    elapsed = (np.arange(counts.size) - int(revocation_day)) * HOURS_PER_DAY
    frame = pd.DataFrame({"served": counts}, index=index)
    total = np.zeros(counts.size)
    for profile in mix.profiles:
        exposed = np.ones(counts.size)
        for m in profile.mechanisms:
            exposed *= np.array([protections[m].exposed(float(h)) for h in elapsed])
        exposed[elapsed < 0] = np.nan
        frame[f"exposed_{profile.name}"] = exposed
        total += profile.share * exposed
    frame["exposed_all"] = total
    frame["accepted"] = counts * total
    return frame


class _TimelineLike(Protocol):
    """What :func:`timeline_exposure` needs of a ``sim.incident.Timeline``."""

    @property
    def revocation_days(self) -> pd.Series[Any]:
        """Affected intermediate name -> revocation day (``inf``: not revoked)."""

    def by(self, level: str) -> pd.DataFrame:
        """Counts per ``(day, level)`` with columns ``affected`` and ``broken`` among others."""


def timeline_exposure(
    timeline: _TimelineLike,
    intermediate: str,
    *,
    mix: ClientMix,
    mechanisms: Mapping[Mechanism, MechanismConfig] | None = None,
    self_vouching: bool = True,
) -> pd.DataFrame:
    """:func:`client_exposure` for one revoked intermediate of a ``sim.incident`` timeline.

    The certificates the revocation should stop are those still served under the
    intermediate (``affected + broken`` of ``timeline.by("intermediate")``); it is revoked at
    the start of ``floor(timeline.revocation_days[intermediate])``, in the worst case for
    every mechanism (right after its publication).

    Args:
        timeline: A ``sim.incident.Timeline`` (or anything with ``by`` and ``revocation_days``).
        intermediate: The intermediate's name, as in ``timeline.revocation_days``.
        mix: The client mix.
        mechanisms: Configurations; :func:`default_mechanisms` when None.
        self_vouching: The intermediate can sign "good" OCSP answers about itself (2020).

    Returns:
        The DataFrame of :func:`client_exposure`, indexed by the timeline's days.

    Raises:
        ParameterError: unknown intermediate, or one not revoked within the timeline.
    """
    days = timeline.revocation_days
    if intermediate not in days.index:
        raise ParameterError(f"intermediate must be one of the timeline's, got {intermediate!r}")
    by = timeline.by("intermediate").xs(intermediate, level="intermediate")
    served = by["affected"] + by["broken"]
    day = float(days[intermediate])
    if not (math.isfinite(day) and 0 <= day < len(served)):
        raise ParameterError(
            f"intermediate {intermediate!r} is not revoked within the timeline (day {day:g})"
        )
    revocation = RevocationEvent(_REFERENCE_TIME, Target.INTERMEDIATE, self_vouching=self_vouching)
    return client_exposure(
        served,
        revocation_day=math.floor(day),
        protections=worst_case_protections(revocation, mechanisms),
        mix=mix,
    )
