"""sim.holdout: each real event predicted from the other events of its owner segment."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sim.calibration import SIGMA, fit, fit_all
from sim.holdout import HeldOut, held_out, mean_abs_error
from sim.incident import OwnerResponse, simulate


@pytest.fixture(scope="module")
def rows() -> tuple[HeldOut, ...]:
    return held_out()


def _by(rows: tuple[HeldOut, ...], event: str, metric: str) -> HeldOut:
    return next(r for r in rows if (r.fit.observation.event, r.fit.observation.metric)
                == (event, metric))  # fmt: skip


def test_each_row_is_predicted_only_from_other_events_of_its_segment(
    rows: tuple[HeldOut, ...],
) -> None:
    fits = fit_all()
    assert [(r.fit.observation.event, r.fit.observation.metric) for r in rows] == [
        (f.observation.event, f.observation.metric) for f in fits
    ]
    for r in rows:
        assert r.fit.observation.event not in r.from_events
        others = {f.observation.event for f in fits
                  if f.segment == r.fit.segment and f.kind == "fitted"}  # fmt: skip
        assert set(r.from_events) <= others
    assert _by(rows, "heartbleed_2014", "reissued").from_events == ("digicert_dcv_2024",)
    assert _by(rows, "digicert_dcv_2024", "replaced_on_public_hosts").from_events == (
        "heartbleed_2014",
    )


def test_rows_without_another_event_or_that_are_inputs_have_no_prediction(
    rows: tuple[HeldOut, ...],
) -> None:
    # Let's Encrypt is the only event of the automated segment.
    assert _by(rows, "letsencrypt_caa_2020", "replaced_and_revoked").fraction is None
    # The revoke-on-replace share is fitted on Heartbleed alone.
    assert _by(rows, "heartbleed_2014", "revoked").fraction is None
    schedule = [r for r in rows if r.fit.kind == "schedule"]
    assert {r.fit.observation.event for r in schedule} == {
        "ocsp_eku_2020_globalsign_dv", "ocsp_eku_2020_jprs",
    }  # fmt: skip
    assert all(r.role == "input" and r.fraction is None for r in schedule)
    assert all(r.role == "check" for r in rows if r.fit.kind == "fitted")


def test_digicert_predicted_from_heartbleed_matches_an_independent_simulation(
    rows: tuple[HeldOut, ...],
) -> None:
    row = _by(rows, "digicert_dcv_2024", "replaced_on_public_hosts")
    donor = fit("heartbleed_2014", "reissued").median_days
    assert donor is not None and row.median_days == pytest.approx(donor)
    # Recompute: DigiCert's own scenario, manual owners acting with Heartbleed's median delay,
    # run through the per-certificate simulator (not the cohort model the module uses).
    own = fit("digicert_dcv_2024")
    responses = dict(own.scenario.responses)
    responses["manual"] = OwnerResponse(donor, SIGMA, own.never_fraction)
    scenario = dataclasses.replace(own.scenario, responses=responses)
    timeline = simulate(scenario, n=200_000, seed=7)
    replaced = float(timeline.fractions().loc[math.ceil(own.observation.observed_day), "replaced"])
    assert row.fraction is not None
    assert row.fraction == pytest.approx(replaced, abs=0.01)
    assert row.error == pytest.approx(row.fraction - 0.21)


def test_mean_abs_error_averages_the_predicted_rows(rows: tuple[HeldOut, ...]) -> None:
    predicted = [r for r in rows if r.fraction is not None]
    assert len(predicted) == 2
    expected = sum(abs(r.fraction - r.fit.observation.observed_fraction)  # type: ignore[operator]
                   for r in predicted) / 2  # fmt: skip
    assert mean_abs_error(rows) == pytest.approx(expected)
    assert mean_abs_error(tuple(r for r in rows if r.fraction is None)) is None
