"""The targets of a bulk scan, read one line at a time from a list.

A list holds one target a line: ``host``, ``host:port``, an IPv4 literal or an ``[IPv6]``
literal with an optional port (a bare IPv6 literal without a port is accepted too). Blank lines
and ``#`` comments are skipped. A Tranco-style CSV (``rank,domain``) is recognised by its
numeric first field. A line that is none of these is returned as a `BadLine` with its number
and the reason, so the caller can report it and go on: one typo must not stop a scan of
100,000 hosts.

The reader is a generator: the list is never held in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sim.errors import HostError
from tlsscan.fetcher import parse_target

__all__ = ["BadLine", "Target", "read_targets"]

#: ``rank,domain`` (Tranco, Alexa, Umbrella top lists): a rank, a comma, then the name.
_RANKED = re.compile(r"^\s*\d+\s*,\s*([^,\s]+)\s*(,.*)?$")


@dataclass(frozen=True)
class Target:
    """One host to scan.

    Attributes:
        host: the normalised host (lower-case ASCII name or canonical IP literal).
        port: the TCP port.
        line: the line number in the list (1-based; 0 when not from a list).
    """

    host: str
    port: int
    line: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """``(host, port)``: what identifies a target in results and in ``--resume``."""
        return (self.host, self.port)


@dataclass(frozen=True)
class BadLine:
    """A line of the list that is not a target.

    Attributes:
        line: its number (1-based).
        text: the line as read (stripped).
        reason: why it was refused.
    """

    line: int
    text: str
    reason: str


def _target_text(line: str) -> str:
    ranked = _RANKED.match(line)
    if ranked is not None:
        return ranked.group(1)
    return line


def read_targets(lines: Iterable[str], default_port: int = 443) -> Iterator[Target | BadLine]:
    """Each target of a list, or a `BadLine` for a line that is not one, in list order.

    Args:
        lines: the list's lines (a file object works).
        default_port: the port of a target that names none.
    """
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        candidate = _target_text(text)
        if candidate.count(":") > 1 and not candidate.startswith("["):
            candidate = f"[{candidate}]"  # a bare IPv6 literal: no port can follow it
        try:
            host, port = parse_target(candidate, default_port)
        except HostError as exc:
            yield BadLine(number, text, str(exc))
            continue
        yield Target(host, port, number)
