"""sim.registry: the shipped 2020 list, imports, exports and the verdict on chains."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace
from typing import Any

import pytest

from sim.errors import ParameterError
from sim.loader import CertRecord, load_bytes, load_ccadb_csv, load_pem_bundle
from sim.pki import build_hierarchy, seed_article_spec
from sim.registry import (
    EXPORT_COLUMNS,
    STATUSES,
    Registry,
    RegistryImportError,
    Status,
    VerdictKind,
    derive_reissues,
    match,
    shipped_registry,
)
from tests.conftest import NOW, REPO, TEST_DATA, shared_path

SHIPPED = REPO / "sim/data/incident-2020"


def _records(*pems: bytes) -> list[CertRecord]:
    return load_pem_bundle(b"".join(pems))


def _real() -> list[CertRecord]:
    return load_pem_bundle((SHIPPED / "affected_intermediates.pem").read_bytes())


def _leaf_pem(seed: int = 1) -> bytes:
    return build_hierarchy(seed_article_spec(), now=NOW, seed=seed)["leaf"].pem


def test_all_293_fingerprints_are_present() -> None:
    rows = list(csv.DictReader(io.StringIO((SHIPPED / "affected_intermediates.csv").read_text())))
    registry = shipped_registry()
    assert len(rows) == 293
    assert {r["sha256_hex"] for r in rows} == {e.sha256 for e in registry.entries}
    assert sum(1 for e in registry.entries if e.subject) == 260
    labels = {r["sha256_hex"]: r["ca_owner_derived"] or "unidentified" for r in rows}
    # One label of the derived column is split by root; the registry carries the organisation.
    merged = {"DigiCert (Baltimore CyberTrust Root)": "DigiCert"}
    assert all(merged.get(labels[e.sha256], labels[e.sha256]) == e.ca_label
               for e in registry.entries)  # fmt: skip


def test_every_real_intermediate_in_a_chain_is_affected_with_its_ca() -> None:
    registry = shipped_registry()
    leaf = _records(_leaf_pem())[0]
    for intermediate in _real():
        verdict = match([leaf, intermediate], registry)
        assert verdict.kind is VerdictKind.AFFECTED, intermediate.source
        assert verdict.position == 1
        assert verdict.entry is not None and verdict.entry.sha256 == intermediate.sha256
        assert verdict.entry.ca_label == registry.by_sha256[intermediate.sha256 or ""].ca_label
        assert verdict.remedy_owner and verdict.remedy_visitor


def test_a_quovadis_intermediate_names_its_ca_and_clean_reissue() -> None:
    registry = shipped_registry()
    with_reissue = [e for e in registry.entries if e.reissues and "QuoVadis" in e.ca_label]
    assert with_reissue, "CCADB holds clean re-issues of QuoVadis intermediates"
    entry = with_reissue[0]
    (record,) = [r for r in _real() if r.sha256 == entry.sha256]
    verdict = match([record], registry)
    assert verdict.kind is VerdictKind.AFFECTED
    assert "QuoVadis" in verdict.summary
    assert entry.reissues[0][:16] in verdict.remedy_owner  # swap the served intermediate


def test_generated_clean_hierarchy_is_clean() -> None:
    spec = seed_article_spec()
    spec["certificates"][1].pop("ekus")
    h = build_hierarchy(spec, now=NOW, seed=2)
    verdict = match(_records(h["leaf"].pem, h["intermediate_g2"].pem), shipped_registry())
    assert verdict.kind is VerdictKind.CLEAN


def test_generated_ca_with_ocsp_signing_is_a_dangerous_responder() -> None:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=2)  # G2 chains OCSPSigning
    verdict = match(_records(h["leaf"].pem, h["intermediate_g2"].pem), shipped_registry())
    assert verdict.kind is VerdictKind.DANGEROUS_RESPONDER
    assert verdict.position == 1
    assert "RFC 6960 §4.2.2.2" in " ".join(verdict.reasons)


def _reissue_setup() -> tuple[Registry, Any]:
    spec = {
        "certificates": [
            {"name": "R", "kind": "root"},
            {"name": "old", "kind": "intermediate", "issuer": "R", "ekus": ["OCSPSigning"]},
            {"name": "new", "kind": "intermediate", "issuer": "R", "key_from": "old"},
            {"name": "leaf", "kind": "tls_server", "issuer": "new", "dns_names": ["x.example"]},
        ]
    }
    h = build_hierarchy(spec, now=NOW, seed=9)
    listed = Registry.from_certificates(
        _records(h["old"].pem), incident="test-incident", ca_label="Test CA"
    )
    return shipped_registry().merged(listed), h


def test_intermediate_reissued_with_a_listed_key_is_affected_key() -> None:
    registry, h = _reissue_setup()
    verdict = match(_records(h["leaf"].pem, h["new"].pem), registry)
    assert verdict.kind is VerdictKind.AFFECTED_KEY
    assert verdict.position == 1 and verdict.entry is not None
    assert verdict.entry.sha256 == h["old"].sha256 and verdict.entry.ca_label == "Test CA"
    assert "only the served chain tells" in " ".join(verdict.reasons)


def test_leaf_alone_issued_by_a_listed_key_is_affected_key() -> None:
    registry, h = _reissue_setup()
    verdict = match(_records(h["leaf"].pem), registry)
    assert verdict.kind is VerdictKind.AFFECTED_KEY
    assert verdict.position == 0
    assert "was issued by the key of" in verdict.reasons[0]


def test_listed_certificate_itself_wins_over_the_key_match() -> None:
    registry, h = _reissue_setup()
    verdict = match(_records(h["leaf"].pem, h["old"].pem), registry)
    assert verdict.kind is VerdictKind.AFFECTED and verdict.entry is not None
    assert verdict.entry.incident == "test-incident"


@pytest.mark.parametrize("chain", [[], [CertRecord(source="x", sha256=None, error="bad")]])
def test_unreadable_chain_is_unknown(chain: list[CertRecord]) -> None:
    verdict = match(chain, shipped_registry())
    assert verdict.kind is VerdictKind.UNKNOWN
    assert verdict.reasons


def test_the_real_clean_quovadis_reissue_is_affected_key_and_known_clean() -> None:
    """tests/data/real_quovadis_reissue.der: CCADB's re-issue of the listed "QuoVadis Qualified
    Web ICA G1", same name and key, without OCSPSigning (reissues.csv names it)."""
    (reissue,) = load_bytes((TEST_DATA / "real_quovadis_reissue.der").read_bytes(), "reissue")
    assert reissue.ok and not reissue.has_ocsp_signing
    verdict = match([reissue], shipped_registry())
    assert verdict.kind is VerdictKind.AFFECTED_KEY
    assert verdict.serves_known_reissue
    assert "known clean re-issue" in " ".join(verdict.reasons)
    registry, h = _reissue_setup()  # a same-key re-issue nobody has vetted as clean
    assert not match(_records(h["leaf"].pem, h["new"].pem), registry).serves_known_reissue


def test_affected_key_texts_say_one_thing_per_case() -> None:
    (reissue,) = load_bytes((TEST_DATA / "real_quovadis_reissue.der").read_bytes(), "reissue")
    known = match([reissue], shipped_registry())
    registry, h = _reissue_setup()
    unknown = match(_records(h["leaf"].pem, h["new"].pem), registry)
    known_text = " ".join((known.summary, *known.reasons, known.remedy_owner, known.remedy_visitor))
    unknown_text = " ".join((unknown.summary, *unknown.reasons, unknown.remedy_owner))
    # The known re-issue is the fix, and nothing it says hedges that.
    assert "the fix" in known.summary
    for hedge in ("possibly", "may be", "otherwise", "Nothing, if"):
        assert hedge not in known_text, hedge
    # An unvetted same-key certificate is never called the known re-issue.
    assert "known clean re-issue" not in unknown_text
    assert "may be a clean re-issue or the old certificate" in unknown.summary


def test_find_takes_a_unique_prefix_of_at_least_8_hex_digits() -> None:
    registry = shipped_registry()
    entry = registry.entries[0]
    assert registry.find(entry.sha256[:16].upper()) is entry
    assert registry.find(":".join(entry.sha256[i : i + 2] for i in range(0, 8, 2))) is entry
    with pytest.raises(ParameterError, match="too short"):
        registry.find(entry.sha256[:7])
    twins = Registry(
        tuple(replace(entry, sha256="abcdef01" + c * 56) for c in "12"), registry.incidents
    )
    with pytest.raises(ParameterError, match="ambiguous: 2 entries"):
        twins.find("abcdef01")
    assert twins.find("abcdef011").sha256.endswith("1")


def test_statuses_are_a_closed_set() -> None:
    assert STATUSES == tuple(Status) == ("to_be_revoked", "revoked", "distrusted", "unknown")
    (entry, *_) = shipped_registry().entries
    # No published revocation date for the first listed entry: its status is unknown.
    assert entry.status is Status.UNKNOWN and entry.to_json()["status"] == "unknown"
    with pytest.raises(RegistryImportError, match="status must be one of"):
        Registry.from_csv("sha256,incident,ca_label,status\n" + "ab" * 32 + ",x,CA,gone\n")


def test_unparseable_unlisted_chain_is_unknown_but_a_listed_one_is_affected() -> None:
    junk = load_bytes(b"\x30\x02\x30\x00", "junk.der")
    assert match(junk, shipped_registry()).kind is VerdictKind.UNKNOWN
    (refused,) = [r for r in _real() if not r.ok]
    verdict = match([refused], shipped_registry())
    assert verdict.kind is VerdictKind.AFFECTED and verdict.position == 0


def test_verdict_json_has_the_api_shape() -> None:
    leaf = _records(_leaf_pem())[0]
    verdict = match([leaf, _real()[0]], shipped_registry()).to_json()
    assert verdict["verdict"] == "affected"
    assert verdict["match"]["position"] == 1
    assert verdict["match"]["entry"]["incident"] == "ocsp-eku-2020"
    assert [c["position"] for c in verdict["chain"]] == [0, 1]
    json.dumps(verdict)  # serialisable as is


def test_csv_export_round_trips() -> None:
    registry = shipped_registry()
    text = registry.to_csv()
    assert text.splitlines()[0].split(",") == list(EXPORT_COLUMNS)
    again = Registry(tuple(Registry.from_csv(text)))
    assert again.entries == registry.entries


def test_an_imported_status_carries_its_evidence() -> None:
    registry = shipped_registry()
    head = "sha256,incident,ca_label,status,status_date,status_source\n"
    rows = (
        "ab" * 32 + ",next,Some CA,,,\n"
        + "cd" * 32 + ",next,Some CA,revoked,2026-01-02,\n"
        + "ef" * 32 + ",next,Some CA,revoked,2026-01-02,https://ca.example/notice\n"
    )
    updated = registry.imported((head + rows).encode(), source="upload.csv")
    unknown, stated, sourced = (updated.get(x * 32) for x in ("ab", "cd", "ef"))
    assert unknown is not None and (unknown.status, unknown.status_source) == ("unknown", "")
    assert stated is not None and stated.status == Status.REVOKED
    assert stated.status_source == "stated by the importer of upload.csv"
    assert sourced is not None and sourced.status_source == "https://ca.example/notice"
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=3)
    pem = registry.imported(h["intermediate_g2"].pem, source="g2.pem", ca_label="X",
                            status="to_be_revoked", status_date=dt.date(2026, 12, 1))  # fmt: skip
    entry = pem.get(h["intermediate_g2"].sha256)
    assert entry is not None and entry.status_source == "stated by the importer of g2.pem"


def test_json_export_lists_incidents_and_entries() -> None:
    data = shipped_registry().to_json()
    assert data["incidents"]["ocsp-eku-2020"]["deadline"] == "2020-07-08"
    assert len(data["entries"]) == 293


def test_csv_import_with_a_broken_row_changes_nothing() -> None:
    registry = shipped_registry()
    good = "sha256,incident,ca_label\n" + "ab" * 32 + ",next,Some CA\n"
    broken = good + "not-a-hash,next,Some CA\n"
    with pytest.raises(RegistryImportError, match="row 3: sha256 'not-a-hash'"):
        registry.imported(broken.encode(), source="upload.csv")
    assert len(registry) == 293
    updated = registry.imported(good.encode(), source="upload.csv")
    assert len(updated) == 294 and len(registry) == 293


def test_pem_bundle_import_needs_a_ca_label_and_parseable_certificates() -> None:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=3)
    registry = shipped_registry()
    with pytest.raises(RegistryImportError, match="CA label"):
        registry.imported(h["intermediate_g2"].pem, source="g2.pem")
    updated = registry.imported(
        h["intermediate_g2"].pem, source="g2.pem", incident="demo", ca_label="Example CA"
    )
    entry = updated.get(h["intermediate_g2"].sha256)
    assert entry is not None and entry.ca_label == "Example CA"
    # No status stated, no evidence: unknown, with no source.
    assert (entry.status, entry.status_source) == ("unknown", "")
    truncated = h["intermediate_g2"].pem + h["leaf"].pem[:-30]
    with pytest.raises(RegistryImportError, match="cannot be parsed"):
        registry.imported(truncated, source="cut.pem", ca_label="Example CA")


def test_ccadb_report_import_is_atomic() -> None:
    sample = (TEST_DATA / "ccadb_sample.csv").read_bytes()
    registry = shipped_registry()
    # The vendored sample holds real certificates cryptography refuses: the import must refuse.
    with pytest.raises(RegistryImportError, match="row"):
        registry.imported(sample, source="ccadb.csv", ca_label="Various")
    parseable = [r for r in load_ccadb_csv(sample) if r.ok][:5]
    entries = Registry.from_certificates(parseable, incident="x", ca_label="Various")
    new = {e.sha256 for e in entries} - set(registry.by_sha256)
    assert len(registry.merged(entries)) == 293 + len(new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "missing column"),
        ("sha256,incident,ca_label\n", "no entries"),
        ("sha256,incident,ca_label,status\n" + "ab" * 32 + ",x,y,lost\n", "status must be"),
        ("sha256,incident,ca_label,not_after\n" + "ab" * 32 + ",x,y,tomorrow\n", "not a date"),
        ("sha256,incident,ca_label\n" + "ab" * 32 + ",x\n", "wrong number of cells"),
    ],
)
def test_broken_registry_csv_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RegistryImportError, match=message):
        Registry.from_csv(text)


@pytest.mark.corpus
def test_shipped_reissues_are_rederived_from_the_ccadb_corpus() -> None:
    path = shared_path("data", "ccadb", "AllCertificatePEMsCSVFormat.csv")
    corpus = load_ccadb_csv(path.read_text())
    found = derive_reissues(_real(), corpus, shipped_registry().by_sha256)
    shipped = {e.sha256: set(e.reissues) for e in shipped_registry().entries if e.reissues}
    assert {k: {c.sha256 for c in v} for k, v in found.items()} == shipped
