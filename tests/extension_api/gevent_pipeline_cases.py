"""Cases of `extension_api.redis_counters` under gevent, run in a process of their own.

gevent must patch a process before anything else imports ``socket``, which pytest's process
has long done; ``test_redis_counters.py`` runs ``python gevent_pipeline_cases.py CASE [URL]``
and reads the one JSON line it prints. Each case is what a ``revlab serve`` worker meets: many
requests counting at once, Redis gone, silent, slow to read or talking nonsense, a request
killed while it waits, a worker forked from a process that had counted already.

The fake servers below run in the same event loop as the counters and answer ``EVALSHA``
commands as Redis would: for each key, ``(hits, milliseconds left)``; the hits are a number
the key ends with (``k:7`` -> 7), so a reply handed to the wrong caller shows.
"""

from gevent import monkey

monkey.patch_all()

import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from extension_api import redis_counters  # noqa: E402
from extension_api.redis_counters import (  # noqa: E402
    RedisCounters,
    _command,
    _Incomplete,
    _parse_reply,
)

#: How long a case's fake Redis may stay silent before the counters give up (short: a test).
redis_counters.TIMEOUT = 0.5


def _answer(command: list[bytes]) -> bytes:
    """Redis's reply to one EVALSHA of the hit script (keys ending in their hit counts), or to
    the SELECT of a new connection."""
    if command[0] == b"SELECT":
        return b"+OK\r\n"
    keys = command[3 : 3 + int(command[2])]
    periods = command[3 + len(keys) :]
    out = [b"*%d\r\n" % (2 * len(keys))]
    for key, period in zip(keys, periods, strict=True):
        out.append(b":%d\r\n:%d\r\n" % (int(key.rsplit(b":", 1)[1]), int(period)))
    return b"".join(out)


class FakeRedis:
    """A server on a loopback port; ``behaviour(connection number)`` says what it does.

    Behaviours: ``answer`` (as Redis), ``silent`` (reads, never answers), ``hang_up`` (reads
    once, closes), ``nonsense`` (answers every read with bytes that are not RESP), ``slow``
    (reads nothing for 0.3 s, then answers), ``answer_once`` (answers one read, then closes,
    as Redis does with a connection idle past its ``timeout`` or when it restarts).
    """

    def __init__(self, behaviour: Callable[[int], str]) -> None:
        self.behaviour = behaviour
        self.reads = 0  # reads that carried commands (round trips, under load)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.connections = 0
        gevent.spawn(self._accept)

    def _accept(self) -> None:
        while True:
            conn, _ = self.server.accept()
            self.connections += 1
            gevent.spawn(self._serve, conn, self.behaviour(self.connections))

    def _serve(self, conn: socket.socket, behaviour: str) -> None:
        data = b""
        if behaviour == "slow":
            gevent.sleep(0.3)
        with conn:
            while True:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    return
                self.reads += 1
                if behaviour == "hang_up":
                    return
                if behaviour == "nonsense":
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                    continue
                if behaviour == "silent":
                    continue
                data += chunk
                replies, pos = [], 0
                while True:
                    try:
                        command, pos = _parse_reply(data, pos)
                    except _Incomplete:
                        break
                    assert isinstance(command, list)
                    replies.append(_answer(command))
                data = data[pos:]
                conn.sendall(b"".join(replies))
                if behaviour == "answer_once":
                    return


def _spawn_hits(counters: RedisCounters, keys: list[str]) -> list[gevent.Greenlet]:
    return [gevent.spawn(counters.hit, key, 60) for key in keys]


def _outcomes(greenlets: list[gevent.Greenlet]) -> list[Any]:
    gevent.joinall(greenlets, timeout=10)
    return [
        list(g.value) if g.successful() else type(g.exception).__name__ if g.ready() else "stuck"
        for g in greenlets
    ]


def case_batch(_: str) -> dict[str, Any]:
    """200 requests counting at once on a connected worker: each gets its own reply, and they
    go in a few writes to the socket (one per `FLUSH_MOST`), not one each."""
    fake = FakeRedis(lambda n: "answer")
    counters = RedisCounters(fake.url)
    counters.hit("k:0", 60)
    writes = [0]
    write = redis_counters._GeventPipeline._write

    def counted(pipeline: Any) -> None:
        writes[0] += 1
        write(pipeline)

    redis_counters._GeventPipeline._write = counted  # type: ignore[method-assign]
    outcomes = _outcomes(_spawn_hits(counters, [f"k:{i}" for i in range(200)]))
    return {"right": sum(o == [i, 60.0] for i, o in enumerate(outcomes)),
            "writes": writes[0]}  # fmt: skip


def case_busy(_: str) -> dict[str, Any]:
    """A worker that never goes idle (a greenlet always ready to run) still sends a hit soon."""
    fake = FakeRedis(lambda n: "answer")
    counters = RedisCounters(fake.url)
    counters.hit("k:0", 60)
    busy_until = time.monotonic() + 0.5

    def busy() -> None:
        while time.monotonic() < busy_until:
            gevent.sleep(0)

    def timed_hit() -> float:
        started = time.monotonic()
        counters.hit("k:5", 60)
        return time.monotonic() - started

    busy_greenlet = gevent.spawn(busy)
    gevent.sleep(0.01)
    hit = gevent.spawn(timed_hit)
    hit.join(5)
    answered_busy = busy_greenlet.ready() is False
    busy_greenlet.join()
    return {"answered_within": hit.value, "while_busy": answered_busy}


def case_real(url: str) -> dict[str, Any]:
    """50 callers x 4 hits on a real Redis, its scripts flushed half way."""
    counters = RedisCounters(url)
    shared: list[int] = []
    wrong: list[Any] = []

    def caller(i: int) -> None:
        for n in range(1, 5):
            shared.append(counters.hit("revlab:t:shared", 60)[0])
            count, left = counters.hit(f"revlab:t:{i}", 100 + i)
            if count != n or not 99 + i < left <= 100 + i:
                wrong.append((i, n, count, left))
            if i == 0 and n == 2:
                flush = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                flush.connect(url.removeprefix("redis+unix://"))
                flush.sendall(_command("SCRIPT", "FLUSH"))
                flush.recv(100)
                flush.close()

    gevent.joinall([gevent.spawn(caller, i) for i in range(50)], timeout=20)
    return {"shared": sorted(shared) == list(range(1, 201)), "wrong": wrong}


def _first_connection_fails(behaviour: str, waiting: int) -> dict[str, Any]:
    """``waiting`` hits on a first connection that misbehaves, then one on a good one."""
    fake = FakeRedis(lambda n: behaviour if n == 1 else "answer")
    counters = RedisCounters(fake.url)
    first = _outcomes(_spawn_hits(counters, [f"k:{i}" for i in range(waiting)]))
    after = _outcomes(_spawn_hits(counters, ["k:7"]))
    return {"first": sorted(set(map(str, first))), "after": after}


def case_hang_up(_: str) -> dict[str, Any]:
    """Redis closes the connection with 20 hits waiting; then it is back."""
    return _first_connection_fails("hang_up", 20)


def case_closed_meanwhile(_: str) -> dict[str, Any]:
    """Redis closes the connection while 10 hits wait to be written: they go on a new one."""
    fake = FakeRedis(lambda n: "answer_once")
    counters = RedisCounters(fake.url)
    first = counters.hit("k:1", 60)  # answered, and the connection closed behind the answer
    queued = _outcomes(_spawn_hits(counters, [f"k:{i}" for i in range(10)]))
    return {"first": list(first), "queued_right": sum(o == [i, 60.0] for i, o in
            enumerate(queued)), "connections": fake.connections}  # fmt: skip


def case_silent(_: str) -> dict[str, Any]:
    """Redis reads and never answers, then the next connection answers."""
    fake = FakeRedis(lambda n: "silent" if n == 1 else "answer")
    counters = RedisCounters(fake.url)
    started = time.monotonic()
    first = _outcomes(_spawn_hits(counters, [f"k:{i}" for i in range(20)]))
    failed_after = time.monotonic() - started
    started = time.monotonic()
    after = _outcomes(_spawn_hits(counters, ["k:7", "k:8"]))
    return {"first": sorted(set(map(str, first))), "failed_after": failed_after,
            "after": after, "answered_after": time.monotonic() - started}  # fmt: skip


def case_nonsense(_: str) -> dict[str, Any]:
    """Something that is not Redis answers 5 waiting hits; then Redis does."""
    return _first_connection_fails("nonsense", 5)


def case_burst(_: str) -> dict[str, Any]:
    """A burst bigger than the socket's buffer while Redis is slow to read: all of it goes."""
    fake = FakeRedis(lambda n: "slow")
    counters = RedisCounters(fake.url)
    keys = [f"{'x' * 8000}:{i}" for i in range(400)]  # 3.2 MB of commands
    outcomes = _outcomes(_spawn_hits(counters, keys))
    return {"right": sum(o == [i, 60.0] for i, o in enumerate(outcomes))}


def case_killed(_: str) -> dict[str, Any]:
    """A request killed while it waits (a timeout, a worker stopping): the others go on."""
    fake = FakeRedis(lambda n: "slow")
    counters = RedisCounters(fake.url)
    first = gevent.spawn(counters.hit, "k:1", 60)
    doomed = gevent.spawn(counters.hit, "k:2", 60)
    gevent.sleep(0.05)
    doomed.kill()
    later = _spawn_hits(counters, ["k:3"])
    return {"first": _outcomes([first]), "later": _outcomes(later)}


def case_killed_connecting(_: str) -> dict[str, Any]:
    """The request whose hit opened the connection is killed while Redis is slow to accept
    it: the hits queued meanwhile are still counted."""
    fake = FakeRedis(lambda n: "slow")
    counters = RedisCounters(fake.url.removesuffix("/0") + "/1")  # SELECT: a slow connect
    opener = gevent.spawn(counters.hit, "k:1", 60)
    queued = gevent.spawn(counters.hit, "k:2", 60)
    gevent.sleep(0.05)
    opener.kill()
    return {"queued": _outcomes([queued])}


def case_fork(url: str) -> dict[str, Any]:
    """A worker forked from a process whose hits are under way: the child counts on its own
    connection, and the parent's hits are each counted once and answered to the parent."""
    counters = RedisCounters(url)
    running = [True]
    done: collections.Counter[int] = collections.Counter()
    errors: list[str] = []

    def traffic(i: int) -> None:
        while running[0]:
            try:
                counters.hit(f"revlab:p:{i}", 60)
                done[i] += 1
            except OSError as exc:
                errors.append(repr(exc))
            gevent.sleep(0)

    greenlets = [gevent.spawn(traffic, i) for i in range(20)]
    gevent.sleep(0.1)
    out = os.path.join(tempfile.gettempdir(), f"revlab-fork-{os.getpid()}.json")
    child = os.fork()  # with hits queued and on their way
    if child == 0:
        running[0] = False  # the parent's greenlets, copied here, stop
        try:
            count, left = counters.hit("revlab:c", 60)
            result: Any = [count, 59 < left <= 60]  # Redis's clock may have moved a little
        except OSError as exc:
            result = type(exc).__name__
        with open(out, "w") as file:
            json.dump(result, file)
        os._exit(0)
    gevent.sleep(0.3)
    running[0] = False
    gevent.joinall(greenlets, timeout=10)
    for _ in range(1000):
        if os.waitpid(child, os.WNOHANG)[0]:
            break
        gevent.sleep(0.01)
    with open(out) as file:
        in_child = json.load(file)
    os.unlink(out)
    # What Redis counted for each key, against what the parent was answered.
    miscounted = {i: (counters.hit(f"revlab:p:{i}", 60)[0] - 1, done[i]) for i in range(20)}
    return {"child": in_child, "errors": errors,
            "miscounted": {i: c for i, c in miscounted.items() if c[0] != c[1]}}  # fmt: skip


if __name__ == "__main__":
    case = globals()[f"case_{sys.argv[1]}"]
    print(json.dumps(case(sys.argv[2] if len(sys.argv) > 2 else "")))
    sys.stdout.flush()
    os._exit(0)  # the fake servers' greenlets would keep the loop alive
