"""The bulk scanner: many TLS handshakes at once, each reading the chain a server serves.

One asyncio event loop runs ``concurrency`` workers that pull targets from one shared iterator
and put what they read on a bounded queue; the caller consumes results as they complete. Input
and output are streamed, so memory stays flat in the number of targets
(benchmarks/bench_scan.py measures it).

Each target gets one total deadline (``timeout``) across resolution and every address it
resolves to. The SSRF guard of `tlsscan.fetcher` applies unless ``allow_private`` is set: an
operator scanning their own estate needs loopback and private addresses, the web does not.
By default the chain is read from the server's first flight and the connection closed, like
certificate scanners do (`tlsscan.hello`: one ClientHello, the server's answer up to its
Certificate message, no Finished sent): the scan reads chains, it does not judge trust. Whatever
that reader does not support falls back to the full handshake, which is the fetcher's: the
same unverified client context, the same way of reading the served chain.
``full_handshake`` makes every target take the full handshake.

A failure is data: `Served.error` is one of `ScanErrorKind` and `Served.detail` says why in
words. Verdicts are not made here (`tlsscan.results` makes them, with `sim.served`), so the
same scanner runs on a Dask worker that has no registry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import ipaddress
import multiprocessing as mp
import queue as queues
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sim.errors import GuardError, ParameterError
from tlsscan.fetcher import FetchPolicy, client_context, served_chain, vetted_addresses
from tlsscan.guard import IPAddress, Resolver, system_resolver
from tlsscan.hello import FirstFlightFailed, FirstFlightUnsupported, read_first_flight
from tlsscan.targets import Target

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "ScanErrorKind",
    "ScanOptions",
    "Served",
    "run_processes",
    "run_stream",
    "scan_batch",
    "scan_stream",
    "scan_target",
]

#: Handshakes in flight by default: enough to hide network latency on a WAN scan, few enough
#: to stay inside a default ``ulimit -n`` of 1024 with room for the resolver and the output.
DEFAULT_CONCURRENCY = 256
#: Seconds per target (resolution, connect and handshake, across all its addresses).
DEFAULT_TIMEOUT = 5.0
#: Most certificates read from a served chain (the fetcher's cap).
_MAX_CHAIN = FetchPolicy.max_chain
#: Threads resolving names (``getaddrinfo`` blocks): DNS waits, it does not compute.
_RESOLVER_THREADS = 32
#: Results waiting for the consumer before the workers pause.
_QUEUE_FACTOR = 2
#: IP-literal targets whose guard answer is remembered (a scan of an estate by address).
_LITERAL_CACHE = 4096
#: The allow-list of ``allow_private``: every IPv4 and IPv6 address.
_EVERYWHERE = ("0.0.0.0/0", "::/0")


class ScanErrorKind(enum.StrEnum):
    """Why a target's chain could not be read."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    GUARD = "guard"


@dataclass(frozen=True)
class ScanOptions:
    """How a scan runs.

    Attributes:
        timeout: seconds per target, one total deadline across its addresses.
        concurrency: handshakes in flight.
        allow_private: let loopback and private addresses through the SSRF guard.
        full_handshake: complete every handshake with `ssl` instead of reading the chain from
            the server's first flight (`tlsscan.hello`).
    """

    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    allow_private: bool = False
    full_handshake: bool = False

    def __post_init__(self) -> None:
        """Refuse values no scan can run with."""
        if not 0 < self.timeout <= 300:
            raise ParameterError(f"timeout must be in (0, 300] seconds, got {self.timeout}")
        if not 1 <= self.concurrency <= 100_000:
            raise ParameterError(f"concurrency must be in [1, 100000], got {self.concurrency}")

    @property
    def policy(self) -> FetchPolicy:
        """The guard's policy: any port (the operator's own list names them)."""
        allow = _EVERYWHERE if self.allow_private else ()
        return FetchPolicy(allow_hosts=allow, allowed_ports=frozenset())


@dataclass(frozen=True)
class Served:
    """What a scan read from one target (no verdict yet).

    Attributes:
        host: the normalised host.
        port: the port.
        line: the target's line in the list.
        address: the address that answered the handshake (None on failure).
        tls_version: the negotiated protocol (``TLSv1.3``), None on failure.
        chain: the served certificates, DER, leaf first (empty on failure).
        error: why the chain could not be read, or None.
        detail: the same in words, or None.
        scanned_at: when the scan of this target started (UTC).
    """

    host: str
    port: int
    line: int
    address: str | None
    tls_version: str | None
    chain: tuple[bytes, ...]
    error: ScanErrorKind | None
    detail: str | None
    scanned_at: dt.datetime


class _Failed(Exception):
    def __init__(self, kind: ScanErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def _connection_failed(exc: OSError) -> _Failed:
    """A connection that could not be made (``refused``), in the scan's words."""
    if isinstance(exc, ConnectionRefusedError):
        return _Failed(ScanErrorKind.REFUSED, "the connection was refused")
    return _Failed(
        ScanErrorKind.REFUSED, f"the connection failed ({exc.strerror or type(exc).__name__})"
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Scan:
    """The state one event loop shares: the TLS context, the resolver and its threads."""

    def __init__(
        self, options: ScanOptions, resolver: Resolver | None, executor: ThreadPoolExecutor
    ) -> None:
        self.options = options
        self.policy = options.policy
        self.resolver: Resolver = resolver or system_resolver
        self.executor = executor
        self.context: ssl.SSLContext = client_context()
        # The guard's answer for IP literals (no resolution: it cannot change during a scan).
        self.literals: dict[tuple[str, int], list[IPAddress] | str] = {}

    def vetted_literal(self, target: Target, literal: IPAddress) -> list[IPAddress]:
        resolved = [str(literal)]
        try:
            found: list[IPAddress] | str = vetted_addresses(
                target.host, target.port, self.policy, lambda _h, _p: resolved
            )
        except GuardError as exc:
            found = str(exc)
        if len(self.literals) >= _LITERAL_CACHE:
            self.literals.clear()
        self.literals[(target.host, target.port)] = found
        if isinstance(found, str):
            raise _Failed(ScanErrorKind.GUARD, found)
        return list(found)

    async def addresses(self, target: Target) -> list[IPAddress]:
        known = self.literals.get((target.host, target.port))
        if known is not None:  # an IP literal seen before: neither parsed nor vetted again
            if isinstance(known, str):
                raise _Failed(ScanErrorKind.GUARD, known)
            return list(known)
        try:
            literal = ipaddress.ip_address(target.host)
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                raw = await loop.run_in_executor(
                    self.executor, self.resolver, target.host, target.port
                )
            except (OSError, UnicodeError) as exc:
                raise _Failed(ScanErrorKind.DNS, f"the name does not resolve ({exc})") from None
            if not raw:
                raise _Failed(ScanErrorKind.DNS, "the name resolves to no address") from None
        else:
            return self.vetted_literal(target, literal)
        resolved: Sequence[str] = list(raw)
        try:
            # The fetcher's guard on the addresses we resolved (resolved once, never again).
            return vetted_addresses(target.host, target.port, self.policy, lambda _h, _p: resolved)
        except GuardError as exc:
            raise _Failed(ScanErrorKind.GUARD, str(exc)) from None

    async def read(self, target: Target, address: IPAddress) -> tuple[str | None, list[bytes]]:
        """The chain at one address: from the first flight, or from the full handshake."""
        if self.options.full_handshake:
            return await self.handshake(target, address)
        # SNI is the name; an IP literal sends none (RFC 6066 3: literals are not allowed).
        sni = None if target.host == str(address) else target.host
        try:
            flight = await read_first_flight(str(address), target.port, sni,
                                             max_chain=_MAX_CHAIN)
        except FirstFlightUnsupported:
            return await self.handshake(target, address)  # within the same deadline
        except FirstFlightFailed as exc:
            raise _Failed(ScanErrorKind.TLS, exc.detail) from None
        except TimeoutError:
            raise
        except OSError as exc:
            raise _connection_failed(exc) from None
        return flight.tls_version, list(flight.chain)

    async def handshake(
        self, target: Target, address: IPAddress
    ) -> tuple[str | None, list[bytes]]:
        """The chain at one address from a full handshake with `ssl`."""
        loop = asyncio.get_running_loop()
        # SNI is the name; an IP literal sends none (RFC 6066 3: literals are not allowed).
        sni = "" if target.host == str(address) else target.host
        try:
            transport, _ = await loop.create_connection(
                asyncio.Protocol,
                str(address),
                target.port,
                ssl=self.context,
                server_hostname=sni,
                # The target's deadline (asyncio.timeout in `scan`) decides; asyncio's own
                # handshake timeout would end it as a ConnectionAbortedError, not a timeout.
                ssl_handshake_timeout=self.options.timeout + 1,
            )
        except ConnectionRefusedError as exc:
            raise _connection_failed(exc) from None
        except ssl.SSLError as exc:
            reason = exc.reason or type(exc).__name__
            raise _Failed(ScanErrorKind.TLS, f"the TLS handshake failed ({reason})") from None
        except (ConnectionError, EOFError):
            raise _Failed(
                ScanErrorKind.TLS, "the server closed the connection during the handshake"
            ) from None
        except TimeoutError:
            raise
        except OSError as exc:
            raise _connection_failed(exc) from None
        try:
            tls = transport.get_extra_info("ssl_object")
            return tls.version(), served_chain(tls)
        finally:
            # Nothing is sent after the handshake: drop the connection (no close_notify wait).
            transport.abort()

    async def scan(self, target: Target) -> Served:
        started = _utcnow()
        failure: _Failed | None = None
        try:
            async with asyncio.timeout(self.options.timeout):
                for address in await self.addresses(target):
                    try:
                        version, chain = await self.read(target, address)
                    except _Failed as exc:
                        failure = exc  # try the next address within the same deadline
                        continue
                    return Served(
                        target.host, target.port, target.line, str(address), version,
                        tuple(chain[:_MAX_CHAIN]), None, None, started,
                    )
        except _Failed as exc:
            failure = exc
        except TimeoutError:
            failure = _Failed(
                ScanErrorKind.TIMEOUT,
                f"the server did not answer within the timeout ({self.options.timeout:g} s)",
            )
        assert failure is not None
        return Served(
            target.host, target.port, target.line, None, None, (), failure.kind, failure.detail,
            started,
        )


async def scan_target(
    target: Target, options: ScanOptions, *, resolver: Resolver | None = None
) -> Served:
    """Scan one target (a convenience over `scan_stream`)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return await _Scan(options, resolver, executor).scan(target)


async def scan_stream(
    targets: Iterable[Target], options: ScanOptions, *, resolver: Resolver | None = None
) -> AsyncIterator[Served]:
    """Scan every target, ``options.concurrency`` at a time; yield each result as it completes.

    Args:
        targets: the targets; consumed lazily (a generator over a file of any length works).
        options: timeout, concurrency and guard.
        resolver: resolves ``(host, port)`` to address strings (tests pass a fake one); the
            system resolver runs in a pool of threads.
    """
    iterator: Iterator[Target] = iter(targets)
    queue: asyncio.Queue[Served | None] = asyncio.Queue(options.concurrency * _QUEUE_FACTOR)
    with ThreadPoolExecutor(max_workers=_RESOLVER_THREADS) as executor:
        scan = _Scan(options, resolver, executor)

        async def worker() -> None:
            # One shared iterator: each next() hands one target to one worker.
            for target in iterator:
                await queue.put(await scan.scan(target))

        async def finish(workers: list[asyncio.Task[None]]) -> BaseException | None:
            try:
                await asyncio.gather(*workers)
            except Exception as exc:  # a bug in a worker: raised to the consumer below
                failed: BaseException | None = exc
            else:
                failed = None
            await queue.put(None)
            return failed

        workers = [asyncio.create_task(worker()) for _ in range(options.concurrency)]
        finisher = asyncio.create_task(finish(workers))
        try:
            while (item := await queue.get()) is not None:
                yield item
            failed = await finisher
            if failed is not None:
                raise failed
        finally:
            for task in (*workers, finisher):
                task.cancel()
            await asyncio.gather(*workers, finisher, return_exceptions=True)


def scan_batch(
    targets: Sequence[Target], options: ScanOptions, *, resolver: Resolver | None = None
) -> list[Served]:
    """Scan a batch in a new event loop and return the results in the batch's order.

    This is what each Dask worker runs (`tlsscan.cluster`): the same scanner as one machine.
    """

    async def collect() -> list[Served]:
        return [s async for s in scan_stream(targets, options, resolver=resolver)]

    found = {(s.host, s.port, s.line): s for s in asyncio.run(collect())}
    return [found[(t.host, t.port, t.line)] for t in targets]


def run_stream(
    targets: Iterable[Target],
    options: ScanOptions,
    on_result: Callable[[Served], None],
    *,
    resolver: Resolver | None = None,
) -> None:
    """Scan in a new event loop, calling ``on_result`` for each result as it completes."""

    async def consume() -> None:
        async for served in scan_stream(targets, options, resolver=resolver):
            on_result(served)

    asyncio.run(consume())



#: Targets the parent hands a worker process at a time, and batches queued per worker.
_BATCH = 256
_BATCHES_QUEUED = 4
#: A worker sends its results in batches of at most this many, or after this many seconds.
_RESULTS_BATCH = 128
_RESULTS_EVERY = 0.1


def _process_worker(
    inbox: mp.Queue,  # type: ignore[type-arg]
    outbox: mp.Queue,  # type: ignore[type-arg]
    options: ScanOptions,
    resolver: Resolver | None,
) -> None:
    """One worker process: scan what the parent hands over, send results back in batches."""
    pending: list[Served] = []
    sent = time.monotonic()

    def targets() -> Iterator[Target]:
        # A blocking get stalls this loop only while the parent has nothing more to hand out.
        while (batch := inbox.get()) is not None:
            yield from batch

    def on_result(served: Served) -> None:
        nonlocal sent
        pending.append(served)
        now = time.monotonic()
        if len(pending) >= _RESULTS_BATCH or now - sent >= _RESULTS_EVERY:
            outbox.put(list(pending))
            pending.clear()
            sent = now

    try:
        run_stream(targets(), options, on_result, resolver=resolver)
        outbox.put(list(pending))
        outbox.put(None)
    except BaseException as exc:
        outbox.put(f"{type(exc).__name__}: {exc}")
        raise


def run_processes(
    targets: Iterable[Target],
    options: ScanOptions,
    on_result: Callable[[Served], None],
    *,
    processes: int,
    resolver: Resolver | None = None,
) -> None:
    """`run_stream` in ``processes`` worker processes (one event loop each), for a machine whose
    one core is the limit: TLS handshakes cost CPU on the client too.

    ``options.concurrency`` stays the total in flight: it is shared out between the workers.
    Targets are handed out in batches as workers ask for them (input stays streamed); results
    come back to this process, which calls ``on_result`` for each as it arrives.
    """
    if processes < 1:
        raise ParameterError(f"processes must be at least 1, got {processes}")
    processes = min(processes, options.concurrency)
    if processes == 1:
        run_stream(targets, options, on_result, resolver=resolver)
        return
    context = mp.get_context("fork")  # the workers inherit the resolver; nothing to pickle
    outbox: mp.Queue = context.Queue()  # type: ignore[type-arg]
    inboxes: list[mp.Queue] = []  # type: ignore[type-arg]
    workers = []
    for k in range(processes):
        share = options.concurrency // processes + (k < options.concurrency % processes)
        inbox: mp.Queue = context.Queue(_BATCHES_QUEUED)  # type: ignore[type-arg]
        worker = context.Process(
            target=_process_worker,
            args=(inbox, outbox, dataclasses.replace(options, concurrency=share), resolver),
            daemon=True,
        )
        worker.start()
        inboxes.append(inbox)
        workers.append(worker)
    stop = threading.Event()
    feed_error: list[BaseException] = []

    def feed() -> None:
        # Round-robin batches; a full inbox (a busy worker) makes the feeder wait on it.
        try:
            iterator = iter(targets)
            k = 0
            while not stop.is_set():
                batch = []
                for target in iterator:
                    batch.append(target)
                    if len(batch) >= _BATCH:
                        break
                if not batch:
                    break
                while not stop.is_set():
                    try:
                        inboxes[k % processes].put(batch, timeout=0.05)
                        break
                    except queues.Full:
                        k += 1  # that worker is busy: try the next one
                k += 1
        except BaseException as exc:  # a bad input file: raised in the caller below
            feed_error.append(exc)
        finally:
            for inbox in inboxes:
                inbox.put(None)

    feeder = threading.Thread(target=feed, name="revlab-scan-feed", daemon=True)
    feeder.start()
    try:
        running = processes
        while running:
            try:
                item = outbox.get(timeout=1.0)
            except queues.Empty:
                if not any(w.is_alive() for w in workers):
                    raise RuntimeError("the scan's worker processes died") from None
                continue
            if item is None:
                running -= 1
            elif isinstance(item, str):
                raise RuntimeError(f"a scan worker failed: {item}")
            else:
                for served in item:
                    on_result(served)
        feeder.join()
        if feed_error:
            raise feed_error[0]
    finally:
        stop.set()
        for inbox in inboxes:
            inbox.cancel_join_thread()  # never wait at exit on a batch nobody will read
        for worker in workers:
            worker.join(1)
            if worker.is_alive():
                worker.kill()
                worker.join()
