"""Which kind of file a user gave us: input format detection, written once.

The loader (certificates) and the registry import (lists of affected intermediates) both take
"a file" and must agree on what it is. Detection looks at the content, never at the name:

- a CCADB report starts with its header ``SHA-256 Fingerprint`` (after an optional BOM);
- a PEM bundle holds a ``-----BEGIN`` line somewhere;
- our registry CSV starts with the column ``sha256`` or names ``incident`` in its header;
- a DER certificate starts with a SEQUENCE tag (``30``), and the parser judges the rest.
"""

from __future__ import annotations

import enum

from sim.errors import LoadError

__all__ = ["InputFormat", "detect_format"]


class InputFormat(enum.StrEnum):
    """The file formats Revocation Lab reads."""

    PEM = "pem"
    DER = "der"
    CCADB_CSV = "ccadb_csv"
    REGISTRY_CSV = "registry_csv"


_BLANK = b"\xef\xbb\xbf \t\r\n"


def detect_format(data: bytes, source: str = "<input>") -> InputFormat:
    """The format of a file's content.

    Args:
        data: the whole file.
        source: the file's name, for the error message.

    Raises:
        LoadError: the data is empty, or in none of the formats.
    """
    if not data.strip(_BLANK):
        raise LoadError(f"{source}: empty file")
    head = data[:200].lstrip(_BLANK)
    if head.startswith(b"SHA-256 Fingerprint"):
        return InputFormat.CCADB_CSV
    if b"-----BEGIN" in data:
        return InputFormat.PEM
    if head.startswith(b"sha256,") or b",incident," in head.split(b"\n", 1)[0]:
        return InputFormat.REGISTRY_CSV
    if data[:1] == b"\x30":
        return InputFormat.DER
    raise LoadError(f"{source}: not a PEM bundle, a DER certificate or a CCADB CSV report")
