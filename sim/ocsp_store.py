"""Pre-signed OCSP answers for a simulated hierarchy: a request costs a lookup, not a signature.

Every certificate a CA of the hierarchy issued gets its answer signed ahead of time, once per
CertID hash algorithm clients use (SHA-1, which ``openssl ocsp`` sends by default, and
SHA-256), keyed by CertID (issuer name hash, issuer key hash, serial). Answers are re-signed
once half of their validity has passed, so a client never sees one near its nextUpdate
(RFC 5019 6: pre-produced responses; BR 4.9.10: refresh before the midpoint for short ones).

Nonces: a pre-signed answer cannot echo a request's nonce, and by default none is echoed, as
RFC 5019 section 4 and RFC 8954 section 2.1 allow (clients then rely on thisUpdate freshness;
``openssl ocsp`` prints "WARNING: no nonce in response" and still verifies). With
``honour_nonce=True`` a request with a nonce is signed on the spot instead, at the cost of a
signature per such request.

Serials the CA never issued get ``unknown``, signed on first request and kept in a bounded
cache; CertIDs whose issuer is not in the hierarchy get ``unauthorized`` (RFC 6960 2.3), and
bytes that are not a request get ``malformedRequest``. Time is an argument: ``now``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.errors import ParameterError
from sim.ocsp import (
    CertID,
    CertStatus,
    OCSPRequestError,
    Revocation,
    cert_id_for,
    parse_request,
    sign_response,
    unsuccessful_response,
)
from sim.pki import Hierarchy, IssuedCert

__all__ = ["DEFAULT_HASH_ALGORITHMS", "OCSPAnswer", "PresignedResponder"]

#: CertID hashes we answer for (pre-signed); a CertID with another hash gets ``unauthorized``.
DEFAULT_HASH_ALGORITHMS: tuple[str, ...] = ("sha1", "sha256")
# Bound on cached answers for serials nobody issued: a client asking random serials must not
# grow memory without limit.
_MAX_UNKNOWN = 4096


@dataclass(frozen=True)
class OCSPAnswer:
    """One answer of the responder.

    Attributes:
        der: the DER OCSPResponse to send.
        status: good, revoked, unknown, or the unsuccessful responseStatus
            (``malformedRequest``, ``unauthorized``).
        next_update: nextUpdate of a successful answer (for HTTP caching), else None.
        presigned: True when the answer came from the table without signing.
    """

    der: bytes
    status: str
    next_update: dt.datetime | None
    presigned: bool


@dataclass(frozen=True)
class _Signed:
    der: bytes
    status: CertStatus
    this_update: dt.datetime
    next_update: dt.datetime


def _utc(now: dt.datetime) -> dt.datetime:
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ParameterError(f"now must be a timezone-aware datetime, got {now!r}")
    return now.astimezone(dt.UTC)


class PresignedResponder:
    """OCSP answers for every certificate issued by a CA of ``hierarchy``.

    Args:
        hierarchy: the simulated hierarchy; each CA certificate in it is an issuer we answer for.
        revocations: revoked certificates by spec-local name.
        signers: for an issuer's name, the name of the certificate that signs its answers
            (its delegated responder); issuers not listed sign their own answers.
        now: when the first table is signed; timezone-aware.
        validity: nextUpdate - thisUpdate of every answer.
        hash_algorithms: CertID hashes to pre-sign for.
        honour_nonce: sign requests that carry a nonce on the spot and echo it.

    Raises:
        ParameterError: naive ``now``, non-positive ``validity``, an unknown name in
            ``revocations`` or ``signers``.
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        *,
        revocations: Mapping[str, Revocation],
        now: dt.datetime,
        signers: Mapping[str, str] | None = None,
        validity: dt.timedelta = dt.timedelta(days=1),
        hash_algorithms: Sequence[str] = DEFAULT_HASH_ALGORITHMS,
        honour_nonce: bool = False,
    ) -> None:
        if validity <= dt.timedelta(0):
            raise ParameterError(f"validity must be positive, got {validity}")
        signers = dict(signers or {})
        for name in [*revocations, *signers, *signers.values()]:
            if name not in hierarchy.certs:
                raise ParameterError(
                    f"no certificate named {name!r} in hierarchy {hierarchy.name!r}"
                )
        self._hierarchy = hierarchy
        self._revocations = dict(revocations)
        self._validity = validity
        self._hash_algorithms = tuple(hash_algorithms)
        self._honour_nonce = honour_nonce
        # (hash, name hash, key hash) -> (issuer, signer); several CA certificates may share a
        # name and key (a re-issue), their children are answered alike.
        self._issuers: dict[tuple[str, bytes, bytes], tuple[IssuedCert, IssuedCert]] = {}
        self._issued: dict[tuple[str, bytes, bytes], dict[int, str]] = {}
        for ca in hierarchy:
            if not ca.spec.is_ca:
                continue
            signer = hierarchy[signers.get(ca.name, ca.name)]
            children = {c.certificate.serial_number: c.name for c in hierarchy.children(ca.name)}
            for algorithm in self._hash_algorithms:
                probe = cert_id_for(ca.certificate, 0, algorithm)
                key = (algorithm, probe.issuer_name_hash, probe.issuer_key_hash)
                self._issuers.setdefault(key, (ca, signer))
                self._issued.setdefault(key, {}).update(children)
        self._table: dict[CertID, _Signed] = {}
        self._unknown: OrderedDict[CertID, _Signed] = OrderedDict()
        self._refresh_at = _utc(now)
        self._lock = threading.Lock()
        self.refresh(now)

    @property
    def refresh_at(self) -> dt.datetime:
        """When the table is next re-signed (half-way through the answers' validity)."""
        return self._refresh_at

    def __len__(self) -> int:
        """The number of pre-signed answers in the table."""
        return len(self._table)

    def _sign(self, cert_id: CertID, now: dt.datetime, nonce: bytes | None = None) -> _Signed:
        """Sign the answer for ``cert_id``, whose issuer must be one of ours."""
        issuer_key = (cert_id.hash_algorithm, cert_id.issuer_name_hash, cert_id.issuer_key_hash)
        ca, signer = self._issuers[issuer_key]
        name = self._issued[issuer_key].get(cert_id.serial_number)
        revocation = None if name is None else self._revocations.get(name)
        status: CertStatus
        if name is None:
            status = "unknown"
        elif revocation is not None:
            status = "revoked"
        else:
            status = "good"
        this_update = now.replace(microsecond=0)
        der = sign_response(
            cert_id,
            status=status,
            signer_cert=signer.certificate,
            signer_key=signer.private_key,
            now=this_update,
            validity=self._validity,
            revocation=revocation,
            nonce=nonce,
            include_signer=signer.name != ca.name,
        )
        return _Signed(der, status, this_update, this_update + self._validity)

    def refresh(self, now: dt.datetime, *, force: bool = False) -> int:
        """Re-sign every answer if the refresh time has come (or ``force``).

        Returns:
            The number of answers signed (0 when nothing was due).
        """
        now = _utc(now)
        with self._lock:
            if not force and now < self._refresh_at and self._table:
                return 0
            table: dict[CertID, _Signed] = {}
            for (algorithm, name_hash, key_hash), issued in self._issued.items():
                for serial in issued:
                    cert_id = CertID(algorithm, name_hash, key_hash, serial)
                    table[cert_id] = self._sign(cert_id, now)
            self._table = table
            self._unknown.clear()
            self._refresh_at = now + self._validity / 2
            return len(table)

    def respond(self, request_der: bytes, *, now: dt.datetime) -> OCSPAnswer:
        """Answer one DER OCSP request at ``now``; never raises for bad input.

        Args:
            request_der: the request body (POST) or decoded path (GET).
            now: the current time; timezone-aware.
        """
        now = _utc(now)
        try:
            request = parse_request(request_der)
        except OCSPRequestError:
            return OCSPAnswer(
                unsuccessful_response("malformedRequest"), "malformedRequest", None, False
            )
        if now >= self._refresh_at:
            self.refresh(now)
        cert_id = request.cert_id
        if request.nonce is not None and self._honour_nonce:
            issuer_key = (cert_id.hash_algorithm, cert_id.issuer_name_hash, cert_id.issuer_key_hash)
            if issuer_key not in self._issuers:
                return self._unauthorized()
            signed = self._sign(cert_id, now, request.nonce)
            return OCSPAnswer(signed.der, signed.status, signed.next_update, False)
        found = self._table.get(cert_id)
        if found is not None:
            return OCSPAnswer(found.der, found.status, found.next_update, True)
        issuer_key = (cert_id.hash_algorithm, cert_id.issuer_name_hash, cert_id.issuer_key_hash)
        if issuer_key not in self._issuers:
            return self._unauthorized()
        with self._lock:
            cached = self._unknown.get(cert_id)
            if cached is not None:
                return OCSPAnswer(cached.der, cached.status, cached.next_update, True)
            signed = self._sign(cert_id, now)
            self._unknown[cert_id] = signed
            while len(self._unknown) > _MAX_UNKNOWN:
                self._unknown.popitem(last=False)
        return OCSPAnswer(signed.der, signed.status, signed.next_update, False)

    @staticmethod
    def _unauthorized() -> OCSPAnswer:
        return OCSPAnswer(unsuccessful_response("unauthorized"), "unauthorized", None, False)
