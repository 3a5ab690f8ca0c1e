"""Verify OCSP responses (RFC 6960) under one of two policies, naming the rule a forgery broke.

Verification raises :class:`OCSPVerifyError` with the dotted code of the broken rule:

* ``rfc6960``: the signer is the issuer itself, or a certificate issued directly by the
  issuer's key that carries id-kp-OCSPSigning (RFC 6960 4.2.2.2). This is what OpenSSL does,
  and why an intermediate with that EKU can speak for its siblings and for itself.
* ``baseline``: additionally a delegated responder must not be a CA certificate, must assert
  id-kp-OCSPSigning alone, and must carry id-pkix-ocsp-nocheck encoded exactly ``05 00``
  (BR 2.2.6 §7.1.2.8, in force since BR 2.0.0, ballot SC062).

Time is an argument: ``now`` must be timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from sim.der import OCSP_NOCHECK_NULL, raw_extensions
from sim.errors import ParameterError, RevlabError
from sim.ocsp import FROM_OCSP, HASH_ALGORITHMS, CertID, CertStatus, cert_id_for
from sim.rules import cite
from sim.times import require_aware

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "RULES",
    "OCSPPolicy",
    "OCSPVerifyError",
    "VerifiedResponse",
    "verify_response",
]


class OCSPPolicy(StrEnum):
    """Who may sign an OCSP answer (see the module docstring)."""

    RFC6960 = "rfc6960"
    BASELINE = "baseline"


#: Tolerance for thisUpdate in the future and nextUpdate in the past; OpenSSL's default
#: (``-validity_period`` 300 s) so both verifiers agree.
DEFAULT_CLOCK_SKEW = dt.timedelta(minutes=5)

#: The rules a response can break, as stable dotted codes, with the text they implement.
RULES: dict[str, str] = {
    "ocsp.response.malformed": "the bytes are not a DER OCSPResponse (RFC 6960 4.2.1)",
    "ocsp.response.unsuccessful": "responseStatus is not successful (RFC 6960 4.2.1)",
    "ocsp.certid.mismatch": "no SingleResponse for the certificate asked about (RFC 6960 3.2 (1))",
    "ocsp.signature.invalid": "the signature does not verify under the signer's key "
    "(RFC 6960 3.2 (2))",
    "ocsp.responder.not_found": "the responderID matches neither the issuer nor a certificate "
    "in the response (RFC 6960 4.2.2.3)",
    "rfc6960.responder.not_issued_by_issuer": "a delegated responder must be issued directly "
    "by the CA that issued the certificate in question (RFC 6960 4.2.2.2)",
    "rfc6960.responder.missing_ocspsigning": "a delegated responder must carry "
    "id-kp-OCSPSigning (RFC 6960 4.2.2.2)",
    "ocsp.responder.outside_validity": "the responder certificate is not valid at now "
    "(RFC 5280 6.1.3)",
    "baseline.responder.is_ca": "an OCSP responder certificate must not be a CA certificate "
    f"({cite('br.responder_not_ca')}; TLS CA certificates must not carry OCSPSigning, "
    f"{cite('br.tls_subca_eku')})",
    "baseline.responder.missing_ocsp_nocheck": "an OCSP responder certificate must carry "
    f"id-pkix-ocsp-nocheck with the value 05 00 ({cite('br.responder_nocheck')})",
    "baseline.responder.extra_eku": "an OCSP responder certificate's extKeyUsage must be "
    f"id-kp-OCSPSigning alone ({cite('br.responder_eku')})",
    "ocsp.validity.this_update_in_future": "thisUpdate is later than now (RFC 6960 3.2 (4))",
    "ocsp.validity.next_update_passed": "nextUpdate is earlier than now (RFC 6960 3.2 (5))",
    "ocsp.nonce.missing": "the request carried a nonce and the response does not (RFC 8954)",
    "ocsp.nonce.mismatch": "the response's nonce differs from the request's (RFC 8954)",
}


class OCSPVerifyError(RevlabError):
    """An OCSP response failed verification; ``rule`` is the dotted code of the broken rule.

    Attributes:
        rule: a key of :data:`RULES`.
        detail: what exactly was wrong, for a person.
    """

    def __init__(self, rule: str, detail: str) -> None:
        if rule not in RULES:
            raise ParameterError(f"rule must be one of RULES, got {rule!r}")
        self.rule = rule
        self.detail = detail
        super().__init__(f"{rule}: {detail} [{RULES[rule]}]")



@dataclass(frozen=True)
class VerifiedResponse:
    """A response that passed every check of its policy.

    Attributes:
        status: good, revoked or unknown.
        cert_id: the CertID the answer is about.
        this_update: thisUpdate (UTC).
        next_update: nextUpdate (UTC), None when the responder gave none.
        revocation_time: for ``revoked``, when.
        revocation_reason: for ``revoked``, the CRLReason name if given.
        signer: the certificate whose key signed the response.
        delegated: True when the signer is not the issuer itself.
        policy: the policy that accepted it.
    """

    status: CertStatus
    cert_id: CertID
    this_update: dt.datetime
    next_update: dt.datetime | None
    revocation_time: dt.datetime | None
    revocation_reason: str | None
    signer: x509.Certificate
    delegated: bool
    policy: OCSPPolicy


def _verify_signature(
    signer: x509.Certificate, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None
) -> None:
    key = signer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            raise OCSPVerifyError(
                "ocsp.signature.invalid", f"unsupported signer key {type(key).__name__}"
            )
    except InvalidSignature:
        raise OCSPVerifyError(
            "ocsp.signature.invalid",
            f"signature does not verify under the key of {signer.subject.rfc4514_string()}",
        ) from None


def _key_hash(cert: x509.Certificate) -> bytes:
    # ResponderID byKey is the SHA-1 of the same BIT STRING a CertID hashes (RFC 6960 4.2.1).
    return cert_id_for(cert, 0, "sha1").issuer_key_hash


def _matches_responder_id(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_key_hash is not None:
        return response.responder_key_hash == _key_hash(cert)
    return response.responder_name == cert.subject


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _check_delegate(
    responder: x509.Certificate, issuer: x509.Certificate, policy: OCSPPolicy, now: dt.datetime
) -> None:
    name = responder.subject.rfc4514_string()
    try:
        responder.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        raise OCSPVerifyError(
            "rfc6960.responder.not_issued_by_issuer",
            f"{name} is not issued by {issuer.subject.rfc4514_string()}",
        ) from None
    if ExtendedKeyUsageOID.OCSP_SIGNING not in _eku(responder):
        raise OCSPVerifyError(
            "rfc6960.responder.missing_ocspsigning", f"{name} has no id-kp-OCSPSigning"
        )
    if not responder.not_valid_before_utc <= now <= responder.not_valid_after_utc:
        raise OCSPVerifyError(
            "ocsp.responder.outside_validity",
            f"{name} is valid {responder.not_valid_before_utc.isoformat()} to "
            f"{responder.not_valid_after_utc.isoformat()}, now is {now.isoformat()}",
        )
    if policy is OCSPPolicy.BASELINE:
        _check_baseline_responder(responder, name)


def _check_baseline_responder(responder: x509.Certificate, name: str) -> None:
    """The profile of a dedicated responder certificate (BR 2.2.6 §7.1.2.8)."""
    if _is_ca(responder):
        raise OCSPVerifyError("baseline.responder.is_ca", f"{name} is a CA certificate")
    extra = [
        oid.dotted_string for oid in _eku(responder) if oid != ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    if extra:
        raise OCSPVerifyError(
            "baseline.responder.extra_eku", f"{name} also asserts {', '.join(extra)}"
        )
    nocheck = raw_extensions(responder.tbs_certificate_bytes).get(
        ExtensionOID.OCSP_NO_CHECK.dotted_string
    )
    if nocheck is None or nocheck.value != OCSP_NOCHECK_NULL:
        found = "absent" if nocheck is None else nocheck.value.hex()
        raise OCSPVerifyError(
            "baseline.responder.missing_ocsp_nocheck", f"{name}: ocsp-nocheck is {found}"
        )


def verify_response(
    der: bytes,
    *,
    issuer: x509.Certificate,
    cert: x509.Certificate | int,
    now: dt.datetime,
    policy: OCSPPolicy | str = OCSPPolicy.RFC6960,
    nonce: bytes | None = None,
    clock_skew: dt.timedelta = DEFAULT_CLOCK_SKEW,
    extra_certs: Sequence[x509.Certificate] = (),
) -> VerifiedResponse:
    """Verify an OCSP response about ``cert`` issued by ``issuer``, under ``policy``.

    Checks, in order: response status, the CertID match, who signed (the issuer, or a
    delegated responder the policy accepts), the signature, the thisUpdate/nextUpdate window
    around ``now`` and the nonce.

    Args:
        der: the DER OCSPResponse.
        issuer: the (trusted) issuer of the certificate in question.
        cert: the certificate in question, or its serial number.
        now: the verification time; timezone-aware.
        policy: ``rfc6960`` or ``baseline`` (see the module docstring).
        nonce: the nonce sent in the request; the response must echo it.
        clock_skew: tolerance applied to thisUpdate and nextUpdate.
        extra_certs: candidate responder certificates the response does not carry.

    Returns:
        The verified answer.

    Raises:
        OCSPVerifyError: naming the rule broken (see :data:`RULES`).
        ParameterError: naive ``now`` or an unknown policy.
    """
    require_aware(now, "now")
    try:
        policy = OCSPPolicy(policy)
    except ValueError:
        raise ParameterError(
            f"policy must be one of {', '.join(OCSPPolicy)}, got {policy!r}"
        ) from None
    now = now.astimezone(dt.UTC)
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise OCSPVerifyError("ocsp.response.malformed", str(exc)) from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OCSPVerifyError(
            "ocsp.response.unsuccessful", f"responseStatus is {response.response_status.name}"
        )
    serial = cert if isinstance(cert, int) else cert.serial_number
    single, cert_id = _find_single(response, issuer, serial)
    signer, delegated = _find_signer(response, issuer, extra_certs)
    if delegated:
        _check_delegate(signer, issuer, policy, now)
    _verify_signature(
        signer, response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
    )
    _check_window(single, now, clock_skew)
    if nonce is not None:
        _check_nonce_echo(response, nonce)
    reason = single.revocation_reason
    return VerifiedResponse(
        status=FROM_OCSP[single.certificate_status],
        cert_id=cert_id,
        this_update=single.this_update_utc,
        next_update=single.next_update_utc,
        revocation_time=single.revocation_time_utc,
        revocation_reason=None if reason is None else reason.value,
        signer=signer,
        delegated=delegated,
        policy=policy,
    )


def _find_single(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, serial: int
) -> tuple[ocsp.OCSPSingleResponse, CertID]:
    """The SingleResponse about ``serial`` of ``issuer`` (RFC 6960 3.2 (1))."""
    for candidate in response.responses:
        algorithm = candidate.hash_algorithm.name
        if algorithm not in HASH_ALGORITHMS:
            continue
        wanted = cert_id_for(issuer, serial, algorithm)
        got = CertID(
            algorithm,
            candidate.issuer_name_hash,
            candidate.issuer_key_hash,
            candidate.serial_number,
        )
        if got == wanted:
            return candidate, wanted
    raise OCSPVerifyError(
        "ocsp.certid.mismatch",
        f"no answer for serial {serial:x} of {issuer.subject.rfc4514_string()}",
    )


def _find_signer(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    extra_certs: Sequence[x509.Certificate],
) -> tuple[x509.Certificate, bool]:
    """The certificate the responderID names, and whether it is a delegate (not the issuer)."""
    # RFC 6960 4.2.2.2: the issuer itself, or a delegate it issued with OCSPSigning.
    if _matches_responder_id(response, issuer):
        return issuer, False
    for candidate in [*response.certificates, *extra_certs]:
        if _matches_responder_id(response, candidate):
            return candidate, True
    raise OCSPVerifyError(
        "ocsp.responder.not_found", "the signer is neither the issuer nor a carried cert"
    )


def _check_window(
    single: ocsp.OCSPSingleResponse, now: dt.datetime, clock_skew: dt.timedelta
) -> None:
    """thisUpdate not after now, nextUpdate not before it (RFC 6960 3.2 (4), (5))."""
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > now + clock_skew:
        raise OCSPVerifyError(
            "ocsp.validity.this_update_in_future",
            f"thisUpdate {this_update.isoformat()} is after now {now.isoformat()}",
        )
    if next_update is not None and next_update < now - clock_skew:
        raise OCSPVerifyError(
            "ocsp.validity.next_update_passed",
            f"nextUpdate {next_update.isoformat()} is before now {now.isoformat()}",
        )


def _check_nonce_echo(response: ocsp.OCSPResponse, nonce: bytes) -> None:
    """The response echoes the request's nonce (RFC 8954)."""
    got = None
    for ext in response.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            got = ext.value.nonce
    if got is None:
        raise OCSPVerifyError("ocsp.nonce.missing", "the response carries no nonce")
    if got != nonce:
        raise OCSPVerifyError("ocsp.nonce.mismatch", f"sent {nonce.hex()}, got {got.hex()}")
