"""Build real X.509 CA hierarchies from a small declarative spec.

The spec format is :mod:`sim.cert_spec`'s (the seed article's hierarchy ships as
``sim/data/specs/seed_article.json``). Every certificate is a real one, signed with
`cryptography`; OpenSSL and browsers read it.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from sim.cert_spec import EKU_NAMES, NAME_ATTRS, CertKind, CertSpec, parse_spec
from sim.errors import SpecError

__all__ = [
    "Hierarchy",
    "IssuedCert",
    "PrivateKey",
    "build_hierarchy",
    "seed_article_spec",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# Order of the P-256 group (SEC 2, 2.4.2): a derived private value must lie in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


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


def seed_article_spec() -> dict[str, Any]:
    """The seed article's hierarchy: Example CA Root X1 -> intermediate G2 -> ssl.sakura.ad.jp."""
    text = resources.files("sim").joinpath("data/specs/seed_article.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _derive_int(seed: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"revlab:{seed}:{label}".encode()).digest(), "big")


def _make_key(spec: CertSpec, seed: int) -> PrivateKey:
    if spec.key_type == "rsa-2048":
        # 65537 is the only public exponent the Web PKI accepts in practice (BR 2.2.6 §6.1.6).
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    value = _derive_int(seed, f"key:{spec.name}") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def _name(attrs: Mapping[str, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(NAME_ATTRS[k], v) for k, v in attrs.items()])


def _eku_oid(name: str) -> x509.ObjectIdentifier:
    return EKU_NAMES.get(name) or x509.ObjectIdentifier(name)


def _validity(spec: CertSpec, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    not_before = spec.not_before or now
    if spec.not_after is not None:
        not_after = spec.not_after
    else:
        days = spec.lifetime_days
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
    if ca and path_length is None and spec.kind is CertKind.INTERMEDIATE:
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
        nocheck = spec.kind is CertKind.OCSP_RESPONDER
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
        # RFC 5280 4.1.2.2 and BR 2.2.6 §7.1: positive, at most 20 octets, 64+ bits of entropy.
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
