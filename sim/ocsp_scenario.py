"""The 2020 delegated-responder case as a scenario: its forgeries, and the fixed hierarchy.

Root R issued two intermediates. ICA-A (operated by another company) carries
id-kp-OCSPSigning, as 293 real intermediates did; ICA-B is its sibling. R revokes ICA-B, and
ICA-A signs "good" for ICA-B; R revokes ICA-A, and ICA-A signs "good" about itself. Both
forgeries satisfy RFC 6960 4.2.2.2 and OpenSSL. The same forgery by ``ica_a_noeku`` (ICA-A
re-issued with the same key, without the EKU) fails. The fixed hierarchy answers through
``responder``: an end-entity certificate with OCSPSigning, ocsp-nocheck and a short lifetime
(BR 7.1.2.8), which is all the ``baseline`` policy accepts.

One hierarchy holds both worlds so that they share root R (a relying party's trust anchor
does not change when the CA fixes its intermediates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from sim.errors import ParameterError
from sim.ocsp import Revocation, cert_id_for, sign_response
from sim.pki import Hierarchy, build_hierarchy

__all__ = [
    "FIXED_NAMES",
    "RESPONDER_DAYS",
    "RESPONSE_VALIDITY",
    "Incident2020",
    "build_incident_2020",
    "incident_2020_spec",
]

#: A dedicated responder certificate lives days, not years: with ocsp-nocheck nobody can
#: check its revocation, so a short life is the only limit on a stolen key (RFC 6960 4.2.2.2.1).
RESPONDER_DAYS = 4
#: nextUpdate - thisUpdate of every answer here (BR 4.9.10 allows 8 hours to 10 days).
RESPONSE_VALIDITY = dt.timedelta(days=1)
#: The certificates of the fixed hierarchy (the rest are the 2020 world).
FIXED_NAMES: tuple[str, ...] = ("root", "ica_a_noeku", "ica_b", "responder")

_OCSP_URL = "http://ocsp.root-r.test/"


def incident_2020_spec() -> dict[str, Any]:
    """The hierarchy spec of the scenario (see the module docstring), for ``sim.pki``."""
    tls_ekus = ["serverAuth", "clientAuth"]
    return {
        "name": "incident-2020",
        "certificates": [
            {"name": "root", "kind": "root", "subject": {"CN": "Root R", "O": "Root CA Inc"}},
            {
                "name": "ica_a",
                "kind": "intermediate",
                "issuer": "root",
                "subject": {"CN": "ICA-A", "O": "Another Company"},
                # EKU chaining: every EKU a leaf might need, OCSPSigning included (2020).
                "ekus": [*tls_ekus, "OCSPSigning"],
                "ocsp_url": _OCSP_URL,
            },
            {
                "name": "ica_a_noeku",
                "kind": "intermediate",
                "issuer": "root",
                "key_from": "ica_a",
                "subject": {"CN": "ICA-A", "O": "Another Company"},
                "ekus": tls_ekus,
                "ocsp_url": _OCSP_URL,
            },
            {
                "name": "ica_b",
                "kind": "intermediate",
                "issuer": "root",
                "subject": {"CN": "ICA-B", "O": "Root CA Inc"},
                "ekus": tls_ekus,
                "ocsp_url": _OCSP_URL,
            },
            {
                "name": "responder",
                "kind": "ocsp_responder",
                "issuer": "root",
                "subject": {"CN": "Root R OCSP Responder", "O": "Root CA Inc"},
                "validity_days": RESPONDER_DAYS,
            },
            {
                "name": "leaf_good",
                "kind": "tls_server",
                "issuer": "ica_b",
                "subject": {"CN": "good.example.test"},
                "dns_names": ["good.example.test"],
                "validity_days": 90,
            },
            {
                "name": "leaf_revoked",
                "kind": "tls_server",
                "issuer": "ica_b",
                "subject": {"CN": "revoked.example.test"},
                "dns_names": ["revoked.example.test"],
                "validity_days": 90,
            },
        ],
    }


@dataclass(frozen=True)
class Incident2020:
    """The built scenario: certificates, who is revoked, and the signed answers.

    Attributes:
        hierarchy: every certificate (the 2020 world and the fixed one share ``root``).
        revocations: revoked certificates by name: ``ica_a``, ``ica_b``, ``leaf_revoked``.
        signers: for each issuing CA, the name of the certificate that genuinely answers for
            it (``root`` answers through ``responder``; ICA-B answers for its leaves itself).
        forged_good_ica_b: ICA-A (with OCSPSigning) says revoked ICA-B is good.
        forged_good_ica_a: ICA-A says it is good itself, after R revoked it.
        forged_good_ica_b_noeku: the ICA-B forgery by ``ica_a_noeku`` (same key, no EKU).
        genuine_revoked_ica_b: the fixed hierarchy's responder says ICA-B is revoked.
    """

    hierarchy: Hierarchy
    revocations: Mapping[str, Revocation]
    signers: Mapping[str, str]
    forged_good_ica_b: bytes
    forged_good_ica_a: bytes
    forged_good_ica_b_noeku: bytes
    genuine_revoked_ica_b: bytes


def build_incident_2020(*, now: dt.datetime, seed: int = 0) -> Incident2020:
    """Build the 2020 scenario: certificates at ``now``, revocations and answers at ``now``.

    Args:
        now: notBefore of the certificates, time of the revocations and thisUpdate of the
            answers; timezone-aware.
        seed: derives keys and serials (see ``sim.pki.build_hierarchy``).

    Raises:
        ParameterError: ``now`` is naive.
    """
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ParameterError(f"now must be a timezone-aware datetime, got {now!r}")
    hierarchy = build_hierarchy(incident_2020_spec(), now=now, seed=seed)
    revoked_at = now.astimezone(dt.UTC).replace(microsecond=0)
    revocations = {
        # R's revocation of a sibling, and of ICA-A itself once the EKU was found (2020-07).
        "ica_b": Revocation(revoked_at, x509.ReasonFlags.superseded),
        "ica_a": Revocation(revoked_at, x509.ReasonFlags.key_compromise),
        "leaf_revoked": Revocation(revoked_at, x509.ReasonFlags.key_compromise),
    }
    root = hierarchy["root"].certificate

    def answer(about: str, signer: str, status: str) -> bytes:
        cert = hierarchy[about].certificate
        return sign_response(
            cert_id_for(root, cert.serial_number),
            status="revoked" if status == "revoked" else "good",
            signer_cert=hierarchy[signer].certificate,
            signer_key=hierarchy[signer].private_key,
            now=now,
            validity=RESPONSE_VALIDITY,
            revocation=revocations[about] if status == "revoked" else None,
        )

    return Incident2020(
        hierarchy=hierarchy,
        revocations=revocations,
        signers={"root": "responder", "ica_b": "ica_b"},
        forged_good_ica_b=answer("ica_b", "ica_a", "good"),
        forged_good_ica_a=answer("ica_a", "ica_a", "good"),
        forged_good_ica_b_noeku=answer("ica_b", "ica_a_noeku", "good"),
        genuine_revoked_ica_b=answer("ica_b", "responder", "revoked"),
    )
