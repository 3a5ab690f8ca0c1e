"""The database schema of the API, and its migrations.

Version N is reached by running the statements of migration N once, in order, inside the
transaction that holds the write lock (`storage.Store.initialise`). The SQL is plain and read
by SQLite and PostgreSQL alike, so what a database holds never depends on which release
created it. Version 1 is the schema of the first release, which had no version table.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

__all__ = [
    "SCHEMA_VERSION",
    "host_checks",
    "migrate",
    "registry_snapshots",
    "scan_corpus",
    "schema_version",
]

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
    Column("host_sha256", String(64), nullable=False),
    Column("address", String(64)),
    Column("chain", Text, nullable=False),
    Column("error", Text),
    Column("truncated", Boolean, nullable=False, default=False),
    Column("fetched_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# The scan corpus behind /v1/hostprefix and /v1/scan/summary (`extension_api.scan_corpus`).
scan_corpus = Table(
    "scan_corpus",
    metadata,
    Column("host_sha256", String(64), primary_key=True),
    Column("port", Integer, primary_key=True),
    Column("verdict", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("match", Text),  # JSON {"position", "entry"} or NULL
    Column("remedy_owner", Text, nullable=False),
    Column("remedy_visitor", Text, nullable=False),
    Column("list_name", String(200), nullable=False),
    Column("scanned_at", Float, nullable=False),
    # What the popup reads besides the verdict: the CA's known clean re-issue is the fix, and
    # where a dangerous responder sits in the chain.
    Column("known_reissue", Boolean, nullable=False, default=False),
    Column("responder_position", Integer),
    Index("ix_scan_corpus_list_verdict", "list_name", "verdict"),
)

schema_table = Table("revlab_schema", metadata, Column("version", Integer, nullable=False))

# Migrations, in order: version N is reached by running MIGRATIONS[N - 1]. Plain SQL that
# SQLite and PostgreSQL both read, so that what a database holds never depends on which code
# version created it. Version 1 is the schema of the first release (no version table).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE registry_snapshots (id INTEGER NOT NULL PRIMARY KEY, "
        "etag VARCHAR(64) NOT NULL, source TEXT NOT NULL, created_at FLOAT NOT NULL, "
        "csv TEXT NOT NULL, incidents TEXT NOT NULL)",
        "CREATE TABLE host_checks (host VARCHAR(255) NOT NULL, port INTEGER NOT NULL, "
        "host_sha256 VARCHAR(64) NOT NULL, address VARCHAR(64), chain TEXT NOT NULL, "
        "error TEXT, truncated BOOLEAN NOT NULL, fetched_at FLOAT NOT NULL, "
        "expires_at FLOAT NOT NULL, PRIMARY KEY (host, port))",
        "CREATE INDEX ix_host_checks_host_sha256 ON host_checks (host_sha256)",
    ),
    (
        # 2: a version table; retention deletes by age; no more lookups by hostname hash.
        "CREATE TABLE revlab_schema (version INTEGER NOT NULL)",
        "INSERT INTO revlab_schema (version) VALUES (1)",
        "CREATE INDEX ix_host_checks_fetched_at ON host_checks (fetched_at)",
        "DROP INDEX ix_host_checks_host_sha256",
    ),
    (
        # 3: the scan corpus. ``revlab scan --into-db`` may have made it already, on a database
        # the API has not started on yet (`ScanCorpus.ensure`): hence IF NOT EXISTS.
        "CREATE TABLE IF NOT EXISTS scan_corpus (host_sha256 VARCHAR(64) NOT NULL, "
        "port INTEGER NOT NULL, verdict VARCHAR(32) NOT NULL, summary TEXT NOT NULL, "
        '"match" TEXT, remedy_owner TEXT NOT NULL, remedy_visitor TEXT NOT NULL, '
        "list_name VARCHAR(200) NOT NULL, scanned_at FLOAT NOT NULL, "
        "known_reissue BOOLEAN NOT NULL, responder_position INTEGER, "
        "PRIMARY KEY (host_sha256, port))",
        "CREATE INDEX IF NOT EXISTS ix_scan_corpus_list_verdict ON scan_corpus "
        "(list_name, verdict)",
    ),
)
#: The schema version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations from the connection's schema version up to ``target``.

    Call inside a transaction that holds the write lock. Returns the version reached.

    Raises:
        RuntimeError: the database is newer than ``target``.
    """
    version = schema_version(conn)
    if version > target:
        raise RuntimeError(
            f"the database has schema version {version}; this code knows {target} at most"
        )
    for number in range(version + 1, target + 1):
        for statement in MIGRATIONS[number - 1]:
            conn.execute(text(statement))
        if number >= 2:
            conn.execute(update(schema_table).values(version=number))
    return target


def schema_version(conn: Connection) -> int:
    """The schema version a database holds (0: empty)."""
    names = set(inspect(conn).get_table_names())
    if "revlab_schema" in names:
        return int(conn.execute(select(schema_table.c.version)).scalar_one())
    return 1 if "registry_snapshots" in names else 0
