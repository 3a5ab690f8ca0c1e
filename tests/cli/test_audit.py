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


def test_notice_only_rows_name_their_finding_in_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["audit", str(GOLDEN / "real_nonconformant_encoding.pem")])
    row = capsys.readouterr().out.splitlines()[2]
    assert code == 0
    assert "NOTICE" in row and row.endswith("cert.nonconformant_encoding")


def test_folder_is_read_recursively_and_odd_files_are_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.pem").write_bytes((GOLDEN / "good_tls_leaf.pem").read_bytes())
    (tmp_path / "top.pem").write_bytes((GOLDEN / "good_responder.pem").read_bytes())
    (tmp_path / "a" / "notes.txt").write_text("not a certificate\n")
    code = main(["audit", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0
    assert "2 certificate(s)" in captured.out and "1 file(s) skipped" in captured.out
    assert "deep.pem" not in captured.err
    (warning,) = captured.err.splitlines()
    assert "notes.txt" in warning and "skipped" in warning


def test_folder_without_any_certificate_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    assert main(["audit", "--format", "json", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("revlab audit: no certificate found in")


def test_several_jobs_give_the_same_output_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 244 + 260 certificates: enough for the audit to start worker processes.
    inputs = [str(TEST_DATA / "ccadb_sample.csv"), str(SHIPPED_PEM)]
    outputs = {}
    for jobs in ("1", "2", "3"):
        for fmt in ("json", "csv", "table"):
            main(["audit", "--jobs", jobs, "--format", fmt, *inputs])
            outputs[jobs, fmt] = capsys.readouterr().out
    for fmt in ("json", "csv", "table"):
        assert outputs["1", fmt] == outputs["2", fmt] == outputs["3", fmt]
    items = json.loads(outputs["2", "json"])
    assert len(items) == 504
    assert [i["source"] for i in items[:2]] == [f"{inputs[0]}:row 2", f"{inputs[0]}:row 3"]
    assert items[-1]["source"] == f"{inputs[1]}#260"


def test_json_output_is_what_json_dump_prints(capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "--format", "json", str(TEST_DATA / "ccadb_sample.csv")])
    out = capsys.readouterr().out
    assert out == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"


def test_json_items_are_json_dumps_of_result_json() -> None:
    # The hand-written item renderer against json.dumps of the dict, on every kind of record:
    # parsed, unparseable, with and without EKUs and findings, odd characters in names.
    from revlab.audit import _json_item, result_json
    from sim.audit import audit
    from sim.loader import load_paths

    results = [audit(r) for r in load_paths([TEST_DATA, SHIPPED_PEM])]
    assert {bool(r.findings) for r in results} == {True, False}
    assert {r.record.ok for r in results} == {True, False}
    text = "[\n" + ",\n".join(_json_item(r) for r in results) + "\n]"
    expected = json.dumps([result_json(r) for r in results], indent=2, ensure_ascii=False)
    assert text == expected


@pytest.mark.parametrize("jobs", ["0", "two"])
def test_jobs_must_be_a_positive_number(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--jobs", jobs, str(SHIPPED_PEM)])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_file_name_too_long_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "x" * 300 + ".pem"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "File name too long" in err
