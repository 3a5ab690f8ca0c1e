"""Build, sign and parse real OCSP messages (RFC 6960), forgeries included.

Everything here is real DER that OpenSSL reads. Signing takes the signer explicitly, so the
same function makes a genuine answer (the issuing CA, or its dedicated responder) and the 2020
forgery (a sibling intermediate that carries id-kp-OCSPSigning). Checking who may sign is
:mod:`sim.ocsp_verify`'s job.

Time is an argument everywhere: ``now`` must be timezone-aware.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from sim.der import subject_public_key_bits
from sim.errors import ParameterError, RevlabError
from sim.pki import PrivateKey
from sim.times import require_aware

__all__ = [
    "FROM_OCSP",
    "HASH_ALGORITHMS",
    "CertID",
    "CertStatus",
    "OCSPRequestError",
    "ParsedRequest",
    "Revocation",
    "build_request",
    "cert_id_for",
    "parse_request",
    "sign_response",
    "unsuccessful_response",
]


class CertStatus(StrEnum):
    """The certStatus of a SingleResponse (RFC 6960 4.2.1)."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


# The cryptography status of each CertStatus, and back.
_TO_OCSP: dict[CertStatus, ocsp.OCSPCertStatus] = {
    CertStatus.GOOD: ocsp.OCSPCertStatus.GOOD,
    CertStatus.REVOKED: ocsp.OCSPCertStatus.REVOKED,
    CertStatus.UNKNOWN: ocsp.OCSPCertStatus.UNKNOWN,
}
FROM_OCSP: dict[ocsp.OCSPCertStatus, CertStatus] = {v: k for k, v in _TO_OCSP.items()}

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

# RFC 8954 2.1: a nonce is 1 to 32 octets.
_NONCE_MAX = 32


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
        require_aware(self.time, "time")


@dataclass(frozen=True)
class ParsedRequest:
    """What a responder needs from a request.

    Attributes:
        cert_id: the certificate asked about.
        nonce: the id-pkix-ocsp-nonce value, if the client sent one.
    """

    cert_id: CertID
    nonce: bytes | None


def _hash_name(name: str) -> hashes.HashAlgorithm:
    try:
        return HASH_ALGORITHMS[name]()
    except KeyError:
        raise ParameterError(
            f"hash_algorithm must be one of {', '.join(HASH_ALGORITHMS)}, got {name!r}"
        ) from None


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


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
        _digest(hash_algorithm, subject_public_key_bits(issuer.tbs_certificate_bytes)),
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
    # SHA-256 for both key types: what the Web PKI uses (BR 2.2.6 §7.1.3.2).
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
    require_aware(now, "now")
    try:
        status = CertStatus(status)
    except ValueError:
        raise ParameterError(
            f"status must be one of {', '.join(CertStatus)}, got {status!r}"
        ) from None
    if (status is CertStatus.REVOKED) != (revocation is not None):
        raise ParameterError("revocation is required for status 'revoked' and only for it")
    if validity is not None and validity <= dt.timedelta(0):
        raise ParameterError(f"validity must be positive, got {validity}")
    _check_nonce(nonce)
    this_update = now.astimezone(dt.UTC).replace(microsecond=0)
    next_update = None if validity is None else this_update + validity
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=cert_id.issuer_name_hash,
        issuer_key_hash=cert_id.issuer_key_hash,
        serial_number=cert_id.serial_number,
        algorithm=_hash_name(cert_id.hash_algorithm),
        cert_status=_TO_OCSP[status],
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


