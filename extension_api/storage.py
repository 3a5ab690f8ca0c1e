"""Storage through SQLAlchemy Core: the registry snapshots and the host-check cache.

SQLite is the embedded default (a file under the data directory, WAL mode so that gunicorn
workers read while one writes); any SQLAlchemy URL works (``DATABASE_URL``).

- ``registry_snapshots``: each import writes a whole new snapshot (our CSV plus the incidents
  as JSON) whose id is the previous id + 1. Two imports racing for the same id: one wins, the
  other retries on the new base, so no import is lost and none is half applied. The ETag of
  ``GET /v1/registry`` is derived from the snapshot's content.
- ``host_checks``: the chain a site served (DER, base64) or why it could not be read, keyed by
  (host, port), with the SHA-256 of the host for k-anonymity lookups. The verdict is not
  stored: it is computed from the chain against the current registry when read, so an import
  takes effect at once for every cached host.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from sim.registry import Incident, Registry, RegistryImportError

__all__ = ["CachedChain", "RegistrySnapshot", "Store", "host_sha256"]

#: Snapshots kept after an import (older ones are pruned; the newest is the registry).
_KEEP_SNAPSHOTS = 5
#: How often an import retries when another import took its snapshot id.
_IMPORT_RETRIES = 5

metadata = MetaData()

registry_snapshots = Table(
    "registry_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("etag", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("csv", Text, nullable=False),
    Column("incidents", Text, nullable=False),
)

host_checks = Table(
    "host_checks",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("port", Integer, primary_key=True),
    Column("host_sha256", String(64), nullable=False, index=True),
    Column("address", String(64)),
    Column("chain", Text, nullable=False),
    Column("error", Text),
    Column("truncated", Boolean, nullable=False, default=False),
    Column("fetched_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)


def host_sha256(host: str) -> str:
    """SHA-256 (hex) of the lower-case hostname: what k-anonymity prefixes are taken from."""
    return hashlib.sha256(host.lower().encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class RegistrySnapshot:
    """One stored version of the registry.

    Attributes:
        id: increasing version number.
        etag: content hash (hex, 32 characters).
        registry: the registry.
    """

    id: int
    etag: str
    registry: Registry


@dataclass(frozen=True)
class CachedChain:
    """A cached fetch.

    Attributes:
        host: normalised host.
        port: port.
        host_sha256: SHA-256 of the host.
        address: the address connected to.
        chain: the served certificates (DER), leaf first.
        error: why the fetch failed, or None.
        truncated: whether the chain was cut at the cap.
        fetched_at: when it was fetched (Unix time).
        expires_at: until when it is reused (Unix time).
    """

    host: str
    port: int
    host_sha256: str
    address: str | None
    chain: tuple[bytes, ...]
    error: str | None
    truncated: bool
    fetched_at: float
    expires_at: float


def _incidents_json(registry: Registry) -> str:
    return json.dumps(registry.to_json()["incidents"], sort_keys=True)


def _incidents_from_json(text: str) -> dict[str, Incident]:
    out = {}
    for key, value in json.loads(text).items():
        out[key] = Incident(
            id=key,
            title=value["title"],
            disclosed=dt.date.fromisoformat(value["disclosed"]) if value["disclosed"] else None,
            deadline=dt.date.fromisoformat(value["deadline"]) if value["deadline"] else None,
            lesson=value["lesson"],
            sources=tuple(value["sources"]),
        )
    return out


def _etag(csv_text: str, incidents: str) -> str:
    return hashlib.sha256(f"{csv_text}\0{incidents}".encode()).hexdigest()[:32]


def _row_to_cached(row: Any) -> CachedChain:
    return CachedChain(
        host=row.host,
        port=row.port,
        host_sha256=row.host_sha256,
        address=row.address,
        chain=tuple(base64.b64decode(item) for item in json.loads(row.chain)),
        error=row.error,
        truncated=bool(row.truncated),
        fetched_at=row.fetched_at,
        expires_at=row.expires_at,
    )


class Store:
    """The database behind the API (one per process; thread-safe through the engine's pool)."""

    def __init__(self, url: str) -> None:
        """Open (not yet create) the database at a SQLAlchemy URL."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {"timeout": 30} if self.is_sqlite else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def initialise(self, seed: Callable[[], Registry], *, now: float) -> None:
        """Create the tables and, on first start, store the seed registry as snapshot 1.

        Safe to call from several processes at once: only one seed is stored.
        """
        try:
            metadata.create_all(self.engine)
        except OperationalError as exc:  # pragma: no cover - a race on CREATE TABLE
            if "already exists" not in str(exc):
                raise
        with self._begin() as conn:
            if conn.execute(select(func.count()).select_from(registry_snapshots)).scalar_one():
                return
        # Another worker may seed first: its snapshot 1 wins, ours is dropped.
        with suppress(IntegrityError):
            self._insert_snapshot(1, seed(), source="shipped 2020 list", now=now)

    def _insert_snapshot(self, snapshot_id: int, registry: Registry, *, source: str,
                         now: float) -> RegistrySnapshot:
        csv_text = registry.to_csv()
        incidents = _incidents_json(registry)
        etag = _etag(csv_text, incidents)
        with self._begin() as conn:
            conn.execute(
                insert(registry_snapshots).values(
                    id=snapshot_id,
                    etag=etag,
                    source=source,
                    created_at=now,
                    csv=csv_text,
                    incidents=incidents,
                )
            )
            conn.execute(
                delete(registry_snapshots).where(
                    registry_snapshots.c.id <= snapshot_id - _KEEP_SNAPSHOTS
                )
            )
        return RegistrySnapshot(snapshot_id, etag, registry)

    def latest_snapshot_id(self) -> int:
        """The id of the newest snapshot (0 when none)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(registry_snapshots.c.id))).scalar() or 0)

    def load_registry(self) -> RegistrySnapshot:
        """The newest snapshot.

        Raises:
            LookupError: the database holds no registry (not initialised).
        """
        with self.engine.connect() as conn:
            row = conn.execute(
                select(registry_snapshots).order_by(registry_snapshots.c.id.desc()).limit(1)
            ).first()
        if row is None:
            raise LookupError("the database holds no registry; run initialise() first")
        entries = Registry.from_csv(row.csv, source=f"snapshot {row.id}")
        registry = Registry(tuple(entries), _incidents_from_json(row.incidents))
        return RegistrySnapshot(row.id, row.etag, registry)

    def import_registry(
        self, change: Callable[[Registry], Registry], *, source: str, now: float
    ) -> RegistrySnapshot:
        """Apply ``change`` to the newest registry and store the result as a new snapshot.

        Raises:
            RegistryImportError: ``change`` refused the data (nothing is stored).
        """
        for _ in range(_IMPORT_RETRIES):
            base = self.load_registry()
            new = change(base.registry)
            try:
                return self._insert_snapshot(base.id + 1, new, source=source, now=now)
            except IntegrityError:
                continue  # another import took this id: apply ours on top of it
        raise RegistryImportError("the registry is busy with other imports; try again")

    def get_host(self, host: str, port: int) -> CachedChain | None:
        """The cached fetch of ``host:port`` (expired or not), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(host_checks).where(host_checks.c.host == host, host_checks.c.port == port)
            ).first()
        return None if row is None else _row_to_cached(row)

    def put_host(self, cached: CachedChain) -> None:
        """Store a fetch, replacing an older one for the same host and port."""
        values = {
            "host": cached.host,
            "port": cached.port,
            "host_sha256": cached.host_sha256,
            "address": cached.address,
            "chain": json.dumps([base64.b64encode(d).decode("ascii") for d in cached.chain]),
            "error": cached.error,
            "truncated": cached.truncated,
            "fetched_at": cached.fetched_at,
            "expires_at": cached.expires_at,
        }
        key = (host_checks.c.host == cached.host, host_checks.c.port == cached.port)
        for _ in range(3):
            with self._begin() as conn:
                changed = conn.execute(update(host_checks).where(*key).values(**values))
                if changed.rowcount:
                    return
            try:
                with self._begin() as conn:
                    conn.execute(insert(host_checks).values(**values))
                return
            except IntegrityError:
                continue  # another worker inserted it in between: update that row

    def hosts_with_prefix(self, prefix: str) -> list[CachedChain]:
        """Every cached host whose SHA-256 starts with ``prefix`` (lower-case hex)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(host_checks)
                .where(host_checks.c.host_sha256.startswith(prefix, autoescape=True))
                .order_by(host_checks.c.host_sha256, host_checks.c.port)
            ).all()
        return [_row_to_cached(r) for r in rows]

    def count_hosts(self) -> int:
        """How many host checks are cached."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(host_checks)).scalar_one())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer and vice versa (several gunicorn workers).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
