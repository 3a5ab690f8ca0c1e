"""What the endpoints do, apart from HTTP: registry, chain verdicts, host checks, imports.

Views parse the request, call one function here and serialise its frozen result. Each function
works on an `ApiState` (the store, the settings and the in-memory registry of this worker).
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
from typing import Any

from sim.der import DerError, certificate_tbs
from sim.loader import CertRecord, LoadError, load_pem_bundle, record_from_der
from sim.registry import (
    STATUSES,
    Registry,
    RegistryImportError,
    Verdict,
    match,
    shipped_registry,
)
from sim.served import verdict_for_served
from tlsscan.fetcher import FetchPolicy, GuardError, HostError, fetch_chain, normalise_host

from .bounded import ByteLRU
from .config import Settings
from .errors import ApiError
from .storage import CachedChain, RegistrySnapshot, Store, host_sha256

__all__ = [
    "ApiState",
    "CompactRegistry",
    "HostCheck",
    "ImportResult",
    "PrefixHit",
    "check_chain",
    "check_host",
    "compact_registry",
    "import_registry",
    "lookup_prefix",
    "parse_chain",
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

    def _adopt(self, snap: RegistrySnapshot) -> None:
        with self._lock:
            self._snapshot = snap
            self._compact = None
            self._checked = time.monotonic()


def _remedy_code(reissues: Sequence[str]) -> str:
    return "swap_intermediate" if reissues else "reissue_leaf"


def compact_registry(snap: RegistrySnapshot) -> CompactRegistry:
    """The compact list for local matching: hashes, keys, labels, status, dates, remedy code."""
    registry = snap.registry
    doc = {
        "version": snap.id,
        "etag": snap.etag,
        "incidents": registry.to_json()["incidents"],
        "remedies": {
            "swap_intermediate": "Serve the CA's clean re-issue (listed in reissues) instead.",
            "reissue_leaf": "Reissue the certificate under a new intermediate and serve it.",
        },
        "entries": [
            {
                "sha256": e.sha256,
                "spki_sha256": e.spki_sha256,
                "ski": e.ski,
                "ca_label": e.ca_label,
                "incident": e.incident,
                "status": e.status,
                "status_date": e.status_date.isoformat() if e.status_date else None,
                "not_after": e.not_after.isoformat() if e.not_after else None,
                "remedy": _remedy_code(e.reissues),
                "reissues": list(e.reissues),
            }
            for e in registry.entries
        ],
    }
    body = json.dumps(doc, separators=(",", ":")).encode()
    # mtime=0: the same snapshot gives the same bytes in every worker.
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    return CompactRegistry(snap.etag, snap.id, body, gzipped, len(registry))


def _record_from_item(item: object, index: int) -> CertRecord:
    if not isinstance(item, str):
        raise ApiError(400, "invalid_chain", f"chain[{index}]: expected a PEM or base64 DER string")
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
        raise ApiError(400, "invalid_chain", f"{where}: longer than {MAX_ITEM_CHARS} characters")
    if "-----BEGIN" in item:
        try:
            records = load_pem_bundle(item.encode("utf-8", "replace"), where)
        except LoadError as exc:
            raise ApiError(400, "invalid_certificate", str(exc)) from None
        if len(records) != 1:
            raise ApiError(
                400, "invalid_chain", f"{where}: holds {len(records)} certificates, not one"
            )
        record = records[0]
    else:
        try:
            der = base64.b64decode("".join(item.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400, "invalid_certificate", f"{where}: neither PEM nor valid base64 DER"
            ) from None
        if not der:
            raise ApiError(400, "invalid_certificate", f"{where}: empty")
        record = record_from_der(der, where)
    if not record.ok and not _is_certificate_der(record.der):
        raise ApiError(400, "invalid_certificate", f"{where}: not a certificate ({record.error})")
    # A real certificate that cryptography refuses (one of the 2020 intermediates is) still has
    # a fingerprint and raw facts: the verdict uses them and says it could not be parsed.
    return record


def _is_certificate_der(der: bytes | None) -> bool:
    if not der:
        return False
    try:
        certificate_tbs(der)
    except DerError:
        return False
    return True


def parse_chain(payload: object, max_chain: int) -> list[CertRecord]:
    """The certificates of a ``{"chain": [...]}`` body, leaf first.

    Raises:
        ApiError: 400 for a body that is not such an object, too many certificates, or an item
            that is not a readable certificate (the message names its index).
    """
    if not isinstance(payload, dict) or "chain" not in payload:
        raise ApiError(400, "invalid_body", 'expected a JSON object {"chain": [...]}')
    items = payload["chain"]
    if not isinstance(items, list) or not items:
        raise ApiError(400, "invalid_chain", "'chain' must be a non-empty list, leaf first")
    if len(items) > max_chain:
        raise ApiError(
            400, "chain_too_long", f"'chain' has {len(items)} certificates; at most {max_chain}"
        )
    return [_record_from_item(item, i) for i, item in enumerate(items)]


def check_chain(state: ApiState, payload: object) -> Verdict:
    """The verdict on a posted chain.

    Raises:
        ApiError: the body is not a readable chain.
    """
    records = parse_chain(payload, state.settings.max_chain)
    return match(records, state.snapshot().registry)


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

    Raises:
        ApiError: 400 for an invalid host or port, 403 when the SSRF guard refuses it.
    """
    try:
        host = normalise_host(raw_host)
    except HostError as exc:
        raise ApiError(400, "invalid_host", str(exc)) from None
    port = 443
    if raw_port is not None:
        # ASCII digits only: str.isdigit() also accepts '²' and '٣', which int() refuses or
        # reads as another number.
        if not (raw_port.isascii() and raw_port.isdigit()) or not 1 <= int(raw_port) <= 65535:
            raise ApiError(400, "invalid_port", "port must be a number between 1 and 65535")
        port = int(raw_port)
    snap = state.snapshot()
    now = state.clock()
    cached = state.cached_host(host, port, now)
    if cached is not None:
        return HostCheck(host, port, state.verdict_for(cached, snap), True, cached)
    try:
        result = state.fetch(host, port, state.policy)
    except GuardError as exc:
        raise ApiError(403, "refused_target", str(exc)) from None
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


@dataclass(frozen=True)
class PrefixHit:
    """One known host in a k-anonymity bucket.

    Nothing in it names the host or its own certificate: no hostname, no leaf subject, no
    served fingerprints (a leaf's SHA-256 can be looked up in CT logs to recover the name).
    The matched list entry and the remedy are the public list's own data.

    Attributes:
        host_sha256: SHA-256 of the lower-case hostname.
        port: port.
        verdict: the verdict.
        fetched_at: when its chain was read (Unix time).
    """

    host_sha256: str
    port: int
    verdict: Verdict
    fetched_at: float

    def to_json(self) -> dict[str, Any]:
        """JSON without anything that names the host."""
        v = self.verdict
        return {
            "host_sha256": self.host_sha256,
            "port": self.port,
            "verdict": v.kind.value,
            "summary": v.summary,
            "match": None
            if v.entry is None
            else {"position": v.position, "entry": v.entry.to_json()},
            "remedy": {"owner": v.remedy_owner, "visitor": v.remedy_visitor},
            "fetched_at": _iso(self.fetched_at),
        }


def lookup_prefix(state: ApiState, prefix: str) -> list[PrefixHit]:
    """The known hosts whose hostname hash starts with ``prefix``: none, for now.

    Hosts that users checked are never served here (their hashes could be matched against a
    domain list); the buckets will hold hosts of a public scan corpus (issue 14).

    Raises:
        ApiError: 400 unless the prefix is 4 or 5 hex digits.
    """
    prefix = prefix.lower()
    if len(prefix) not in PREFIX_LENGTHS or not set(prefix) <= _HEX:
        raise ApiError(400, "invalid_prefix", "the prefix must be 4 or 5 hexadecimal digits")
    return []


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
        ApiError: 400 for bad parameters, 422 when the file is refused (nothing changes).
    """
    status = params.get("status", "to_be_revoked")
    if status not in STATUSES:
        raise ApiError(400, "invalid_parameter", f"status must be one of {', '.join(STATUSES)}")
    status_date = None
    if params.get("status_date"):
        try:
            status_date = dt.date.fromisoformat(params["status_date"])
        except ValueError:
            raise ApiError(400, "invalid_parameter", "status_date must be YYYY-MM-DD") from None
    incident = params.get("incident", "imported").strip() or "imported"
    ca_label = params.get("ca_label", "").strip()
    source = params.get("source", "upload").strip()[:100] or "upload"
    if not data.strip():
        raise ApiError(400, "empty_body", "the import body is empty")
    def change(base: Registry) -> Registry:
        return base.imported(
            data,
            source=source,
            incident=incident,
            ca_label=ca_label,
            status=status,
            status_date=status_date,
        )

    try:
        outcome = state.store.import_registry(change, source=source, now=state.clock())
    except RegistryImportError as exc:
        raise ApiError(422, "import_refused", f"{exc} (nothing was changed)") from None
    snap = outcome.snapshot
    state._adopt(snap)
    return ImportResult(snap.id, snap.etag, outcome.added, len(snap.registry))
