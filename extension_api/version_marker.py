"""The newest registry version of a SQLite database, published in a shared file beside it.

Every request must see every import acknowledged before it, on every worker (issue: "a 200
means every later read sees the change"). Asking the database on each request costs a read
transaction (about a tenth of a ``POST /v1/chain`` under load, benchmarks/bench_api.py). The
workers of one SQLite database share one machine, so a writer publishes instead: after its
import is committed, and before it answers, it writes the database's newest snapshot id into
an 8-byte file mapped into every worker's memory. A reader looks at those 8 bytes (no system
call) and asks the database only when they changed since it last asked.

Why this is exact: the value is written after the commit, under an exclusive ``flock``, and it
is the database's newest id read under that lock, so it never goes back and never names an
uncommitted snapshot. A reader that sees a value it has not seen before asks the database,
which then holds at least that snapshot; a reader that sees the value it saw when it last
asked knows that no import was acknowledged since (an acknowledgement comes after its
publication). A torn or stale read only costs one more question to the database.

PostgreSQL deployments span machines: there the database is asked on every request.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from collections.abc import Callable
from pathlib import Path

__all__ = ["VersionMarker"]

_FORMAT = "<Q"
_SIZE = struct.calcsize(_FORMAT)


class VersionMarker:
    """An 8-byte shared counter file: the newest committed snapshot id.

    Args:
        path: the file (created if missing, beside the database).

    Raises:
        OSError: the file cannot be created or mapped (the caller then asks the database).
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) and map the file."""
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                if os.fstat(self._fd).st_size < _SIZE:
                    os.ftruncate(self._fd, _SIZE)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._map = mmap.mmap(self._fd, _SIZE, mmap.MAP_SHARED)
        except BaseException:
            os.close(self._fd)
            raise

    def read(self) -> int:
        """The published id (0 before the first publication)."""
        value: int = struct.unpack_from(_FORMAT, self._map, 0)[0]
        return value

    def publish(self, newest: Callable[[], int]) -> int:
        """Write ``newest()`` (the database's newest committed id), under the file's lock.

        Call it after a commit and before acknowledging it. Returns the id written.
        """
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            value = newest()
            struct.pack_into(_FORMAT, self._map, 0, value)
            return value
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Unmap and close the file."""
        self._map.close()
        os.close(self._fd)
