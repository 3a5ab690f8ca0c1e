"""A minimal DER reader for the few raw fields `cryptography` does not hand out as bytes.

We need the exact bytes of a certificate's SubjectPublicKeyInfo (its SHA-256 is how a
re-issued intermediate with the same key is recognised, RFC 7469 section 2.4 style) and the
exact value of an extension (BR 2.2.6 §7.1.2.8.6 requires id-pkix-ocsp-nocheck to be exactly
``05 00``). Re-encoding through `cryptography` would normalise what we must inspect, so we
walk the TBSCertificate ourselves (X.690 definite-length DER only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.errors import DerError

__all__ = [
    "OCSP_NOCHECK_NULL",
    "DerError",
    "RawExtension",
    "basic_constraints_ca",
    "certificate_names",
    "certificate_names_and_validity",
    "certificate_spki",
    "certificate_tbs",
    "certificate_validity",
    "eku_oids",
    "name_attributes",
    "raw_extensions",
    "subject_public_key_bits",
    "validity_isoformat",
]

#: The only encoding of id-pkix-ocsp-nocheck's value BR 2.2.6 §7.1.2.8.6 allows: an ASN.1 NULL.
OCSP_NOCHECK_NULL = b"\x05\x00"


@dataclass(frozen=True)
class RawExtension:
    """One extension as it is encoded: dotted OID, criticality, and the OCTET STRING's content."""

    oid: str
    critical: bool
    value: bytes


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """Read one TLV at ``pos``; return (tag, start of content, end of content)."""
    if pos + 2 > len(data):
        raise DerError("truncated DER: no room for a tag and a length")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high-tag-number form is not used in certificates")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DerError("unsupported or truncated DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise DerError("DER length runs past the end of the data")
    return tag, pos, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """List the TLVs inside [start, end) as (tag, header start, content start, content end)."""
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = _read_tlv(data, pos)
        out.append((tag, pos, cstart, cend))
        pos = cend
    return out


def _tbs_fields(tbs: bytes) -> list[tuple[int, int, int, int]]:
    tag, start, end = _read_tlv(tbs, 0)
    if tag != 0x30:
        raise DerError("TBSCertificate is not a SEQUENCE")
    fields = _children(tbs, start, end)
    # An explicit [0] version comes first in v2/v3 certificates (RFC 5280 4.1).
    if fields and fields[0][0] == 0xA0:
        fields = fields[1:]
    return fields


def certificate_tbs(der: bytes) -> bytes:
    """Return the TBSCertificate DER inside a whole certificate's DER.

    Raises:
        DerError: the bytes are not a certificate.
    """
    tag, start, _ = _read_tlv(der, 0)
    if tag != 0x30:
        raise DerError("a certificate is not a SEQUENCE")
    tbs_tag, _, tbs_end = _read_tlv(der, start)
    if tbs_tag != 0x30:
        raise DerError("TBSCertificate is not a SEQUENCE")
    return der[start:tbs_end]


def _der_time(tag: int, body: bytes) -> dt.datetime:
    # RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (years 50-99 are 19xx) or GeneralizedTime
    # YYYYMMDDHHMMSSZ, always in UTC ("Z"), no fractions.
    text = body.decode("ascii", errors="replace")
    if tag == 0x17 and len(text) == 13 and text.endswith("Z"):
        year = int(text[:2])
        text = f"{19 if year >= 50 else 20}{text}"
    elif not (tag == 0x18 and len(text) == 15 and text.endswith("Z")):
        raise DerError(f"a validity time is not a UTCTime or GeneralizedTime in UTC: {text!r}")
    try:
        return dt.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise DerError(f"a validity time is not a date: {text!r}") from None


def certificate_validity(der: bytes) -> tuple[dt.datetime, dt.datetime]:
    """Return (notBefore, notAfter) in UTC, read from the DER of a whole certificate.

    Works on certificates the `cryptography` parser refuses for other reasons.

    Raises:
        DerError: the bytes are not a certificate with a well-formed validity.
    """
    tbs = certificate_tbs(der)
    fields = _tbs_fields(tbs)
    # serialNumber, signature, issuer, validity (RFC 5280 4.1)
    if len(fields) < 4 or fields[3][0] != 0x30:
        raise DerError("TBSCertificate has no validity SEQUENCE")
    _, _, vstart, vend = fields[3]
    times = _children(tbs, vstart, vend)
    if len(times) != 2:
        raise DerError("validity does not hold exactly two times")
    (t1, _, s1, e1), (t2, _, s2, e2) = times
    return _der_time(t1, tbs[s1:e1]), _der_time(t2, tbs[s2:e2])


def eku_oids(value: bytes) -> tuple[str, ...]:
    """The dotted OIDs of an extKeyUsage extension value (RFC 5280 4.2.1.12).

    Raises:
        DerError: the value is not a SEQUENCE OF OBJECT IDENTIFIER.
    """
    tag, start, end = _read_tlv(value, 0)
    if tag != 0x30:
        raise DerError("extKeyUsage is not a SEQUENCE")
    out = []
    for child_tag, _, cstart, cend in _children(value, start, end):
        if child_tag != 0x06:
            raise DerError("extKeyUsage holds something other than OIDs")
        out.append(_oid_to_dotted(value[cstart:cend]))
    return tuple(out)


def basic_constraints_ca(value: bytes) -> bool:
    """The cA flag of a basicConstraints extension value (RFC 5280 4.2.1.9).

    Raises:
        DerError: the value is not a SEQUENCE.
    """
    tag, start, end = _read_tlv(value, 0)
    if tag != 0x30:
        raise DerError("basicConstraints is not a SEQUENCE")
    children = _children(value, start, end)
    return (
        bool(children)
        and children[0][0] == 0x01
        and value[children[0][2] : children[0][3]] != b"\x00"
    )


def _tbs_spki(tbs: bytes) -> tuple[int, int]:
    """(start, end) of the SubjectPublicKeyInfo TLV inside a TBSCertificate."""
    fields = _tbs_fields(tbs)
    # serial, signature, issuer, validity, subject, SPKI (RFC 5280 4.1)
    if len(fields) < 6:
        raise DerError("TBSCertificate has fewer fields than RFC 5280 requires")
    tag, header, _, end = fields[5]
    if tag != 0x30:
        raise DerError("subjectPublicKeyInfo is not a SEQUENCE")
    return header, end


def certificate_spki(der: bytes) -> bytes:
    """Return the DER of the SubjectPublicKeyInfo inside a whole certificate's DER.

    Raises:
        DerError: the bytes are not a certificate.
    """
    tbs = certificate_tbs(der)
    start, end = _tbs_spki(tbs)
    return tbs[start:end]


def subject_public_key_bits(tbs: bytes) -> bytes:
    """The subjectPublicKey BIT STRING value (without the unused-bits octet) of a TBSCertificate.

    RFC 6960 4.1.1 hashes these exact bytes into an OCSP CertID's issuerKeyHash.

    Raises:
        DerError: the bytes are not a TBSCertificate with a well-formed SPKI.
    """
    start, _ = _tbs_spki(tbs)
    _, spki_start, spki_end = _read_tlv(tbs, start)
    parts = _children(tbs, spki_start, spki_end)
    if len(parts) != 2 or parts[0][0] != 0x30 or parts[1][0] != 0x03:
        raise DerError("subjectPublicKeyInfo is not (AlgorithmIdentifier, BIT STRING)")
    _, _, bits_start, bits_end = parts[1]
    if bits_start == bits_end:
        raise DerError("subjectPublicKey is an empty BIT STRING")
    return tbs[bits_start + 1 : bits_end]


def _oid_to_dotted(body: bytes) -> str:
    if not body:
        raise DerError("empty OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else ([1, first - 40] if first < 80 else [2, first - 80])
    return ".".join(str(a) for a in head + arcs[1:])


def raw_extensions(tbs: bytes) -> dict[str, RawExtension]:
    """Return the extensions of a TBSCertificate by dotted OID, values as encoded.

    Raises:
        DerError: the extensions are not well-formed DER.
    """
    out: dict[str, RawExtension] = {}
    for tag, _, cstart, cend in _tbs_fields(tbs):
        if tag != 0xA3:  # [3] EXPLICIT Extensions
            continue
        seq_tag, sstart, send = _read_tlv(tbs, cstart)
        if seq_tag != 0x30 or send != cend:
            raise DerError("extensions are not a SEQUENCE")
        for ext_tag, _, estart, eend in _children(tbs, sstart, send):
            if ext_tag != 0x30:
                raise DerError("an extension is not a SEQUENCE")
            parts = _children(tbs, estart, eend)
            if len(parts) not in (2, 3) or parts[0][0] != 0x06 or parts[-1][0] != 0x04:
                raise DerError("an extension is not (OID, [critical], OCTET STRING)")
            oid = _oid_to_dotted(tbs[parts[0][2] : parts[0][3]])
            critical = len(parts) == 3 and tbs[parts[1][2] : parts[1][3]] != b"\x00"
            out[oid] = RawExtension(oid, critical, tbs[parts[-1][2] : parts[-1][3]])
    return out


def certificate_names(tbs: bytes) -> tuple[bytes, bytes]:
    """The issuer and subject Name DER of a TBSCertificate (RFC 5280 4.1), in that order.

    Raises:
        DerError: the TBSCertificate is not well-formed DER or has too few fields.
    """
    tag, pos, end = _read_tlv(tbs, 0)
    if tag != 0x30:
        raise DerError("TBSCertificate is not a SEQUENCE")
    found: list[bytes] = []
    index = 0
    # Only the first fields: [0] version, serial, signature, issuer, validity, subject.
    while pos < end and len(found) < 2:
        field_tag, _, cend = _read_tlv(tbs, pos)
        if not (index == 0 and field_tag == 0xA0):
            index += 1
            if index in (3, 5):
                found.append(tbs[pos:cend])
        pos = cend
    if len(found) < 2:
        raise DerError("TBSCertificate has fewer fields than RFC 5280 requires")
    return found[0], found[1]


def certificate_names_and_validity(der: bytes) -> tuple[bytes, bytes, bytes]:
    """The issuer Name DER, the Validity's content and the subject Name DER of a certificate.

    ``certificate_names(certificate_tbs(der))`` and the validity in one walk over the whole
    certificate's DER (no copy of the TBSCertificate): the same fields, the same errors.

    Raises:
        DerError: the bytes are not a certificate, or its TBSCertificate is not well-formed
            DER or has too few fields.
    """
    tag, start, _ = _read_tlv(der, 0)
    if tag != 0x30:
        raise DerError("a certificate is not a SEQUENCE")
    tbs_tag, pos, end = _read_tlv(der, start)
    if tbs_tag != 0x30:
        raise DerError("TBSCertificate is not a SEQUENCE")
    found: list[bytes] = []
    index = 0
    # Only the first fields: [0] version, serial, signature, issuer, validity, subject.
    size = len(der)
    while pos < end and len(found) < 3:
        length = der[pos + 1] if pos + 2 <= size else 0x80
        if length < 0x80 and der[pos] & 0x1F != 0x1F and pos + 2 + length <= size:
            # A short-form TLV (serial, algorithm, validity) read inline: what _read_tlv does.
            field_tag, cstart, cend = der[pos], pos + 2, pos + 2 + length
        else:
            field_tag, cstart, cend = _read_tlv(der, pos)
        if cend > end:  # what reading inside the TBSCertificate's own bytes would refuse
            raise DerError("DER length runs past the end of the data")
        if not (index == 0 and field_tag == 0xA0):
            index += 1
            if index in (3, 5):
                found.append(der[pos:cend])
            elif index == 4:
                found.append(der[cstart:cend])
        pos = cend
    if len(found) < 3:
        raise DerError("TBSCertificate has fewer fields than RFC 5280 requires")
    return found[0], found[1], found[2]


def validity_isoformat(validity: bytes) -> tuple[str, str] | None:
    """``(notBefore, notAfter)`` as ``datetime.isoformat`` prints them in UTC, from a Validity's
    content, when both are in the plain form RFC 5280 4.1.2.5 prescribes: UTCTime
    ``YYMMDDHHMMSSZ`` (years 50-99 are 19xx) or GeneralizedTime ``YYYYMMDDHHMMSSZ``.

    Only the text is rearranged: the caller vouches that the dates are real ones (the
    certificate parsed). None for anything else, so that the caller asks the parser.
    """
    text = validity.decode("latin-1")  # one character per byte: positions stay the same
    if not text.isascii():  # then isdigit() means 0-9 only
        return None
    out = []
    pos = 0
    for _ in range(2):
        tag, length = text[pos : pos + 1], text[pos + 1 : pos + 2]
        if tag == "\x17" and length == "\x0d":  # UTCTime, 13 characters
            year = text[pos + 2 : pos + 4]
            year = ("19" if year >= "50" else "20") + year
            pos += 4
        elif tag == "\x18" and length == "\x0f":  # GeneralizedTime, 15 characters
            year = text[pos + 2 : pos + 6]
            pos += 6
        else:
            return None
        rest = text[pos : pos + 11]
        if not (year.isdigit() and rest[:10].isdigit() and rest[10:] == "Z"):
            return None
        out.append(f"{year}-{rest[0:2]}-{rest[2:4]}T{rest[4:6]}:{rest[6:8]}:{rest[8:10]}+00:00")
        pos += 11
    if pos != len(text):
        return None
    return out[0], out[1]


#: Attribute types seen in names (a few dozen at most): converting each once is a real saving.
_NAME_OIDS: dict[bytes, str] = {}


def name_attributes(name: bytes) -> list[list[tuple[str, int, bytes]]]:
    """The RDNs of a Name, in encoded order: each a list of (dotted OID, value tag, value).

    Raises:
        DerError: the Name is not a SEQUENCE OF SET OF (OID, value).
    """
    tag, pos, end = _read_tlv(name, 0)
    if tag != 0x30:
        raise DerError("a Name is not a SEQUENCE")
    size = len(name)
    rdns = []
    while pos < end:
        rdn_tag, apos, rend = _read_tlv(name, pos)
        if rdn_tag != 0x31:
            raise DerError("an RDN is not a SET")
        rdn = []
        while apos < rend:
            # The common case inline: SEQUENCE { OID, value }, every length in short form.
            # Anything else takes the general reading below, which gives the same result.
            if (
                apos + 6 <= size
                and name[apos] == 0x30
                and name[apos + 1] < 0x80
                and name[apos + 2] == 0x06
                and name[apos + 3] < 0x80
            ):
                aend = apos + 2 + name[apos + 1]
                oend = apos + 4 + name[apos + 3]
                if (
                    aend <= size
                    and oend + 2 <= aend
                    and name[oend + 1] < 0x80
                    and name[oend] & 0x1F != 0x1F
                    and oend + 2 + name[oend + 1] == aend
                ):
                    oid = name[apos + 4 : oend]
                    dotted = _NAME_OIDS.get(oid)
                    if dotted is None:
                        dotted = _NAME_OIDS[oid] = _oid_to_dotted(oid)
                    rdn.append((dotted, name[oend], name[oend + 2 : aend]))
                    apos = aend
                    continue
            atv_tag, ostart, aend = _read_tlv(name, apos)
            oid_tag, obody, oend = _read_tlv(name, ostart)
            value_tag, vstart, vend = _read_tlv(name, oend)
            if atv_tag != 0x30 or oid_tag != 0x06 or vend != aend:
                raise DerError("an attribute is not (OID, value)")
            oid = name[obody:oend]
            dotted = _NAME_OIDS.get(oid)
            if dotted is None:
                dotted = _NAME_OIDS[oid] = _oid_to_dotted(oid)
            rdn.append((dotted, value_tag, name[vstart:vend]))
            apos = aend
        rdns.append(rdn)
        pos = rend
    return rdns
