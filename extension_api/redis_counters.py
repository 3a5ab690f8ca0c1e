"""Rate-limit counters in Redis, shared by every worker and instance that uses the same server.

Redis is spoken to directly (RESP, the Redis protocol, on kept connections): flask-limiter's
Flask integration and redis-py's client each cost several times the round trip itself. A hit
is one ``EVALSHA`` of a small script (`_HIT_SCRIPT`) that counts every rule of a request at
once and starts each window's clock on its first hit.

How a process talks to Redis depends on how it runs:

- Under gevent (every ``revlab serve`` worker) the hits of a process share one connection as a
  pipeline (`_GeventPipeline`). A hit is queued, and the queue is written in one go as soon as
  the worker has nothing else to do, or about `FLUSH_DELAY` after the first queued hit on a
  worker that stays busy, or once `FLUSH_MOST` hits wait. The event loop reads the replies as
  they come and hands each to its caller, in order. Under load one round trip counts many
  requests, and Redis is woken once per batch rather than once per request: on a busy machine
  the wake-ups, not Redis's work, are what a hit costs (benchmarks/bench_api.py's deployment
  on 2 CPUs: one round trip per request cost about 80 µs of CPU per request, batched about
  30).
- Anywhere else (threads, the Flask test client) a call takes a kept connection of its own and
  makes one round trip.

A forked child lets go of its parent's connections (gunicorn forks its workers).
Whatever fails (Redis unreachable, silent for `TIMEOUT` seconds, closing the connection, or
sending something that is not RESP) is an `OSError` for every hit it concerns, each its own,
and never a hang: the app answers 503. Hits not yet written when Redis closes the connection
go on a new one.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import socket
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from sim.errors import ConfigError

__all__ = ["FLUSH_DELAY", "FLUSH_MOST", "TIMEOUT", "RedisCounters"]

#: Seconds Redis may take to connect or to answer before the hits waiting on it fail.
TIMEOUT = 2.0
#: Seconds a queued hit may wait for the worker to become idle before it is sent anyway
#: (bounds the latency a busy worker adds; a worker with nothing else to do sends at once;
#: gevent arms the timer from the loop's cached time, so it may fire sooner).
FLUSH_DELAY = 0.002
#: Queued hits that are sent at once, without waiting for the worker to become idle.
FLUSH_MOST = 64
#: Connections to Redis kept open per process for callers outside gevent.
_KEEP = 16
#: Hit commands kept made, per process (one per client and set of rules; about 200 bytes
#: each: at most about 1 MB).
_COMMANDS_KEPT = 4096
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
        self._pipeline: _GeventPipeline | None = None
        self._made: dict[tuple[tuple[str, float], ...], tuple[bytes, bytes]] = {}
        _LIVE.add(self)

    def hit(self, key: str, period: float) -> tuple[int, float]:
        """Count one hit (see `hits`).

        Raises:
            OSError: Redis is unreachable or answered with an error.
        """
        return self.hits([(key, period)])[0]

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each (key, window length in seconds), in one command.

        Returns, for each key, (hits in its window, seconds until the window ends).

        Raises:
            OSError: Redis is unreachable, silent, or answered with an error.
        """
        by_sha, by_text = self._commands(tuple(keys))
        pipeline = self._gevent_pipeline()
        call = pipeline.call if pipeline is not None else self._call
        try:
            # The script by its SHA-1: Redis keeps it once it has seen it.
            reply = call(by_sha)
        except _ErrorReply as exc:
            if not str(exc).startswith("Redis: NOSCRIPT"):
                raise
            reply = call(by_text)  # a new or flushed Redis
        if (
            not isinstance(reply, list)
            or len(reply) != 2 * len(keys)
            or not all(isinstance(n, int) for n in reply)
        ):
            raise OSError(f"unexpected answer from Redis: {reply!r}"[:200])
        return [(reply[i], max(reply[i + 1], 0) / 1000) for i in range(0, len(reply), 2)]

    def _commands(self, keys: tuple[tuple[str, float], ...]) -> tuple[bytes, bytes]:
        """The hit on ``keys`` as ``EVALSHA`` and as ``EVAL`` (a client's next request
        counts on the same keys: kept, at most `_COMMANDS_KEPT` of them)."""
        found = self._made.get(keys)
        if found is None:
            args = [_bulk(str(len(keys)))]
            args += [_bulk(key) for key, _ in keys]
            args += [_period_bulk(period) for _, period in keys]
            head = b"*%d\r\n" % (3 + 2 * len(keys))
            found = b"".join([head, _HIT_BY_SHA, *args]), b"".join([head, _HIT_BY_TEXT, *args])
            if len(self._made) >= _COMMANDS_KEPT:
                self._made.clear()
            self._made[keys] = found
        return found

    def close(self) -> None:
        """Close the connections (hits still waiting fail)."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None

    def _gevent_pipeline(self) -> _GeventPipeline | None:
        """This process's pipeline if it runs under gevent, else None."""
        if self._pipeline is not None:
            return self._pipeline
        if not _gevent_patched():
            return None
        self._pipeline = _GeventPipeline(self._connect)
        return self._pipeline

    def _let_go(self) -> None:
        """In a forked child: forget the connections, which are the parent's.

        The child's copies of their descriptors close as the objects go; the parent's
        connections stay up. Without this the child would read replies meant for the parent.
        """
        self._idle = []
        if self._pipeline is not None:
            self._pipeline.let_go()
            self._pipeline = None

    def _call(self, command: bytes) -> object:
        """One round trip on a kept connection (callers outside gevent).

        Raises:
            OSError: Redis is unreachable or answered with an error.
        """
        while True:
            try:
                conn, kept = self._idle.pop(), True
            except IndexError:
                conn, kept = self._connect(), False
            try:
                conn.sock.sendall(command)
                (reply,) = conn.replies(1)
            except OSError as exc:
                conn.close()
                if kept and not conn.received and not isinstance(exc, TimeoutError):
                    # A kept connection went stale (Redis restarted): nothing ran, so a new
                    # one. Never after a timeout: Redis may have counted the hit already.
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if len(self._idle) < _KEEP:  # at worst a few more kept when racing: harmless
                self._idle.append(conn)
            else:
                conn.close()
            if isinstance(reply, _ErrorReply):
                raise reply
            return reply

    def _connect(self) -> _Connection:
        """A new connection, authenticated and on its database.

        Raises:
            OSError: Redis is unreachable or refused the password or the database.
        """
        if isinstance(self._address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT)
            try:
                sock.connect(self._address)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection(self._address, timeout=TIMEOUT)
        conn = _Connection(sock)
        try:
            if not isinstance(self._address, str):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        return conn


class _Connection:
    """A connection to Redis, and the bytes it has received but not yet parsed."""

    __slots__ = ("buffer", "received", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.received = False  # whether the last `replies` got any byte

    def replies(self, count: int) -> list[object]:
        """The next ``count`` replies, waiting for them (an error reply is an `_ErrorReply`).

        Raises:
            OSError: the connection failed or closed, or Redis sent something else than RESP.
        """
        out: list[object] = []
        self.received = False
        while len(out) < count:
            if not self.take(out, count - len(out)):
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise OSError("Redis closed the connection")
                self.received = True
                self.buffer += chunk
        return out

    def take(self, out: list[object], most: int) -> bool:
        """Move up to ``most`` whole replies from the buffer to ``out``; False if none was whole.

        Raises:
            OSError: Redis sent something else than RESP.
        """
        data, pos, before = self.buffer, 0, len(out)
        while len(out) - before < most:
            try:
                value, pos = _parse_reply(data, pos)
            except _Incomplete:
                break
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                raise OSError(f"Redis sent a malformed reply: {data[pos : pos + 40]!r}") from None
            out.append(value)
        self.buffer = data[pos:]
        return len(out) > before

    def close(self) -> None:
        self.sock.close()


class _Call:
    """One command in the gevent pipeline: its reply or error, and who waits for it."""

    __slots__ = ("error", "reply", "waiter")

    def __init__(self) -> None:
        self.reply: object = _PENDING
        self.error: OSError | None = None
        self.waiter: Any = None  # a gevent Waiter while the caller waits


class _GeventPipeline:
    """The hits of one gevent process, on one connection (see the module docstring).

    Calls queue their commands; the event loop writes the queue when the worker goes idle (an
    idle watcher) or, on a worker that stays busy, about `FLUSH_DELAY` later (a timer); it
    reads replies as they arrive (an I/O watcher) and wakes each caller with its own. The
    connection is opened by a greenlet of the pipeline's own, so a caller killed meanwhile
    costs nobody else their hit. While replies are due, a check every quarter of `TIMEOUT`
    fails the calls under way if Redis has sent nothing for `TIMEOUT` seconds. (A deadline
    timer re-armed per batch fired at once now and then: gevent arms a timer from the loop's
    cached time. The check repeats instead and reads the monotonic clock.) Redis closing the
    connection fails only the calls already written; those not yet written go on a new one.
    The watchers keep the event loop running only while hits are queued or replies due.

    Args:
        connect: opens a connection (it may wait: run in a greenlet).
    """

    def __init__(self, connect: Callable[[], _Connection]) -> None:
        """Set up the watchers (nothing is connected yet)."""
        from gevent import get_hub

        self._hub = get_hub()
        loop = self._hub.loop
        self._connect = connect
        self._conn: _Connection | None = None
        self._connecting = False
        self._closed = False
        self._calls: collections.deque[_Call] = collections.deque()  # unanswered, in order
        self._unsent: list[bytes] = []  # the commands of the last len(_unsent) calls
        self._out = b""  # written but not yet taken by the socket
        self._heard = 0.0  # when Redis last answered, or replies last became due
        self._soon = loop.idle()
        self._late = loop.timer(FLUSH_DELAY)
        self._watchdog = loop.timer(TIMEOUT / 4, TIMEOUT / 4, ref=False)
        self._reader: Any = None
        self._writer: Any = None

    def call(self, command: bytes) -> object:
        """Queue ``command`` and return its reply once it is there.

        Raises:
            OSError: Redis is unreachable, silent or answered this command with an error.
        """
        from gevent.exceptions import LoopExit
        from gevent.hub import Waiter

        if self._closed:
            raise OSError("the connection to Redis was closed")
        call = _Call()
        self._calls.append(call)
        self._unsent.append(command)
        if self._conn is None:
            self._reconnect()
        elif len(self._unsent) >= FLUSH_MOST:
            self._flush()
        elif not self._soon.active:
            self._soon.start(self._flush)
            self._late.start(self._flush)
        if call.reply is _PENDING and call.error is None:
            call.waiter = Waiter()
            try:
                call.waiter.get()
            except LoopExit:  # nothing else keeps this process's event loop going
                raise OSError("no event loop is running to read Redis's answer") from None
            finally:  # killed while waiting: its reply, when it comes, is read and dropped
                call.waiter = None
        if call.error is not None:
            raise call.error
        if isinstance(call.reply, _ErrorReply):
            raise call.reply
        return call.reply

    def close(self) -> None:
        """Close the connection; calls under way fail."""
        self._closed = True
        self._fail(OSError("the connection to Redis was closed"))

    def let_go(self) -> None:
        """Stop watching a connection that a forked parent still uses (see `RedisCounters`)."""
        for watcher in (self._soon, self._late, self._watchdog, self._reader, self._writer):
            if watcher is not None:
                watcher.stop()
        self._conn, self._reader, self._writer = None, None, None
        self._calls, self._unsent, self._closed = collections.deque(), [], True

    def _reconnect(self) -> None:
        if not self._connecting and not self._closed:
            from gevent import spawn_raw

            self._connecting = True
            spawn_raw(self._open)

    def _open(self) -> None:
        """Connect (in a greenlet of its own), then send what queued meanwhile."""
        try:
            conn = self._connect()
            conn.sock.setblocking(False)
        except OSError as exc:
            self._connecting = False
            self._fail(exc)
            return
        except BaseException:
            self._connecting = False
            self._fail(OSError("connecting to Redis was interrupted"))
            raise
        self._connecting = False
        if self._closed:
            conn.close()
            return
        loop = self._hub.loop
        self._conn = conn
        self._reader = loop.io(conn.sock.fileno(), 1, ref=False)
        self._writer = loop.io(conn.sock.fileno(), 2, ref=False)
        self._reader.start(self._read)
        self._watchdog.start(self._check_heard)
        self._flush()

    def _flush(self) -> None:
        """Write the queued commands (never waits: what the socket does not take yet, the
        writer watcher writes when it can)."""
        self._soon.stop()
        self._late.stop()
        if self._conn is None or not self._unsent:
            return
        if len(self._calls) == len(self._unsent):  # nothing was due: the clock starts now
            self._heard = time.monotonic()
            self._reader.ref = True  # the loop runs on while replies are due
        self._out += b"".join(self._unsent)
        self._unsent.clear()
        self._write()

    def _write(self) -> None:
        assert self._conn is not None
        try:
            sent = self._conn.sock.send(self._out)
        except BlockingIOError:
            sent = 0
        except OSError as exc:  # Redis went away: what was not written yet goes again
            self._fail(exc, retry_unsent=True)
            return
        self._out = self._out[sent:]
        if self._out and not self._writer.active:
            self._writer.start(self._write)
        elif not self._out and self._writer.active:
            self._writer.stop()

    def _read(self) -> None:
        """Read what Redis sent and hand each whole reply to its call (in the event loop)."""
        conn = self._conn
        if conn is None:  # failed meanwhile
            return
        due = len(self._calls) - len(self._unsent)
        try:
            chunk = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(exc, retry_unsent=True)
            return
        if not chunk:  # Redis closed it (restarted, or its idle timeout)
            self._fail(OSError("Redis closed the connection"), retry_unsent=True)
            return
        conn.buffer += chunk
        replies: list[object] = []
        try:
            conn.take(replies, due)
            if conn.buffer and len(replies) == due:
                raise OSError(f"Redis sent what nobody asked for: {conn.buffer[:40]!r}")
        except OSError as exc:
            self._fail(exc)
            return
        self._heard = time.monotonic()
        waiting = []
        for reply in replies:
            call = self._calls.popleft()
            call.reply = reply
            if call.waiter is not None:
                waiting.append(call.waiter)
        if len(self._calls) == len(self._unsent):
            self._reader.ref = False  # nothing due: an idle connection keeps nothing alive
        for waiter in waiting:
            waiter.switch(None)  # from the event loop: the caller runs on at once

    def _check_heard(self) -> None:
        due = len(self._calls) > len(self._unsent)
        if due and time.monotonic() - self._heard > TIMEOUT:
            self._fail(TimeoutError(f"Redis did not answer within {TIMEOUT:g} s"))

    def _fail(self, exc: OSError, *, retry_unsent: bool = False) -> None:
        """Close the connection and fail every call under way, each with its own error.

        With ``retry_unsent``, calls not yet written stay queued for a new connection.
        """
        for watcher in (self._soon, self._late, self._watchdog, self._reader, self._writer):
            if watcher is not None:
                watcher.stop()
        if self._conn is not None:
            self._conn.close()
        self._conn, self._reader, self._writer, self._out = None, None, None, b""
        kept = len(self._unsent) if retry_unsent else 0
        failed = [self._calls.popleft() for _ in range(len(self._calls) - kept)]
        if not kept:
            self._unsent.clear()
        for call in failed:
            call.error = type(exc)(str(exc)) if isinstance(exc, TimeoutError) else OSError(str(exc))
            if call.waiter is not None:
                self._hub.loop.run_callback(call.waiter.switch, None)
        if kept:
            self._reconnect()


class _ErrorReply(OSError):
    """Redis answered one command with an error (``-ERR ...``)."""


class _Incomplete(Exception):
    """The buffer ends inside a reply."""


#: A call's reply before it has come.
_PENDING = object()
#: Every `RedisCounters` of this process (a forked child lets go of their connections).
_LIVE: weakref.WeakSet[RedisCounters] = weakref.WeakSet()


@functools.cache
def _gevent_patched() -> bool:
    """Whether gevent has patched this process's sockets (asked once per process: a gunicorn
    worker is patched after the fork, before it serves)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


def _forked() -> None:
    _gevent_patched.cache_clear()
    for counters in list(_LIVE):
        counters._let_go()


os.register_at_fork(after_in_child=_forked)


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
