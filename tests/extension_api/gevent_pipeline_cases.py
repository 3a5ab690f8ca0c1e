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
from extension_api.redis_counters import RedisCounters, _Incomplete, _parse_reply  # noqa: E402

#: How long a case's fake Redis may stay silent before the counters give up (short: a test).
redis_counters.TIMEOUT = 0.5


def _answer(command: list[bytes]) -> bytes:
    """Redis's reply to one EVALSHA of the hit script (keys ending in their hit counts)."""
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
    (reads nothing for 0.3 s, then answers).
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


def _spawn_hits(counters: RedisCounters, keys: list[str]) -> list[gevent.Greenlet]:
    return [gevent.spawn(counters.hit, key, 60) for key in keys]


def _outcomes(greenlets: list[gevent.Greenlet]) -> list[Any]:
    gevent.joinall(greenlets, timeout=10)
    return [
        list(g.value) if g.successful() else type(g.exception).__name__ if g.ready() else "stuck"
        for g in greenlets
    ]


def case_batch(_: str) -> dict[str, Any]:
    """200 requests counting at once: each gets its own reply, in few round trips."""
    fake = FakeRedis(lambda n: "answer")
    counters = RedisCounters(fake.url)
    outcomes = _outcomes(_spawn_hits(counters, [f"k:{i}" for i in range(200)]))
    return {"right": sum(o == [i, 60.0] for i, o in enumerate(outcomes)), "reads": fake.reads}


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
                flush.sendall(b"*2\r\n$6\r\nSCRIPT\r\n$5\r\nFLUSH\r\n")
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


def case_fork(_: str) -> dict[str, Any]:
    """A worker forked from a process that counted already counts on a connection of its own,
    and the parent's goes on as before."""
    fake = FakeRedis(lambda n: "answer")
    counters = RedisCounters(fake.url)
    parent = counters.hit("k:1", 60)
    out = os.path.join(tempfile.gettempdir(), f"revlab-fork-{os.getpid()}.json")
    child = os.fork()
    if child == 0:
        try:
            result: Any = list(counters.hit("k:2", 60))
        except OSError as exc:
            result = type(exc).__name__
        with open(out, "w") as file:
            json.dump(result, file)
        os._exit(0)
    for _ in range(1000):  # the fake server (in this loop) answers the child meanwhile
        if os.waitpid(child, os.WNOHANG)[0]:
            break
        gevent.sleep(0.01)
    with open(out) as file:
        in_child = json.load(file)
    os.unlink(out)
    after = list(counters.hit("k:3", 60))
    return {"parent": list(parent), "child": in_child, "parent_after": after}


if __name__ == "__main__":
    case = globals()[f"case_{sys.argv[1]}"]
    print(json.dumps(case(sys.argv[2] if len(sys.argv) > 2 else "")))
    sys.stdout.flush()
    os._exit(0)  # the fake servers' greenlets would keep the loop alive
