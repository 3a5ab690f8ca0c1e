"""Distinguished names as RFC 4514 strings, read straight from the DER.

`cryptography` renders a name by first building a Python object per attribute, which costs
more than parsing the whole certificate: for an audit of ten thousand certificates it was the
largest single cost. This module renders the same string from the raw Name DER, for the names
whose rendering is plain (string values, no duplicate attributes). For anything else it
returns None and the caller asks `cryptography`, so the result is always `cryptography`'s own
``Name.rfc4514_string()`` (a test compares both on every real certificate we have).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.x509.oid import NameOID

from sim.der import DerError, name_attributes

__all__ = ["rfc4514_name"]

#: Short names RFC 4514 section 3 gives (and `cryptography` uses); other OIDs print dotted.
_SHORT_NAMES: dict[str, str] = {
    NameOID.COMMON_NAME.dotted_string: "CN",
    NameOID.LOCALITY_NAME.dotted_string: "L",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "ST",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.STREET_ADDRESS.dotted_string: "STREET",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC",
    NameOID.USER_ID.dotted_string: "UID",
}
#: String tags whose content `cryptography` decodes as UTF-8 (X.690 8.23; X.680 41).
_UTF8_TAGS = frozenset({0x04, 0x0C, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1A})
_CODECS = {0x1C: "utf_32_be", 0x1E: "utf_16_be"}  # UniversalString, BMPString
#: x500UniqueIdentifier is a BIT STRING: `cryptography` renders it as bytes.
_UNIQUE_ID = NameOID.X500_UNIQUE_IDENTIFIER.dotted_string
_ESCAPES = (
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("+", "\\+"),
    (",", "\\,"),
    (";", "\\;"),
    ("<", "\\<"),
    (">", "\\>"),
    ("\0", "\\00"),
)


def _escape(value: str) -> str:
    # RFC 4514 2.4, in the order `cryptography` applies it.
    if not value:
        return ""
    for char, escaped in _ESCAPES:
        if char in value:
            value = value.replace(char, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def _decode(tag: int, value: bytes) -> str | None:
    try:
        if tag in _UTF8_TAGS:
            return value.decode("utf-8")
        codec = _CODECS.get(tag)
        return None if codec is None else value.decode(codec)
    except UnicodeDecodeError:
        return None


#: Rendered attributes (``CN=...``) by their whole DER: most recur across names (C=US, O=...).
_ATTRIBUTES: dict[bytes, str] = {}
_ATTRIBUTES_MAX = 65536


def _single_valued(name: bytes) -> str | None:
    """The string of a Name whose every RDN holds one attribute, all lengths short but the
    Name's own; None when the name is anything else (then `rfc4514_name` reads it in full).

    Each attribute is rendered once by `_general` and remembered by its DER.
    """
    size = len(name)
    if size < 2 or name[0] != 0x30:
        return None
    length = name[1]
    if length < 0x80:
        pos = 2
    elif length == 0x81 and size >= 3:
        pos, length = 3, name[2]
    elif length == 0x82 and size >= 4:
        pos, length = 4, name[2] << 8 | name[3]
    else:
        return None
    end = pos + length
    if end > size:
        return None
    parts = []
    while pos < end:
        # SET { SEQUENCE { ... } } with the SEQUENCE filling the SET exactly.
        if pos + 4 > size or name[pos] != 0x31 or name[pos + 2] != 0x30:
            return None
        set_length, atv_length = name[pos + 1], name[pos + 3]
        if set_length >= 0x80 or atv_length != set_length - 2:
            return None
        rend = pos + 2 + set_length
        if rend > size:
            return None
        atv = name[pos + 2 : rend]
        part = _ATTRIBUTES.get(atv)
        if part is None:
            # The attribute alone, as a one-RDN Name (short lengths: it fits in 127 bytes).
            if set_length + 2 >= 0x80:
                return None
            part = _general(bytes((0x30, set_length + 2, 0x31, set_length)) + atv)
            if part is None:
                return None
            if len(_ATTRIBUTES) >= _ATTRIBUTES_MAX:
                _ATTRIBUTES.clear()
            _ATTRIBUTES[atv] = part
        parts.append(part)
        pos = rend
    parts.reverse()
    return ",".join(parts)


# Issuer names repeat (a CA signs many certificates): remember the recent ones.
@lru_cache(maxsize=4096)
def rfc4514_name(name: bytes) -> str | None:
    """The RFC 4514 string of a Name's DER, as ``cryptography`` would print it.

    Returns:
        The string (RDNs last to first, ``+`` within an RDN), or None when the name holds
        something this fast path does not render (a bit string, an unusual tag, a duplicate
        attribute, malformed DER): then ask ``cryptography``.
    """
    rendered = _single_valued(name)
    return _general(name) if rendered is None else rendered


def _general(name: bytes) -> str | None:
    # Any Name: every RDN, multi-valued ones included.
    try:
        rdns = name_attributes(name)
    except DerError:
        return None
    rendered = []
    for rdn in reversed(rdns):
        if not rdn or len(set(rdn)) != len(rdn):
            return None
        parts = []
        for oid, tag, raw in rdn:
            value = _decode(tag, raw)
            if value is None or oid == _UNIQUE_ID:
                return None
            parts.append(f"{_SHORT_NAMES.get(oid, oid)}={_escape(value)}")
        rendered.append("+".join(parts))
    return ",".join(rendered)
