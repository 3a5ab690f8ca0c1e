"""Build real X.509 CA hierarchies from a small declarative spec.

A spec is a mapping (or a JSON file) that lists certificates by name, each naming its issuer.
Every certificate is a real one, signed with `cryptography`; OpenSSL and browsers read it.

Example spec (the seed article's hierarchy ships as ``sim/data/specs/seed_article.json``)::

    {"name": "seed-article",
     "certificates": [
       {"name": "root", "kind": "root", "subject": {"CN": "Example CA Root X1", "O": "Example CA"}},
       {"name": "g2", "kind": "intermediate", "issuer": "root",
        "subject": {"CN": "Example CA intermediate G2", "O": "Example CA"},
        "ekus": ["serverAuth", "clientAuth", "OCSPSigning"]},
       {"name": "leaf", "kind": "tls_server", "issuer": "g2", "dns_names": ["ssl.sakura.ad.jp"]}]}

Time and randomness are arguments: ``build_hierarchy(spec, now=..., seed=...)``. ECDSA keys are
derived from the seed and the certificate's name, so the same inputs give the same keys,
subjects, serials and validity (ECDSA signatures themselves are randomised, so the DER differs
byte for byte between runs). RSA keys are freshly generated: `cryptography` cannot derive them
from a seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from sim.errors import SpecError

__all__ = [
    "CERT_KINDS",
    "EKU_NAMES",
    "KEY_TYPES",
    "CertSpec",
    "Hierarchy",
    "IssuedCert",
    "PrivateKey",
    "SpecError",
    "build_hierarchy",
    "load_spec",
    "parse_spec",
    "seed_article_spec",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CertKind = Literal["root", "intermediate", "tls_server", "smime", "code_signing", "ocsp_responder"]
CERT_KINDS: tuple[str, ...] = (
    "root",
    "intermediate",
    "tls_server",
    "smime",
    "code_signing",
    "ocsp_responder",
)
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
_DEFAULT_DAYS: dict[str, int] = {
    "root": 25 * 365,
    "intermediate": 10 * 365,
    "tls_server": 397,
    "smime": 825,
    "code_signing": 3 * 365,
    "ocsp_responder": 30,
}
_DEFAULT_EKUS: dict[str, tuple[str, ...]] = {
    "root": (),
    "intermediate": (),
    "tls_server": ("serverAuth",),
    "smime": ("emailProtection",),
    "code_signing": ("codeSigning",),
    "ocsp_responder": ("OCSPSigning",),
}
# Order of the P-256 group (SEC 2, 2.4.2): a derived private value must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_NAME_ATTRS: dict[str, x509.ObjectIdentifier] = {
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
    kind: str
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
        return self.kind in ("root", "intermediate")

    @property
    def eku_names(self) -> tuple[str, ...]:
        """The EKUs this certificate carries (spec value or the kind's default)."""
        return self.ekus if self.ekus is not None else _DEFAULT_EKUS[self.kind]


@dataclass(frozen=True)
class IssuedCert:
    """A built certificate with its private key.

    Attributes:
        name: the spec-local name.
        spec: the spec it was built from.
        certificate: the signed certificate.
        private_key: its private key.
    """

    name: str
    spec: CertSpec
    certificate: x509.Certificate
    private_key: PrivateKey = field(repr=False)

    @property
    def der(self) -> bytes:
        """The certificate's DER encoding."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        """The certificate's PEM encoding."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def sha256(self) -> str:
        """Lower-case hex SHA-256 of the DER (the certificate's fingerprint)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for test servers and demos)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class Hierarchy:
    """The certificates of one built spec, by name, in issuing order.

    Attributes:
        name: the spec's name.
        certs: the built certificates by spec-local name (roots first).
    """

    name: str
    certs: Mapping[str, IssuedCert]

    def __getitem__(self, name: str) -> IssuedCert:
        try:
            return self.certs[name]
        except KeyError:
            raise KeyError(f"no certificate named {name!r} in hierarchy {self.name!r}") from None

    def __iter__(self) -> Iterator[IssuedCert]:
        return iter(self.certs.values())

    def __len__(self) -> int:
        return len(self.certs)

    def chain(self, name: str) -> list[IssuedCert]:
        """The chain from ``name`` up to its root, leaf first (root included)."""
        out = [self[name]]
        while out[-1].spec.issuer is not None:
            out.append(self[out[-1].spec.issuer])
        return out

    def children(self, name: str) -> list[IssuedCert]:
        """The certificates that ``name`` issued directly."""
        return [c for c in self.certs.values() if c.spec.issuer == name]


def _parse_time(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SpecError(f"{where}: {value!r} is not an ISO 8601 date-time") from None
    else:
        raise SpecError(f"{where}: expected an ISO 8601 date-time, got {type(value).__name__}")
    if when.tzinfo is None:
        raise SpecError(f"{where}: {value!r} has no time zone; give one, e.g. +00:00")
    return when.astimezone(dt.UTC)


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
    kind = item.get("kind")
    if kind not in CERT_KINDS:
        raise SpecError(f"{where}: 'kind' must be one of {', '.join(CERT_KINDS)}, got {kind!r}")
    subject = item.get("subject", {"CN": name})
    if not isinstance(subject, Mapping) or not subject:
        raise SpecError(f"{where}: 'subject' must be an object such as {{'CN': '...'}}")
    for attr, val in subject.items():
        if attr not in _NAME_ATTRS or not isinstance(val, str) or not val:
            raise SpecError(
                f"{where}: subject attribute {attr!r} must be one of "
                f"{', '.join(_NAME_ATTRS)} with a non-empty string value"
            )
    key_type = item.get("key", "ec-p256")
    if key_type not in KEY_TYPES:
        raise SpecError(f"{where}: 'key' must be one of {', '.join(KEY_TYPES)}, got {key_type!r}")
    issuer = item.get("issuer")
    if kind == "root" and issuer is not None:
        raise SpecError(f"{where}: a root is self-signed and takes no 'issuer'")
    if kind != "root" and not isinstance(issuer, str):
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


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a hierarchy spec from a JSON file.

    Raises:
        SpecError: the file is missing or is not a JSON object.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: not a readable JSON spec ({exc})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a JSON object")
    return data


def seed_article_spec() -> dict[str, Any]:
    """The seed article's hierarchy: Example CA Root X1 -> intermediate G2 -> ssl.sakura.ad.jp."""
    text = resources.files("sim").joinpath("data/specs/seed_article.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _derive_int(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"revlab:{seed}:{label}".encode()).digest(), "big")


def _make_key(spec: CertSpec, seed: int) -> PrivateKey:
    if spec.key_type == "rsa-2048":
        # 65537 is the only public exponent the Web PKI accepts in practice (BR 6.1.6).
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = _derive_int(seed, f"key:{spec.name}") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def _name(attrs: Mapping[str, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(_NAME_ATTRS[k], v) for k, v in attrs.items()])


def _eku_oid(name: str) -> x509.ObjectIdentifier:
    return EKU_NAMES.get(name) or x509.ObjectIdentifier(name)


def _validity(spec: CertSpec, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    not_before = spec.not_before or now
    if spec.not_after is not None:
        not_after = spec.not_after
    else:
        days = spec.validity_days or _DEFAULT_DAYS[spec.kind]
        # RFC 5280 4.1.2.5: the validity period includes both ends, so a lifetime of N days
        # ends one second before notBefore + N days.
        not_after = not_before + dt.timedelta(days=days) - dt.timedelta(seconds=1)
    if not_after <= not_before:
        raise SpecError(f"certificate {spec.name!r}: not_after must be later than not_before")
    return not_before, not_after


def _add_extensions(
    builder: x509.CertificateBuilder,
    spec: CertSpec,
    public_key: Any,
    issuer_key: Any,
) -> x509.CertificateBuilder:
    ca = spec.is_ca
    path_length = spec.path_length
    if ca and path_length is None and spec.kind == "intermediate":
        path_length = 0
    builder = builder.add_extension(
        x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True
    )
    if ca:
        usage = {"key_cert_sign": True, "crl_sign": True, "digital_signature": True}
    else:
        usage = {"key_cert_sign": False, "crl_sign": False, "digital_signature": True}
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
            **usage,
        ),
        critical=True,
    )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
    )
    if spec.issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False
        )
    if spec.eku_names:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([_eku_oid(e) for e in spec.eku_names]), critical=False
        )
    nocheck = spec.ocsp_nocheck
    if nocheck is None:
        nocheck = spec.kind == "ocsp_responder"
    if nocheck:
        if spec.nocheck_value is None:
            builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
        else:
            ext = x509.UnrecognizedExtension(
                x509.oid.ExtensionOID.OCSP_NO_CHECK, spec.nocheck_value
            )
            builder = builder.add_extension(ext, critical=False)
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns_names]
    sans += [x509.RFC822Name(e) for e in spec.emails]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    access: list[x509.AccessDescription] = []
    if spec.ocsp_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(spec.ocsp_url)
            )
        )
    if spec.ca_issuers_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(spec.ca_issuers_url),
            )
        )
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    if spec.crl_url:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(spec.crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder


def build_hierarchy(spec: Mapping[str, Any], *, now: dt.datetime, seed: int = 0) -> Hierarchy:
    """Build every certificate of a spec, signed by its issuer.

    Args:
        spec: a hierarchy spec (see the module docstring).
        now: the default notBefore; must be timezone-aware.
        seed: derives ECDSA keys and serial numbers, so the same inputs give the same hierarchy.

    Returns:
        The built hierarchy.

    Raises:
        SpecError: the spec is invalid, or ``now`` is naive.
    """
    if now.tzinfo is None:
        raise SpecError("now must be timezone-aware (e.g. datetime.now(timezone.utc))")
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    name, ordered = parse_spec(spec)
    built: dict[str, IssuedCert] = {}
    for cert_spec in ordered:
        if cert_spec.key_from is not None:
            key = built[cert_spec.key_from].private_key
        else:
            key = _make_key(cert_spec, seed)
        if cert_spec.issuer is None:
            issuer_name, issuer_key = _name(cert_spec.subject), key
        else:
            issuer = built[cert_spec.issuer]
            issuer_name, issuer_key = issuer.certificate.subject, issuer.private_key
        not_before, not_after = _validity(cert_spec, now)
        # RFC 5280 4.1.2.2 and BR 7.1: positive, at most 20 octets, 64+ bits of entropy.
        serial = _derive_int(seed, f"serial:{cert_spec.name}") >> 97
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cert_spec.subject))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        builder = _add_extensions(builder, cert_spec, key.public_key(), issuer_key.public_key())
        certificate = builder.sign(issuer_key, hashes.SHA256())
        built[cert_spec.name] = IssuedCert(cert_spec.name, cert_spec, certificate, key)
    return Hierarchy(name, built)
