"""Settings of the API, read from ``REVLAB_*`` environment variables (and ``DATABASE_URL``).

Every setting has a default that is safe for a service deployed on the internet; tests and
development loosen them explicitly (``REVLAB_ALLOW_HOSTS`` lets loopback through the SSRF
guard, ``REVLAB_ALLOWED_PORTS`` widens the ports the chain fetcher may connect to).

- ``REVLAB_DATA_DIR`` (default ``$XDG_DATA_HOME/revlab`` or ``~/.local/share/revlab``):
  holds the SQLite file.
- ``DATABASE_URL`` (default ``sqlite:///<data dir>/revlab.sqlite3``):
  any SQLAlchemy URL.
- ``REVLAB_ADMIN_TOKEN`` (default unset (imports disabled)):
  bearer token for registry imports.
- ``REVLAB_ALLOW_HOSTS`` (default empty):
  hosts, IPs or CIDR networks the SSRF guard lets through.
- ``REVLAB_ALLOWED_PORTS`` (default ``443,8443``):
  ports the fetcher may connect to (``a-b`` ranges).
- ``REVLAB_CONNECT_TIMEOUT`` (default ``5``):
  seconds for the TCP connect.
- ``REVLAB_HANDSHAKE_TIMEOUT`` (default ``5``):
  seconds for the TLS handshake.
- ``REVLAB_MAX_CHAIN`` (default ``10``):
  most certificates accepted in a chain (posted or served).
- ``REVLAB_HOST_TTL`` (default ``3600``):
  seconds a fetched chain is reused.
- ``REVLAB_UNKNOWN_TTL`` (default ``60``):
  seconds a failed fetch is reused (no hammering of a dead host).
- ``REVLAB_HOST_RETENTION`` (default ``3600``):
  seconds after which a host check (the hostname a user asked about) is deleted from the
  database; at least the TTLs above.
- ``REVLAB_CHECK_DEADLINE`` (default ``10``):
  total seconds a host check may take, across all the addresses it tries.
- ``REVLAB_MAX_ADDRESSES`` (default ``4``):
  most addresses of one name a host check tries.
- ``REVLAB_OUTBOUND_CONCURRENCY`` (default ``16``):
  host checks one worker runs at once; more get 503 with ``Retry-After``.
- ``REVLAB_DB_LOCK_WAIT`` (default ``10``):
  seconds a write waits for the database's write lock before a 503 with ``Retry-After``.
- ``REVLAB_REGISTRY_REFRESH`` (default ``0``):
  seconds a worker may serve its in-memory registry before checking the database for a newer
  import (0: every request checks, so an acknowledged import is seen by every later read).
- ``REVLAB_REGISTRY_MAX_AGE`` (default ``3600``):
  Cache-Control max-age of ``GET /v1/registry``.
- ``REVLAB_RATE_LIMIT`` (default ``600/minute``):
  per-client limit on ``/v1``.
- ``REVLAB_HOSTS_RATE_LIMIT`` (default ``60/minute``):
  per-client limit on ``/v1/hosts`` (it opens connections).
- ``REVLAB_RATELIMIT_STORAGE_URI`` (default ``memory://``):
  where the limits are counted: ``memory://`` is exact for one worker process only;
  ``redis://host:port`` shares the counts between workers and instances (``revlab serve``
  refuses several workers with ``memory://`` and limits on).
- ``REVLAB_CORS_ORIGINS`` (default ``chrome-extension://*,moz-extension://*``):
  allowed origins (``*`` = any id).
- ``REVLAB_MAX_BODY`` (default ``262144``):
  bytes accepted in a request body (imports: ``REVLAB_MAX_IMPORT_BODY``).
- ``REVLAB_MAX_IMPORT_BODY`` (default ``16777216``):
  bytes accepted by ``POST /v1/registry/import``.
- ``REVLAB_NOTEBOOKS_DIR`` (default the checkout's ``notebooks/``):
  the lessons that ``GET /notebooks/<name>.ipynb`` renders (the extension links to them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sim.errors import ConfigError, HostError
from tlsscan.guard import parse_allow_entry

__all__ = ["ConfigError", "Settings", "default_data_dir", "parse_ports"]

#: Name of the SQLite file inside the data directory.
DB_FILENAME = "revlab.sqlite3"



def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory: ``REVLAB_DATA_DIR``, else the XDG data home's ``revlab``."""
    env = os.environ if environ is None else environ
    if env.get("REVLAB_DATA_DIR"):
        return Path(env["REVLAB_DATA_DIR"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "revlab"


def parse_ports(text: str, *, name: str = "REVLAB_ALLOWED_PORTS") -> frozenset[int]:
    """Parse ``443,8443,10000-10010`` into a set of ports.

    Raises:
        ConfigError: a part is not a port or a range of ports.
    """
    ports: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo_text, _, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if hi_text else lo
        except ValueError:
            raise ConfigError(f"{name}: {part!r} is not a port or a range a-b") from None
        if not 1 <= lo <= hi <= 65535:
            raise ConfigError(f"{name}: {part!r} is outside 1-65535")
        # A range is stored as its bounds' members; 65535 ints at most.
        ports.update(range(lo, hi + 1))
    if not ports:
        # The fetcher reads an empty set as "any port": an operator who blanks the variable
        # must not open every port by accident. Say 1-65535 to mean that.
        raise ConfigError(f"{name}: list at least one port (1-65535 for any)")
    return frozenset(ports)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


@dataclass(frozen=True)
class Settings:
    """Every setting of the API (see the module docstring for the variables).

    Attributes:
        data_dir: directory of the SQLite file.
        database_url: SQLAlchemy URL; empty means SQLite under ``data_dir``.
        admin_token: bearer token for imports; empty disables them.
        allow_hosts: hostnames, IP addresses or networks the SSRF guard lets through.
        allowed_ports: ports the chain fetcher may connect to.
        connect_timeout: seconds for the TCP connect.
        handshake_timeout: seconds for the TLS handshake.
        max_chain: most certificates in a chain.
        host_ttl: seconds a fetched chain is reused.
        unknown_ttl: seconds a failed fetch is reused.
        host_retention: seconds after which a stored host check is deleted.
        check_deadline: total seconds of one host check across its addresses.
        max_addresses: most addresses a host check tries.
        outbound_concurrency: host checks one worker runs at once.
        lock_wait: seconds a write waits for the database's write lock.
        registry_max_age: Cache-Control max-age of the registry.
        registry_refresh: seconds a worker trusts its in-memory registry before re-checking
            the database for an import made by another worker (0: every request).
        rate_limit: per-client limit on ``/v1`` (``N/second|minute|hour|day``); empty disables.
        hosts_rate_limit: per-client limit on ``/v1/hosts``; empty disables.
        ratelimit_storage_uri: where limits are counted (``memory://``, ``redis://...``).
        cors_origins: allowed origins; ``*`` inside an entry matches an extension id.
        max_body: bytes accepted in a request body.
        max_import_body: bytes accepted in an import body.
        notebooks_dir: where the lessons are (``GET /notebooks/<name>.ipynb`` renders them).
    """

    data_dir: Path
    database_url: str = ""
    admin_token: str = ""
    allow_hosts: tuple[str, ...] = ()
    allowed_ports: frozenset[int] = frozenset({443, 8443})
    connect_timeout: float = 5.0
    handshake_timeout: float = 5.0
    max_chain: int = 10
    host_ttl: int = 3600
    unknown_ttl: int = 60
    host_retention: int = 3600
    check_deadline: float = 10.0
    max_addresses: int = 4
    outbound_concurrency: int = 16
    lock_wait: float = 10.0
    registry_max_age: int = 3600
    registry_refresh: float = 0.0
    rate_limit: str = "600/minute"
    hosts_rate_limit: str = "60/minute"
    ratelimit_storage_uri: str = "memory://"
    cors_origins: tuple[str, ...] = ("chrome-extension://*", "moz-extension://*")
    max_body: int = 256 * 1024
    max_import_body: int = 16 * 1024 * 1024
    notebooks_dir: Path = Path(__file__).resolve().parent.parent / "notebooks"

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use (SQLite under the data directory by default)."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, when the database is the embedded default."""
        if self.database_url:
            prefix = "sqlite:///"
            return Path(self.database_url[len(prefix) :]) if self.database_url.startswith(
                prefix
            ) else None
        return self.data_dir / DB_FILENAME

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment.

        Raises:
            ConfigError: a variable has an unusable value (the message names it).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {"data_dir": default_data_dir(env)}
        text_vars = {
            "database_url": ("REVLAB_DATABASE_URL", "DATABASE_URL"),
            "admin_token": ("REVLAB_ADMIN_TOKEN",),
            "rate_limit": ("REVLAB_RATE_LIMIT",),
            "hosts_rate_limit": ("REVLAB_HOSTS_RATE_LIMIT",),
            "ratelimit_storage_uri": ("REVLAB_RATELIMIT_STORAGE_URI",),
        }
        for field_name, names in text_vars.items():
            for var in names:
                if var in env:
                    values[field_name] = env[var].strip()
                    break
        if "REVLAB_ALLOW_HOSTS" in env:
            values["allow_hosts"] = _split(env["REVLAB_ALLOW_HOSTS"])
        if "REVLAB_CORS_ORIGINS" in env:
            values["cors_origins"] = _split(env["REVLAB_CORS_ORIGINS"])
        if env.get("REVLAB_NOTEBOOKS_DIR"):
            values["notebooks_dir"] = Path(env["REVLAB_NOTEBOOKS_DIR"]).expanduser()
        if "REVLAB_ALLOWED_PORTS" in env:
            values["allowed_ports"] = parse_ports(env["REVLAB_ALLOWED_PORTS"])
        numbers: dict[str, tuple[str, type]] = {
            "connect_timeout": ("REVLAB_CONNECT_TIMEOUT", float),
            "handshake_timeout": ("REVLAB_HANDSHAKE_TIMEOUT", float),
            "max_chain": ("REVLAB_MAX_CHAIN", int),
            "host_ttl": ("REVLAB_HOST_TTL", int),
            "unknown_ttl": ("REVLAB_UNKNOWN_TTL", int),
            "host_retention": ("REVLAB_HOST_RETENTION", int),
            "check_deadline": ("REVLAB_CHECK_DEADLINE", float),
            "max_addresses": ("REVLAB_MAX_ADDRESSES", int),
            "outbound_concurrency": ("REVLAB_OUTBOUND_CONCURRENCY", int),
            "lock_wait": ("REVLAB_DB_LOCK_WAIT", float),
            "registry_max_age": ("REVLAB_REGISTRY_MAX_AGE", int),
            "registry_refresh": ("REVLAB_REGISTRY_REFRESH", float),
            "max_body": ("REVLAB_MAX_BODY", int),
            "max_import_body": ("REVLAB_MAX_IMPORT_BODY", int),
        }
        for field_name, (var, kind) in numbers.items():
            if var in env:
                try:
                    values[field_name] = kind(env[var])
                except ValueError:
                    raise ConfigError(f"{var}: {env[var]!r} is not a number") from None
        return cls(**values).checked()

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with fields replaced (lower-case field names; unknown keys are ignored).

        Raises:
            ConfigError: a resulting value is unusable.
        """
        names = {f.name for f in fields(self)}
        chosen = {k: v for k, v in overrides.items() if k in names}
        if "allowed_ports" in chosen and isinstance(chosen["allowed_ports"], str):
            chosen["allowed_ports"] = parse_ports(chosen["allowed_ports"])
        for key in ("data_dir", "notebooks_dir"):
            if key in chosen:
                chosen[key] = Path(chosen[key])
        for key in ("allow_hosts", "cors_origins"):
            if key in chosen and isinstance(chosen[key], str):
                chosen[key] = _split(chosen[key])
        return replace(self, **chosen).checked()

    def checked(self) -> Settings:
        """Self, after checking ranges and the allow-list.

        Raises:
            ConfigError: a value is unusable.
        """
        for name in ("connect_timeout", "handshake_timeout"):
            if not 0 < getattr(self, name) <= 60:
                raise ConfigError(f"{name}: must be between 0 and 60 seconds")
        if not 1 <= self.max_chain <= 50:
            raise ConfigError("max_chain: must be between 1 and 50")
        if not 0 < self.check_deadline <= 60:
            raise ConfigError("check_deadline: must be between 0 and 60 seconds")
        if not 1 <= self.max_addresses <= 16:
            raise ConfigError("max_addresses: must be between 1 and 16")
        if not 1 <= self.outbound_concurrency <= 1024:
            raise ConfigError("outbound_concurrency: must be between 1 and 1024")
        if not 0 < self.lock_wait <= 60:
            raise ConfigError("lock_wait: must be between 0 and 60 seconds")
        if self.host_retention < max(self.host_ttl, self.unknown_ttl):
            # A row deleted before it expires would be fetched again at once: the TTLs first.
            raise ConfigError("host_retention: must be at least host_ttl and unknown_ttl")
        for entry in self.allow_hosts:
            try:
                parse_allow_entry(entry)
            except HostError as exc:
                raise ConfigError(f"REVLAB_ALLOW_HOSTS: {exc}") from None
        if self.max_body < 1024 or self.max_import_body < 1024:
            raise ConfigError("max_body and max_import_body: must be at least 1024 bytes")
        return self
