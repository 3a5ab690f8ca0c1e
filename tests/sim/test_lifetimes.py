"""sim.lifetimes: attrition, renewal cost and compromise exposure per lifetime."""

from __future__ import annotations

import numpy as np
import pytest

from sim.lifetimes import LIFETIMES, compare_lifetimes, natural_attrition


def test_half_of_affected_certificates_remain_valid_at_half_the_lifetime() -> None:
    frame = natural_attrition((200.0, 47.0), days=300)
    assert frame.loc[100, 200.0] == pytest.approx(0.5)
    assert frame.loc[47, 47.0] == 0.0
    assert frame.loc[0].tolist() == [1.0, 1.0]


def test_shorter_lifetimes_cost_more_renewals_and_less_exposure() -> None:
    summary = compare_lifetimes().summary
    assert list(summary.index) == [float(v) for v in LIFETIMES]
    # ACME-style renewal with a third left: 90-day certs -> 6 a year; 6-day -> about 91.
    assert compare_lifetimes((90.0,)).summary.loc[90.0, "renewals_per_year"] == pytest.approx(
        365.25 / 60
    )
    assert summary["renewals_per_year"].is_monotonic_increasing
    assert summary["mean_exposure_days"].is_monotonic_decreasing
    assert summary.loc[6.0, "max_exposure_days"] == 6


@pytest.mark.parametrize(("lifetime", "fraction"), [(825.0, 1 / 3), (90.0, 1 / 3), (47.0, 0.1)])
def test_mean_exposure_matches_a_simulated_renewal_schedule(
    lifetime: float, fraction: float
) -> None:
    # Independent check: renew every (1 - f) L with a new key, steal the key in use at random
    # moments, and measure how long its certificate stays valid.
    rng = np.random.default_rng(7)
    period = (1 - fraction) * lifetime
    moments = rng.uniform(0, 1000 * period, 200_000)
    issued = np.floor(moments / period) * period  # the newest certificate at that moment
    remaining = issued + lifetime - moments
    got = compare_lifetimes((lifetime,), renew_before_fraction=fraction).summary
    assert got.loc[lifetime, "mean_exposure_days"] == pytest.approx(remaining.mean(), rel=0.01)
    assert got.loc[lifetime, "max_exposure_days"] == pytest.approx(remaining.max(), rel=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lifetimes": (0.0,)}, "lifetimes must be finite numbers of days > 0"),
        ({"lifetimes": (-47.0,)}, "lifetimes must be finite numbers of days > 0"),
        ({"renew_before_fraction": 1.0}, r"renew_before_fraction must be in \[0, 1\)"),
        ({"days": 0}, r"days must be an integer in \[1, 3650\]"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_lifetimes(**kwargs)  # type: ignore[arg-type]
