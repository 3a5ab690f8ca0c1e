"""extension_api.storage on SQLite and PostgreSQL: imports, the schema versions, retention."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from extension_api.schema import SCHEMA_VERSION, migrate
from extension_api.storage import CachedChain, Store, StoreBusy, _insert_snapshot
from sim.registry import Registry, shipped_registry
from tests.conftest import REPO

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def _csv(tag: str, n: int) -> bytes:
    rows = "".join(f"{hashlib.sha256(f'{tag}-{i}'.encode()).hexdigest()},t,Lab\n"
                   for i in range(n))  # fmt: skip
    return ("sha256,incident,ca_label\n" + rows).encode()


def _adding(tag: str, n: int):  # type: ignore[no-untyped-def]
    data = _csv(tag, n)
    return lambda base: base.imported(data, source=tag)


def _shas(tag: str, n: int) -> set[str]:
    return {hashlib.sha256(f"{tag}-{i}".encode()).hexdigest() for i in range(n)}


_OPEN: list[Store] = []


def _store(url: str, **kwargs: float) -> Store:
    store = Store(url, **kwargs)
    _OPEN.append(store)
    store.initialise(shipped_registry, now=NOW)
    return store


@pytest.fixture(autouse=True)
def _dispose_stores() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().dispose()


def test_an_import_overtaken_by_six_others_is_applied_on_top_of_them(url: str) -> None:
    # The bug seen: a slow import wrote snapshot base.id + 1 after five newer snapshots had
    # pruned that id; the insert succeeded and answered 200, but nobody ever saw it.
    store = _store(url)
    others = []
    calls = []

    def slow(base: Registry) -> Registry:
        if not calls:
            # While the big import computes, six small ones are stored.
            others.extend(store.import_registry(_adding(f"s{i}", 2), source="s", now=NOW)
                          for i in range(6))  # fmt: skip
        calls.append(base)
        return base.imported(_csv("big", 300), source="big")

    big = store.import_registry(slow, source="big", now=NOW)
    versions = [o.snapshot.id for o in others] + [big.snapshot.id]
    assert versions == [2, 3, 4, 5, 6, 7, 8]
    assert store.latest_snapshot_id() == 8
    listed = set(store.load_registry().registry.by_sha256)
    wanted = _shas("big", 300).union(*(_shas(f"s{i}", 2) for i in range(6)))
    assert wanted <= listed
    # `added` counts what this import added to the snapshot it was applied to.
    assert [o.added for o in others] + [big.added] == [2] * 6 + [300]
    assert len(calls) == 2  # computed once without the lock, once more on the newer base


def test_added_counts_only_new_entries(url: str) -> None:
    store = _store(url)
    assert store.import_registry(_adding("a", 3), source="a", now=NOW).added == 3
    again = store.import_registry(_adding("a", 4), source="a", now=NOW)
    assert (again.added, again.snapshot.id) == (1, 3)


def test_a_writer_that_cannot_get_the_lock_is_told_to_retry(url: str) -> None:
    holder, waiter = _store(url), _store(url, lock_wait=0.5)
    with holder._write():
        started = time.monotonic()
        with pytest.raises(StoreBusy) as caught:
            waiter.import_registry(_adding("w", 1), source="w", now=NOW)
        waited = time.monotonic() - started
    assert caught.value.retry_after >= 1
    assert waited >= 0.4
    assert waiter.latest_snapshot_id() == 1  # nothing was stored
    holder.dispose()
    waiter.dispose()


def test_an_upgrade_from_schema_1_keeps_the_data(url: str) -> None:
    # A database as the first release left it: schema 1, one snapshot, one host check.
    old = Store(url)
    _OPEN.append(old)
    registry = shipped_registry().imported(_csv("kept", 5), source="kept")
    with old.engine.begin() as conn:
        assert migrate(conn, target=1) == 1
        first = _insert_snapshot(conn, 7, registry, source="old", now=NOW)
        conn.execute(text("INSERT INTO host_checks VALUES "
                          "('a.example', 443, 'x', NULL, '[]', 'gone', false, 1.0, 2.0)"))
    assert old.schema_version() == 1
    old.dispose()

    def must_not_seed() -> Registry:
        raise AssertionError("an upgraded database is not seeded again")

    store = Store(url)
    _OPEN.append(store)
    store.initialise(must_not_seed, now=NOW)
    assert store.schema_version() == SCHEMA_VERSION == 3
    snap = store.load_registry()
    assert (snap.id, snap.etag) == (7, first.etag)
    assert _shas("kept", 5) <= set(snap.registry.by_sha256)
    assert store.count_hosts() == 1
    store.initialise(must_not_seed, now=NOW)  # a second start changes nothing
    assert store.schema_version() == 3
    store.dispose()


def test_a_scan_corpus_written_before_the_first_start_is_kept(url: str) -> None:
    # revlab scan --into-db may fill the corpus before the API ever started on the database.
    from extension_api.scan_corpus import CorpusRow, ScanCorpus

    early = Store(url)
    _OPEN.append(early)
    corpus = ScanCorpus(early.engine).ensure()
    corpus.put([CorpusRow("ab" * 32, 443, "clean", "fine", None, "-", "-", "top", NOW)])
    early.dispose()
    store = _store(url)
    assert store.schema_version() == SCHEMA_VERSION
    assert [hit.row.port for hit in ScanCorpus(store.engine).with_prefix("abab")] == [443]
    assert store.load_registry().id == 1


def test_a_database_newer_than_the_code_is_refused(url: str) -> None:
    store = _store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE revlab_schema SET version = 99"))
    with pytest.raises(RuntimeError, match="schema version 99"):
        store.initialise(shipped_registry, now=NOW)
    store.dispose()


def test_host_checks_older_than_the_retention_are_deleted(url: str) -> None:
    store = _store(url)
    for host, fetched in (("old.example", NOW - 7200), ("new.example", NOW - 60)):
        store.put_host(CachedChain(host, 443, "h", None, (), "x", False, fetched, fetched + 60))
    assert store.purge_hosts(NOW - 3600) == 1
    assert store.get_host("old.example", 443) is None
    assert store.get_host("new.example", 443) is not None
    store.dispose()


_IMPORT_FOR_EVER = textwrap.dedent("""
    import hashlib, sys
    from extension_api.storage import Store
    store = Store(sys.argv[1])
    n = 0
    while True:
        n += 1
        rows = "".join(hashlib.sha256(f"k{n}-{i}".encode()).hexdigest() + ",t,Lab\\n"
                       for i in range(2000))
        data = ("sha256,incident,ca_label\\n" + rows).encode()
        store.import_registry(lambda b: b.imported(data, source="k"), source="k", now=1.0)
        print(n, flush=True)
""")


def test_kill_9_during_imports_leaves_a_whole_registry(url: str) -> None:
    _store(url).dispose()
    proc = subprocess.Popen([sys.executable, "-c", _IMPORT_FOR_EVER, url], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "1"  # one import done, the next one under way
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    store = Store(url)
    _OPEN.append(store)
    if store.is_sqlite:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    snap = store.load_registry()
    listed = set(snap.registry.by_sha256)
    # Wholly old or wholly new: import k is in snapshot k + 1 with every one of its rows.
    done = snap.id - 1
    assert done >= 1
    for k in range(1, done + 1):
        assert _shas(f"k{k}", 2000) <= listed
    assert not _shas(f"k{done + 1}", 2000) & listed
    store.dispose()
