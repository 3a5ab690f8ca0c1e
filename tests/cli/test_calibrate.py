"""revlab calibrate: observed against modelled, per event."""

from __future__ import annotations

import dataclasses
import json

import pytest

from revlab import main
from sim.calibration import fit, observations
from sim.incident import OwnerResponse, simulate


def test_json_prints_observed_and_modelled_for_every_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["calibrate", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["event"], r["metric"]) for r in rows] == [
        (o.event, o.metric) for o in observations()
    ]
    for row in rows:
        assert abs(row["modelled_fraction"] - row["observed_fraction"]) < 0.02
    kinds = {r["event"]: r["kind"] for r in rows}
    assert kinds["ocsp_eku_2020_jprs"] == "schedule" and kinds["heartbleed_2014"] == "fitted"
    assert kinds["ocsp_eku_2020_globalsign_dv"] == "schedule"
    roles = {r["event"]: r["role"] for r in rows}
    assert roles["ocsp_eku_2020_jprs"] == "input" and roles["digicert_dcv_2024"] == "check"


def test_json_rows_carry_the_held_out_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--format", "json"]) == 0
    rows = {(r["event"], r["metric"]): r for r in json.loads(capsys.readouterr().out)}
    assert all("heldout_fraction" in r for r in rows.values())
    # No other automated event, and schedule rows are inputs: null.
    assert rows["letsencrypt_caa_2020", "replaced_and_revoked"]["heldout_fraction"] is None
    assert rows["ocsp_eku_2020_jprs", "intermediate_revoked"]["heldout_fraction"] is None
    # DigiCert predicted with Heartbleed's fitted median, recomputed here from the fit itself.
    digicert = rows["digicert_dcv_2024", "replaced_on_public_hosts"]
    heartbleed = rows["heartbleed_2014", "reissued"]
    assert digicert["heldout_from"] == ["heartbleed_2014"]
    assert digicert["heldout_median_days"] == pytest.approx(heartbleed["median_days"], abs=1e-3)
    own = fit("digicert_dcv_2024")
    median = fit("heartbleed_2014", "reissued").median_days
    assert median is not None
    responses = {**own.scenario.responses,
                 "manual": OwnerResponse(median, own.sigma, own.never_fraction)}  # fmt: skip
    scenario = dataclasses.replace(own.scenario, responses=responses)
    replaced = simulate(scenario, n=1_000_000, seed=0, mode="cohort").fractions()["replaced"]
    assert digicert["heldout_fraction"] == pytest.approx(float(replaced.iloc[7]), abs=1e-6)


def test_table_shows_observed_fitted_and_predicted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[header.index("observed"):header.index("observed") + 3] == [
        "observed", "fitted", "predicted",
    ]  # fmt: skip
    jprs = next(line for line in out.splitlines() if line.startswith("ocsp_eku_2020_jprs"))
    assert " input " in jprs and "257" in jprs
    assert "the model's honest error" in out
