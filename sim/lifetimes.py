"""Certificate lifetimes compared: attrition, renewal cost and key-compromise exposure.

For a steady-state population, the age of a certificate at a random instant is uniform on its
lifetime, so its remaining validity is uniform on ``[0, L]``:

* natural attrition: the fraction of affected certificates still valid ``d`` days after an
  incident if nothing is forced is ``max(0, 1 - d / L)``;
* renewals per year per site: ``365.25 / (L - renew_before)``, with ``renew_before`` a fraction
  of the lifetime (Certbot renews with one third of the lifetime left; docs/sources.md).
  This is the operational cost the seed article weighs against shorter lifetimes;
* exposure to an unknown key compromise: a compromise nobody detects is never revoked, so the
  attacker can use the certificate until it expires: on average ``L (1 + f) / 2`` days with
  renewal at ``f L`` left, at most ``L`` (assuming a fresh key at each renewal).

The lifetimes of interest are the BR maxima 825 / 397 / 200 / 100 / 47 days (Ballot 193, SC31,
SC081; sim/data/calibration/tls_max_validity.csv) and Let's Encrypt's 6-day profile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ParameterError

__all__ = ["LIFETIMES", "LifetimeComparison", "compare_lifetimes", "natural_attrition"]

#: The lifetimes compared in the lessons, in days.
LIFETIMES: tuple[float, ...] = (825, 397, 200, 100, 47, 6)


def _check_lifetimes(lifetimes: Sequence[float]) -> tuple[float, ...]:
    if len(lifetimes) == 0:
        raise ParameterError("lifetimes must hold at least 1 lifetime, got none")
    for value in lifetimes:
        if not (math.isfinite(value) and value > 0):
            raise ParameterError(f"lifetimes must be finite numbers of days > 0, got {value!r}")
    return tuple(float(v) for v in lifetimes)


def natural_attrition(lifetimes: Sequence[float] = LIFETIMES, *, days: int = 900) -> pd.DataFrame:
    """Fraction of affected certificates still valid ``d`` days after an incident, unforced.

    Args:
        lifetimes: Lifetimes in days, each > 0.
        days: Number of days, 1..3650.

    Returns:
        DataFrame indexed by ``day`` (0..days-1), one column per lifetime (float days).

    Raises:
        ParameterError: a lifetime <= 0, or ``days`` out of range.
    """
    lives = _check_lifetimes(lifetimes)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ParameterError(f"days must be an integer in [1, 3650], got {days!r}")
    d = np.arange(days, dtype=np.float64)[:, None]
    values = np.clip(1.0 - d / np.array(lives)[None, :], 0.0, 1.0)
    return pd.DataFrame(values, index=pd.RangeIndex(days, name="day"), columns=list(lives))


@dataclass(frozen=True, eq=False)
class LifetimeComparison:
    """Lifetimes side by side.

    Attributes:
        attrition: ``natural_attrition`` for the lifetimes.
        summary: One row per lifetime (index ``lifetime_days``) with ``renewals_per_year``,
            ``mean_exposure_days`` and ``max_exposure_days`` (how long a certificate whose key
            was stolen unnoticed stays valid; a new key at each renewal) and
            ``days_to_half_attrition``.
    """

    attrition: pd.DataFrame
    summary: pd.DataFrame


def compare_lifetimes(
    lifetimes: Sequence[float] = LIFETIMES,
    *,
    renew_before_fraction: float = 1 / 3,
    days: int = 900,
) -> LifetimeComparison:
    """Attrition curves, renewal cost and compromise exposure for each lifetime.

    Args:
        lifetimes: Lifetimes in days, each > 0.
        renew_before_fraction: Share of the lifetime left when the owner renews, in [0, 1).
        days: Length of the attrition curves.

    Raises:
        ParameterError: a lifetime <= 0, a fraction outside [0, 1), ``days`` out of range.
    """
    lives = _check_lifetimes(lifetimes)
    if not (math.isfinite(renew_before_fraction) and 0 <= renew_before_fraction < 1):
        raise ParameterError(
            f"renew_before_fraction must be in [0, 1), got {renew_before_fraction!r}"
        )
    arr = np.array(lives)
    summary = pd.DataFrame(
        {
            "renewals_per_year": 365.25 / (arr * (1.0 - renew_before_fraction)),
            # A key stolen at a random moment belongs to the certificate in use, which was
            # issued less than one renewal period (1 - f) L ago: it stays valid for a time
            # uniform on [f L, L], so L (1 + f) / 2 on average and L at most.
            "mean_exposure_days": arr * (1.0 + renew_before_fraction) / 2.0,
            "max_exposure_days": arr,
            "days_to_half_attrition": arr / 2.0,
        },
        index=pd.Index(lives, name="lifetime_days"),
    )
    return LifetimeComparison(natural_attrition(lives, days=days), summary)
