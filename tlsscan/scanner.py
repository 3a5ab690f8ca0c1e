"""The bulk scanner: many TLS handshakes at once, each reading the chain a server serves.

One asyncio event loop runs ``concurrency`` workers that pull targets from one shared iterator
and put what they read on a bounded queue; the caller consumes results as they complete. Input
and output are streamed, so memory stays flat in the number of targets
(benchmarks/bench_scan.py measures it).

Each target gets one total deadline (``timeout``) across resolution and every address it
resolves to. The SSRF guard of `tlsscan.fetcher` applies unless ``allow_private`` is set: an
operator scanning their own estate needs loopback and private addresses, the web does not.
The handshake is the fetcher's: the same unverified client context (we read what the site
serves and trust nothing), the same way of reading the served chain.

A failure is data: `Served.error` is one of `ScanErrorKind` and `Served.detail` says why in
words. Verdicts are not made here (`tlsscan.results` makes them, with `sim.served`), so the
same scanner runs on a Dask worker that has no registry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sim.errors import GuardError, ParameterError
from tlsscan.fetcher import FetchPolicy, client_context, served_chain, vetted_addresses
from tlsscan.guard import IPAddress, Resolver, system_resolver
from tlsscan.targets import Target

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "ScanErrorKind",
    "ScanOptions",
    "Served",
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
    """

    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    allow_private: bool = False

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

    async def addresses(self, target: Target) -> list[IPAddress]:
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
            raw = [str(literal)]
        resolved: Sequence[str] = list(raw)
        try:
            # The fetcher's guard on the addresses we resolved (resolved once, never again).
            return vetted_addresses(target.host, target.port, self.policy, lambda _h, _p: resolved)
        except GuardError as exc:
            raise _Failed(ScanErrorKind.GUARD, str(exc)) from None

    async def handshake(
        self, target: Target, address: IPAddress
    ) -> tuple[str | None, list[bytes]]:
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
        except ConnectionRefusedError:
            raise _Failed(ScanErrorKind.REFUSED, "the connection was refused") from None
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
            raise _Failed(
                ScanErrorKind.REFUSED,
                f"the connection failed ({exc.strerror or type(exc).__name__})",
            ) from None
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
                        version, chain = await self.handshake(target, address)
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

