"""sim.loader: PEM bundles, DER files and CCADB CSV, and what happens with bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sim.formats import InputFormat, detect_format
from sim.loader import (
    LoadError,
    expand_paths,
    load_bytes,
    load_ccadb_csv,
    load_paths,
    load_pem_bundle,
    pending_certificates,
)
from sim.pki import build_hierarchy, seed_article_spec
from sim.registry import shipped_registry
from tests.conftest import NOW, REPO, TEST_DATA

SAMPLE = TEST_DATA / "ccadb_sample.csv"
SHIPPED_PEM = REPO / "sim/data/incident-2020/affected_intermediates.pem"


def _bundle() -> tuple[bytes, list[str]]:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=1)
    certs = list(h)
    return b"".join(c.pem for c in certs), [c.sha256 for c in certs]


def test_pem_bundle_loads_every_certificate_in_order() -> None:
    data, hashes = _bundle()
    records = load_pem_bundle(data, "chain.pem")
    assert [r.sha256 for r in records] == hashes
    assert [r.source for r in records] == ["chain.pem#1", "chain.pem#2", "chain.pem#3"]
    root, g2, leaf = records
    assert root.is_ca and g2.is_ca and not leaf.is_ca
    assert g2.has_ocsp_signing and not leaf.has_ocsp_signing
    assert leaf.dns_names == ("ssl.sakura.ad.jp",)
    assert leaf.aki == g2.ski
    assert leaf.subject == "CN=ssl.sakura.ad.jp"
    assert g2.issuer == root.subject


def test_der_file_loads_as_one_certificate(tmp_path: Path) -> None:
    cert = build_hierarchy(seed_article_spec(), now=NOW, seed=1)["leaf"]
    path = tmp_path / "leaf.der"
    path.write_bytes(cert.der)
    (record,) = load_paths([path])
    assert record.ok and record.sha256 == cert.sha256
    spki = cert.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert record.spki_sha256 == hashlib.sha256(spki).hexdigest()


def test_shipped_real_intermediates_load_and_the_refused_one_keeps_its_facts() -> None:
    records = load_pem_bundle(SHIPPED_PEM.read_bytes(), "shipped")
    assert len(records) == 260
    refused = [r for r in records if not r.ok]
    # One real 2020 intermediate has a name constraint cryptography refuses ("host bits set");
    # its EKU and CA flag still come from the raw DER.
    assert len(refused) == 1
    assert "host bits set" in (refused[0].error or "")
    assert refused[0].is_ca and refused[0].has_ocsp_signing


def test_ccadb_sample_rows_match_their_fingerprint_column() -> None:
    text = SAMPLE.read_text()
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    records = load_ccadb_csv(text, "sample.csv")
    assert len(records) == len(rows)
    for (fingerprint, _), record in zip(rows, records, strict=True):
        assert record.sha256 == fingerprint.lower()


def test_ccadb_sample_refused_certificates_become_records_with_reasons() -> None:
    records = load_ccadb_csv(SAMPLE.read_bytes(), "sample.csv")
    refused = [r for r in records if not r.ok]
    assert refused, "the vendored sample holds real certificates cryptography refuses"
    for r in refused:
        assert r.error and r.sha256 and r.der and r.certificate is None
    # Loading went on after them.
    assert sum(r.ok for r in records) > len(refused)


def test_ccadb_pem_cells_with_blank_lines_still_load() -> None:
    text = SAMPLE.read_text()
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    odd = [i for i, (_, pem) in enumerate(rows) if "\n\n" in pem]
    assert odd, "the sample keeps the real rows whose PEM has blank lines"
    records = load_ccadb_csv(text)
    assert all(records[i].ok for i in odd)


def test_truncated_pem_is_a_record_not_a_crash() -> None:
    data, _ = _bundle()
    cut = data[: data.rindex(b"-----END")]  # the last block loses its END line
    records = load_pem_bundle(cut, "cut.pem")
    assert [r.ok for r in records] == [True, True, False]
    assert "truncated PEM block" in (records[2].error or "")


def test_pem_with_bad_base64_is_a_record() -> None:
    data = b"-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n"
    (record,) = load_pem_bundle(data, "bad.pem")
    assert not record.ok and "base64" in (record.error or "")


def test_random_der_like_bytes_are_unparseable() -> None:
    data = b"\x30" + os.urandom(300)
    (record,) = load_bytes(data, "random.der")
    assert not record.ok and record.error


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (b"\x01\x02 this is not a certificate", "not a PEM bundle, a DER certificate or a CCADB"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no PEM CERTIFICATE"),
    ],
)
def test_inputs_that_hold_no_certificates_raise(data: bytes, message: str) -> None:
    with pytest.raises(LoadError, match=message):
        load_bytes(data, "input")


def test_ccadb_csv_with_broken_rows_keeps_the_good_ones() -> None:
    good = SAMPLE.read_text().split("\r\n")
    header = good[0]
    text = SAMPLE.read_text()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    first = rows[1]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerow(first)
    writer.writerow(["ABCDEF"])  # one cell only
    writer.writerow(["00" * 32, "no pem here"])
    writer.writerow(first)
    records = load_ccadb_csv(buf.getvalue(), "broken.csv")
    assert header.startswith("SHA-256 Fingerprint")
    assert [r.ok for r in records] == [True, False, False, True]
    assert "expected 2 cells" in (records[1].error or "")
    assert "holds no certificate" in (records[2].error or "")
    assert records[1].source == "broken.csv:row 3"


def test_csv_with_the_wrong_header_is_refused() -> None:
    with pytest.raises(LoadError, match="not a CCADB report"):
        load_ccadb_csv("a,b\n1,2\n", "other.csv")


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        list(load_paths([tmp_path / "absent.pem"]))


def test_directory_loads_its_certificate_files(tmp_path: Path) -> None:
    data, hashes = _bundle()
    (tmp_path / "a.pem").write_bytes(data)
    (tmp_path / "notes.txt").write_text("ignored")
    assert [r.sha256 for r in load_paths([tmp_path])] == hashes


def test_directory_is_read_recursively_without_hidden_files(tmp_path: Path) -> None:
    data, hashes = _bundle()
    (tmp_path / "z" / "deeper").mkdir(parents=True)
    (tmp_path / "z" / "deeper" / "chain.crt").write_bytes(data)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "bundle.pem").write_bytes(data)
    (tmp_path / "a.pem").write_bytes(data)
    found = [(p.relative_to(tmp_path).as_posix(), named) for p, named in expand_paths([tmp_path])]
    assert found == [("a.pem", False), ("z/deeper/chain.crt", False)]
    assert [r.sha256 for r in load_paths([tmp_path])] == hashes * 2
    assert list(expand_paths([tmp_path / "a.pem"])) == [(tmp_path / "a.pem", True)]


def test_a_path_too_long_for_the_file_system_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="File name too long"):
        list(load_paths([tmp_path / ("x" * 300)]))


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xef\xbb\xbfSHA-256 Fingerprint,X.509 Certificate (PEM)\n", InputFormat.CCADB_CSV),
        (b"junk\n-----BEGIN CERTIFICATE-----\n", InputFormat.PEM),
        (b"sha256,incident,ca_label\n", InputFormat.REGISTRY_CSV),
        (b"ca_label,incident,sha256\n", InputFormat.REGISTRY_CSV),
        (b"\x30\x82\x01\x00", InputFormat.DER),
    ],
)
def test_format_is_detected_from_the_content(head: bytes, kind: InputFormat) -> None:
    assert detect_format(head) is kind


def test_a_registry_csv_is_not_taken_for_certificates() -> None:
    text = shipped_registry().to_csv().encode()
    assert detect_format(text) is InputFormat.REGISTRY_CSV
    with pytest.raises(LoadError, match="registry CSV holds no certificates"):
        load_bytes(text, "list.csv")


def test_splitting_then_loading_is_loading() -> None:
    data = SAMPLE.read_bytes()
    items = list(pending_certificates(data, "sample.csv"))
    assert [i.source for i in items] == [r.source for r in load_bytes(data, "sample.csv")]
    assert [i.load() for i in items] == load_ccadb_csv(data, "sample.csv")
