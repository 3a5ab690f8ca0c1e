"""``/v1/registry``: the compact list, single entries, and atomic imports."""

from __future__ import annotations

import collections
import gzip
import json

import pytest
from flask.testing import FlaskClient

from extension_api.registry_columns import entries_from_columns
from sim.pki import Hierarchy
from sim.registry import shipped_registry

TOKEN = {"Authorization": "Bearer s3cret-admin-token"}


def test_the_compact_list_holds_every_shipped_entry_and_is_small_gzipped(
    client: FlaskClient,
) -> None:
    response = client.get("/v1/registry", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    doc = json.loads(gzip.decompress(response.data))
    assert doc["format"] == "columns-1"
    entries = entries_from_columns(doc["columns"], doc["count"])
    assert len(entries) == 293
    assert set(entries[0]) == {"sha256", "spki_sha256", "ski", "ca_label", "incident", "status",
                               "status_date", "remedy", "reissues"}
    assert {e["sha256"] for e in entries} == {e.sha256 for e in shipped_registry().entries}
    quovadis = next(e for e in entries if e["sha256"].startswith("04ecba8f"))
    assert quovadis["remedy"] == "swap_intermediate" and quovadis["reissues"]
    # The bound for the extension's one download: at most 30 KB gzipped.
    assert len(response.data) <= 30_000
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_the_compact_list_states_a_status_only_with_its_source(client: FlaskClient) -> None:
    doc = client.get("/v1/registry").json
    entries = entries_from_columns(doc["columns"], doc["count"])  # type: ignore[index]
    by_status = collections.Counter(e["status"] for e in entries)
    assert by_status == {"unknown": 288, "revoked": 5}
    for e in entries:
        # The compact list leaves the source out (the popup shows status and date); the full
        # entry, one request away, carries it.
        full = client.get(f"/v1/registry/{e['sha256']}").json["entry"]  # type: ignore[index]
        if e["status"] == "unknown":
            assert e["status_date"] is None and full["status_source"] == ""
        else:
            assert e["status_date"] and full["status_source"].startswith("https://")


def test_every_remedy_code_of_the_compact_list_has_its_sentence(client: FlaskClient) -> None:
    doc = client.get("/v1/registry").json
    used = set(doc["columns"]["remedy"])  # type: ignore[index]
    # The 2020 list holds both kinds: intermediates with a known clean re-issue, and without.
    assert used == {"swap_intermediate", "reissue_leaf"}
    assert used <= set(doc["remedies"])  # type: ignore[index]
    assert all(doc["remedies"].values())  # type: ignore[index]


def test_the_etag_gives_a_304_until_an_import_changes_it(
    client: FlaskClient, pki: Hierarchy
) -> None:
    etag = client.get("/v1/registry").headers["ETag"]
    assert client.get("/v1/registry", headers={"If-None-Match": etag}).status_code == 304
    client.post("/v1/registry/import?ca_label=Lab", data=pki["ica"].pem, headers=TOKEN)
    again = client.get("/v1/registry", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    assert again.json["count"] == 294  # type: ignore[index]


def test_a_verdict_on_a_posted_chain_follows_the_registry_at_once(
    client: FlaskClient, pki: Hierarchy
) -> None:
    # Verdicts on posted chains are kept per chain and registry version: the same chain
    # posted after an import that lists its intermediate is judged against the new list.
    chain = {"chain": [c.pem.decode() for c in pki.chain("leaf")]}
    assert client.post("/v1/chain", json=chain).json["verdict"] == "clean"  # type: ignore[index]
    assert client.post("/v1/chain", json=chain).json["verdict"] == "clean"  # type: ignore[index]
    imported = client.post("/v1/registry/import?ca_label=Lab", data=pki["ica"].pem, headers=TOKEN)
    assert imported.status_code == 200
    after = client.post("/v1/chain", json=chain).json
    assert after["verdict"] == "affected"  # type: ignore[index]
    assert after["match"]["position"] == 1  # type: ignore[index]


def test_an_entry_is_found_by_its_sha256(client: FlaskClient) -> None:
    entry = shipped_registry().entries[0]
    body = client.get(f"/v1/registry/{entry.sha256.upper()}").json
    assert body["entry"]["sha256"] == entry.sha256  # type: ignore[index]
    assert body["incident"]["deadline"] == "2020-07-08"  # type: ignore[index]


@pytest.mark.parametrize(("key", "status"), [("ab" * 32, 404), ("xyz", 400), ("a" * 65, 400)])
def test_unknown_or_malformed_fingerprints_are_json_errors(
    client: FlaskClient, key: str, status: int
) -> None:
    response = client.get(f"/v1/registry/{key}")
    assert response.status_code == status
    assert set(response.json["error"]) == {"code", "message"}  # type: ignore[index]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "unauthorized"), ({"Authorization": "Bearer wrong"}, 403, "forbidden"),
     ({"Authorization": "Basic czNjcmV0"}, 401, "unauthorized")],
)
def test_imports_need_the_admin_token(
    client: FlaskClient, pki: Hierarchy, headers: dict[str, str], status: int, code: str
) -> None:
    response = client.post("/v1/registry/import?ca_label=Lab", data=pki["ica"].pem,
                           headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)  # type: ignore[index]


def test_imports_are_disabled_without_a_configured_token(make_app, pki: Hierarchy) -> None:  # type: ignore[no-untyped-def]
    client = make_app(admin_token="").test_client()
    response = client.post("/v1/registry/import", data=pki["ica"].pem, headers=TOKEN)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "imports_disabled"


def test_a_pem_bundle_import_makes_its_chains_affected(
    client: FlaskClient, pki: Hierarchy
) -> None:
    response = client.post("/v1/registry/import?ca_label=Lab%20CA&incident=lab-2026",
                           data=pki["ica"].pem + pki["root"].pem, headers=TOKEN)
    assert response.status_code == 200
    assert response.json["added"] == 2 and response.json["entries"] == 295  # type: ignore[index]
    verdict = client.post("/v1/chain", json={"chain": [c.pem.decode() for c in pki.chain("leaf")]})
    assert verdict.json["verdict"] == "affected"  # type: ignore[index]
    assert verdict.json["match"]["entry"]["ca_label"] == "Lab CA"  # type: ignore[index]


def test_a_broken_csv_changes_nothing_and_names_the_row(client: FlaskClient) -> None:
    etag = client.get("/v1/registry").headers["ETag"]
    good = "ab" * 32
    csv = f"sha256,incident,ca_label\n{good},t,Lab\nnot-a-hash,t,Lab\n"
    response = client.post("/v1/registry/import", data=csv, headers=TOKEN)
    assert response.status_code == 422
    message = response.json["error"]["message"]  # type: ignore[index]
    assert "row 3" in message and "nothing was changed" in message
    assert client.get("/v1/registry").headers["ETag"] == etag
    assert client.get(f"/v1/registry/{good}").status_code == 404


def test_a_csv_import_applies_whole(client: FlaskClient) -> None:
    rows = "".join(f"{c * 64},t,Lab\n" for c in "abc")
    response = client.post("/v1/registry/import", data="sha256,incident,ca_label\n" + rows,
                           headers=TOKEN)
    assert response.status_code == 200
    assert all(client.get(f"/v1/registry/{c * 64}").status_code == 200 for c in "abc")


@pytest.mark.parametrize(
    ("query", "data", "code"),
    [("?status=gone", b"x", "invalid_parameter"),
     ("?status_date=2020-13-01", b"x", "invalid_parameter"),
     ("", b"   ", "empty_body"),
     ("", b"garbage that is no format", "import_refused"),
     ("", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "import_refused")],
)
def test_bad_imports_are_refused_with_a_reason(
    client: FlaskClient, query: str, data: bytes, code: str
) -> None:
    response = client.post(f"/v1/registry/import{query}", data=data, headers=TOKEN)
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] == code  # type: ignore[index]


def test_a_ccadb_report_import_is_read(client: FlaskClient, pki: Hierarchy) -> None:
    pem = pki["ica"].pem.decode()
    report = f'SHA-256 Fingerprint,X.509 Certificate (PEM)\n{pki["ica"].sha256.upper()},"{pem}"\n'
    response = client.post("/v1/registry/import?ca_label=Lab", data=report, headers=TOKEN)
    assert response.status_code == 200
    assert client.get(f"/v1/registry/{pki['ica'].sha256}").status_code == 200
