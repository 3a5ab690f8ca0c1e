"""``revlab audit``: formats, exit codes and input errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from revlab import main
from tests.conftest import REPO, TEST_DATA

GOLDEN = TEST_DATA / "golden"
SHIPPED_PEM = REPO / "sim/data/incident-2020/affected_intermediates.pem"


def test_json_lists_each_certificate_with_its_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "--format", "json", str(GOLDEN / "ca_ocsp_signing_eku.pem")])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    (item,) = out
    assert item["subject"] == "CN=Golden ca_ocsp_signing_eku"
    assert len(item["sha256"]) == 64
    assert {f["code"] for f in item["findings"]} == {
        "ca.ocsp_signing_eku",
        "ocsp_responder.missing_nocheck",
    }
    assert all(f["severity"] == "ERROR" and f["message"] for f in item["findings"])


def test_clean_input_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", str(GOLDEN / "good_responder.pem"), str(GOLDEN / "good_tls_leaf.pem")])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 certificate(s): 0 unparseable, 0 with errors" in out


def test_csv_has_a_row_per_finding(capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "--format", "csv", str(SHIPPED_PEM)])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    eku_rows = [r for r in rows if r["code"] == "ca.ocsp_signing_eku"]
    assert len(eku_rows) == 260
    assert {r["severity"] for r in eku_rows} == {"ERROR"}


def test_ccadb_csv_with_unparseable_certificates_completes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["audit", "--format", "json", str(TEST_DATA / "ccadb_sample.csv")])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    unparseable = [i for i in out if any(f["code"] == "cert.unparseable" for f in i["findings"])]
    assert unparseable and len(out) > len(unparseable)
    assert all(f["severity"] == "FATAL" for i in unparseable for f in i["findings"][:1])


def test_siblings_show_the_blast_radius(capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "--format", "json", "--siblings", str(SHIPPED_PEM)])
    out = json.loads(capsys.readouterr().out)
    assert len(out["certificates"]) == 260
    largest = out["siblings"][0]
    assert len(largest["covered"]) >= 10 and largest["responder"]["subject"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "empty file"), (b"hello world", "not a PEM bundle")],
)
def test_input_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.pem"
    if content is not None:
        path.write_bytes(content)
    code = main(["audit", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--format", "xml", str(SHIPPED_PEM)])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
