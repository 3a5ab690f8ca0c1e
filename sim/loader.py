"""Load real certificates from PEM bundles, DER files and CCADB's CSV report.

Every loaded item becomes a `CertRecord`. A certificate that cannot be parsed is not an
exception: it becomes a record whose ``error`` says why (the parser's own reason), and loading
goes on with the next item. Only input that is not a certificate container at all (an empty
file, a file that is neither PEM, DER nor CCADB CSV) raises `LoadError`.

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
import hashlib
import io
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID

from sim.der import (
    DerError,
    basic_constraints_ca,
    certificate_spki,
    certificate_tbs,
    eku_oids,
    raw_extensions,
)
from sim.errors import LoadError

__all__ = [
    "CCADB_HEADER",
    "OID_OCSP_NOCHECK",
    "OID_OCSP_SIGNING",
    "OID_SERVER_AUTH",
    "CertRecord",
    "LoadError",
    "load_bytes",
    "load_ccadb_csv",
    "load_paths",
    "load_pem_bundle",
    "record_from_der",
]

#: id-kp-OCSPSigning (RFC 6960 4.2.2.2).
OID_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
#: id-kp-serverAuth (RFC 5280 4.2.1.12).
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
#: id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1).
OID_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5"

#: The header row of CCADB's AllCertificatePEMsCSVFormat report.
CCADB_HEADER = ("SHA-256 Fingerprint", "X.509 Certificate (PEM)")

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

    @cached_property
    def not_before(self) -> dt.datetime | None:
        """Start of validity (UTC); None for an unparseable certificate."""
        return None if self.certificate is None else self.certificate.not_valid_before_utc

    @cached_property
    def not_after(self) -> dt.datetime | None:
        """End of validity (UTC); None for an unparseable certificate."""
        return None if self.certificate is None else self.certificate.not_valid_after_utc

    @cached_property
    def ski(self) -> str | None:
        """subjectKeyIdentifier, hex."""
        value = self._extension(x509.SubjectKeyIdentifier)
        return None if value is None else value.digest.hex()

    @cached_property
    def aki(self) -> str | None:
        """authorityKeyIdentifier keyIdentifier, hex (it names the issuer's key)."""
        value = self._extension(x509.AuthorityKeyIdentifier)
        if value is None or value.key_identifier is None:
            return None
        return value.key_identifier.hex()

    @cached_property
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

    @cached_property
    def subject(self) -> str:
        """The subject, RFC 4514 (empty for an unparseable certificate)."""
        return "" if self.certificate is None else _render(self.certificate, "subject")

    @cached_property
    def issuer(self) -> str:
        """The issuer, RFC 4514 (empty for an unparseable certificate)."""
        return "" if self.certificate is None else _render(self.certificate, "issuer")

    @cached_property
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
    # Real CA names sometimes exceed X.520's upper bounds (a 65-character O): the parser warns
    # with a plain UserWarning when it builds the Name; the name is still what the CA wrote.
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
        nocheck = raw.get(OID_OCSP_NOCHECK)
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
                # BR 7.1.2.8.6 wants the exact bytes 05 00: read them as encoded.
                nocheck = raw_extensions(cert.tbs_certificate_bytes)[OID_OCSP_NOCHECK].value
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


def _pem_blocks(data: bytes, source: str) -> Iterator[CertRecord]:
    index = 0
    for m in _PEM_RE.finditer(data):
        if m.group("label") != b"CERTIFICATE":
            continue
        index += 1
        where = f"{source}#{index}"
        if not m.group(0).rstrip().endswith(b"-----END CERTIFICATE-----"):
            yield _unparseable(where, None, "truncated PEM block: no END CERTIFICATE line")
            continue
        body = b"".join(m.group("body").split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            yield _unparseable(where, None, f"PEM body is not valid base64 ({exc})")
            continue
        if not der:
            yield _unparseable(where, None, "empty PEM block")
            continue
        yield record_from_der(der, where)


def load_pem_bundle(data: bytes, source: str = "<pem>") -> list[CertRecord]:
    """Load every ``CERTIFICATE`` block of a PEM bundle (other blocks are ignored).

    Raises:
        LoadError: the data holds no certificate block at all.
    """
    records = list(_pem_blocks(data, source))
    if not records:
        raise LoadError(f"{source}: no PEM CERTIFICATE block found")
    return records


def load_ccadb_csv(data: bytes | str, source: str = "<csv>") -> list[CertRecord]:
    """Load CCADB's AllCertificatePEMsCSVFormat report (one record per data row).

    A broken row (wrong number of cells, no PEM, a fingerprint that does not match the
    certificate) becomes a record that says so; the rest of the file still loads.

    Raises:
        LoadError: the header is not CCADB's.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    return list(_iter_ccadb(text, source))


def _iter_ccadb(text: str, source: str) -> Iterator[CertRecord]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise LoadError(f"{source}: empty CSV") from None
    if tuple(h.strip() for h in header[:2]) != CCADB_HEADER:
        raise LoadError(
            f"{source}: not a CCADB report (expected the header {', '.join(CCADB_HEADER)})"
        )
    row_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield _unparseable(f"{source}:row {row_no}", None, f"broken CSV row ({exc})")
            continue
        row_no += 1
        where = f"{source}:row {row_no}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            yield _unparseable(where, None, f"broken CSV row: expected 2 cells, found {len(row)}")
            continue
        fingerprint, pem = row[0].strip().lower(), row[1].strip().strip('"')
        record = _ccadb_cell(pem, where)
        if record.sha256 and fingerprint and record.sha256 != fingerprint:
            notes = (*record.parse_warnings, f"the row's fingerprint {fingerprint[:16]}... differs")
            record = replace(record, parse_warnings=notes)
        yield record


_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"


def _ccadb_cell(pem: str, where: str) -> CertRecord:
    """One CCADB PEM cell: exactly one certificate, whitespace inside the body ignored."""
    start = pem.find(_BEGIN)
    end = pem.find(_END, start + 1)
    if start < 0 or end < 0 or pem.find(_BEGIN, start + 1) >= 0:
        return _unparseable(where, None, "broken CSV row: the PEM cell holds no certificate")
    body = "".join(pem[start + len(_BEGIN) : end].split())
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        return _unparseable(where, None, f"PEM body is not valid base64 ({exc})")
    return record_from_der(der, where)


def load_bytes(data: bytes, source: str = "<input>") -> list[CertRecord]:
    """Load certificates from bytes in any supported format (PEM bundle, DER, CCADB CSV).

    Raises:
        LoadError: the data is empty or in none of those formats.
    """
    if not data.strip():
        raise LoadError(f"{source}: empty file")
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"SHA-256 Fingerprint"):
        return load_ccadb_csv(data, source)
    if b"-----BEGIN" in data:
        return load_pem_bundle(data, source)
    if data[:1] == b"\x30":
        # A DER SEQUENCE: treat it as one certificate and let the parser judge it.
        return [record_from_der(data, source)]
    raise LoadError(f"{source}: not a PEM bundle, a DER certificate or a CCADB CSV report")


def load_paths(paths: Iterable[str | Path]) -> Iterator[CertRecord]:
    """Load every file in turn (a directory: its *.pem, *.crt, *.cer, *.der, *.csv files).

    Raises:
        LoadError: a path is missing or unreadable, or a file is in no supported format.
    """
    for raw in paths:
        path = Path(raw)
        files = (
            sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in files:
            try:
                data = file.read_bytes()
            except FileNotFoundError:
                raise LoadError(f"{file}: no such file") from None
            except OSError as exc:
                raise LoadError(f"{file}: cannot read ({exc.strerror})") from None
            yield from load_bytes(data, str(file))


_SUFFIXES = {".pem", ".crt", ".cer", ".der", ".csv"}
