"""Lists of affected intermediates, and the verdict on a certificate chain.

The registry ships the real July 2020 list (``sim/data/incident-2020``): 293 SHA-256
fingerprints from hannob/badocspcert, 260 of them matched to CCADB with names and PEMs, and,
derived from the same CCADB snapshot, the clean re-issues (same subject and key, no
OCSPSigning) that 50 of those intermediates got. More lists can be imported (our CSV, a PEM
bundle, a CCADB report); an import either applies whole or raises and changes nothing.

`match` gives the verdicts of docs/design.md, strongest first:

- ``affected``: a certificate of the chain is on a list (exact SHA-256 of the DER).
- ``affected_key``: none is listed, but a certificate of the chain has the public key of a
  listed one (SPKI SHA-256), or the leaf was issued by such a key (authorityKeyIdentifier): it
  may be the clean re-issue or the old one, and only the served chain tells (QuoVadis, 2021).
- ``dangerous_responder``: no list match, but a CA certificate of the chain carries
  OCSPSigning: the generic rule that finds the next incident, not only the last one.
- ``clean``: none of the above. ``unknown``: the chain could not be read.

The JSON shapes of ``Registry.to_json`` and ``Verdict.to_json`` are the HTTP API's: the whole
contract between the backend and the browser extension is in ``docs/api.md`` (read it before
changing either).

The package, one job per module: `model` (incidents, statuses, entries), `exchange` (our CSV
in and out; entries from PEM bundles and CCADB reports), `lists` (`Registry`, the indexed
list), `matching` (the verdict on a chain), `shipped` (the real 2020 list). Import the names
from here.
"""

from __future__ import annotations

from sim.errors import RegistryImportError
from sim.registry.exchange import EXPORT_COLUMNS
from sim.registry.lists import MIN_PREFIX, Registry
from sim.registry.matching import Verdict, VerdictKind, match
from sim.registry.model import (
    INCIDENT_2020,
    STATUSES,
    Incident,
    RegistryEntry,
    Status,
)
from sim.registry.shipped import derive_reissues, shipped_registry

__all__ = [
    "EXPORT_COLUMNS",
    "INCIDENT_2020",
    "MIN_PREFIX",
    "STATUSES",
    "Incident",
    "Registry",
    "RegistryEntry",
    "RegistryImportError",
    "Status",
    "Verdict",
    "VerdictKind",
    "derive_reissues",
    "match",
    "shipped_registry",
]
