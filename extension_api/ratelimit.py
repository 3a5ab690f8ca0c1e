"""Per-client rate limits on ``/v1``, counted where every worker and instance sees the count.

Fixed windows that start at a client's first request: one counter per client, rule and window,
one round trip to the store per request. ``redis://host:port/db`` (or ``redis+unix:///path``)
shares the counts between workers and instances; ``memory://`` is exact for one process only,
which ``revlab serve`` enforces. A refused client gets 429 with ``Retry-After`` (the seconds
until its window ends). The store being unreachable is a 503, not a free pass and not a 500.
Both are domain errors (`extension_api.errors.RateLimited`, `extension_api.errors.Busy`) that
``extension_api.api.http_errors`` answers like every other error.

The check is a ``before_request`` hook on the paths it limits and nothing else, and Redis is
spoken to directly (one ``EVAL`` per request, on kept connections): flask-limiter's Flask
integration and redis-py's client each cost several times the round trip itself
(benchmarks/bench_api.py).
"""

from __future__ import annotations

import functools
import hashlib
import math
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, request
from limits import RateLimitItem, parse

from sim.errors import ConfigError

from .errors import Busy, RateLimited

__all__ = ["MemoryCounters", "RateLimits", "RedisCounters", "counters_for", "init_app"]

#: Seconds after which a client may retry when the limit store is unreachable.
_STORE_RETRY = 5
#: Seconds a Redis connect, send or read may take.
_REDIS_TIMEOUT = 2.0
#: Connections to Redis kept open per process.
_REDIS_KEEP = 16
# For each key: INCR, and start the window's clock on its first hit. One atomic round trip
# counts every rule of a request.
_HIT_SCRIPT = (
    "local out = {} "
    "for i, key in ipairs(KEYS) do "
    "local n = redis.call('INCR', key) "
    "if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end "
    "out[#out + 1] = n "
    "out[#out + 1] = redis.call('PTTL', key) "
    "end "
    "return out"
)


class Counters(Protocol):
    """Where hits are counted."""

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each (key, window length in seconds), at once.

        Returns, for each key, (hits in its window, seconds until the window ends).
        """


class MemoryCounters:
    """Counters in this process (exact only when one process serves)."""

    def __init__(self) -> None:
        """Start empty."""
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._hits = 0

    def hit(self, key: str, period: float) -> tuple[int, float]:
        """Count one hit (see `Counters.hits`)."""
        return self.hits([(key, period)])[0]

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each key (see `Counters.hits`)."""
        return [self._hit(key, period) for key, period in keys]

    def _hit(self, key: str, period: float) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            self._hits += 1
            if self._hits % 4096 == 0:  # forget ended windows now and then: bounded memory
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                window = self._windows[key] = [0, now + period]
            window[0] += 1
            return int(window[0]), window[1] - now


class RedisCounters:
    """Counters in Redis, shared by every process that uses the same server and database.

    Args:
        url: ``redis://[:password@]host[:port][/db]`` or ``redis+unix:///path[?db=N]``.

    Raises:
        ConfigError: the URL is not one of those.
    """

    def __init__(self, url: str) -> None:
        """Parse the URL (no connection is made yet)."""
        parts = urlsplit(url)
        self._password = unquote(parts.password) if parts.password else None
        if parts.scheme == "redis":
            host, port = parts.hostname or "127.0.0.1", parts.port or 6379
            self._address: str | tuple[str, int] = (host, port)
            db_text = parts.path.strip("/") or "0"
        elif parts.scheme == "redis+unix":
            self._address = parts.path
            db_text = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get(
                "db", "0"
            )
        else:
            raise ConfigError(
                f"REVLAB_RATELIMIT_STORAGE_URI: {parts.scheme!r} is not supported "
                "(memory://, redis://host:port/db or redis+unix:///path)"
            )
        if not db_text.isdigit():
            raise ConfigError(f"REVLAB_RATELIMIT_STORAGE_URI: database {db_text!r} is not a number")
        self._db = int(db_text)
        self._idle: list[_Connection] = []
        # The pipeline: hits waiting to be sent, and whether one is out (see `_call`).
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._sending = False

    def hit(self, key: str, period: float) -> tuple[int, float]:
        """Count one hit (see `Counters.hits`).

        Raises:
            OSError: Redis is unreachable or answered with an error.
        """
        return self.hits([(key, period)])[0]

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each key, in one command (see `Counters.hits`).

        Raises:
            OSError: Redis is unreachable or answered with an error.
        """
        args = [_bulk(str(len(keys)))]
        args += [_bulk(key) for key, _ in keys]
        args += [_period_bulk(period) for _, period in keys]
        head = b"*%d\r\n" % (3 + 2 * len(keys))
        try:
            # The script by its SHA-1: Redis keeps it once it has seen it.
            reply = self._call(b"".join([head, _HIT_BY_SHA, *args]))
        except _ErrorReply as exc:
            if not str(exc).startswith("Redis: NOSCRIPT"):
                raise
            reply = self._call(b"".join([head, _HIT_BY_TEXT, *args]))  # a new or flushed Redis
        if (
            not isinstance(reply, list)
            or len(reply) != 2 * len(keys)
            or not all(isinstance(n, int) for n in reply)
        ):
            raise OSError(f"unexpected answer from Redis: {reply!r}"[:200])
        return [(reply[i], max(reply[i + 1], 0) / 1000) for i in range(0, len(reply), 2)]

    def close(self) -> None:
        """Close the kept connections."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _call(self, command: bytes) -> object:
        """Send one command and return its reply, in a pipeline with the process's others.

        Hits that arrive while a pipeline is out wait for the next one, which sends them all in
        one write and reads their replies in one go: under load one round trip serves many
        requests. Whoever sent a pipeline hands the next one to the first hit waiting, so nobody
        sends for the others for ever.

        Raises:
            OSError: Redis is unreachable or answered this command with an error.
        """
        waiter = _Waiter(command)
        with self._lock:
            self._queue.append(waiter)
            lead = not self._sending
            self._sending = True
        if not lead:
            try:
                waiter.done.wait()
            except BaseException:  # killed while waiting: neither hold the lead nor stay queued
                with self._lock:
                    if waiter in self._queue:
                        self._queue.remove(waiter)
                    if waiter.lead:
                        self._hand_over()
                raise
            lead = waiter.lead  # handed the next pipeline (this command is in it)
        if lead:
            self._send_queued()
        if waiter.error is not None:
            raise waiter.error
        return waiter.reply

    def _send_queued(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self._pipeline(batch)
        except BaseException as exc:
            for waiter in batch:
                if waiter.error is None and waiter.reply is None:  # each its own error
                    waiter.error = OSError(
                        str(exc) if isinstance(exc, OSError)
                        else f"the request to Redis was interrupted ({type(exc).__name__})"
                    )
            raise
        finally:
            for waiter in batch:
                waiter.done.set()
            with self._lock:
                self._hand_over()

    def _hand_over(self) -> None:
        """The next pipeline to the first waiting hit, or none out (call with the lock held)."""
        if self._queue:
            following = self._queue[0]
            following.lead = True
            following.done.set()
        else:
            self._sending = False

    def _pipeline(self, batch: list[_Waiter]) -> None:
        """Send the batch's commands in one write; set each waiter's reply or error."""
        payload = b"".join(waiter.command for waiter in batch)
        while True:
            conn, kept = self._checkout()
            try:
                conn.sock.sendall(payload)
                replies = conn.replies(len(batch))
            except OSError as exc:
                conn.close()
                if kept and not conn.received and not isinstance(exc, TimeoutError):
                    # A kept connection went stale (Redis restarted): nothing ran, so a new
                    # one. Never after a timeout: Redis may have counted the hits already.
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            for waiter, reply in zip(batch, replies, strict=True):
                if isinstance(reply, _ErrorReply):  # this command failed, not the others
                    waiter.error = reply
                else:
                    waiter.reply = reply
            self._checkin(conn)
            return

    def _checkout(self) -> tuple[_Connection, bool]:
        try:
            return self._idle.pop(), True
        except IndexError:
            pass
        if isinstance(self._address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(_REDIS_TIMEOUT)
            try:
                sock.connect(self._address)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection(self._address, timeout=_REDIS_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(sock)
        try:
            for setup in ([("AUTH", self._password)] if self._password is not None else []) + (
                [("SELECT", str(self._db))] if self._db else []
            ):
                sock.sendall(_command(*setup))
                (reply,) = conn.replies(1)
                if isinstance(reply, _ErrorReply):
                    raise reply
        except BaseException:
            conn.close()
            raise
        return conn, False

    def _checkin(self, conn: _Connection) -> None:
        if len(self._idle) < _REDIS_KEEP:  # at worst a few more kept when racing: harmless
            self._idle.append(conn)
            return
        conn.close()


class _Connection:
    """A connection to Redis, and the bytes it has received but not yet parsed."""

    __slots__ = ("buffer", "received", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.received = False  # whether the last `replies` got any byte

    def replies(self, count: int) -> list[object]:
        """The next ``count`` replies (an error reply is returned as an `_ErrorReply`).

        Raises:
            OSError: the connection failed or closed, or Redis sent something else than RESP.
        """
        out: list[object] = []
        data, pos = self.buffer, 0
        self.received = False
        while len(out) < count:
            try:
                value, end = _parse_reply(data, pos)
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                raise OSError(f"Redis sent a malformed reply: {data[pos : pos + 40]!r}") from None
            except _Incomplete:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise OSError("Redis closed the connection") from None
                self.received = True
                data, pos = data[pos:] + chunk, 0
                continue
            out.append(value)
            pos = end
        self.buffer = data[pos:]
        return out

    def close(self) -> None:
        self.sock.close()


class _Waiter:
    """One command waiting in the pipeline, and then its reply or error."""

    __slots__ = ("command", "done", "error", "lead", "reply")

    def __init__(self, command: bytes) -> None:
        self.command = command
        self.done = threading.Event()
        self.reply: object = None
        self.error: OSError | None = None
        self.lead = False


class _ErrorReply(OSError):
    """Redis answered one command with an error (``-ERR ...``)."""


def _bulk(arg: str) -> bytes:
    data = arg.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


@functools.lru_cache(maxsize=64)
def _period_bulk(period: float) -> bytes:
    """A window's length in milliseconds, as a bulk string (a few distinct values: cached)."""
    return _bulk(str(max(1, int(period * 1000))))


def _command(*args: str) -> bytes:
    """A command in RESP (the Redis protocol): an array of bulk strings."""
    return b"*%d\r\n" % len(args) + b"".join(_bulk(arg) for arg in args)


#: ``EVAL <script>`` and ``EVALSHA <sha1>`` of the hits, to which the number of keys, the keys
#: and the periods are added.
_HIT_BY_TEXT = _bulk("EVAL") + _bulk(_HIT_SCRIPT)
_HIT_BY_SHA = _bulk("EVALSHA") + _bulk(hashlib.sha1(_HIT_SCRIPT.encode()).hexdigest())


class _Incomplete(Exception):
    """The buffer ends inside a reply."""


def _parse_reply(data: bytes, pos: int) -> tuple[object, int]:
    """One RESP reply at ``data[pos:]`` and where it ends: integer, simple string, bulk
    string, array, or an error (returned as an `_ErrorReply`, not raised).

    Raises:
        _Incomplete: the reply is not all there yet.
        OSError: not a RESP reply.
    """
    end = data.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, body, after = data[pos], data[pos + 1 : end], end + 2
    if kind == 0x3A:  # ":"
        return int(body), after
    if kind == 0x2B:  # "+"
        return body.decode(), after
    if kind == 0x2D:  # "-"
        return _ErrorReply(f"Redis: {body.decode(errors='replace')}"), after
    if kind == 0x24:  # "$"
        size = int(body)
        if size < 0:
            return None, after
        if len(data) < after + size + 2:
            raise _Incomplete
        return data[after : after + size], after + size + 2
    if kind == 0x2A:  # "*"
        items: list[object] = []
        for _ in range(int(body)):
            end = data.find(b"\r\n", after)
            if end < 0:
                raise _Incomplete
            if data[after] == 0x3A:  # an integer, as in every reply to a hit: inline
                items.append(int(data[after + 1 : end]))
                after = end + 2
            else:
                item, after = _parse_reply(data, after)
                items.append(item)
        return items, after
    raise OSError(f"Redis sent {data[pos : pos + 20]!r}")


def counters_for(uri: str) -> Counters:
    """The counters named by ``REVLAB_RATELIMIT_STORAGE_URI``.

    Raises:
        ConfigError: not ``memory://``, ``redis://...`` or ``redis+unix://...``.
    """
    if uri.startswith("memory:"):
        return MemoryCounters()
    return RedisCounters(uri)


@dataclass(frozen=True)
class _Rule:
    scope: str
    prefix: str
    item: RateLimitItem
    text: str


class RateLimits:
    """The limits of one app: rules by path prefix, counted in one store.

    Args:
        storage_uri: ``memory://``, ``redis://host:port/db`` or ``redis+unix:///path``.
        rules: (scope, path prefix, limit text such as ``600/minute``).

    Raises:
        ConfigError: a limit or the store URI is unusable.
    """

    def __init__(self, storage_uri: str, rules: list[tuple[str, str, str]]) -> None:
        """Parse the rules and name the store."""
        parsed = []
        for scope, prefix, text in rules:
            try:
                parsed.append(_Rule(scope, prefix, parse(text), text))
            except ValueError:
                raise ConfigError(
                    f"rate limit {text!r} is not a limit such as 600/minute"
                ) from None
        self.rules = tuple(parsed)
        self.counters = counters_for(storage_uri)

    def check(self) -> None:
        """Count this request against every rule for its path.

        Raises:
            RateLimited: a rule is exceeded (429 with ``Retry-After``).
            Busy: the store is unreachable (503 with ``Retry-After``).
        """
        path = request.path
        if request.method == "OPTIONS":
            return
        client = request.remote_addr or "-"
        rules = [rule for rule in self.rules if path.startswith(rule.prefix)]
        if not rules:
            return
        periods = [rule.item.get_expiry() for rule in rules]
        keys = [f"revlab:{rule.scope}:{client}" for rule in rules]
        try:
            counted = self.counters.hits(list(zip(keys, periods, strict=True)))
        except OSError:
            raise Busy("the rate-limit store is unreachable", _STORE_RETRY) from None
        for rule, period, (count, ends_in) in zip(rules, periods, counted, strict=True):
            if count > rule.item.amount:
                raise RateLimited(rule.text, min(period, max(1, math.ceil(ends_in))))


def init_app(app: Flask, storage_uri: str, general: str, hosts: str) -> RateLimits | None:
    """Limit ``/v1`` to ``general`` and ``/v1/hosts`` also to ``hosts`` (empty: no limit).

    Raises:
        ConfigError: a limit or the store URI is unusable.
    """
    rules = [("v1", "/v1/", general)] if general else []
    if hosts:
        rules.append(("hosts", "/v1/hosts/", hosts))
    if not rules:
        return None
    limits = RateLimits(storage_uri, rules)
    app.before_request(limits.check)
    return limits
