"""The bulk scan on a Dask distributed cluster (``revlab scan --scheduler tcp://HOST:PORT``).

The target list is cut into batches; each batch is one Dask task that runs the one-machine
scanner (`tlsscan.scanner.scan_batch`, its own asyncio loop) on a worker. Results come back to
the client as tasks finish and are handed to the caller, which judges and writes them once
(file and/or the scan corpus). Dask does the scheduling, the queueing, the retries of a lost
worker and the transport: nothing here is a scheduler of our own.

Only a bounded number of batches is in flight, so the client reads the list lazily and its
memory stays flat however long the list is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

from tlsscan.scanner import ScanOptions, Served, scan_batch
from tlsscan.targets import Target

__all__ = ["DEFAULT_BATCH", "scan_on_cluster"]

#: Targets per task: enough that a task's overhead (a few ms) is small beside its handshakes.
DEFAULT_BATCH = 500
#: Batches in flight per worker thread: one running, one queued so no thread waits on us.
_IN_FLIGHT_PER_THREAD = 2


def _batches(targets: Iterable[Target], size: int) -> Iterator[list[Target]]:
    iterator = iter(targets)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def scan_on_cluster(
    targets: Iterable[Target],
    options: ScanOptions,
    address: str,
    on_served: Callable[[Served], None],
    *,
    batch_size: int = DEFAULT_BATCH,
) -> None:
    """Scan ``targets`` on the Dask cluster at ``address``; call ``on_served`` per result.

    Args:
        targets: the targets (read lazily).
        options: the scan options, the same on every worker.
        address: the scheduler, e.g. ``tcp://10.0.0.5:8786``.
        on_served: called in the client for each result, batch by batch as they finish.
        batch_size: targets per task.

    Raises:
        OSError: the scheduler cannot be reached (``distributed`` raises it on timeout).
    """
    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:
        threads = sum(client.nthreads().values()) or 1
        limit = threads * _IN_FLIGHT_PER_THREAD
        batches = _batches(targets, batch_size)
        first = [
            client.submit(scan_batch, batch, options, pure=False)
            for batch in itertools.islice(batches, limit)
        ]
        if not first:
            return
        queue = as_completed(first, loop=client.loop)
        del first  # the queue holds them; results are released as they are read
        for future in queue:
            results: list[Served] = future.result()
            future.release()
            for batch in itertools.islice(batches, 1):
                queue.add(client.submit(scan_batch, batch, options, pure=False))
            for served in results:
                on_served(served)
