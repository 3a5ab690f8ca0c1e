"""Audit throughput on real CA certificates, against a bare `cryptography` parse of the same.

Run: ``.venv/bin/python benchmarks/bench_audit.py [CORPUS.csv]`` (default: the CCADB corpus in
../shared, else the vendored sample). Prints certificates/s for:

- bare parse: ``load_der_x509_certificate`` + reading ``.extensions`` (where real refusals
  happen; without it the Rust parser is lazy and measures almost nothing);
- audit: `sim.loader.record_from_der` + `sim.audit.audit` on the same DER;
- their ratio (target: at least 0.5), and the end-to-end figure from CSV text to findings;
- pkilint on a 500-certificate sample, when the optional ``bench`` extra is installed.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from sim.audit import audit
from sim.loader import load_ccadb_csv, record_from_der

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared/data/ccadb/AllCertificatePEMsCSVFormat.csv"
SAMPLE = REPO / "tests/data/ccadb_sample.csv"


def _time(fn: Callable[[], int]) -> float:
    start = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - start)


def _paired(
    a: Callable[[], int], b: Callable[[], int], repeats: int = 7
) -> tuple[float, float, float]:
    """Run a and b alternately (the machine's noise hits both alike); medians and median ratio."""
    rates_a, rates_b = [], []
    for _ in range(repeats):
        rates_a.append(_time(a))
        rates_b.append(_time(b))
    ratios = [y / x for x, y in zip(rates_a, rates_b, strict=True)]
    return statistics.median(rates_a), statistics.median(rates_b), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else (DEFAULT if DEFAULT.exists() else SAMPLE)
    text = path.read_text()
    records = load_ccadb_csv(text, path.name)
    ders = [r.der for r in records if r.der]
    print(f"corpus: {path} ({len(ders)} certificates, {sum(not r.ok for r in records)} refused)")

    def bare() -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for der in ders:
                with contextlib.suppress(ValueError):
                    x509.load_der_x509_certificate(der).extensions  # noqa: B018
        return len(ders)

    def ours() -> int:
        for der in ders:
            audit(record_from_der(der, "bench"))
        return len(ders)

    def end_to_end() -> int:
        return len([audit(r) for r in load_ccadb_csv(text, path.name)])

    bare_rate, ours_rate, ratio = _paired(bare, ours)
    e2e_rate = _time(end_to_end)
    print(f"bare cryptography parse (load + extensions): {bare_rate:10,.0f} certificates/s")
    print(f"revlab audit (record + findings):            {ours_rate:10,.0f} certificates/s")
    print(f"ratio audit / bare parse (median of pairs):  {ratio:10.2f} (target >= 0.50)")
    print(f"end to end (CSV text -> findings):           {e2e_rate:10,.0f} certificates/s")
    _pkilint(ders[:500])
    return 0


def _pkilint(ders: list[bytes]) -> None:
    """pkilint's CA/B Forum server-auth lint, validators built once per certificate type."""
    try:
        from pkilint import loader
        from pkilint.cabf import serverauth
        from pkilint.pkix import certificate
    except ImportError:
        print("pkilint: not installed (pip install -e '.[bench]' to compare)")
        return
    doc_loader = loader.RFC5280CertificateDocumentLoader()
    validators: dict[object, object] = {}
    failed = 0
    start = time.perf_counter()
    for der in ders:
        try:
            cert = doc_loader.load_der_document(der, "bench")
            kind = serverauth.determine_certificate_type(cert)
            if kind not in validators:
                validators[kind] = certificate.create_pkix_certificate_validator_container(
                    serverauth.create_decoding_validators(), serverauth.create_validators(kind)
                )
            validators[kind].validate(cert.root)  # type: ignore[attr-defined]
        except Exception:  # pkilint raises on what it cannot decode; count it
            failed += 1
    rate = len(ders) / (time.perf_counter() - start)
    print(
        f"pkilint serverauth ({len(ders)} certificates, {failed} raised): "
        f"{rate:10,.0f} certificates/s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
