"""``revlab registry``: show, import, export, match."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from revlab import main
from sim.pki import build_hierarchy, seed_article_spec
from tests.conftest import NOW, REPO, TEST_DATA

SHIPPED_PEM = REPO / "sim/data/incident-2020/affected_intermediates.pem"
GOOD_PEM = TEST_DATA / "golden" / "good_responder.pem"


def test_show_one_entry_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    sha = "c17611db7b311361e20d7b8231aadf478bcb7ffa0be585c06de2309223c2ef8a"
    assert main(["registry", "show", sha.upper(), "--format", "json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["sha256"] == sha and entry["ca_label"] == "AC Camerfirma"


def test_show_unknown_fingerprint_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "00" * 32]) == 2
    assert "is not in the registry" in capsys.readouterr().err


def test_export_csv_has_all_293(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 293


def test_import_then_match_through_a_local_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=4)
    (tmp_path / "g2.pem").write_bytes(h["intermediate_g2"].pem)
    (tmp_path / "chain.pem").write_bytes(h["leaf"].pem + h["intermediate_g2"].pem)
    local = tmp_path / "local.csv"
    args = ["registry", "import", str(tmp_path / "g2.pem"), "--into", str(local)]
    assert main([*args, "--ca", "Example CA", "--incident", "demo"]) == 0
    assert "now holds 1" in capsys.readouterr().out
    assert main(["registry", "match", str(tmp_path / "chain.pem"), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "dangerous_responder"
    chain = str(tmp_path / "chain.pem")
    assert main(["registry", "match", chain, "--registry", str(local), "--format", "json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verdict"] == "affected"
    assert verdict["match"]["entry"]["ca_label"] == "Example CA"


def test_broken_import_leaves_the_registry_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = tmp_path / "local.csv"
    good = "sha256,incident,ca_label\n" + "ab" * 32 + ",x,Some CA\n"
    (tmp_path / "good.csv").write_text(good)
    assert main(["registry", "import", str(tmp_path / "good.csv"), "--into", str(local)]) == 0
    before = local.read_bytes()
    (tmp_path / "bad.csv").write_text(good + "cd" * 32 + ",x\n")
    assert main(["registry", "import", str(tmp_path / "bad.csv"), "--into", str(local)]) == 2
    assert "nothing imported" in capsys.readouterr().err
    assert local.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv", "local.csv"]


def test_match_a_real_affected_chain_in_table_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    end = "-----END CERTIFICATE-----"
    real = SHIPPED_PEM.read_text().split(end)[0] + end + "\n"
    leaf = build_hierarchy(seed_article_spec(), now=NOW, seed=4)["leaf"].pem.decode()
    (tmp_path / "chain.pem").write_text(leaf + real)
    assert main(["registry", "match", str(tmp_path / "chain.pem")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("affected: Affected: AC Camerfirma")
    assert "Site owner:" in out


def test_show_takes_the_16_hex_digits_the_table_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show"]) == 0
    first_row = capsys.readouterr().out.splitlines()[2]
    prefix = first_row.split()[0]
    assert len(prefix) == 16
    assert main(["registry", "show", prefix, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"].startswith(prefix)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("abcdef01", "is ambiguous: 2 entries start with it"),
        ("abcdef0", "too short: give at least 8 hex digits"),
        ("0123456789", "is not in the registry"),
        ("not-hex-at-all", "is not a SHA-256 fingerprint or a prefix of one"),
    ],
)
def test_show_refuses_a_prefix_it_cannot_resolve_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str, message: str
) -> None:
    local = tmp_path / "local.csv"
    local.write_text(
        "sha256,incident,ca_label\n"
        + "abcdef01" + "1" * 56 + ",x,Some CA\n"
        + "abcdef01" + "2" * 56 + ",x,Some CA\n"
    )
    assert main(["registry", "show", prefix, "--registry", str(local)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def _exit_and_verdict(chain: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["registry", "match", str(chain), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["verdict"]


def test_match_exits_as_check_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = {
        "certificates": [
            {"name": "R", "kind": "root"},
            {"name": "I", "kind": "intermediate", "issuer": "R"},
            {"name": "leaf", "kind": "tls_server", "issuer": "I", "dns_names": ["a.example"]},
        ]
    }
    fine = build_hierarchy(spec, now=NOW, seed=4)
    clean = tmp_path / "clean.pem"
    clean.write_bytes(fine["leaf"].pem + fine["I"].pem)
    assert _exit_and_verdict(clean, capsys) == (0, "clean")
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=4)
    responder = tmp_path / "responder.pem"
    responder.write_bytes(h["leaf"].pem + h["intermediate_g2"].pem)
    assert _exit_and_verdict(responder, capsys) == (1, "dangerous_responder")
    unreadable = tmp_path / "cut.pem"
    unreadable.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n")
    assert _exit_and_verdict(unreadable, capsys) == (3, "unknown")


def test_match_of_the_known_clean_reissue_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    chain = TEST_DATA / "real_quovadis_reissue.der"
    assert _exit_and_verdict(chain, capsys) == (0, "affected_key")



@pytest.mark.parametrize("action", ["match", "import"])
def test_a_file_name_too_long_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    long_name = str(tmp_path / ("x" * 300 + ".pem"))
    good = str(GOOD_PEM)
    args = (
        ["registry", "match", long_name]
        if action == "match"
        else ["registry", "import", good, "--ca", "X", "--into", long_name]
    )
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "File name too long" in err and "x" * 300 in err


def test_import_into_a_place_that_cannot_hold_files_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["registry", "import", str(GOOD_PEM), "--ca", "X", "--into", "/proc/x.csv"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == "revlab registry: /proc/x.csv: cannot write (No such file or directory)\n"


def test_show_states_a_status_only_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    dated = {e["subject"].split(",")[0]: (e["status"], e["status_date"]) for e in entries
             if e["status"] != "unknown"}  # fmt: skip
    assert dated["CN=JPRS Domain Validation Authority - G3"] == ("revoked", "2021-03-15")
    assert dated["CN=GlobalSign RSA DV SSL CA 2018"] == ("revoked", "2021-01-21")
    assert len(dated) == 5
    assert all(e["status_source"] == "" for e in entries if e["status"] == "unknown")
    assert main(["registry", "show"]) == 0
    assert "status 'unknown': no published revocation date" in capsys.readouterr().out
