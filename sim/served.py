"""The verdict on the chain a server served, or on a failure to read it.

Used by everything that reads chains from servers (``revlab check``, ``revlab scan`` and the
API's host checks), so that a served chain gets one verdict everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sim.loader import CertRecord, record_from_der
from sim.registry import Registry, Verdict, VerdictKind, match

__all__ = ["served_record", "verdict_for_served"]


def verdict_for_served(chain: Sequence[bytes], error: str | None, registry: Registry) -> Verdict:
    """The verdict on a served chain (DER, leaf first), or ``unknown`` when ``error`` says why
    the chain could not be read."""
    if error is not None:
        return Verdict(
            VerdictKind.UNKNOWN,
            f"Unknown: {error}.",
            (f"The chain could not be read: {error}.",),
            remedy_owner="Check that the server answers TLS on this port.",
            remedy_visitor="Nothing can be said about this site's chain now; try again later.",
        )
    return match([served_record(der, i) for i, der in enumerate(chain)], registry)


@lru_cache(maxsize=4096)
def served_record(der: bytes, index: int) -> CertRecord:
    """The parsed record of the ``index``-th served certificate (memoised: sites share CAs)."""
    return record_from_der(der, f"served[{index}]")
