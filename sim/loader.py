"""Load real certificates from PEM bundles, DER files and CCADB's CSV report.

Every loaded item becomes a `CertRecord`. A certificate that cannot be parsed is not an
exception: it becomes a record whose ``error`` says why (the parser's own reason), and loading
goes on with the next item. Only input that is not a certificate container at all (an empty
file, a file that is neither PEM, DER nor CCADB CSV; see `sim.formats`) raises `LoadError`.

Loading is two steps, so that a caller can spread the expensive one over processes: splitting
a file into `PendingCertificate` items (cheap: finding PEM blocks or CSV rows), then
`PendingCertificate.load` on each (base64, parsing, reading extensions). `load_bytes` does both.

CCADB's report format ("AllCertificatePEMsCSVFormat"): two columns, ``SHA-256 Fingerprint``
(upper-case hex) and ``X.509 Certificate (PEM)``; PEM cells may carry stray quotes, blank lines
and odd line lengths, so PEM bodies are decoded leniently (whitespace is ignored) and strictly
(the base64 itself must be valid).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import enum
import hashlib
import io
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, Self, TypeVar, overload

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID

from sim.der import (
    DerError,
    basic_constraints_ca,
    certificate_names_and_validity,
    certificate_spki,
    certificate_tbs,
    eku_oids,
    raw_extensions,
    validity_isoformat,
)
from sim.errors import LoadError
from sim.formats import InputFormat, detect_format
from sim.names import rfc4514_name

__all__ = [
    "OID_OCSP_SIGNING",
    "OID_SERVER_AUTH",
    "CertRecord",
    "LoadError",
    "PendingCertificate",
    "expand_paths",
    "load_bytes",
    "load_ccadb_csv",
    "load_paths",
    "load_pem_bundle",
    "pending_certificates",
    "read_file",
    "record_from_der",
]

#: id-kp-OCSPSigning (RFC 6960 4.2.2.2).
OID_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
#: id-kp-serverAuth (RFC 5280 4.2.1.12).
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
#: id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1).
_OID_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5"

#: The header row of CCADB's AllCertificatePEMsCSVFormat report.
_CCADB_HEADER = ("SHA-256 Fingerprint", "X.509 Certificate (PEM)")

_OID_EKU = "2.5.29.37"
_OID_BC = "2.5.29.19"
_EKU = ExtensionOID.EXTENDED_KEY_USAGE
_BC = ExtensionOID.BASIC_CONSTRAINTS
_NOCHECK = ExtensionOID.OCSP_NO_CHECK
_ExtT = TypeVar("_ExtT", bound=x509.ExtensionType)
_PEM_RE = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)"
    rb"(?:-----END (?P=label)-----|(?=-----BEGIN)|\Z)",
    re.DOTALL,
)
_ERROR_MAX = 240
_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """`functools.cached_property` without its per-instance lock (Python 3.11 takes an RLock
    on every first access: several microseconds for each of a record's lazy fields).

    A non-data descriptor: the first access stores the value in the instance's ``__dict__``,
    which later accesses read directly. Python 3.12 dropped the lock the same way.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object, owner: type | None = None) -> Self | _T:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class CertRecord:
    """One certificate as loaded, or the reason it could not be.

    Attributes:
        source: where it came from, e.g. ``bundle.pem#3`` or ``report.csv:row 17``.
        sha256: lower-case hex SHA-256 of the DER (None when no DER could be extracted).
        error: why the certificate could not be parsed; None for a parsed certificate. For a
            refused certificate, ``ekus``, ``is_ca`` and ``nocheck`` are still read from the raw
            DER where it allows.
        ekus: dotted OIDs of the extended key usages (empty when the extension is absent).
        has_eku_extension: whether the certificate has an extendedKeyUsage extension at all.
        is_ca: basicConstraints cA (False when the extension is absent).
        nocheck: the raw value of id-pkix-ocsp-nocheck, None when absent.
        parse_warnings: the parser's complaints about a certificate it still accepted.
        der: the DER bytes.
        certificate: the parsed certificate.

    Names, validity, key identifiers and SANs are read lazily (properties): an audit of ten
    thousand CA certificates needs none of them for most, and reading them costs more than the
    parse itself.
    """

    source: str
    sha256: str | None
    error: str | None = None
    ekus: tuple[str, ...] = ()
    has_eku_extension: bool = False
    is_ca: bool = False
    nocheck: bytes | None = None
    parse_warnings: tuple[str, ...] = ()
    der: bytes | None = field(default=None, repr=False, compare=False)
    certificate: x509.Certificate | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the certificate was parsed."""
        return self.error is None

    @_Lazy
    def not_before(self) -> dt.datetime | None:
        """Start of validity (UTC); None for an unparseable certificate."""
        return None if self.certificate is None else self.certificate.not_valid_before_utc

    @_Lazy
    def not_after(self) -> dt.datetime | None:
        """End of validity (UTC); None for an unparseable certificate."""
        return None if self.certificate is None else self.certificate.not_valid_after_utc

    @_Lazy
    def ski(self) -> str | None:
        """subjectKeyIdentifier, hex."""
        value = self._extension(x509.SubjectKeyIdentifier)
        return None if value is None else value.digest.hex()

    @_Lazy
    def aki(self) -> str | None:
        """authorityKeyIdentifier keyIdentifier, hex (it names the issuer's key)."""
        value = self._extension(x509.AuthorityKeyIdentifier)
        if value is None or value.key_identifier is None:
            return None
        return value.key_identifier.hex()

    @_Lazy
    def dns_names(self) -> tuple[str, ...]:
        """dNSName SANs."""
        value = self._extension(x509.SubjectAlternativeName)
        return () if value is None else tuple(value.get_values_for_type(x509.DNSName))

    def _extension(self, kind: type[_ExtT]) -> _ExtT | None:
        if self.certificate is None:
            return None
        try:
            return self.certificate.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None

    @_Lazy
    def subject(self) -> str:
        """The subject, RFC 4514 (empty for an unparseable certificate)."""
        return self._names[1]

    @_Lazy
    def issuer(self) -> str:
        """The issuer, RFC 4514 (empty for an unparseable certificate)."""
        return self._names[0]

    @_Lazy
    def validity_iso(self) -> tuple[str | None, str | None]:
        """notBefore and notAfter as ``datetime.isoformat`` prints them (None, None for an
        unparseable certificate).

        Read from the DER's text where it is in RFC 5280's plain form, which is quicker than
        building the datetimes; from `not_before` and `not_after` otherwise.
        """
        if self.certificate is None:
            return None, None
        fields = self._tbs_fields
        iso = None if fields is None else validity_isoformat(fields[1])
        if iso is not None:
            return iso
        not_before, not_after = self.not_before, self.not_after
        return (
            not_before.isoformat() if not_before else None,
            not_after.isoformat() if not_after else None,
        )

    @_Lazy
    def _tbs_fields(self) -> tuple[bytes, bytes, bytes] | None:
        # Issuer, validity content and subject, from one walk of the DER; None if unreadable.
        try:
            return certificate_names_and_validity(self.der or b"")
        except DerError:
            return None

    @_Lazy
    def _names(self) -> tuple[str, str]:
        if self.certificate is None:
            return "", ""
        fields = self._tbs_fields
        raw = (b"", b"") if fields is None else (fields[0], fields[2])
        issuer, subject = (rfc4514_name(name) if name else None for name in raw)
        return (
            _render(self.certificate, "issuer") if issuer is None else issuer,
            _render(self.certificate, "subject") if subject is None else subject,
        )

    @_Lazy
    def spki_sha256(self) -> str | None:
        """SHA-256 of the SubjectPublicKeyInfo DER: the same key gives the same value."""
        if self.der is None:
            return None
        try:
            return hashlib.sha256(certificate_spki(self.der)).hexdigest()
        except DerError:
            return None

    @property
    def has_ocsp_signing(self) -> bool:
        """Whether the certificate asserts id-kp-OCSPSigning."""
        return OID_OCSP_SIGNING in self.ekus


def _render(cert: x509.Certificate, which: str) -> str:
    # The slow, general path (see `sim.names`). Real CA names sometimes exceed X.520's upper
    # bounds (a 65-character O): the parser warns with a plain UserWarning when it builds the
    # Name; the name is still what the CA wrote.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        name = cert.subject if which == "subject" else cert.issuer
        return name.rfc4514_string()


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= _ERROR_MAX else text[: _ERROR_MAX - 3] + "..."


def _unparseable(source: str, der: bytes | None, reason: str) -> CertRecord:
    digest = hashlib.sha256(der).hexdigest() if der else None
    return CertRecord(source=source, sha256=digest, error=reason, der=der)


def _raw_facts(record: CertRecord, der: bytes) -> CertRecord:
    """Add what the raw DER still says to the record of a certificate the parser refused.

    `cryptography` refuses a whole certificate for one malformed extension (a name constraint
    with host bits set, a non-NULL ocsp-nocheck). Whether it asserts OCSPSigning, is a CA, or
    carries nocheck does not depend on that, and is what makes it dangerous, so read those
    three extensions with our own DER walker.
    """
    try:
        raw = raw_extensions(certificate_tbs(der))
        eku = raw.get(_OID_EKU)
        bc = raw.get(_OID_BC)
        nocheck = raw.get(_OID_OCSP_NOCHECK)
        return replace(
            record,
            ekus=eku_oids(eku.value) if eku else (),
            has_eku_extension=eku is not None,
            is_ca=basic_constraints_ca(bc.value) if bc else False,
            nocheck=None if nocheck is None else nocheck.value,
        )
    except DerError:
        return record


def record_from_der(der: bytes, source: str) -> CertRecord:
    """Parse one DER certificate into a record; never raises for bad certificate bytes.

    The certificate counts as parsed only if `cryptography` reads it *and* its extensions
    (many real refusals happen only when extensions are read). Deprecation warnings the parser
    raises about a certificate it still accepts (negative serial numbers, NULL signature
    parameters) are kept as ``parse_warnings`` instead of escaping as warnings.
    """
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(der)
            extensions = cert.extensions
        is_ca = has_eku = False
        nocheck = None
        ekus: tuple[str, ...] = ()
        for ext in extensions:
            oid = ext.oid
            if oid == _BC:
                is_ca = ext.value.ca
            elif oid == _EKU:
                has_eku = True
                ekus = tuple(o.dotted_string for o in ext.value)
            elif oid == _NOCHECK:
                # BR 2.2.6 §7.1.2.8.6 wants the exact bytes 05 00: read them as encoded.
                nocheck = raw_extensions(cert.tbs_certificate_bytes)[_OID_OCSP_NOCHECK].value
    except (ValueError, TypeError, DerError, OverflowError, KeyError) as exc:
        return _raw_facts(_unparseable(source, der, _short(exc)), der)
    notes = tuple(
        str(w.message).split(". ")[0]
        for w in seen
        if issubclass(w.category, CryptographyDeprecationWarning)
    )
    return CertRecord(
        source=source,
        sha256=hashlib.sha256(der).hexdigest(),
        ekus=ekus,
        has_eku_extension=has_eku,
        is_ca=is_ca,
        nocheck=nocheck,
        parse_warnings=notes,
        der=der,
        certificate=cert,
    )


class _Payload(enum.StrEnum):
    """What a pending certificate holds until it is loaded."""

    DER = "der"
    PEM_BODY = "pem_body"
    CCADB_CELL = "ccadb_cell"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class PendingCertificate:
    """One certificate found in a file, not parsed yet.

    Attributes:
        source: where it is, e.g. ``bundle.pem#3`` or ``report.csv:row 17``.
        payload: the DER, the base64 body of a PEM block, or a CCADB PEM cell; for a broken
            item, why it is broken.
        kind: which of those ``payload`` is.
        fingerprint: the SHA-256 a CCADB row claims, checked once the DER is known.
    """

    source: str
    payload: bytes | str
    kind: _Payload
    fingerprint: str = ""

    def as_tuple(self) -> tuple[str, bytes | str, str, str]:
        """Plain values, quick to send to another process (`from_tuple` reads them back)."""
        return (self.source, self.payload, self.kind.value, self.fingerprint)

    @classmethod
    def from_tuple(cls, values: tuple[str, bytes | str, str, str]) -> PendingCertificate:
        """The pending certificate `as_tuple` gave."""
        source, payload, kind, fingerprint = values
        return cls(source, payload, _Payload(kind), fingerprint)

    def load(self) -> CertRecord:
        """Parse it into a record; never raises for bad certificate bytes."""
        if self.kind is _Payload.DER:
            assert isinstance(self.payload, bytes)
            return record_from_der(self.payload, self.source)
        if self.kind is _Payload.BROKEN:
            return _unparseable(self.source, None, str(self.payload))
        if self.kind is _Payload.PEM_BODY:
            return _from_base64(self.payload, self.source, "empty PEM block")
        assert isinstance(self.payload, str)
        record = _ccadb_cell(self.payload, self.source)
        if record.sha256 and self.fingerprint and record.sha256 != self.fingerprint:
            note = f"the row's fingerprint {self.fingerprint[:16]}... differs"
            record = replace(record, parse_warnings=(*record.parse_warnings, note))
        return record


def _broken(source: str, reason: str) -> PendingCertificate:
    return PendingCertificate(source, reason, _Payload.BROKEN)


def _from_base64(body: bytes | str, where: str, empty: str) -> CertRecord:
    der = _plain_base64(body)
    if der is not None:
        return record_from_der(der, where) if der else _unparseable(where, None, empty)
    # Whitespace inside a PEM body (line breaks, blank lines of CCADB cells) is not data.
    text = "".join(body.split()) if isinstance(body, str) else b"".join(body.split())
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        return _unparseable(where, None, f"PEM body is not valid base64 ({exc})")
    if not der:
        return _unparseable(where, None, empty)
    return record_from_der(der, where)


def _plain_base64(body: bytes | str) -> bytes | None:
    """The bytes of a body whose only whitespace is line breaks, and is valid base64; else None.

    The common case, quicker than splitting the body on whitespace: for such a body the strict
    decoding below gives what `_from_base64`'s general path gives, and for any other body it
    fails (or the body is not ASCII), and the general path decides, with its own message.
    """
    if isinstance(body, str):
        if not body.isascii():
            return None
        text = body.encode("ascii")
    else:
        text = body
    text = text.replace(b"\n", b"")
    if b"\r" in text:
        text = text.replace(b"\r", b"")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        return None


def _pem_blocks(data: bytes, source: str) -> Iterator[PendingCertificate]:
    index = 0
    for m in _PEM_RE.finditer(data):
        if m.group("label") != b"CERTIFICATE":
            continue
        index += 1
        where = f"{source}#{index}"
        if not m.group(0).rstrip().endswith(b"-----END CERTIFICATE-----"):
            yield _broken(where, "truncated PEM block: no END CERTIFICATE line")
            continue
        yield PendingCertificate(where, m.group("body"), _Payload.PEM_BODY)


def load_pem_bundle(data: bytes, source: str = "<pem>") -> list[CertRecord]:
    """Load every ``CERTIFICATE`` block of a PEM bundle (other blocks are ignored).

    Raises:
        LoadError: the data holds no certificate block at all.
    """
    return [item.load() for item in _pending_pem(data, source)]


def _pending_pem(data: bytes, source: str) -> list[PendingCertificate]:
    items = list(_pem_blocks(data, source))
    if not items:
        raise LoadError(f"{source}: no PEM CERTIFICATE block found")
    return items


def load_ccadb_csv(data: bytes | str, source: str = "<csv>") -> list[CertRecord]:
    """Load CCADB's AllCertificatePEMsCSVFormat report (one record per data row).

    A broken row (wrong number of cells, no PEM, a fingerprint that does not match the
    certificate) becomes a record that says so; the rest of the file still loads.

    Raises:
        LoadError: the header is not CCADB's.
    """
    return [item.load() for item in _pending_ccadb(data, source)]


def _pending_ccadb(data: bytes | str, source: str) -> Iterator[PendingCertificate]:
    """The rows of a CCADB report, split as they are read; the header is checked at once.

    Raises:
        LoadError: the header is not CCADB's (raised by this call, not by the iteration).
    """
    # Decoded piece by piece: a StringIO of the whole report would hold it four times over.
    stream = (
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
        if isinstance(data, bytes)
        else io.StringIO(data, newline="")
    )
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise LoadError(f"{source}: empty CSV") from None
    if tuple(h.strip() for h in header[:2]) != _CCADB_HEADER:
        raise LoadError(
            f"{source}: not a CCADB report (expected the header {', '.join(_CCADB_HEADER)})"
        )
    return _ccadb_rows(reader, source)


def _ccadb_rows(reader: Iterator[list[str]], source: str) -> Iterator[PendingCertificate]:
    row_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield _broken(f"{source}:row {row_no}", f"broken CSV row ({exc})")
            continue
        row_no += 1
        where = f"{source}:row {row_no}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            yield _broken(where, f"broken CSV row: expected 2 cells, found {len(row)}")
            continue
        yield PendingCertificate(where, row[1], _Payload.CCADB_CELL, row[0].strip().lower())


_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"


def _ccadb_cell(cell: str, where: str) -> CertRecord:
    """One CCADB PEM cell: exactly one certificate, whitespace inside the body ignored."""
    pem = cell.strip().strip('"')
    start = pem.find(_BEGIN)
    end = pem.find(_END, start + 1)
    if start < 0 or end < 0 or pem.find(_BEGIN, start + 1) >= 0:
        return _unparseable(where, None, "broken CSV row: the PEM cell holds no certificate")
    return _from_base64(pem[start + len(_BEGIN) : end], where, "empty PEM block")


def pending_certificates(data: bytes, source: str = "<input>") -> Iterator[PendingCertificate]:
    """Split a file in any certificate format into its certificates, without parsing them.

    The file is judged at once (this call raises); its certificates are split off as the
    iterator is read, so a caller can hand the first ones to workers before the last are found.

    Raises:
        LoadError: the data is empty or holds no certificates (see `sim.formats`).
    """
    kind = detect_format(data, source)
    if kind is InputFormat.CCADB_CSV:
        return _pending_ccadb(data, source)
    if kind is InputFormat.PEM:
        return iter(_pending_pem(data, source))
    if kind is InputFormat.DER:
        # A DER SEQUENCE: treat it as one certificate and let the parser judge it.
        return iter([PendingCertificate(source, data, _Payload.DER)])
    raise LoadError(f"{source}: a registry CSV holds no certificates (import it instead)")


def load_bytes(data: bytes, source: str = "<input>") -> list[CertRecord]:
    """Load certificates from bytes in any supported format (PEM bundle, DER, CCADB CSV).

    Raises:
        LoadError: the data is empty or in none of those formats.
    """
    return [item.load() for item in pending_certificates(data, source)]


def expand_paths(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """The files to read: each path given, and every file under a folder, recursively.

    Yields:
        (file, named): ``named`` is True for a file the caller named itself, False for one
        found in a folder (a caller may skip such a file when it holds no certificates).
        Files of a folder come in sorted order; hidden files and folders are left out.
    """
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # a name too long for the file system, for one
            raise LoadError(f"{path}: cannot read ({exc.strerror})") from None
        if not is_dir:
            yield path, True
            continue
        for file in sorted(path.rglob("*")):
            hidden = any(part.startswith(".") for part in file.relative_to(path).parts)
            if file.is_file() and not hidden:
                yield file, False


def read_file(path: Path) -> bytes:
    """The bytes of a file the user named.

    Raises:
        LoadError: it is missing or cannot be read (the message names it).
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read ({exc.strerror})") from None


def load_paths(paths: Iterable[str | Path]) -> Iterator[CertRecord]:
    """Load every file in turn (a folder: every file under it that holds certificates).

    Raises:
        LoadError: a path is missing or unreadable, or a named file holds no certificates.
    """
    for file, named in expand_paths(paths):
        data = read_file(file)
        try:
            items = pending_certificates(data, str(file))
        except LoadError:
            if named:
                raise
            continue
        yield from (item.load() for item in items)
