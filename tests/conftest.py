"""Shared fixtures and the suite's two guards.

1. The network is loopback only: every test runs with ``socket.socket.connect`` and
   ``connect_ex`` patched (``socket.create_connection`` and ``ssl`` go through them) so that a
   connection to any address outside 127.0.0.0/8 and ::1 fails the test at once, before a
   packet leaves. Subprocesses (gunicorn, openssl, node, Chromium) are not covered by it:
   they are only ever pointed at loopback, and Chromium resolves every other name to nothing.
2. Skips are honest: a test that needs something absent (the full CCADB corpus in ../shared,
   the openssl CLI, Chromium) calls ``require(...)``, which skips with the reason on a user's
   machine and fails under ``REVLAB_STRICT=1`` (set by .ci/run), so CI never skips the core.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import itertools
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("REVLAB_SHARED", REPO.parent / "shared"))
STRICT = os.environ.get("REVLAB_STRICT") == "1"

#: The fixed "now" of the suite: every test that builds certificates uses it.
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def require(condition: bool, reason: str) -> None:
    """Skip the calling test with ``reason`` unless ``condition``; fail instead under strict."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"REVLAB_STRICT=1 and a requirement is missing: {reason}")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping (or failing under strict) when it is absent."""
    path = SHARED.joinpath(*parts)
    require(path.exists(), f"{path} is absent (the full data lives in the developers' ../shared)")
    return path


def require_tool(name: str) -> str:
    """The absolute path of a system tool, skipping (or failing under strict) without it."""
    found = shutil.which(name)
    require(found is not None, f"the {name!r} command is not installed")
    assert found is not None
    return found


class NonLoopbackConnection(AssertionError):
    """A test tried to open a connection outside the loopback range."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # AF_UNIX paths and the like never leave the machine
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any attempt to connect outside 127.0.0.0/8 and ::1 (the suite's network promise)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NonLoopbackConnection(f"test tried to connect to {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NonLoopbackConnection(f"test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    """The suite's fixed, timezone-aware now."""
    return NOW


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (skips, or fails under strict, without)."""
    bindir = servers.postgres_bin()
    require(bindir is not None, "PostgreSQL is not installed (Debian: apt-get install postgresql)")
    require(importlib.util.find_spec("psycopg") is not None,
            "the psycopg driver is not installed (pip install 'revocation-lab[postgres]')")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser is needed to run PostgreSQL as root")
    assert bindir is not None
    with servers.postgres_cluster(bindir) as url:
        yield url


_DATABASES = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_admin: str) -> str:
    """A fresh, empty PostgreSQL database for one test; returns its URL."""
    return servers.create_database(postgres_admin, f"t{os.getpid()}_{next(_DATABASES)}")
