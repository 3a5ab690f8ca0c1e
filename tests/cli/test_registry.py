"""``revlab registry``: show, import, export, match."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from revlab import main
from sim.pki import build_hierarchy, seed_article_spec
from tests.conftest import NOW, REPO

SHIPPED_PEM = REPO / "sim/data/incident-2020/affected_intermediates.pem"


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
    assert main(["registry", "match", str(tmp_path / "chain.pem"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "dangerous_responder"
    chain = str(tmp_path / "chain.pem")
    assert main(["registry", "match", chain, "--registry", str(local), "--format", "json"]) == 0
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
    assert main(["registry", "match", str(tmp_path / "chain.pem")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("affected: Affected: AC Camerfirma")
    assert "Site owner:" in out


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
