"""The shared verdict table, Python half: sim's matching and the API's JSON agree with it.

extension/test/fixtures/verdict_table.json is written by extension/tools/make_verdict_table.py
through the real sim and API; the JavaScript half (extension/test/verdict_table.test.mjs) runs
the same cases through match.js and present.js. These tests also prove the table is current:
the registry in it is what GET /v1/registry serves today, and the API answers its chains today
as it did when the table was written.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from extension_api import create_app
from extension_api.registry_columns import entries_from_columns
from sim.loader import record_from_der
from sim.registry import match, shipped_registry
from tests.conftest import REPO

TABLE_PATH = REPO / "extension" / "test" / "fixtures" / "verdict_table.json"
TABLE: dict[str, Any] = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in TABLE["cases"]}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The API on a fresh database seeded with the shipped list."""
    data: Path = tmp_path_factory.mktemp("revlab-table")
    return create_app({"data_dir": str(data), "rate_limit": "", "hosts_rate_limit": ""})


def _ders(case: dict[str, Any]) -> list[bytes]:
    return [base64.b64decode(item) for item in case["chain"]]


def test_the_table_covers_every_verdict_a_chain_can_get() -> None:
    assert {c["expected"]["verdict"] for c in CASES.values()} == {
        "affected", "affected_key", "dangerous_responder", "clean"
    }  # fmt: skip
    assert CASES["known_reissue"]["expected"]["known_reissue"] is True
    assert CASES["dangerous_responder"]["expected"]["responder_position"] == 1


def test_the_tables_registry_is_what_the_backend_serves(app: Flask) -> None:
    served = app.test_client().get("/v1/registry").get_json()
    assert served is not None
    volatile = ("etag", "version")
    assert {k: v for k, v in TABLE["registry"].items() if k not in volatile} == {
        k: v for k, v in served.items() if k not in volatile
    }
    entries = entries_from_columns(served["columns"], served["count"])
    assert {e["remedy"] for e in entries} == {"swap_intermediate", "reissue_leaf"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sim_matching_gives_the_tables_verdict(name: str) -> None:
    case = CASES[name]
    expected = case["expected"]
    records = [record_from_der(der, f"{name}[{i}]") for i, der in enumerate(_ders(case))]
    verdict = match(records, shipped_registry())
    assert verdict.kind.value == expected["verdict"]
    assert verdict.serves_known_reissue is expected["known_reissue"]
    assert verdict.responder_position == expected["responder_position"]
    if expected["entry"] is None:
        assert verdict.entry is None
    else:
        assert verdict.entry is not None and verdict.position == expected["position"]
        assert verdict.entry.sha256 == expected["entry"]["sha256"]
        assert verdict.entry.ca_label == expected["entry"]["ca_label"]
        assert list(verdict.entry.reissues) == expected["entry"]["reissues"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_apis_json_carries_every_field_the_popup_reads(app: Flask, name: str) -> None:
    case = CASES[name]
    expected = case["expected"]
    chain = [base64.b64encode(der).decode() for der in _ders(case)]
    answer = app.test_client().post("/v1/chain", json={"chain": chain}).get_json()
    assert answer is not None
    assert answer == case["answers"]["chain"], "the table is stale: run make_verdict_table.py"
    assert answer["verdict"] == expected["verdict"]
    assert answer["known_reissue"] is expected["known_reissue"]
    assert answer["responder_position"] == expected["responder_position"]
    if expected["entry"] is not None:
        assert answer["match"]["position"] == expected["position"]
        assert answer["match"]["entry"]["sha256"] == expected["entry"]["sha256"]
    # The recorded direct and prefix answers carry the same verdict fields.
    direct = case["answers"]["direct"]
    (hit,) = case["answers"]["prefix"]["hosts"]
    for recorded in (direct, hit):
        assert recorded["verdict"] == expected["verdict"]
        assert recorded["known_reissue"] is expected["known_reissue"]
        assert recorded["responder_position"] == expected["responder_position"]
