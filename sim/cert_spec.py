"""Hierarchy specs: the small declarative format :func:`sim.pki.build_hierarchy` builds from.

A spec is a mapping (or a JSON file) that lists certificates by name, each naming its issuer::

    {"name": "seed-article",
     "certificates": [
       {"name": "root", "kind": "root", "subject": {"CN": "Example CA Root X1", "O": "Example CA"}},
       {"name": "g2", "kind": "intermediate", "issuer": "root",
        "subject": {"CN": "Example CA intermediate G2", "O": "Example CA"},
        "ekus": ["serverAuth", "clientAuth", "OCSPSigning"]},
       {"name": "leaf", "kind": "tls_server", "issuer": "g2", "dns_names": ["ssl.sakura.ad.jp"]}]}

:func:`parse_spec` validates one into :class:`CertSpec` records, issuers first, and raises
:class:`sim.errors.SpecError` naming the certificate and the option at fault.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sim.errors import SpecError
from sim.times import parse_aware_time

__all__ = [
    "EKU_NAMES",
    "KEY_TYPES",
    "NAME_ATTRS",
    "CertKind",
    "CertSpec",
    "parse_spec",
]


class CertKind(StrEnum):
    """What a certificate of a spec is: a CA (root, intermediate) or a kind of leaf."""

    ROOT = "root"
    INTERMEDIATE = "intermediate"
    TLS_SERVER = "tls_server"
    SMIME = "smime"
    CODE_SIGNING = "code_signing"
    OCSP_RESPONDER = "ocsp_responder"


KEY_TYPES: tuple[str, ...] = ("ec-p256", "rsa-2048")

#: Friendly EKU names accepted in specs, mapped to OIDs (RFC 5280 4.2.1.12).
EKU_NAMES: dict[str, x509.ObjectIdentifier] = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timeStamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "OCSPSigning": ExtendedKeyUsageOID.OCSP_SIGNING,
}

# Default lifetimes, in days. Roots and intermediates live long; a TLS leaf gets the 397 days
# that were the norm from 2020-09 until SC081 (tests that need today's 200 days say so).
_DEFAULT_DAYS: dict[CertKind, int] = {
    CertKind.ROOT: 25 * 365,
    CertKind.INTERMEDIATE: 10 * 365,
    CertKind.TLS_SERVER: 397,
    CertKind.SMIME: 825,
    CertKind.CODE_SIGNING: 3 * 365,
    CertKind.OCSP_RESPONDER: 30,
}
_DEFAULT_EKUS: dict[CertKind, tuple[str, ...]] = {
    CertKind.ROOT: (),
    CertKind.INTERMEDIATE: (),
    CertKind.TLS_SERVER: ("serverAuth",),
    CertKind.SMIME: ("emailProtection",),
    CertKind.CODE_SIGNING: ("codeSigning",),
    CertKind.OCSP_RESPONDER: ("OCSPSigning",),
}
#: Subject attribute abbreviations a spec may use, and their OIDs.
NAME_ATTRS: dict[str, x509.ObjectIdentifier] = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
}




@dataclass(frozen=True)
class CertSpec:
    """One certificate of a hierarchy spec, validated.

    Attributes:
        name: the spec-local name other certificates refer to as ``issuer``.
        kind: root, intermediate, tls_server, smime, code_signing or ocsp_responder.
        subject: name attributes, e.g. ``{"CN": "...", "O": "..."}``.
        issuer: the issuing certificate's name; None for a root (self-signed).
        key_type: ``ec-p256`` (default) or ``rsa-2048``.
        key_from: reuse the key of this named certificate (a re-issue with the same key).
        not_before: start of validity; None means ``now`` at build time.
        not_after: end of validity; None means ``not_before + validity_days``.
        validity_days: lifetime when ``not_after`` is not given.
        ekus: extended key usages by friendly name (see ``EKU_NAMES``) or dotted OID.
        ocsp_nocheck: add id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1).
        nocheck_value: raw value for that extension; the default is the correct ``05 00``.
        ca: basicConstraints cA; defaults from ``kind``.
        path_length: basicConstraints pathLenConstraint of a CA.
        ocsp_url: AIA id-ad-ocsp URL.
        ca_issuers_url: AIA id-ad-caIssuers URL.
        crl_url: CRL distribution point URL.
        dns_names: dNSName SANs (tls_server).
        emails: rfc822Name SANs (smime).
    """

    name: str
    kind: CertKind
    subject: Mapping[str, str]
    issuer: str | None = None
    key_type: str = "ec-p256"
    key_from: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    validity_days: int | None = None
    ekus: tuple[str, ...] | None = None
    ocsp_nocheck: bool | None = None
    nocheck_value: bytes | None = None
    ca: bool | None = None
    path_length: int | None = None
    ocsp_url: str | None = None
    ca_issuers_url: str | None = None
    crl_url: str | None = None
    dns_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def is_ca(self) -> bool:
        """Whether the certificate is a CA (basicConstraints cA)."""
        if self.ca is not None:
            return self.ca
        return self.kind in (CertKind.ROOT, CertKind.INTERMEDIATE)

    @property
    def lifetime_days(self) -> int:
        """Days of validity when ``not_after`` is not given (spec value or the kind's default)."""
        return self.validity_days or _DEFAULT_DAYS[self.kind]

    @property
    def eku_names(self) -> tuple[str, ...]:
        """The EKUs this certificate carries (spec value or the kind's default)."""
        return self.ekus if self.ekus is not None else _DEFAULT_EKUS[self.kind]


def _parse_time(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_aware_time(value, what=where, error=SpecError)
    if not isinstance(value, dt.datetime):
        raise SpecError(f"{where}: expected an ISO 8601 date-time, got {type(value).__name__}")
    if value.tzinfo is None:
        raise SpecError(f"{where}: {value!r} has no time zone; give one, e.g. +00:00")
    return value.astimezone(dt.UTC)


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SpecError(f"{where}: expected a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where}: expected a list of strings")
    return tuple(value)


_SPEC_KEYS = {
    "name",
    "kind",
    "subject",
    "issuer",
    "key",
    "key_from",
    "not_before",
    "not_after",
    "validity_days",
    "ekus",
    "ocsp_nocheck",
    "nocheck_value_hex",
    "ca",
    "path_length",
    "ocsp_url",
    "ca_issuers_url",
    "crl_url",
    "dns_names",
    "emails",
}


def _parse_cert(item: Any, index: int) -> CertSpec:
    if not isinstance(item, Mapping):
        raise SpecError(f"certificates[{index}]: expected an object")
    name = item.get("name")
    where = f"certificate {name!r}" if isinstance(name, str) else f"certificates[{index}]"
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}: 'name' is required")
    unknown = set(item) - _SPEC_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown option(s) {', '.join(sorted(unknown))}")
    try:
        kind = CertKind(str(item.get("kind")))
    except ValueError:
        raise SpecError(
            f"{where}: 'kind' must be one of {', '.join(CertKind)}, got {item.get('kind')!r}"
        ) from None
    subject = item.get("subject", {"CN": name})
    if not isinstance(subject, Mapping) or not subject:
        raise SpecError(f"{where}: 'subject' must be an object such as {{'CN': '...'}}")
    for attr, val in subject.items():
        if attr not in NAME_ATTRS or not isinstance(val, str) or not val:
            raise SpecError(
                f"{where}: subject attribute {attr!r} must be one of "
                f"{', '.join(NAME_ATTRS)} with a non-empty string value"
            )
    key_type = item.get("key", "ec-p256")
    if key_type not in KEY_TYPES:
        raise SpecError(f"{where}: 'key' must be one of {', '.join(KEY_TYPES)}, got {key_type!r}")
    issuer = item.get("issuer")
    if kind is CertKind.ROOT and issuer is not None:
        raise SpecError(f"{where}: a root is self-signed and takes no 'issuer'")
    if kind is not CertKind.ROOT and not isinstance(issuer, str):
        raise SpecError(f"{where}: a {kind} certificate needs an 'issuer'")
    days = item.get("validity_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        raise SpecError(f"{where}: 'validity_days' must be a whole number of days >= 1")
    path_length = item.get("path_length")
    if path_length is not None and (not isinstance(path_length, int) or path_length < 0):
        raise SpecError(f"{where}: 'path_length' must be a whole number >= 0")
    ekus = item.get("ekus")
    eku_tuple = None if ekus is None else _str_tuple(ekus, f"{where}: 'ekus'")
    for eku in eku_tuple or ():
        if eku not in EKU_NAMES and not all(p.isdigit() for p in eku.split(".")):
            raise SpecError(
                f"{where}: EKU {eku!r} is neither one of {', '.join(EKU_NAMES)} nor a dotted OID"
            )
    nocheck_hex = item.get("nocheck_value_hex")
    try:
        nocheck_value = None if nocheck_hex is None else bytes.fromhex(nocheck_hex)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: 'nocheck_value_hex' must be hex, e.g. '0500'") from None
    for flag in ("ocsp_nocheck", "ca"):
        if flag in item and not isinstance(item[flag], bool):
            raise SpecError(f"{where}: {flag!r} must be true or false")
    for url in ("ocsp_url", "ca_issuers_url", "crl_url"):
        if url in item and not isinstance(item[url], str):
            raise SpecError(f"{where}: {url!r} must be a URL string")
    not_before = _parse_time(item.get("not_before"), f"{where}: 'not_before'")
    not_after = _parse_time(item.get("not_after"), f"{where}: 'not_after'")
    if not_before and not_after and not_after <= not_before:
        raise SpecError(f"{where}: 'not_after' must be later than 'not_before'")
    return CertSpec(
        name=name,
        kind=kind,
        subject=dict(subject),
        issuer=issuer,
        key_type=key_type,
        key_from=item.get("key_from"),
        not_before=not_before,
        not_after=not_after,
        validity_days=days,
        ekus=eku_tuple,
        ocsp_nocheck=item.get("ocsp_nocheck"),
        nocheck_value=nocheck_value,
        ca=item.get("ca"),
        path_length=path_length,
        ocsp_url=item.get("ocsp_url"),
        ca_issuers_url=item.get("ca_issuers_url"),
        crl_url=item.get("crl_url"),
        dns_names=_str_tuple(item.get("dns_names", []), f"{where}: 'dns_names'"),
        emails=_str_tuple(item.get("emails", []), f"{where}: 'emails'"),
    )


def parse_spec(spec: Mapping[str, Any]) -> tuple[str, list[CertSpec]]:
    """Validate a hierarchy spec and order it so that issuers come before what they issue.

    Args:
        spec: ``{"name": ..., "certificates": [...]}``.

    Returns:
        The spec's name and its certificates in issuing order.

    Raises:
        SpecError: with a message naming the certificate and the option at fault.
    """
    if not isinstance(spec, Mapping):
        raise SpecError("a hierarchy spec must be an object with 'certificates'")
    items = spec.get("certificates")
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise SpecError("a hierarchy spec needs a non-empty 'certificates' list")
    certs = [_parse_cert(item, i) for i, item in enumerate(items)]
    by_name: dict[str, CertSpec] = {}
    for cert in certs:
        if cert.name in by_name:
            raise SpecError(f"certificate {cert.name!r} is defined twice")
        by_name[cert.name] = cert
    for cert in certs:
        if cert.issuer is not None:
            issuer = by_name.get(cert.issuer)
            if issuer is None:
                raise SpecError(f"certificate {cert.name!r}: issuer {cert.issuer!r} is not defined")
            if not issuer.is_ca:
                raise SpecError(
                    f"certificate {cert.name!r}: issuer {cert.issuer!r} is not a CA certificate"
                )
        if cert.key_from is not None and cert.key_from not in by_name:
            raise SpecError(f"certificate {cert.name!r}: key_from {cert.key_from!r} is not defined")
    ordered: list[CertSpec] = []
    done: set[str] = set()
    pending = list(certs)
    while pending:
        ready = [
            c
            for c in pending
            if (c.issuer is None or c.issuer in done) and (c.key_from is None or c.key_from in done)
        ]
        if not ready:
            names = ", ".join(c.name for c in pending)
            raise SpecError(f"issuer or key_from references form a cycle among: {names}")
        for c in ready:
            ordered.append(c)
            done.add(c.name)
        pending = [c for c in pending if c.name not in done]
    name = spec.get("name", "hierarchy")
    return (name if isinstance(name, str) else "hierarchy"), ordered
