"""Storage through SQLAlchemy Core: the registry snapshots and the host-check cache.

SQLite is the embedded default (a file under the data directory, WAL mode so that gunicorn
workers read while one writes); PostgreSQL (``postgresql://...``, the ``[postgres]`` extra)
serves several instances behind a load balancer. Both run the same code and the same tests.

- ``registry_snapshots``: each import writes a whole new snapshot (our CSV plus the incidents
  as JSON). Imports are serialised by a database lock (SQLite: ``BEGIN IMMEDIATE``;
  PostgreSQL: a transaction-level advisory lock) held only while the new snapshot is written
  on top of the newest one, so versions are unique and strictly increasing, every import is
  applied on top of every earlier one, and an acknowledged import is the newest snapshot or
  under a newer one. A writer that cannot get the lock within ``lock_wait`` seconds gets
  `StoreBusy` (the API answers 503 with ``Retry-After``). The ETag of ``GET /v1/registry`` is
  derived from the snapshot's content.
- ``host_checks``: the chain a site served (DER, base64) or why it could not be read, keyed by
  (host, port). Rows are deleted once older than the retention (`purge_hosts`). The verdict is
  not stored: it is computed from the chain against the current registry when read, so an
  import takes effect at once for every cached host.
- ``revlab_schema``: the schema version. `Store.initialise` applies the missing migrations in
  order (one transaction, under the same lock), so an upgrade keeps the data.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError

from sim.errors import ConfigError
from sim.registry import Incident, Registry

from .errors import Busy
from .schema import (
    SCHEMA_VERSION,
    host_checks,
    migrate,
    registry_snapshots,
    schema_version,
)
from .version_marker import VersionMarker

__all__ = [
    "SCHEMA_VERSION",
    "CachedChain",
    "ImportOutcome",
    "RegistrySnapshot",
    "Store",
    "StoreBusy",
    "host_sha256",
]

#: Snapshots kept after an import (older ones are pruned; the newest is the registry).
_KEEP_SNAPSHOTS = 5
#: Seconds a writer waits for the database's write lock before giving up (503, Retry-After).
DEFAULT_LOCK_WAIT = 10.0
#: Key of PostgreSQL's advisory lock that serialises registry writes and migrations.
_PG_LOCK_KEY = 0x7265766C6162  # "revlab"
#: What to install for PostgreSQL (named in the error when the driver is missing).
POSTGRES_EXTRA = "pip install 'revocation-lab[postgres]'"

class StoreBusy(Busy):
    """The database's write lock was not free within the wait: try again later."""


def host_sha256(host: str) -> str:
    """SHA-256 (hex) of the lower-case hostname."""
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
class ImportOutcome:
    """What an import stored.

    Attributes:
        snapshot: the new snapshot.
        added: entries it lists that the snapshot it was applied to did not.
    """

    snapshot: RegistrySnapshot
    added: int


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

    @property
    def size(self) -> int:
        """Approximate bytes it holds in memory (for byte-bounded caches)."""
        return 512 + len(self.host) + sum(len(d) + 40 for d in self.chain) + len(
            self.error or ""
        )


def _incidents_json(registry: Registry) -> str:
    return json.dumps(registry.to_json()["incidents"], sort_keys=True)


def _incidents_from_json(text_: str) -> dict[str, Incident]:
    out = {}
    for key, value in json.loads(text_).items():
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


def _snapshot_from_row(row: Any) -> RegistrySnapshot:
    entries = Registry.from_csv(row.csv, source=f"snapshot {row.id}")
    registry = Registry(tuple(entries), _incidents_from_json(row.incidents))
    return RegistrySnapshot(row.id, row.etag, registry)


def engine_for(url: str, *, lock_wait: float = DEFAULT_LOCK_WAIT) -> Engine:
    """A SQLAlchemy engine for a database URL (``postgresql://`` means psycopg 3).

    Raises:
        ConfigError: the URL is malformed, names an unknown database, or its driver is not
            installed (the message says which extra to install).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL: {url.split('@')[-1]!r} is not a database URL "
            "(sqlite:///path or postgresql://user@host/db)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kind = parsed.get_backend_name()
    if kind not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL: {kind!r} databases are not supported (sqlite:/// or postgresql://)"
        )
    options: dict[str, Any] = {}
    if kind == "sqlite":
        options["connect_args"] = {"timeout": lock_wait, "check_same_thread": False}
    else:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ImportError):
        raise ConfigError(
            f"DATABASE_URL: the driver for {parsed.drivername} is not installed; for "
            f"PostgreSQL run: {POSTGRES_EXTRA}"
        ) from None
    if kind == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


class Store:
    """The database behind the API (one per process; thread-safe through the engine's pool)."""

    def __init__(self, url: str, *, lock_wait: float = DEFAULT_LOCK_WAIT) -> None:
        """Open (not yet create) the database at a URL.

        Raises:
            ConfigError: the URL or its driver is unusable (see `engine_for`).
        """
        self.url = url
        self.lock_wait = lock_wait
        self.engine: Engine = engine_for(url, lock_wait=lock_wait)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # One autocommit connection kept for the newest-version probe of every request.
        self._probe: Any = None
        self._probe_lock = threading.Lock()
        # SQLite: the registry change counter beside the file (see `VersionMarker`), and what
        # it said when the database was last asked, with the database's answer.
        self._marker = _marker_for(self.engine)
        self._marker_seen: tuple[int, int] | None = None

    def dispose(self) -> None:
        """Close every pooled connection (and the version marker)."""
        with self._probe_lock:
            if self._probe is not None:
                self._probe.invalidate()
                self._probe = None
        if self._marker is not None:
            self._marker.close()
            self._marker = None
        self.engine.dispose()

    def _publish(self) -> None:
        """After a committed registry write: tell the other workers to ask the database."""
        if self._marker is not None:
            self._marker.bump()

    @contextmanager
    def _write(self, *, registry: bool = True) -> Iterator[Connection]:
        """A write transaction (waits at most ``lock_wait`` for the lock it needs).

        SQLite has one write lock for the whole file. On PostgreSQL, ``registry`` writes
        (imports, migrations) also take the advisory lock that serialises them; host-check
        writes need only their rows.

        Raises:
            StoreBusy: the lock was not free in time.
        """
        retry_after = max(1, round(self.lock_wait / 2))
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.execution_options(revlab_write=True)
                with conn.begin():
                    if not self.is_sqlite:
                        conn.execute(text(f"SET LOCAL lock_timeout = {int(self.lock_wait * 1000)}"))
                    if registry and not self.is_sqlite:
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                    yield conn
        except OperationalError as exc:
            if not _is_lock_timeout(exc):
                raise
            raise StoreBusy(
                f"the database is busy with other writes (waited {self.lock_wait:g} s)",
                retry_after,
            ) from None

    def schema_version(self) -> int:
        """The schema version the database holds (0: empty)."""
        with self.engine.connect() as conn:
            return schema_version(conn)

    def initialise(self, seed: Callable[[], Registry], *, now: float) -> None:
        """Bring the schema up to date and, on first start, store the seed as snapshot 1.

        Safe to call from several processes and instances at once (one transaction under the
        write lock): migrations run once, only one seed is stored, data is kept.

        Raises:
            RuntimeError: the database holds a newer schema than this code knows.
        """
        with self._write() as conn:
            migrate(conn)
            seeded = bool(
                conn.execute(select(func.count()).select_from(registry_snapshots)).scalar_one()
            )
            if not seeded:
                _insert_snapshot(conn, 1, seed(), source="shipped 2020 list", now=now)
        # Also at every start: readers of a database replaced under an old counter ask again.
        self._publish()

    def latest_snapshot_id(self) -> int:
        """The id of the newest acknowledged snapshot (0 when none).

        Asked on every request (an acknowledged import must be seen by every later read). On
        SQLite the shared `VersionMarker` says whether the database needs asking at all.
        """
        marker = self._marker
        if marker is None:
            return self._ask_newest_id()
        try:
            mark = marker.read()
        except ValueError:  # closed meanwhile (the store is being disposed)
            return self._ask_newest_id()
        seen = self._marker_seen
        if seen is not None and seen[0] == mark:
            return seen[1]
        newest = self._ask_newest_id()  # asked after reading the counter
        self._marker_seen = (mark, newest)
        return newest

    def _ask_newest_id(self) -> int:
        """The newest committed snapshot id, from the database.

        One statement on one kept autocommit connection: no pool checkout, no BEGIN.
        """
        with self._probe_lock:
            for attempt in range(2):
                try:
                    if self._probe is None:
                        self._probe = self.engine.raw_connection()
                        if not self.is_sqlite:
                            self._probe.driver_connection.autocommit = True
                    # The driver's own connection (sqlite3 and psycopg both have execute()):
                    # SQLAlchemy's cursor wrapper would cost more than the statement.
                    row = self._probe.driver_connection.execute(
                        "SELECT max(id) FROM registry_snapshots"
                    ).fetchone()
                    return int(row[0] or 0)
                except self.engine.dialect.loaded_dbapi.Error:
                    # A dropped connection (a database restart): open a new one, once.
                    if self._probe is not None:
                        self._probe.invalidate()
                        self._probe = None
                    if attempt:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def load_registry(self) -> RegistrySnapshot:
        """The newest snapshot.

        Raises:
            LookupError: the database holds no registry (not initialised).
        """
        with self.engine.connect() as conn:
            return _newest(conn)

    def import_registry(
        self, change: Callable[[Registry], Registry], *, source: str, now: float
    ) -> ImportOutcome:
        """Apply ``change`` to the newest registry and store the result as the next snapshot.

        ``change`` runs first without the lock; if another import was stored meanwhile, it runs
        again on that one, under the lock, so nothing is lost and no version is given twice.

        Raises:
            RegistryImportError: ``change`` refused the data (nothing is stored).
            StoreBusy: the write lock was not free within ``lock_wait`` seconds.
        """
        base = self.load_registry()
        new = change(base.registry)
        with self._write() as conn:
            head = int(conn.execute(select(func.max(registry_snapshots.c.id))).scalar() or 0)
            if head != base.id:
                base = _newest(conn)
                new = change(base.registry)
            snap = _insert_snapshot(conn, base.id + 1, new, source=source, now=now)
        self._publish()  # committed: now every worker's next read sees it
        added = len(set(new.by_sha256) - set(base.registry.by_sha256))
        return ImportOutcome(snap, added)

    def get_host(self, host: str, port: int) -> CachedChain | None:
        """The cached fetch of ``host:port`` (expired or not), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(host_checks).where(host_checks.c.host == host, host_checks.c.port == port)
            ).first()
        return None if row is None else _row_to_cached(row)

    def put_host(self, cached: CachedChain) -> None:
        """Store a fetch, replacing an older one for the same host and port.

        Raises:
            StoreBusy: the write lock was not free within ``lock_wait`` seconds.
        """
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
            try:
                with self._write(registry=False) as conn:
                    changed = conn.execute(update(host_checks).where(*key).values(**values))
                    if not changed.rowcount:
                        conn.execute(insert(host_checks).values(**values))
                return
            except IntegrityError:
                continue  # another instance inserted it in between: update that row

    def purge_hosts(self, older_than: float) -> int:
        """Delete every host check fetched before ``older_than`` (Unix time); returns how many."""
        with self._write(registry=False) as conn:
            gone = conn.execute(delete(host_checks).where(host_checks.c.fetched_at < older_than))
        return int(gone.rowcount or 0)

    def count_hosts(self) -> int:
        """How many host checks are stored."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(host_checks)).scalar_one())


def _newest(conn: Connection) -> RegistrySnapshot:
    row = conn.execute(
        select(registry_snapshots).order_by(registry_snapshots.c.id.desc()).limit(1)
    ).first()
    if row is None:
        raise LookupError("the database holds no registry; run initialise() first")
    return _snapshot_from_row(row)


def _insert_snapshot(
    conn: Connection, snapshot_id: int, registry: Registry, *, source: str, now: float
) -> RegistrySnapshot:
    csv_text = registry.to_csv()
    incidents = _incidents_json(registry)
    etag = _etag(csv_text, incidents)
    conn.execute(
        insert(registry_snapshots).values(
            id=snapshot_id, etag=etag, source=source, created_at=now, csv=csv_text,
            incidents=incidents,
        )
    )  # fmt: skip
    # Safe under the write lock: every later import starts from the newest snapshot.
    conn.execute(
        delete(registry_snapshots).where(registry_snapshots.c.id <= snapshot_id - _KEEP_SNAPSHOTS)
    )
    return RegistrySnapshot(snapshot_id, etag, registry)


def _marker_for(engine: Engine) -> VersionMarker | None:
    """The version marker beside a SQLite file (None: PostgreSQL, in memory, or unwritable)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        return VersionMarker(Path(database + "-version"))
    except OSError:
        return None  # a read-only directory, say: every request asks the database


def _is_lock_timeout(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "database is locked" in message or "lock timeout" in message or (
        getattr(exc.orig, "sqlstate", None) == "55P03"  # PostgreSQL lock_not_available
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by _sqlite_begin, not by the driver (so writes can be IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer and vice versa (several gunicorn workers).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock at once (waiting up to the busy timeout), so a
    # writer never reads a version that another writer is about to replace.
    immediate = conn.get_execution_options().get("revlab_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
