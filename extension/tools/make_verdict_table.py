"""Write the verdict table both halves test against: extension/test/fixtures/verdict_table.json.

Run with the project's venv: ``.venv/bin/python extension/tools/make_verdict_table.py``
(after ``make_fixtures.py``, whose real certificates it reads).

One file of cases, made by the production code path each part stands for:

- ``registry``: the body of ``GET /v1/registry`` from the real API (``extension_api.create_app``
  on a fresh database seeded with the shipped list), as the extension downloads it.
- each case's ``chain``: real DER, leaf first: a generated leaf (throwaway key) followed by a REAL
  certificate (a listed 2020 intermediate from sim/data, or the CCADB certificates that
  make_fixtures.py took from the developers' CCADB snapshot: the clean re-issue, an unlisted responder, a clean one).
- each case's ``expected``: what ``sim.registry.match`` says about the chain against the shipped
  registry, and every field the popup shows (names, CA, fingerprint, status, remedy code), with
  the popup's message keys for the headline and the owner's advice.
- each case's ``answers``: the API's JSON for that chain: ``POST /v1/chain``, and, with the chain
  served over TLS on 127.0.0.1, ``GET /v1/hosts/127.0.0.1?port=P`` (direct mode) and
  ``GET /v1/hostprefix/<5 hex>`` (prefix mode).

pytest (tests/extension/test_verdict_table.py) checks sim and the API against it and that it is
current; ``node --test`` (extension/test/verdict_table.test.mjs) checks match.js and present.js.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from extension_api import create_app  # noqa: E402
from extension_api.demo import serve_chain  # noqa: E402
from extension_api.scan_corpus import CorpusRow, ScanCorpus  # noqa: E402
from sim.loader import load_pem_bundle, record_from_der  # noqa: E402
from sim.registry import Verdict, VerdictKind, match, shipped_registry  # noqa: E402
from tlsscan.results import judge  # noqa: E402
from tlsscan.scanner import ScanOptions, scan_batch  # noqa: E402
from tlsscan.targets import Target  # noqa: E402

FIXTURES = REPO / "extension" / "test" / "fixtures"
OUT = FIXTURES / "verdict_table.json"
SHIPPED_PEM = REPO / "sim" / "data" / "incident-2020" / "affected_intermediates.pem"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
QUOVADIS = "04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f"
HOST = "127.0.0.1"
#: The badge each verdict gets (present.js BADGE).
BADGE = {"affected": "!", "affected_key": "?", "dangerous_responder": "?"}


def _leaf(issuer: x509.Certificate) -> tuple[bytes, bytes]:
    """A leaf naming ``issuer`` (its AKI is the issuer's SKI): (DER, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "table.test")]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("table.test")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False
        )
    except x509.ExtensionNotFound:
        pass
    der = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der, key_pem


def _common_name(name: str) -> str:
    for part in name.split(","):
        if part.startswith("CN="):
            return part[3:]
    return name


def _popup_keys(verdict: Verdict) -> dict[str, Any]:
    """The popup's message keys for a verdict (present.js popupView)."""
    kind = verdict.kind.value
    headline = {
        "affected": "headlineAffected",
        "affected_key": "headlineKnownReissue"
        if verdict.serves_known_reissue
        else "headlineAffectedKey",
        "dangerous_responder": "headlineResponder",
        "clean": "headlineClean",
        "unknown": "headlineUnknown",
    }[kind]
    owner = None
    if kind == "affected":
        assert verdict.entry is not None
        owner = "ownerSwapIntermediate" if verdict.entry.reissues else "ownerReissueLeaf"
    elif kind == "affected_key":
        owner = "ownerCheckServedIntermediate"
    elif kind == "dangerous_responder":
        owner = "ownerResponder"
    return {"headline": headline, "owner": owner, "badge": BADGE.get(kind, "")}


def _expected(verdict: Verdict) -> dict[str, Any]:
    """Every field of the verdict the popup shows, from sim's verdict."""
    entry = verdict.entry
    named = verdict.position if verdict.position is not None else None
    subject = verdict.chain[named].subject if named is not None else ""
    named_from = "chain"
    if (
        verdict.kind is VerdictKind.AFFECTED_KEY
        and entry is not None
        and named is not None
        and verdict.chain[named].spki_sha256 != entry.spki_sha256
    ):
        # Matched through the issuer's key identifier: the certificate at the position is one
        # the listed key signed (here the leaf), so the popup names the listed entry.
        subject, named_from = entry.subject, "entry"
    return {
        "verdict": verdict.kind.value,
        "position": verdict.position if entry is not None else None,
        "known_reissue": verdict.serves_known_reissue,
        "responder_position": verdict.responder_position,
        "certificate_name": _common_name(subject) if subject else None,
        "named_from": named_from,
        "entry": None
        if entry is None
        else {
            "sha256": entry.sha256,
            "ca_label": entry.ca_label,
            "incident": entry.incident,
            "status": entry.status,
            "status_date": entry.status_date.isoformat() if entry.status_date else None,
            "remedy": "swap_intermediate" if entry.reissues else "reissue_leaf",
            "reissues": list(entry.reissues),
        },
        "popup": _popup_keys(verdict),
    }


def main() -> None:
    """Write the table."""
    registry = shipped_registry()
    shipped = {r.sha256: r for r in load_pem_bundle(SHIPPED_PEM.read_bytes(), "shipped") if r.ok}
    no_reissue = next(
        e for e in registry.entries if not e.reissues and e.tls_capable and e.sha256 in shipped
    )
    real = {
        "quovadis": shipped[QUOVADIS].der or b"",
        "no_reissue": shipped[no_reissue.sha256].der or b"",
        "reissue": (FIXTURES / "quovadis_reissue.der").read_bytes(),
        "responder": (FIXTURES / "responder_real.der").read_bytes(),
        "clean": (FIXTURES / "clean_real.der").read_bytes(),
    }
    certs = {k: x509.load_der_x509_certificate(v) for k, v in real.items()}
    plans: list[tuple[str, str, list[str]]] = [
        ("affected_with_reissue", "a listed intermediate whose CA has a clean re-issue",
         ["quovadis"]),
        ("affected_without_reissue", "a listed intermediate with no re-issue", ["no_reissue"]),
        ("known_reissue", "the CA's known clean re-issue (the fix)", ["reissue"]),
        ("affected_key_by_aki", "a leaf issued by a listed key, the intermediate not served", []),
        ("dangerous_responder", "an unlisted CA certificate with OCSPSigning", ["responder"]),
        ("clean", "an unlisted intermediate without OCSPSigning", ["clean"]),
    ]  # fmt: skip
    app = create_app(
        {
            "data_dir": tempfile.mkdtemp(prefix="revlab-table-"),
            "allow_hosts": HOST,
            "allowed_ports": "1-65535",
            "rate_limit": "",
            "hosts_rate_limit": "",
        }
    )
    client = app.test_client()
    corpus = ScanCorpus(app.extensions["revlab"].store.engine).ensure()
    served = client.get("/v1/registry").get_json()
    cases = []
    for name, about, intermediates in plans:
        issuer = certs[intermediates[0]] if intermediates else certs["quovadis"]
        leaf_der, key_pem = _leaf(issuer)
        chain = [leaf_der, *(real[k] for k in intermediates)]
        records = [record_from_der(d, f"{name}[{i}]") for i, d in enumerate(chain)]
        verdict = match(records, registry)
        chain_answer = client.post(
            "/v1/chain", json={"chain": [base64.b64encode(d).decode() for d in chain]}
        ).get_json()
        pems = [x509.load_der_x509_certificate(d).public_bytes(serialization.Encoding.PEM)
                for d in chain]  # fmt: skip
        with serve_chain(pems, key_pem) as site:
            direct = client.get(f"/v1/hosts/{HOST}?port={site.port}").get_json()
            port = site.port
            # The prefix lookup answers from the scan corpus only: scan the site as
            # `revlab scan --into-db` does (the same scanner, judgement and corpus row).
            (scanned,) = scan_batch([Target(HOST, port, 1)], ScanOptions(allow_private=True))
            corpus.put([CorpusRow.from_scan(judge(scanned, registry), "verdict-table")])
        prefix = client.get(
            f"/v1/hostprefix/{hashlib.sha256(HOST.encode()).hexdigest()[:5]}"
        ).get_json()
        prefix["hosts"] = [h for h in prefix["hosts"] if h["port"] == port]
        cases.append(
            {
                "name": name,
                "about": about,
                "chain": [base64.b64encode(d).decode() for d in chain],
                "expected": _expected(verdict),
                "answers": {
                    "host": HOST,
                    "port": port,
                    "chain": chain_answer,
                    "direct": direct,
                    "prefix": prefix,
                },
            }
        )
        print(f"{name}: {verdict.kind.value}")
    doc = {
        "about": "Written by extension/tools/make_verdict_table.py; do not edit by hand.",
        "registry": served,
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    assert {c["expected"]["verdict"] for c in cases} == {k.value for k in VerdictKind} - {"unknown"}


if __name__ == "__main__":
    main()
