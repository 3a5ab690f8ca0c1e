"""What the endpoints do, apart from HTTP: registry, chain verdicts, host checks, imports.

Views parse the request, call one function here and serialise its frozen result. Each function
works on an `ApiState` (the store, the settings and the in-memory registry of this worker).
Bad input raises a domain error (`extension_api.errors.RequestError`, or the `sim.errors` one
of its area); `extension_api.api.http_errors` alone gives it an HTTP status.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sim.der import DerError, certificate_tbs
from sim.loader import CertRecord, load_pem_bundle, record_from_der
from sim.registry import (
    STATUSES,
    Registry,
    Verdict,
    match,
    shipped_registry,
)
from sim.served import verdict_for_served
from tlsscan.fetcher import FetchPolicy, fetch_chain
from tlsscan.guard import normalise_host, parse_port

from . import jsonio
from .bounded import ByteLRU
from .config import Settings
from .errors import ErrorCode, RequestError
from .registry_columns import FORMAT as COLUMNS_FORMAT
from .registry_columns import columns_from_entries
from .scan_corpus import CorpusHit, CorpusSummary, ScanCorpus
from .storage import CachedChain, RegistrySnapshot, Store, host_sha256

__all__ = [
    "ApiState",
    "CompactRegistry",
    "HostCheck",
    "ImportResult",
    "RemedyCode",
    "check_chain",
    "check_host",
    "compact_registry",
    "import_registry",
    "lookup_prefix",
    "parse_chain",
    "scan_summary",
    "verdict_for_cached",
]

log = logging.getLogger(__name__)

#: Longest accepted item of a posted chain (a certificate is a few KB; 64 KB is generous).
MAX_ITEM_CHARS = 64 * 1024
#: Hex digits a k-anonymity prefix may have (4 or 5: 65,536 or 1,048,576 buckets).
PREFIX_LENGTHS = (4, 5)
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class CompactRegistry:
    """The registry as served to the extension, serialised once per snapshot.

    Attributes:
        etag: the snapshot's content hash.
        version: the snapshot id.
        body: the JSON document.
        gzipped: the same, gzip-compressed.
        entries: number of entries.
    """

    etag: str
    version: int
    body: bytes
    gzipped: bytes
    entries: int


#: Bytes of host fetches a worker keeps in memory (a fetch is a few KB of DER).
_MEMORY_HOSTS_BYTES = 8 * 1024 * 1024
#: Bytes of verdicts a worker keeps (one is about 2 KB with its key; the entries are shared).
_MEMORY_VERDICTS_BYTES = 4 * 1024 * 1024
_VERDICT_SIZE = 2048
#: Bytes of parsed posted certificates a worker keeps (the item's text and its DER).
_MEMORY_RECORDS_BYTES = 16 * 1024 * 1024
#: Bytes of verdicts on posted chains a worker keeps (counted with the DER they hold).
_MEMORY_CHAIN_VERDICTS_BYTES = 8 * 1024 * 1024


def _chain_document_size(key: tuple[int, tuple[str, ...]], document: bytes) -> int:
    """What a kept answer on a posted chain holds: its JSON and the chain's fingerprints."""
    return 256 + 64 * len(key[1]) + len(document)


@dataclass
class ApiState:
    """Per-process state of the API (kept in ``app.extensions["revlab"]``).

    Attributes:
        settings: the settings.
        store: the database.
        clock: the current Unix time (tests replace it).
        fetch: the chain fetcher (tests may replace it).
    """

    settings: Settings
    store: Store
    clock: Callable[[], float] = time.time
    fetch: Callable[..., Any] = fetch_chain
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _snapshot: RegistrySnapshot | None = field(default=None, repr=False)
    _compact: CompactRegistry | None = field(default=None, repr=False)
    _checked: float = field(default=float("-inf"), repr=False)
    _hosts: ByteLRU[tuple[str, int], CachedChain] = field(
        default_factory=lambda: ByteLRU(_MEMORY_HOSTS_BYTES, lambda _k, c: c.size), repr=False
    )
    _verdicts: ByteLRU[tuple[str, int, float, int], Verdict] = field(
        default_factory=lambda: ByteLRU(_MEMORY_VERDICTS_BYTES, lambda _k, _v: _VERDICT_SIZE),
        repr=False,
    )
    _chain_documents: ByteLRU[tuple[int, tuple[str, ...]], bytes] = field(
        default_factory=lambda: ByteLRU(_MEMORY_CHAIN_VERDICTS_BYTES, _chain_document_size),
        repr=False,
    )

    @property
    def policy(self) -> FetchPolicy:
        """The fetch policy from the settings."""
        s = self.settings
        return FetchPolicy(
            allow_hosts=s.allow_hosts,
            allowed_ports=s.allowed_ports,
            connect_timeout=s.connect_timeout,
            handshake_timeout=s.handshake_timeout,
            max_chain=s.max_chain,
            deadline=s.check_deadline,
            max_addresses=s.max_addresses,
        )

    def initialise(self) -> None:
        """Create the tables and seed the shipped registry on first start."""
        self.store.initialise(shipped_registry, now=self.clock())

    def snapshot(self) -> RegistrySnapshot:
        """The current registry; re-checked against the database every ``registry_refresh`` s."""
        with self._lock:
            moment = time.monotonic()
            if self._snapshot is None or moment - self._checked >= self.settings.registry_refresh:
                latest = self.store.latest_snapshot_id()
                if self._snapshot is None or latest != self._snapshot.id:
                    self._snapshot = self.store.load_registry()
                    self._compact = None
                self._checked = moment
            return self._snapshot

    def compact(self) -> CompactRegistry:
        """The serialised compact registry of the current snapshot."""
        snap = self.snapshot()
        with self._lock:
            if self._compact is None or self._compact.version != snap.id:
                self._compact = compact_registry(snap)
            return self._compact

    def cached_host(self, host: str, port: int, now: float) -> CachedChain | None:
        """A cached fetch of ``host:port`` still within its TTL: from memory, else the database.

        The database is the shared truth between workers; the in-process copy only saves a
        database read per request while the entry is fresh (benchmarks/bench_api.py).
        """
        key = (host, port)
        cached = self._hosts.get(key)
        if cached is None or cached.expires_at <= now:
            cached = self.store.get_host(host, port)
            if cached is None or cached.expires_at <= now:
                self._hosts.pop(key)
                return None
            self.remember_host(cached)
        return cached

    def remember_host(self, cached: CachedChain) -> None:
        """Keep a fetch in memory (bounded in bytes: the least recently used go first)."""
        self._hosts.put((cached.host, cached.port), cached)

    def verdict_for(self, cached: CachedChain, snap: RegistrySnapshot) -> Verdict:
        """The verdict on a cached fetch, computed once per fetch and registry version."""
        key = (cached.host, cached.port, cached.fetched_at, snap.id)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = verdict_for_cached(cached, snap.registry)
            self._verdicts.put(key, verdict)
        return verdict

    def chain_document(self, records: list[CertRecord], snap: RegistrySnapshot) -> bytes:
        """The verdict on posted records as the JSON sent, made once per chain and registry
        version.

        A verdict depends only on the certificates (their fingerprints, in order) and the
        registry: many users visiting one site post the same chain. It is kept as the bytes
        sent because writing a verdict costs more than finding it.
        """
        fingerprints = tuple(r.sha256 for r in records if r.sha256)
        if len(fingerprints) != len(records):  # a record without DER: no key, no cache
            return jsonio.dumps(match(records, snap.registry).to_json())
        key = (snap.id, fingerprints)
        document = self._chain_documents.get(key)
        if document is None:
            document = jsonio.dumps(match(records, snap.registry).to_json())
            self._chain_documents.put(key, document)
        return document

    def _adopt(self, snap: RegistrySnapshot) -> None:
        with self._lock:
            self._snapshot = snap
            self._compact = None
            self._checked = time.monotonic()


class RemedyCode(StrEnum):
    """What a site owner must do about a listed intermediate, as the compact list says it."""

    #: A clean re-issue with the same key exists: serving it instead is enough.
    SWAP_INTERMEDIATE = "swap_intermediate"
    #: No clean re-issue: the leaf needs a new certificate under another intermediate.
    REISSUE_LEAF = "reissue_leaf"


#: The sentence for people behind each remedy code (sent once per compact list).
REMEDY_TEXT: dict[RemedyCode, str] = {
    RemedyCode.SWAP_INTERMEDIATE: "Serve the CA's clean re-issue (listed in reissues) instead.",
    RemedyCode.REISSUE_LEAF: "Reissue the certificate under a new intermediate and serve it.",
}


def _remedy_code(reissues: Sequence[str]) -> RemedyCode:
    return RemedyCode.SWAP_INTERMEDIATE if reissues else RemedyCode.REISSUE_LEAF


def compact_registry(snap: RegistrySnapshot) -> CompactRegistry:
    """The compact list for local matching: hashes, keys, labels, status, dates, remedy code."""
    registry = snap.registry
    rows = [
        {
            "sha256": e.sha256,
            "spki_sha256": e.spki_sha256,
            "ski": e.ski,
            "ca_label": e.ca_label,
            "incident": e.incident,
            "status": e.status,
            "status_date": e.status_date.isoformat() if e.status_date else None,
            "remedy": _remedy_code(e.reissues),
            "reissues": list(e.reissues),
        }
        for e in registry.entries
    ]
    doc = {
        "format": COLUMNS_FORMAT,
        "version": snap.id,
        "etag": snap.etag,
        "incidents": registry.to_json()["incidents"],
        "remedies": {code.value: text for code, text in REMEDY_TEXT.items()},
        "count": len(rows),
        # One array per field: 30 KB or less gzipped for the shipped list (registry_columns).
        "columns": columns_from_entries(rows),
    }
    body = json.dumps(doc, separators=(",", ":")).encode()
    # mtime=0: the same snapshot gives the same bytes in every worker.
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    return CompactRegistry(snap.etag, snap.id, body, gzipped, len(registry))


def _record_from_item(item: object, index: int) -> CertRecord:
    if not isinstance(item, str):
        raise RequestError(
            ErrorCode.INVALID_CHAIN, f"chain[{index}]: expected a PEM or base64 DER string"
        )
    key = (item, index)
    record = _RECORDS.get(key)
    if record is None:
        record = _record_from_text(item, index)
        _RECORDS.put(key, record)
    return record


# The same intermediates arrive again and again: parsing is the cost of a verdict, so parsed
# certificates are kept (records are immutable; errors are raised, never cached), within a
# byte budget: unique 64 KB items must not grow a worker without bound.
_RECORDS: ByteLRU[tuple[str, int], CertRecord] = ByteLRU(
    _MEMORY_RECORDS_BYTES, lambda key, record: 256 + 2 * len(key[0]) + len(record.der or b"")
)


def _record_from_text(item: str, index: int) -> CertRecord:
    where = f"chain[{index}]"
    if len(item) > MAX_ITEM_CHARS:
        raise RequestError(
            ErrorCode.INVALID_CHAIN, f"{where}: longer than {MAX_ITEM_CHARS} characters"
        )
    if "-----BEGIN" in item:
        records = load_pem_bundle(item.encode("utf-8", "replace"), where)
        if len(records) != 1:
            raise RequestError(
                ErrorCode.INVALID_CHAIN, f"{where}: holds {len(records)} certificates, not one"
            )
        record = records[0]
    else:
        try:
            der = base64.b64decode("".join(item.split()), validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(
                ErrorCode.INVALID_CERTIFICATE, f"{where}: neither PEM nor valid base64 DER"
            ) from None
        if not der:
            raise RequestError(ErrorCode.INVALID_CERTIFICATE, f"{where}: empty")
        record = record_from_der(der, where)
    if not record.ok:
        problem = _certificate_problem(record)
        if problem is not None:
            raise RequestError(
                ErrorCode.INVALID_CERTIFICATE, f"{where}: not a certificate ({problem})"
            )
    # A real certificate that cryptography refuses (one of the 2020 intermediates is) still has
    # a fingerprint and raw facts: the verdict uses them and says it could not be parsed.
    return record


def _certificate_problem(record: CertRecord) -> str | None:
    """Why a record the parser refused is not a certificate at all, in words; None if it is one.

    The parser's own message (``ParseError { kind: ShortData ... }``) is for us, not for the
    client: the reason given is our DER walker's, or the PEM reader's.
    """
    if not record.der:
        return record.error or "no certificate bytes"
    try:
        certificate_tbs(record.der)
    except DerError as exc:
        return f"the bytes are not DER of an X.509 certificate: {exc}"
    return None


def parse_chain(payload: object, max_chain: int) -> list[CertRecord]:
    """The certificates of a ``{"chain": [...]}`` body, leaf first.

    Raises:
        RequestError: a body that is not such an object, too many certificates, or an item
            that is not a readable certificate (the message names its index).
        LoadError: a PEM item holds no readable certificate block.
    """
    if not isinstance(payload, dict) or "chain" not in payload:
        raise RequestError(ErrorCode.INVALID_BODY, 'expected a JSON object {"chain": [...]}')
    items = payload["chain"]
    if not isinstance(items, list) or not items:
        raise RequestError(
            ErrorCode.INVALID_CHAIN, "'chain' must be a non-empty list, leaf first"
        )
    if len(items) > max_chain:
        raise RequestError(
            ErrorCode.CHAIN_TOO_LONG,
            f"'chain' has {len(items)} certificates; at most {max_chain}",
        )
    return [_record_from_item(item, i) for i, item in enumerate(items)]


def check_chain(state: ApiState, payload: object) -> bytes:
    """The verdict on a posted chain, as the JSON document to send.

    Raises:
        RequestError: the body is not a readable chain (`LoadError` for a PEM without one).
    """
    records = parse_chain(payload, state.settings.max_chain)
    return state.chain_document(records, state.snapshot())


@dataclass(frozen=True)
class HostCheck:
    """The verdict on what a host serves.

    Attributes:
        host: normalised host.
        port: port.
        verdict: the verdict (``unknown`` when the chain could not be read).
        cached: whether the chain came from the cache.
        fetched: the cached fetch behind it.
    """

    host: str
    port: int
    verdict: Verdict
    cached: bool
    fetched: CachedChain

    def to_json(self) -> dict[str, Any]:
        """The API's JSON: the verdict plus where and when the chain was read."""
        out = self.verdict.to_json()
        out["served"] = {
            "host": self.host,
            "port": self.port,
            "address": self.fetched.address,
            "cached": self.cached,
            "fetched_at": _iso(self.fetched.fetched_at),
            "expires_at": _iso(self.fetched.expires_at),
            "truncated": self.fetched.truncated,
            "error": self.fetched.error,
        }
        return out


def _iso(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="seconds")


def verdict_for_cached(cached: CachedChain, registry: Registry) -> Verdict:
    """The verdict on a cached fetch against a registry (``unknown`` for a failed fetch)."""
    return verdict_for_served(cached.chain, cached.error, registry)


def check_host(state: ApiState, raw_host: str, raw_port: str | None) -> HostCheck:
    """Fetch (or reuse) the chain a host serves and judge it.

    A name that does not resolve is a failed fetch (verdict ``unknown``), not a refusal.

    Raises:
        HostError: an invalid host (`PortError` for an invalid port).
        GuardError: the SSRF guard refuses the target.
    """
    host = normalise_host(raw_host)
    port = 443 if raw_port is None else parse_port(raw_port)
    snap = state.snapshot()
    now = state.clock()
    cached = state.cached_host(host, port, now)
    if cached is not None:
        return HostCheck(host, port, state.verdict_for(cached, snap), True, cached)
    result = state.fetch(host, port, state.policy)
    # Hostnames are personal data in the extension's privacy model: debug level only.
    log.debug("fetched %s:%s: %s", host, port, result.error or f"{len(result.chain)} certs")
    ttl = state.settings.host_ttl if result.ok else state.settings.unknown_ttl
    fresh = CachedChain(
        host=host,
        port=port,
        host_sha256=host_sha256(host),
        address=result.address,
        chain=result.chain,
        error=result.error,
        truncated=result.truncated,
        fetched_at=now,
        expires_at=now + ttl,
    )
    state.store.put_host(fresh)
    state.remember_host(fresh)
    return HostCheck(host, port, state.verdict_for(fresh, snap), False, fresh)


def lookup_prefix(state: ApiState, prefix: str) -> tuple[list[CorpusHit], CorpusSummary]:
    """The scanned targets whose hostname hash starts with ``prefix``, and the corpus's age.

    Only the scan corpus answers (targets an operator scanned with ``revlab scan --into-db``):
    hosts that users checked directly are never listed, so a lookup tells nobody what other
    users visit.

    Raises:
        RequestError: unless the prefix is 4 or 5 hex digits.
    """
    prefix = prefix.lower()
    if len(prefix) not in PREFIX_LENGTHS or not set(prefix) <= _HEX:
        raise RequestError(
            ErrorCode.INVALID_PREFIX, "the prefix must be 4 or 5 hexadecimal digits"
        )
    corpus = ScanCorpus(state.store.engine)
    return corpus.with_prefix(prefix), corpus.summary(state.clock())


def scan_summary(state: ApiState) -> CorpusSummary:
    """Counts of the scan corpus: per verdict, per list, and how old it is."""
    return ScanCorpus(state.store.engine).summary(state.clock())


@dataclass(frozen=True)
class ImportResult:
    """The outcome of an import.

    Attributes:
        version: the new snapshot id.
        etag: its ETag.
        added: entries that were not listed before.
        entries: entries now listed.
    """

    version: int
    etag: str
    added: int
    entries: int


def import_registry(state: ApiState, data: bytes, params: dict[str, str]) -> ImportResult:
    """Import a file (our CSV, a PEM bundle, a CCADB CSV) atomically.

    Raises:
        RequestError: bad parameters or an empty body.
        RegistryImportError: the file is refused (nothing changes).
        StoreBusy: the database's write lock was not free in time (nothing changes).
    """
    # No status stated, no evidence: unknown (a stated one is the importer's claim).
    status = params.get("status", "unknown")
    if status not in STATUSES:
        raise RequestError(
            ErrorCode.INVALID_PARAMETER, f"status must be one of {', '.join(STATUSES)}"
        )
    status_date = None
    if params.get("status_date"):
        try:
            status_date = dt.date.fromisoformat(params["status_date"])
        except ValueError:
            raise RequestError(
                ErrorCode.INVALID_PARAMETER, "status_date must be YYYY-MM-DD"
            ) from None
    incident = params.get("incident", "imported").strip() or "imported"
    ca_label = params.get("ca_label", "").strip()
    source = params.get("source", "upload").strip()[:100] or "upload"
    if not data.strip():
        raise RequestError(ErrorCode.EMPTY_BODY, "the import body is empty")

    def change(base: Registry) -> Registry:
        return base.imported(
            data,
            source=source,
            incident=incident,
            ca_label=ca_label,
            status=status,
            status_date=status_date,
        )

    outcome = state.store.import_registry(change, source=source, now=state.clock())
    snap = outcome.snapshot
    state._adopt(snap)
    return ImportResult(snap.id, snap.etag, outcome.added, len(snap.registry))
