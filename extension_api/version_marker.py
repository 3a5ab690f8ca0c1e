"""A registry change counter beside a SQLite database, mapped into every worker's memory.

Every request must see every import acknowledged before it, on every worker (issue: "a 200
means every later read sees the change"). Asking the database on each request costs a read
transaction (about a tenth of a ``POST /v1/chain`` under load, benchmarks/bench_api.py). The
workers of one SQLite database share one machine, so a writer signals instead: after its
import is committed, and before it answers, it adds one to an 8-byte counter in a file that
every worker maps into memory. A reader looks at those 8 bytes (no system call) and asks the
database for the newest version only when the counter changed since it last asked.

Why this is exact: the counter only grows (one more per committed registry write, and one more
at every start, which also covers a database replaced under an old counter), so it never shows
a value a reader has seen before once something changed. A writer bumps it after its commit
and before its acknowledgement; a reader that sees a new value asks the database after reading
it, so it sees at least every import acknowledged before that value was written; a reader that
sees the value it saw when it last asked knows that no import was acknowledged since. A torn or
stale read only costs one more question to the database. Increments are serialised by an
``flock`` between processes and by a lock between the threads of one process.

PostgreSQL deployments span machines: there the database is asked on every request.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import threading
from pathlib import Path

__all__ = ["VersionMarker"]

_FORMAT = "<Q"
_SIZE = struct.calcsize(_FORMAT)


class VersionMarker:
    """An 8-byte shared counter file: how many registry writes were committed (and starts).

    Args:
        path: the file (created if missing, beside the database).

    Raises:
        OSError: the file cannot be created or mapped (the caller then asks the database).
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) and map the file."""
        self.path = path
        self._lock = threading.Lock()  # flock does not exclude threads sharing this file
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
        """The counter (0 before the first write).

        Raises:
            ValueError: the marker was closed.
        """
        value: int = struct.unpack_from(_FORMAT, self._map, 0)[0]
        return value

    def bump(self) -> int:
        """Add one to the counter; call it after a commit and before acknowledging it."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                value = (self.read() + 1) % 2**64
                struct.pack_into(_FORMAT, self._map, 0, value)
                return value
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Unmap and close the file."""
        with self._lock:
            self._map.close()
            os.close(self._fd)
