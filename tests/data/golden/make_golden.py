"""Regenerate the golden certificates: ``python tests/data/golden/make_golden.py``.

Each ``NAME.pem`` is paired with ``NAME.expected``: the finding codes `sim.audit` must report,
one per line (an empty file: no finding). Generated certificates come from `sim.pki` with a
fixed seed; ``real_*`` files are real certificates copied from the CCADB snapshot (see
../README.md), kept because no generator would produce their flaws.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.pki import build_hierarchy

HERE = Path(__file__).parent
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)

ROOT = {"name": "root", "kind": "root", "subject": {"CN": "Golden Test Root"}}
CASES: dict[str, tuple[dict[str, object], list[str]]] = {
    "ca_ocsp_signing_eku": (
        {"kind": "intermediate", "ekus": ["serverAuth", "clientAuth", "OCSPSigning"]},
        ["ca.ocsp_signing_eku", "ocsp_responder.missing_nocheck"],
    ),
    "responder_missing_nocheck": (
        {"kind": "ocsp_responder", "ocsp_nocheck": False},
        ["ocsp_responder.missing_nocheck"],
    ),
    "responder_is_ca": (
        {"kind": "intermediate", "ekus": ["OCSPSigning"], "ocsp_nocheck": True},
        ["ca.ocsp_signing_eku", "ocsp_responder.is_ca"],
    ),
    "responder_nocheck_not_null": (
        {"kind": "ocsp_responder", "nocheck_value_hex": "0101ff"},
        # cryptography refuses a non-NULL nocheck when extensions are read: both codes.
        ["cert.unparseable", "ocsp_responder.nocheck_not_null"],
    ),
    "tls_validity_exceeds_max": (
        # Issued 2026-04-01, when SC081 step 1 allowed 200 days, with the old 397.
        {
            "kind": "tls_server",
            "dns_names": ["too-long.example"],
            "not_before": "2026-04-01T00:00:00+00:00",
            "validity_days": 397,
        },
        ["tls.validity_exceeds_max"],
    ),
    "good_responder": ({"kind": "ocsp_responder"}, []),
    "good_tls_leaf": (
        {
            "kind": "tls_server",
            "dns_names": ["fine.example"],
            "not_before": "2026-04-01T00:00:00+00:00",
            "validity_days": 200,
        },
        [],
    ),
}


def main() -> None:
    """Write every generated golden pair."""
    for name, (options, codes) in CASES.items():
        cert = {"name": name, "issuer": "root", "subject": {"CN": f"Golden {name}"}, **options}
        hierarchy = build_hierarchy({"certificates": [ROOT, cert]}, now=NOW, seed=7)
        (HERE / f"{name}.pem").write_bytes(hierarchy[name].pem)
        (HERE / f"{name}.expected").write_text("".join(f"{c}\n" for c in codes))


if __name__ == "__main__":
    main()
