"""extension_api.redis_counters: a real redis-server, and fake ones that misbehave.

Outside gevent (threads here) every call makes its own round trip; under gevent (what a
``revlab serve`` worker runs) the calls of a process share one pipelined connection, and those
cases run in a gevent process of their own (``gevent_pipeline_cases.py``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from extension_api.redis_counters import RedisCounters
from tests.conftest import require
from tests.servers import redis_server

CASES = Path(__file__).with_name("gevent_pipeline_cases.py")


def _under_gevent(case: str, url: str = "") -> Any:
    done = subprocess.run([sys.executable, str(CASES), case, url], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("unix_socket", [False, True], ids=["tcp", "unix"])
def test_redis_counts_one_window_for_every_client_of_the_store(unix_socket: bool) -> None:
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with redis_server(unix_socket=unix_socket) as url:
        first, second = RedisCounters(url), RedisCounters(url)  # two workers or instances
        counts = [c.hit("revlab:t:1.2.3.4", 60)[0] for c in (first, second, first, second)]
        assert counts == [1, 2, 3, 4]
        assert 59 < first.hit("revlab:t:1.2.3.4", 60)[1] <= 60
        assert second.hit("revlab:t:5.6.7.8", 60)[0] == 1  # another client, its own window
        short = first.hit("revlab:short", 0.05)
        assert short[0] == 1
        # Every rule of a request in one command: each key keeps its own count and window.
        both = [("revlab:v1:9.9.9.9", 60.0), ("revlab:hosts:9.9.9.9", 30.0)]
        first.hit("revlab:v1:9.9.9.9", 60)
        (v1, v1_left), (hosts, hosts_left) = second.hits(both)
        assert (v1, hosts) == (2, 1)
        assert 59 < v1_left <= 60 and 29 < hosts_left <= 30
        second.close()
    with pytest.raises(OSError):  # the store is gone: the app answers 503
        first.hit("revlab:t:1.2.3.4", 60)
    first.close()


def test_concurrent_callers_in_threads_each_get_their_own_reply() -> None:
    # Outside gevent (threads, the Flask test client) each call takes a connection of its own.
    # 50 threads: each counts on one shared key (every count from 1 to 200 seen once) and on a
    # key of its own whose window length is its own (so a reply handed to the wrong caller
    # shows in the seconds left).
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with redis_server(unix_socket=True) as url:
        counters = RedisCounters(url)
        start = threading.Barrier(50)

        def hits(i: int) -> list[int]:
            start.wait()
            shared = []
            for n in range(1, 5):
                shared.append(counters.hit("revlab:t:shared", 60)[0])
                count, left = counters.hit(f"revlab:t:{i}", 100 + i)
                assert count == n and 99 + i < left <= 100 + i
            return shared

        with ThreadPoolExecutor(50) as pool:
            counts = [n for batch in pool.map(hits, range(50)) for n in batch]
        assert sorted(counts) == list(range(1, 201))
        counters.close()
    # The store gone: every waiting caller gets an error, none is left waiting.
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(counters.hit, "revlab:t:9.9.9.9", 60) for _ in range(20)]
        errors = [f.exception(timeout=30) for f in futures]
    assert all(isinstance(e, OSError) for e in errors)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(b"*2\r\n:7\r\n:1500\r\n", (7, 1.5)),  # sent a byte at a time
     (b"HTTP/1.1 400 Bad Request\r\n\r\n", OSError),  # not Redis
     (b"-ERR unknown command\r\n", OSError),
     (b"*2\r\n:7\r\n$2\r\nno\r\n", OSError),  # not two integers
     (b":x\r\n", OSError), (b"+\xff\r\n", OSError), (b"*1\r\n:1x\r\n", OSError)],  # malformed
)
def test_what_the_store_answers_is_read_whole_or_refused(
    answer: bytes, expected: tuple[int, float] | type[Exception]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer_once() -> None:
            conn, _ = server.accept()
            with conn, contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.recv(65536)
                for i in range(len(answer)):  # the client may hang up on a bad first line
                    conn.sendall(answer[i : i + 1])

        threading.Thread(target=answer_once, daemon=True).start()
        counters = RedisCounters(f"redis://127.0.0.1:{port}/0")
        if isinstance(expected, tuple):
            assert counters.hit("revlab:t:1", 60) == expected
        else:
            with pytest.raises(expected):
                counters.hit("revlab:t:1", 60)
        counters.close()


def test_a_worker_s_concurrent_hits_share_one_round_trip_and_each_gets_its_own_reply() -> None:
    # 200 requests of one connected worker counting at once: a few writes to the socket for
    # all of them (one per 64 queued, a few more if a slow machine lets the flush timer fire
    # while they queue; one per hit without batching), and every reply to the request that
    # asked (the fake's counts are in the keys).
    found = _under_gevent("batch")
    assert found["right"] == 200
    assert 1 <= found["writes"] <= 10


def test_a_busy_worker_sends_a_hit_without_waiting_to_be_idle() -> None:
    # A worker that always has a greenlet ready never goes idle: the hit still goes within
    # about FLUSH_DELAY (2 ms), not when the busy spell ends (0.5 s).
    found = _under_gevent("busy")
    assert found["while_busy"] is True
    assert found["answered_within"] < 0.2


def test_a_worker_counts_exactly_on_a_real_redis_whose_scripts_are_flushed() -> None:
    # 50 requests x 4 hits through one pipelined connection: each count of the shared key seen
    # once, each request's own key counted 1..4 with its own window, while Redis forgets the
    # script half way (NOSCRIPT: sent again as text).
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with redis_server(unix_socket=True) as url:
        found = _under_gevent("real", url)
    assert found == {"shared": True, "wrong": []}


def test_redis_hanging_up_fails_the_waiting_hits_and_the_next_hit_reconnects() -> None:
    found = _under_gevent("hang_up")
    assert found == {"first": ["OSError"], "after": [[7, 60.0]]}


def test_hits_not_yet_written_when_redis_closes_the_connection_go_on_a_new_one() -> None:
    # Redis closes idle connections (its timeout setting) and all of them when it restarts:
    # hits that were queued but not written then must not become 503s.
    found = _under_gevent("closed_meanwhile")
    assert found == {"first": [1, 60.0], "queued_right": 10, "connections": 2}


def test_silent_redis_fails_the_waiting_hits_in_time_and_the_next_connection_is_clean() -> None:
    # Seen while building this: a deadline timer stopped after it expired kept its event and
    # failed every later connection at once. The next hits must be answered, not timed out.
    found = _under_gevent("silent")
    assert found["first"] == ["TimeoutError"]
    assert 0.5 <= found["failed_after"] < 5  # TIMEOUT is 0.5 s in the cases
    assert found["after"] == [[7, 60.0], [8, 60.0]]
    assert found["answered_after"] < 0.5


def test_something_else_than_redis_answering_is_an_error_then_redis_is_used_again() -> None:
    found = _under_gevent("nonsense")
    assert found == {"first": ["OSError"], "after": [[7, 60.0]]}


def test_a_burst_larger_than_the_socket_buffer_is_written_whole_to_a_slow_redis() -> None:
    assert _under_gevent("burst") == {"right": 400}


def test_a_hit_killed_while_waiting_leaves_the_others_going() -> None:
    # A request timed out or a worker stopping: the hit before it and the hits after it are
    # still answered (in an earlier design a killed waiter stopped every later hit).
    assert _under_gevent("killed") == {"first": [[1, 60.0]], "later": [[3, 60.0]]}


def test_a_request_killed_while_the_connection_opens_costs_nobody_else_their_hit() -> None:
    assert _under_gevent("killed_connecting") == {"queued": [[2, 60.0]]}


def test_a_forked_worker_counts_on_its_own_connection() -> None:
    # A child using its parent's connection reads replies meant for the parent (the parent's
    # hits time out) or sends the parent's queued hits again (counted twice).
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    with redis_server(unix_socket=True) as url:
        found = _under_gevent("fork", url)
    assert found == {"child": [1, True], "errors": [], "miscounted": {}}
