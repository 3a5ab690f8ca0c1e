"""``revlab scan FILE``: the bulk scan from the command line, on real TLS servers on loopback."""

from __future__ import annotations

import csv
import io
import json
import ssl
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from extension_api import create_app
from revlab import main
from sim.pki import Hierarchy
from tests.conftest import NOW, TEST_DATA
from tests.extension_api.tls_servers import affected_intermediate_pem, hierarchy, serve
from tlsscan.results import FIELDS

FAST = ["--allow-private", "--timeout", "1", "--no-progress"]


@pytest.fixture(scope="module")
def pki() -> Hierarchy:
    return hierarchy(NOW)


@pytest.fixture(scope="module")
def sites(pki: Hierarchy) -> Iterator[dict[str, str]]:
    """``affected``, ``clean``, ``reissue`` (the QuoVadis fix) and ``refused`` targets."""
    leaf, key = pki["leaf"].pem, pki["leaf"].key_pem()
    reissue = ssl.DER_cert_to_PEM_cert(
        (TEST_DATA / "real_quovadis_reissue.der").read_bytes()).encode()
    with ExitStack() as stack:
        def up(chain: list[bytes]) -> str:
            return stack.enter_context(serve(Path("."), chain, key)).target

        with serve(Path("."), mode="close") as gone:
            refused = gone.target
        yield {
            "affected": up([leaf, affected_intermediate_pem(0)]),
            "clean": up([leaf, pki["ica"].pem]),
            "reissue": up([leaf, reissue]),
            "refused": refused,
        }


def _list(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "targets.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _jsonl(text: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {f"{r['host']}:{r['port']}": r for r in rows}


def test_jsonl_gives_one_result_per_target_with_every_field_and_exit_1(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _list(tmp_path, "# my estate", "", *sites.values())
    code = main(["scan", targets, *FAST])
    captured = capsys.readouterr()
    found = _jsonl(captured.out)
    assert code == 1
    assert set(found) == set(sites.values())
    assert all(list(r) == list(FIELDS) for r in found.values())
    affected = found[sites["affected"]]
    assert (affected["verdict"], affected["error"]) == ("affected", None)
    assert affected["listed"]["ca_label"] == "AC Camerfirma"
    assert affected["address"] == "127.0.0.1" and affected["tls_version"].startswith("TLSv1")
    assert found[sites["clean"]]["verdict"] == "clean"
    assert found[sites["refused"]]["error"] == "refused"
    # The summary goes to stderr when the results go to stdout.
    assert "4 target(s) scanned" in captured.err
    assert "verdicts: affected 1, affected_key 1, clean 1, unknown 1" in captured.err
    assert "errors: refused 1" in captured.err
    assert "CA: AC Camerfirma" in captured.err
    assert "What to do: Reissue the certificate" in captured.err


def test_full_handshake_reads_what_the_first_flight_reads(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _list(tmp_path, *sites.values())
    main(["scan", targets, *FAST])
    fast = _jsonl(capsys.readouterr().out)
    main(["scan", targets, *FAST, "--full-handshake"])
    full = _jsonl(capsys.readouterr().out)
    for found in (fast, full):
        for row in found.values():
            del row["scanned_at"]
    assert fast == full
    assert fast[sites["affected"]]["tls_version"] == "TLSv1.3"


def test_the_known_clean_reissue_and_clean_sites_exit_0(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", _list(tmp_path, sites["clean"], sites["reissue"]), *FAST])
    found = _jsonl(capsys.readouterr().out)
    assert code == 0
    assert found[sites["reissue"]]["verdict"] == "affected_key"
    assert found[sites["reissue"]]["known_reissue"] is True


def test_without_allow_private_loopback_targets_get_the_guard_error(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", _list(tmp_path, sites["affected"]), "--no-progress"])
    found = _jsonl(capsys.readouterr().out)
    assert code == 0
    assert found[sites["affected"]]["error"] == "guard"
    assert found[sites["affected"]]["verdict"] == "unknown"


def test_csv_and_table_formats(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _list(tmp_path, sites["affected"], sites["clean"])
    main(["scan", targets, *FAST, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(f"{r['host']}:{r['port']}", r["verdict"]) for r in rows} == {
        (sites["affected"], "affected"), (sites["clean"], "clean")}
    assert list(rows[0]) == list(FIELDS)
    main(["scan", targets, *FAST, "--format", "table"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["target", "verdict", "error", "tls", "reason"]
    assert any(line.startswith(sites["affected"]) and " affected " in line for line in lines)


def test_out_then_resume_scans_only_what_is_missing(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    main(["scan", _list(tmp_path, sites["clean"]), *FAST, "--out", str(out)])
    first = capsys.readouterr().out
    assert "1 target(s) scanned" in first  # the summary on stdout when results go to a file
    with out.open("a") as handle:
        handle.write('{"host": "torn')  # a run killed mid-line
    code = main(["scan", _list(tmp_path, sites["clean"], sites["affected"]), *FAST,
                 "--out", str(out), "--resume"])
    assert code == 1
    assert "1 target(s) scanned, 1 skipped (already in --out)" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert [json.loads(line)["verdict"] for line in lines] == ["clean", "affected"]


def test_bad_lines_are_reported_by_number_and_counted(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _list(tmp_path, sites["clean"], "not a host!", "127.0.0.1:99999")
    assert main(["scan", targets, *FAST]) == 0
    err = capsys.readouterr().err
    assert "line 2: 'not a host!' is not a valid hostname (skipped)" in err
    assert "line 3: port '99999' is not a number between 1 and 65535 (skipped)" in err
    assert "1 target(s) scanned, 2 bad line(s) skipped" in err


def test_a_tranco_csv_and_stdin_are_read(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port = sites["clean"].split(":")
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"1,{host}\n2,{host}:1\n"))
    main(["scan", "-", *FAST, "--port", port])
    found = _jsonl(capsys.readouterr().out)
    assert (found[sites["clean"]]["verdict"], found[f"{host}:1"]["error"]) == (
        "clean", "refused")


@pytest.mark.parametrize(("args", "message"), [
    (["only-comments"], "no target to scan"),
    (["missing"], "cannot read"),
    (["only-comments", "--resume"], "--resume needs --out"),
    (["only-comments", "--concurrency", "0"], "concurrency"),
    (["only-comments", "--scheduler", "nowhere"], "--scheduler must be an address"),
])
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "only-comments").write_text("# nothing\n\n")
    args = [str(tmp_path / args[0]), *args[1:]]
    assert main(["scan", *args, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("revlab scan: ") and message in err[0]


def test_a_terminal_gets_a_progress_bar_with_rate(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    main(["scan", _list(tmp_path, sites["clean"]), "--allow-private", "--timeout", "1"])
    err = capsys.readouterr().err
    assert "1/1" in err and "host/s" in err


def test_into_db_feeds_hostprefix_and_the_scan_summary(
    sites: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hashlib

    for var in ("DATABASE_URL", "REVLAB_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REVLAB_DATA_DIR", str(tmp_path / "data"))
    targets = tmp_path / "estate.txt"
    targets.write_text(f"{sites['affected']}\n{sites['clean']}\n")
    assert main(["scan", str(targets), *FAST, "--into-db"]) == 1
    capsys.readouterr()
    app = create_app({"TESTING": True, "rate_limit": "", "hosts_rate_limit": ""})
    client = app.test_client()
    digest = hashlib.sha256(b"127.0.0.1").hexdigest()
    body = client.get(f"/v1/hostprefix/{digest[:5]}").json
    assert body is not None
    ports = {int(sites["affected"].split(":")[1]): "affected",
             int(sites["clean"].split(":")[1]): "clean"}
    assert {h["port"]: h["verdict"] for h in body["hosts"]} == ports
    assert {h["list"] for h in body["hosts"]} == {"estate.txt"}
    assert body["corpus"]["targets"] == 2
    summary = client.get("/v1/scan/summary").json
    assert summary is not None
    assert (summary["targets"], summary["verdicts"]) == (2, {"affected": 1, "clean": 1})
    assert summary["lists"][0]["name"] == "estate.txt"
    app.extensions["revlab"].store.dispose()


def test_processes_share_the_work_and_give_the_same_results(
    sites: dict[str, str], tmp_path: Path
) -> None:
    lines = [site for _ in range(80) for site in sites.values()]  # more than one batch
    targets = _list(tmp_path, *lines)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    patient = [*FAST, "--timeout", "10"]  # no timeout on a busy test machine
    assert main(["scan", targets, *patient, "--out", str(one)]) == 1
    assert main(["scan", targets, *patient, "--out", str(two), "--processes", "2",
                 "--concurrency", "16"]) == 1

    def tally(path: Path) -> dict[tuple[str, str, str | None], int]:
        found: dict[tuple[str, str, str | None], int] = {}
        for line in path.read_text().splitlines():
            row = json.loads(line)
            key = (f"{row['host']}:{row['port']}", row["verdict"], row["error"])
            found[key] = found.get(key, 0) + 1
        return found

    assert sum(tally(two).values()) == len(lines)
    assert tally(two) == tally(one)


def test_processes_must_be_at_least_one(tmp_path: Path) -> None:
    assert main(["scan", _list(tmp_path, "127.0.0.1"), "--processes", "0",
                 "--no-progress"]) == 2
