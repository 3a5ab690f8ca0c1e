"""``revlab mechanisms``: the table and JSON a user reads."""

from __future__ import annotations

import json

import pytest

from revlab import main
from sim import mechanisms as M


def test_json_lists_every_mechanism_with_null_for_never(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mechanisms", "--format", "json"]) == 0
    records = {r["mechanism"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(records) == {m.value for m in M.Mechanism}
    assert records["crl"]["days_leaf"] == pytest.approx(10.0)  # BR 4.9.7 nextUpdate <= 10 d
    assert records["ocsp_soft_fail"]["days_leaf_blocked"] is None
    assert records["ocsp_hard_fail"]["days_intermediate_2020"] is None
    assert records["onecrl"]["days_intermediate_2020"] is not None
    assert records["short_lived"]["bytes_per_day"] == 0
    assert records["crlset"]["coverage_leaf"] == pytest.approx(0.0035)


def test_table_shows_never_and_each_mechanism_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mechanisms"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split("  ")[0]: line for line in lines[2:] if not line.startswith("worst")}
    assert set(rows) == set(M.LABELS.values())
    soft = rows["OCSP soft-fail"].split()
    assert soft[-5:-2] == ["d", "never", "never"]  # 10 d, then never, never
    assert "0.35%" in rows["Chrome CRLSets"]


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["mechanisms", "--format", "xml"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
