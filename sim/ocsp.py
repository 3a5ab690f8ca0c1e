"""Build, sign, parse and verify real OCSP messages (RFC 6960), forgeries included.

Everything here is real DER that OpenSSL reads. Signing takes the signer explicitly, so the
same function makes a genuine answer (the issuing CA, or its dedicated responder) and the 2020
forgery (a sibling intermediate that carries id-kp-OCSPSigning). Verification follows one of
two policies and raises :class:`OCSPVerifyError` naming the rule a response broke:

* ``rfc6960``: the signer is the issuer itself, or a certificate issued directly by the
  issuer's key that carries id-kp-OCSPSigning (RFC 6960 4.2.2.2). This is what OpenSSL does,
  and why an intermediate with that EKU can speak for its siblings and for itself.
* ``baseline``: additionally a delegated responder must not be a CA certificate, must assert
  id-kp-OCSPSigning alone, and must carry id-pkix-ocsp-nocheck encoded exactly ``05 00``
  (Baseline Requirements 7.1.2.8, ballot SC062).

Time is an argument everywhere: ``now`` must be timezone-aware.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from sim.der import DerError, raw_extensions
from sim.errors import ParameterError, RevlabError
from sim.pki import PrivateKey

__all__ = [
    "CERT_STATUSES",
    "DEFAULT_CLOCK_SKEW",
    "HASH_ALGORITHMS",
    "POLICIES",
    "RULES",
    "CertID",
    "CertStatus",
    "OCSPRequestError",
    "OCSPVerifyError",
    "ParsedRequest",
    "Policy",
    "Revocation",
    "VerifiedResponse",
    "build_request",
    "cert_id_for",
    "parse_request",
    "sign_response",
    "unsuccessful_response",
    "verify_response",
]

CertStatus = Literal["good", "revoked", "unknown"]
CERT_STATUSES: tuple[str, ...] = ("good", "revoked", "unknown")
Policy = Literal["rfc6960", "baseline"]
POLICIES: tuple[str, ...] = ("rfc6960", "baseline")

#: CertID hash algorithms by name. openssl ocsp uses SHA-1 unless told otherwise (RFC 5019 2.1.1
#: still mandates SHA-1 for the lightweight profile); newer clients send SHA-256.
HASH_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

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
    "(BR 7.1.2.8; CA certificates must not carry OCSPSigning, BR 7.1.2.10.6)",
    "baseline.responder.missing_ocsp_nocheck": "an OCSP responder certificate must carry "
    "id-pkix-ocsp-nocheck with the value 05 00 (BR 7.1.2.8.6)",
    "baseline.responder.extra_eku": "an OCSP responder certificate's extKeyUsage must be "
    "id-kp-OCSPSigning alone (BR 7.1.2.8.2)",
    "ocsp.validity.this_update_in_future": "thisUpdate is later than now (RFC 6960 3.2 (4))",
    "ocsp.validity.next_update_passed": "nextUpdate is earlier than now (RFC 6960 3.2 (5))",
    "ocsp.nonce.missing": "the request carried a nonce and the response does not (RFC 8954)",
    "ocsp.nonce.mismatch": "the response's nonce differs from the request's (RFC 8954)",
}

_OCSP_NOCHECK_VALUE = b"\x05\x00"
# RFC 8954 2.1: a nonce is 1 to 32 octets.
_NONCE_MAX = 32


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


class OCSPRequestError(RevlabError):
    """OCSP request bytes are malformed (the responder answers ``malformedRequest``)."""


@dataclass(frozen=True)
class CertID:
    """The identity of a certificate in OCSP (RFC 6960 4.1.1).

    Attributes:
        hash_algorithm: a key of :data:`HASH_ALGORITHMS`.
        issuer_name_hash: hash of the DER of the issuer's subject name.
        issuer_key_hash: hash of the issuer's subjectPublicKey BIT STRING value.
        serial_number: the certificate's serial number.
    """

    hash_algorithm: str
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial_number: int


@dataclass(frozen=True)
class Revocation:
    """When and why a certificate was revoked.

    Attributes:
        time: the revocation time (timezone-aware).
        reason: the CRLReason, or None to leave it out.
    """

    time: dt.datetime
    reason: x509.ReasonFlags | None = None

    def __post_init__(self) -> None:
        _require_aware(self.time, "time")


@dataclass(frozen=True)
class ParsedRequest:
    """What a responder needs from a request.

    Attributes:
        cert_id: the certificate asked about.
        nonce: the id-pkix-ocsp-nonce value, if the client sent one.
    """

    cert_id: CertID
    nonce: bytes | None


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
    policy: Policy


def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ParameterError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _hash_name(name: str) -> hashes.HashAlgorithm:
    try:
        return HASH_ALGORITHMS[name]()
    except KeyError:
        raise ParameterError(
            f"hash_algorithm must be one of {', '.join(HASH_ALGORITHMS)}, got {name!r}"
        ) from None


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _read_header(data: bytes, pos: int) -> tuple[int, int, int]:
    """One DER header at ``pos``: (tag, content start, content end)."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, pos, pos + length


def _public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING value (without the unused-bits octet), as encoded.

    RFC 6960 4.1.1 hashes these exact bytes, so we read them from the TBSCertificate rather
    than re-encode the parsed key.
    """
    tbs = cert.tbs_certificate_bytes
    _, pos, end = _read_header(tbs, 0)  # TBSCertificate SEQUENCE
    index = 0
    while pos < end:
        tag, start, field_end = _read_header(tbs, pos)
        if not (index == 0 and tag == 0xA0):  # skip the explicit [0] version
            index += 1
            if index == 6:  # serial, signature, issuer, validity, subject, SPKI
                _, _, alg_end = _read_header(tbs, start)  # AlgorithmIdentifier
                bits_tag, bits_start, bits_end = _read_header(tbs, alg_end)
                if bits_tag != 0x03:
                    raise DerError("subjectPublicKey is not a BIT STRING")
                return tbs[bits_start + 1 : bits_end]
        pos = field_end
    raise DerError("TBSCertificate has fewer fields than RFC 5280 requires")


def cert_id_for(
    issuer: x509.Certificate, serial_number: int, hash_algorithm: str = "sha1"
) -> CertID:
    """The CertID of serial ``serial_number`` issued by ``issuer`` (RFC 6960 4.1.1).

    Args:
        issuer: the CA certificate that issued (or would have issued) the certificate.
        serial_number: the certificate's serial number (need not exist: ``unknown`` answers).
        hash_algorithm: ``sha1`` (what openssl sends by default) or ``sha256``, ...

    Raises:
        ParameterError: unknown hash algorithm or a negative serial.
    """
    _hash_name(hash_algorithm)
    if serial_number < 0:
        raise ParameterError(f"serial_number must be >= 0, got {serial_number}")
    name_der = issuer.subject.public_bytes()
    return CertID(
        hash_algorithm,
        _digest(hash_algorithm, name_der),
        _digest(hash_algorithm, _public_key_bits(issuer)),
        serial_number,
    )


def _check_nonce(nonce: bytes | None) -> None:
    if nonce is not None and not 1 <= len(nonce) <= _NONCE_MAX:
        raise ParameterError(f"nonce must be 1 to {_NONCE_MAX} bytes (RFC 8954), got {len(nonce)}")


def build_request(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    hash_algorithm: str = "sha1",
    nonce: bytes | None = None,
) -> bytes:
    """A DER OCSPRequest for one certificate, with a nonce if one is given.

    Args:
        cert: the certificate to ask about.
        issuer: its issuer.
        hash_algorithm: the CertID hash (``sha1`` or ``sha256``, ...).
        nonce: 1 to 32 bytes chosen by the caller (RFC 8954), or None for no nonce.

    Raises:
        ParameterError: a bad hash name or nonce length.
    """
    _check_nonce(nonce)
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, _hash_name(hash_algorithm))
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def parse_request(der: bytes) -> ParsedRequest:
    """Read the CertID and nonce of a single-certificate OCSP request.

    Raises:
        OCSPRequestError: the bytes are not such a request (the caller answers
            ``malformedRequest``, RFC 6960 2.3).
    """
    try:
        request = ocsp.load_der_ocsp_request(der)
        algorithm = request.hash_algorithm.name
        cert_id = CertID(
            algorithm, request.issuer_name_hash, request.issuer_key_hash, request.serial_number
        )
        nonce = None
        for ext in request.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                nonce = ext.value.nonce
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise OCSPRequestError(f"not a single-certificate DER OCSP request: {exc}") from None
    if algorithm not in HASH_ALGORITHMS:
        raise OCSPRequestError(f"CertID hash {algorithm!r} is not supported")
    return ParsedRequest(cert_id, nonce)


def _signature_hash(key: PrivateKey) -> hashes.HashAlgorithm:
    # SHA-256 for both key types: what the Web PKI uses (BR 7.1.3.2).
    del key
    return hashes.SHA256()


def sign_response(
    cert_id: CertID,
    *,
    status: CertStatus,
    signer_cert: x509.Certificate,
    signer_key: PrivateKey,
    now: dt.datetime,
    validity: dt.timedelta | None = dt.timedelta(days=1),
    revocation: Revocation | None = None,
    nonce: bytes | None = None,
    include_signer: bool | None = None,
) -> bytes:
    """Sign a successful BasicOCSPResponse with one SingleResponse.

    The signer is whatever the caller says: the issuing CA, its delegated responder, or (the
    2020 forgery) a sibling intermediate. Nothing here checks authority: that is the
    verifier's job, and demonstrating that it matters is the point.

    Args:
        cert_id: the certificate the answer is about (from :func:`cert_id_for` or a request).
        status: ``good``, ``revoked`` or ``unknown``.
        signer_cert: the certificate whose key signs; named as ResponderID byKey (RFC 5019
            2.2.3 recommends byKey).
        signer_key: its private key.
        now: thisUpdate and producedAt; timezone-aware.
        validity: nextUpdate is ``now + validity``; None leaves nextUpdate out.
        revocation: required for ``revoked``, refused otherwise.
        nonce: echo of the request's nonce (RFC 8954), or None.
        include_signer: put ``signer_cert`` in ``certs`` so a client can validate a delegated
            signer; default: only when the signer is not the issuer named by ``cert_id``.

    Returns:
        The DER OCSPResponse.

    Raises:
        ParameterError: naive ``now``, a status/revocation mismatch, a bad nonce or validity.
    """
    _require_aware(now, "now")
    if status not in CERT_STATUSES:
        raise ParameterError(f"status must be one of {', '.join(CERT_STATUSES)}, got {status!r}")
    if (status == "revoked") != (revocation is not None):
        raise ParameterError("revocation is required for status 'revoked' and only for it")
    if validity is not None and validity <= dt.timedelta(0):
        raise ParameterError(f"validity must be positive, got {validity}")
    _check_nonce(nonce)
    this_update = now.astimezone(dt.UTC).replace(microsecond=0)
    next_update = None if validity is None else this_update + validity
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=cert_id.issuer_name_hash,
        issuer_key_hash=cert_id.issuer_key_hash,
        serial_number=cert_id.serial_number,
        algorithm=_hash_name(cert_id.hash_algorithm),
        cert_status=cert_status,
        this_update=this_update,
        next_update=next_update,
        revocation_time=None if revocation is None else revocation.time.astimezone(dt.UTC),
        revocation_reason=None if revocation is None else revocation.reason,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer_cert)
    if include_signer is None:
        own = cert_id_for(signer_cert, 0, cert_id.hash_algorithm)
        include_signer = (own.issuer_name_hash, own.issuer_key_hash) != (
            cert_id.issuer_name_hash,
            cert_id.issuer_key_hash,
        )
    if include_signer:
        builder = builder.certificates([signer_cert])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    response = builder.sign(signer_key, _signature_hash(signer_key))
    return response.public_bytes(serialization.Encoding.DER)


def unsuccessful_response(status: str) -> bytes:
    """A DER OCSPResponse without a body: ``malformedRequest``, ``internalError``,
    ``tryLater``, ``sigRequired`` or ``unauthorized`` (RFC 6960 4.2.1).

    Raises:
        ParameterError: an unknown or successful status.
    """
    statuses = {
        "malformedRequest": ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
        "internalError": ocsp.OCSPResponseStatus.INTERNAL_ERROR,
        "tryLater": ocsp.OCSPResponseStatus.TRY_LATER,
        "sigRequired": ocsp.OCSPResponseStatus.SIG_REQUIRED,
        "unauthorized": ocsp.OCSPResponseStatus.UNAUTHORIZED,
    }
    try:
        code = statuses[status]
    except KeyError:
        raise ParameterError(
            f"status must be one of {', '.join(statuses)}, got {status!r}"
        ) from None
    built = ocsp.OCSPResponseBuilder.build_unsuccessful(code)
    return built.public_bytes(serialization.Encoding.DER)


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
    return _digest("sha1", _public_key_bits(cert))


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
    responder: x509.Certificate, issuer: x509.Certificate, policy: Policy, now: dt.datetime
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
    if policy == "baseline":
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
        if nocheck is None or nocheck.value != _OCSP_NOCHECK_VALUE:
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
    policy: Policy = "rfc6960",
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
    _require_aware(now, "now")
    if policy not in POLICIES:
        raise ParameterError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
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
    single = None
    wanted = None
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
            single = candidate
            break
    if single is None or wanted is None:
        raise OCSPVerifyError(
            "ocsp.certid.mismatch",
            f"no answer for serial {serial:x} of {issuer.subject.rfc4514_string()}",
        )
    # RFC 6960 4.2.2.2: the issuer itself, or a delegate it issued with OCSPSigning.
    if _matches_responder_id(response, issuer):
        signer, delegated = issuer, False
    else:
        found = [
            c for c in [*response.certificates, *extra_certs] if _matches_responder_id(response, c)
        ]
        if not found:
            raise OCSPVerifyError(
                "ocsp.responder.not_found", "the signer is neither the issuer nor a carried cert"
            )
        signer, delegated = found[0], True
        _check_delegate(signer, issuer, policy, now)
    _verify_signature(
        signer, response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
    )
    this_update = single.this_update_utc
    next_update = single.next_update_utc
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
    if nonce is not None:
        got_nonce = None
        for ext in response.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                got_nonce = ext.value.nonce
        if got_nonce is None:
            raise OCSPVerifyError("ocsp.nonce.missing", "the response carries no nonce")
        if got_nonce != nonce:
            raise OCSPVerifyError(
                "ocsp.nonce.mismatch", f"sent {nonce.hex()}, got {got_nonce.hex()}"
            )
    status: CertStatus = {
        ocsp.OCSPCertStatus.GOOD: "good",
        ocsp.OCSPCertStatus.REVOKED: "revoked",
        ocsp.OCSPCertStatus.UNKNOWN: "unknown",
    }[single.certificate_status]  # type: ignore[assignment]
    reason = single.revocation_reason
    return VerifiedResponse(
        status=status,
        cert_id=wanted,
        this_update=this_update,
        next_update=next_update,
        revocation_time=single.revocation_time_utc,
        revocation_reason=None if reason is None else reason.value,
        signer=signer,
        delegated=delegated,
        policy=policy,
    )
