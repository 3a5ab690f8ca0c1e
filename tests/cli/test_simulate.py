"""revlab simulate: table, json and csv output; bad input exits 2 with one line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from revlab import main
from sim.incident import max_certificates, simulate
from sim.scenarios import build_scenario


def test_json_matches_the_library_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--scenario", "ocsp-eku-2020", "--param", "schedule=br", "--n", "5000",
            "--seed", "4", "--format", "json"]  # fmt: skip
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    expected = simulate(build_scenario("ocsp-eku-2020", {"schedule": "br"}), n=5000, seed=4)
    assert doc["timeline"][10]["broken"] == expected.overall.loc[10, "broken"]
    assert doc["timeline"][0]["date"] == "2020-07-01"
    assert set(doc["revocation_days"].values()) == {7.0}
    assert doc["blast_radius"]["day"] == 7
    assert doc["blast_radius"]["certificates"] == pytest.approx(
        expected.overall.loc[7, "affected"] + expected.overall.loc[7, "broken"]
    )


def test_csv_has_one_row_per_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--scenario", "heartbleed-2014", "--param", "days=30",
                 "--n", "2000", "--format", "csv"]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 30
    assert rows[0]["date"] == "2014-04-07"
    assert float(rows[29]["replaced"]) > float(rows[1]["replaced"])
    assert all(float(r["broken"]) == 0 for r in rows)  # no mandate, nothing revoked


def test_table_lists_states_and_blast_radius(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--scenario", "ocsp-eku-2020", "--n", "3000"]) == 0
    out = capsys.readouterr().out
    assert "broken" in out and "blast radius on day 7 (simulated)" in out and "GlobalSign" in out
    # Every number in the table is a model's: the header says so.
    assert "shares of the simulated population" in out and "(simulated)" in out.splitlines()[1]


def test_list_names_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert names[0] == "ocsp-eku-2020" and "digicert-dcv-2024" in names


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scenario", "ocsp-eku-2020", "--param", "cas=Nope"], "unknown CA or intermediate"),
        (["--scenario", "ocsp-eku-2020", "--n", "0"], "n must be an integer >= 1"),
        (["--scenario", "ocsp-eku-2020", "--param", "manual_never=2"], "manual_never must be in"),
        (["--scenario", "ocsp-eku-2020", "--param", "oops"], "--param must look like key=value"),
        (["--scenario", "nope"], "scenario must be one of"),
        ([], "--scenario is required"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_an_n_beyond_memory_is_refused_up_front_pointing_at_cohort_mode(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Until issue 11: numpy's MemoryError traceback after seconds of trying.
    assert main(["simulate", "--scenario", "ocsp-eku-2020", "--n", "100000000000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--n 100,000,000,000 does not fit in per-certificate mode" in err
    assert "--mode cohort" in err
    largest = int(err.split("holds at most --n ")[1].split(";")[0].replace(",", ""))
    assert 0 < largest < 100_000_000_000


def test_the_refusal_names_the_largest_n_and_that_n_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import revlab.simulate

    memory = 96 * 2**20
    monkeypatch.setattr(revlab.simulate, "_available_memory", lambda: memory)
    largest = max_certificates(memory)
    assert largest > 0
    base = ["simulate", "--scenario", "heartbleed-2014", "--format", "csv"]
    assert main([*base, "--n", str(largest + 1)]) == 2
    assert f"holds at most --n {largest:,};" in capsys.readouterr().err
    assert main([*base, "--n", str(largest)]) == 0
    assert main([*base, "--n", str(largest + 1), "--mode", "cohort"]) == 0
