"""The intermediates a population is drawn under: who operates each, and what it may issue.

The 2020 hierarchy (``load_hierarchy_2020``) is the real list of 293 intermediates of the July
2020 "dangerous delegated responder" incident (hannob/badocspcert, matched to CCADB; shipped in
``sim/data/incident-2020/affected_intermediates.csv``). What kinds of leaf an intermediate can
issue comes from its EKUs (serverAuth 1.3.6.1.5.5.7.3.1 -> TLS, emailProtection
1.3.6.1.5.5.7.3.4 -> S/MIME, codeSigning 1.3.6.1.5.5.7.3.3 -> code signing, anything else ->
other; no EKU extension means any purpose, RFC 5280 section 4.2.1.12). The 33 listed
fingerprints that are not in CCADB have no known EKU and get no leaves unless a weight is given.
No public count of leaves per intermediate exists (incident-2020.md: "millions" is unsourced),
so leaf weights are a parameter: by default every identified intermediate weighs the same.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.affected_2020 import UNIDENTIFIED, affected_2020
from sim.errors import ParameterError
from sim.policy import KINDS, LeafKind

__all__ = [
    "PRIMARY_KINDS",
    "UNIDENTIFIED",
    "Intermediate",
    "IntermediateSet",
    "kinds_by_ca",
    "load_hierarchy_2020",
    "primary_kind",
    "single_intermediate_hierarchy",
]

_EKU_KIND = {
    "1.3.6.1.5.5.7.3.1": LeafKind.TLS,
    "1.3.6.1.5.5.7.3.4": LeafKind.SMIME,
    "1.3.6.1.5.5.7.3.3": LeafKind.CODE_SIGNING,
}

@dataclass(frozen=True)
class Intermediate:
    """An intermediate CA certificate of a hierarchy spec.

    Attributes:
        id: Stable identifier (the SHA-256 fingerprint, lower-case hex, for real ones).
        name: Human label, unique within the hierarchy (subject CN and fingerprint prefix).
        ca: The CA organisation.
        kinds: Leaf kinds it can issue (from its EKUs); empty if unknown.
    """

    id: str
    name: str
    ca: str
    kinds: tuple[str, ...]

    @property
    def tls_capable(self) -> bool:
        """Whether it can issue TLS server certificates."""
        return LeafKind.TLS in self.kinds


@dataclass(frozen=True)
class IntermediateSet:
    """A set of intermediates grouped by CA organisation (not `sim.pki.Hierarchy`: no certificates).

    Attributes:
        name: The spec's name.
        intermediates: The intermediates, in a stable order.
    """

    name: str
    intermediates: tuple[Intermediate, ...]

    def __post_init__(self) -> None:
        if not self.intermediates:
            raise ParameterError("intermediates must hold at least 1 intermediate, got 0")
        ids = [i.id for i in self.intermediates]
        if len(set(ids)) != len(ids):
            raise ParameterError("intermediates must have unique ids")

    @property
    def cas(self) -> tuple[str, ...]:
        """CA organisations, sorted."""
        return tuple(sorted({i.ca for i in self.intermediates}))

    def ids_of(self, names: tuple[str, ...] | list[str], *, parameter: str) -> tuple[str, ...]:
        """Intermediate ids selected by CA names, intermediate ids or intermediate names.

        Args:
            names: CA names, intermediate ids or names.
            parameter: The caller's parameter name, for the error message.

        Raises:
            ParameterError: a name matches nothing.
        """
        selected: list[str] = []
        for key in names:
            hits = [i.id for i in self.intermediates if key in (i.ca, i.id, i.name)]
            if not hits:
                raise ParameterError(
                    f"{parameter}: unknown CA or intermediate {key!r}; "
                    f"known CAs: {', '.join(self.cas)}"
                )
            selected.extend(h for h in hits if h not in selected)
        return tuple(selected)


def _kinds_from_ekus(oids: Sequence[str] | None) -> tuple[str, ...]:
    if oids is None:  # not in CCADB: only the fingerprint is known
        return ()
    if not oids:  # no EKU extension: any purpose (RFC 5280 4.2.1.12)
        return KINDS
    kinds = {_EKU_KIND.get(o, LeafKind.OTHER) for o in oids if o != "1.3.6.1.5.5.7.3.9"}
    kinds = kinds or {LeafKind.OTHER}
    return tuple(k for k in KINDS if k in kinds)


@functools.cache
def load_hierarchy_2020() -> IntermediateSet:
    """The real 2020 hierarchy: 293 intermediates of 14 CA organisations (plus unidentified).

    Built from ``sim.affected_2020.affected_2020()`` (https://github.com/hannob/badocspcert,
    matched to CCADB's AllCertificatePEMsCSVFormat, snapshot 2026-08-21), the same records the
    registry serves: the same CA labels, the same EKUs (read from the certificates' DER).
    """
    intermediates = tuple(
        Intermediate(a.sha256, a.name, a.ca, _kinds_from_ekus(a.ekus)) for a in affected_2020()
    )
    return IntermediateSet("incident-2020", intermediates)


def single_intermediate_hierarchy(
    name: str, ca: str, kinds: tuple[str, ...] = (LeafKind.TLS,)
) -> IntermediateSet:
    """A one-intermediate hierarchy, for events where only one population matters."""
    return IntermediateSet(name, (Intermediate(name, name, ca, kinds),))


#: The columns of :func:`kinds_by_ca`: what an intermediate is mainly for.
PRIMARY_KINDS: tuple[str, ...] = ("tls", "smime", "other", "unknown")


def primary_kind(intermediate: Intermediate) -> str:
    """One label per intermediate for counting: ``tls`` if it can issue TLS server
    certificates, else ``smime`` if it can issue S/MIME, else ``other`` (code signing, client
    authentication, document signing...), or ``unknown`` when its EKUs are not known (not in
    CCADB).

    Args:
        intermediate: The intermediate.

    Returns:
        One of :data:`PRIMARY_KINDS`.
    """
    if not intermediate.kinds:
        return "unknown"
    if "tls" in intermediate.kinds:
        return "tls"
    if "smime" in intermediate.kinds:
        return "smime"
    return "other"


def kinds_by_ca(hierarchy: IntermediateSet) -> pd.DataFrame:
    """Intermediates counted per CA and :func:`primary_kind`, largest CA first.

    Args:
        hierarchy: E.g. :func:`load_hierarchy_2020`.

    Returns:
        DataFrame indexed by ``ca`` with integer columns :data:`PRIMARY_KINDS` and ``total``,
        sorted by ``total`` (descending, then CA name).
    """
    counts: dict[str, dict[str, int]] = {}
    for inter in hierarchy.intermediates:
        row = counts.setdefault(inter.ca, dict.fromkeys(PRIMARY_KINDS, 0))
        row[primary_kind(inter)] += 1
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=list(PRIMARY_KINDS))
    frame = frame.astype(np.int64)
    frame["total"] = frame.sum(axis=1)
    frame.index.name = "ca"
    frame = frame.reset_index().sort_values(["total", "ca"], ascending=[False, True])
    return frame.set_index("ca")
