"""sim.calibration: every real event reproduced, checked by the per-certificate simulator."""

from __future__ import annotations

import math

import pytest

from sim.calibration import (
    EventFit,
    _leading_number,
    event_scenario_names,
    fit,
    fit_all,
    observations,
)
from sim.incident import DEFAULT_RESPONSES_2020, simulate


@pytest.fixture(scope="module")
def fits() -> tuple[EventFit, ...]:
    return fit_all()


def test_approximate_days_are_parsed_honestly() -> None:
    assert _leading_number("~400 (Chrome 70)", "observed_day") == (400.0, True)
    assert not any(o.approximate for o in observations())
    digicert = next(o for o in observations() if o.event == "digicert_dcv_2024")
    assert digicert.deadline_days == 1 and "extended to 5" in digicert.deadline_text
    heartbleed = next(o for o in observations() if o.event == "heartbleed_2014")
    assert heartbleed.deadline_days is None


def test_schedule_facts_are_not_fitted(fits: tuple[EventFit, ...]) -> None:
    kinds = {(f.observation.event, f.kind) for f in fits}
    assert ("ocsp_eku_2020_globalsign_dv", "schedule") in kinds
    assert ("ocsp_eku_2020_jprs", "schedule") in kinds
    assert all(f.median_days is None for f in fits if f.kind == "schedule")


def _simulated_fraction(f: EventFit) -> float:
    """The row's metric from an independent per-certificate run of the fitted scenario."""
    tl = simulate(f.scenario, n=200_000, seed=11)
    o = f.observation
    day = math.ceil(o.observed_day)
    replaced = float(tl.fractions().loc[day, "replaced"])
    if f.kind == "schedule":
        leaves = tl.leaves_by_intermediate
        revoked = tl.revocation_days.reindex(leaves.index) <= o.observed_day
        return float(leaves[revoked].sum() / leaves.sum())
    if o.metric == "sites_still_on_old_certificates":
        return 1.0 - replaced
    if o.metric == "revoked":
        assert f.revoke_share is not None
        return replaced * f.revoke_share
    return replaced


def test_every_event_is_reproduced_within_two_points(fits: tuple[EventFit, ...]) -> None:
    assert len(fits) == len(observations()) == 6
    for f in fits:
        observed = f.observation.observed_fraction
        assert abs(f.modelled_fraction - observed) < 0.02, f.observation
        assert abs(_simulated_fraction(f) - observed) < 0.02, f.observation


def test_fitted_medians_are_plausible_and_ordered(fits: tuple[EventFit, ...]) -> None:
    median = {f.observation.event: f.median_days for f in fits if f.kind == "fitted"}
    # ACME-automated owners under a 5-day deadline act faster than manual enterprises.
    assert median["letsencrypt_caa_2020"] < median["digicert_dcv_2024"]
    assert all(m is not None and 0.1 < m < 365 for m in median.values())


def test_incident_defaults_are_the_calibrated_values(fits: tuple[EventFit, ...]) -> None:
    by_event = {f.observation.event: f for f in fits}
    automated = by_event["letsencrypt_caa_2020"].median_days
    manual = by_event["digicert_dcv_2024"].median_days
    assert DEFAULT_RESPONSES_2020["automated"].median_days == pytest.approx(automated, rel=0.02)
    assert DEFAULT_RESPONSES_2020["manual"].median_days == pytest.approx(manual, rel=0.02)


def test_one_scenario_per_event() -> None:
    assert event_scenario_names() == (
        "heartbleed-2014", "letsencrypt-caa-2020", "digicert-dcv-2024",
        "ocsp-eku-2020-globalsign-dv", "ocsp-eku-2020-jprs",
    )  # fmt: skip


def test_unknown_event_or_metric() -> None:
    with pytest.raises(ValueError, match="event must be one of"):
        fit("nope_2030")
    with pytest.raises(ValueError, match="metric must be one of"):
        fit("heartbleed_2014", "exploded")
