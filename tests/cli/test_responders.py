"""``revlab responders``: formats, the shipped extract, and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pytest

from revlab import main
from revlab.responders import read_report
from sim.loader import load_ccadb_csv
from sim.registry import shipped_registry
from sim.responders import dangerous_responders

NOW = "2026-11-01T00:00:00+00:00"


def _expected() -> list[str]:
    records = load_ccadb_csv(read_report(None), "x")
    listed = {e.sha256 for e in shipped_registry().entries}
    found = dangerous_responders(records, now=dt.datetime.fromisoformat(NOW), listed=listed)
    return [r.sha256 for r in found]


def test_json_lists_every_responder_with_the_promised_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["responders", "--now", NOW, "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [i["sha256"] for i in items] == _expected()
    keys = {"sha256", "subject", "issuer", "not_after", "on_2020_list", "siblings"}
    assert all(keys <= set(i) for i in items)
    assert all(dt.datetime.fromisoformat(i["not_after"]) >= dt.datetime.fromisoformat(NOW)
               for i in items)  # fmt: skip


def test_plain_and_gzipped_reports_give_the_same_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "report.csv"
    plain.write_text(read_report(None))
    zipped = tmp_path / "report.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    assert main(["responders", str(plain), "--now", NOW, "--format", "csv"]) == 0
    first = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert main(["responders", str(zipped), "--now", NOW, "--format", "csv"]) == 0
    second = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert first == second
    assert first[0][:4] == ["sha256", "subject", "issuer", "not_after"]
    assert [row[0] for row in first[1:]] == _expected()


def test_the_table_states_the_counts_and_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["responders", "--now", NOW]) == 0
    out = capsys.readouterr().out
    expected = _expected()
    assert f"{len(expected)} CA certificates valid at 2026-11-01 carry OCSPSigning" in out
    assert "no revocation status" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (gzip.compress(b"SHA-256 Fingerprint,X.509 Certificate (PEM)\r\n")[:-12], "truncated"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"SHA-256 Fingerprint,X.509 Certificate (PEM)\r\n", "no certificate"),
        (b"name,age\nx,1\n", "CCADB"),
    ],
)
def test_bad_reports_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(content)
    assert main(["responders", str(path), "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize("argv", [["--now", "2026-11-01"], ["--now", "yesterday"],
                                  ["/no/such/report.csv"], ["x" * 300]])  # fmt: skip
def test_bad_arguments_get_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["responders", *argv]) == 2
    assert capsys.readouterr().err.count("\n") == 1
