"""revlab calibrate: observed against modelled, per event."""

from __future__ import annotations

import json

import pytest

from revlab import main
from sim.calibration import observations


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
    symantec = next(r for r in rows if r["event"] == "symantec_distrust_2018")
    assert symantec["approximate_day"] is True and symantec["observed_day"] == 400
