"""The version marker: every worker of a SQLite database sees an acknowledged import at once."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
from pathlib import Path

from extension_api.storage import Store
from extension_api.version_marker import VersionMarker
from sim.registry import Registry, shipped_registry

NOW = 1_700_000_000.0


def _store(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    store.initialise(shipped_registry, now=NOW)
    return store


def _add_one(registry: Registry) -> Registry:
    """One more listed certificate (a new fingerprint each time)."""
    sha = hashlib.sha256(str(len(registry)).encode()).hexdigest()
    return registry.imported(f"sha256,incident,ca_label\n{sha},t,Lab\n".encode(), source="t")


def _import_in_a_child(path: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    store = Store(f"sqlite:///{path}")
    queue.put(store.import_registry(_add_one, source="child", now=NOW).snapshot.id)
    store.dispose()


def test_an_import_in_another_process_is_seen_by_the_next_read(tmp_path: Path) -> None:
    db = tmp_path / "revlab.sqlite3"
    reader = _store(db)
    assert reader.latest_snapshot_id() == 1
    assert reader.latest_snapshot_id() == 1  # answered from the marker: nothing changed
    queue: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    child = mp.get_context("spawn").Process(target=_import_in_a_child, args=(str(db), queue))
    child.start()
    acknowledged = queue.get(timeout=60)
    child.join(60)
    assert acknowledged == 2
    assert reader.latest_snapshot_id() == 2  # the first read after the acknowledgement
    assert VersionMarker(Path(f"{db}-version")).read() == 2  # one start, one import


def test_a_marker_left_from_a_replaced_database_is_corrected_at_start(tmp_path: Path) -> None:
    db = tmp_path / "revlab.sqlite3"
    first = _store(db)
    for _ in range(3):
        first.import_registry(_add_one, source="old", now=NOW)
    first.dispose()
    for leftover in tmp_path.glob("revlab.sqlite3*"):
        if not leftover.name.endswith("-version"):
            leftover.unlink()  # the database is replaced; its marker (4) is left behind
    reader, writer = _store(db), _store(db)
    assert reader.latest_snapshot_id() == 1
    assert writer.import_registry(_add_one, source="new", now=NOW).snapshot.id == 2
    assert reader.latest_snapshot_id() == 2


def test_without_a_writable_directory_every_read_asks_the_database(tmp_path: Path) -> None:
    db = tmp_path / "revlab.sqlite3"
    writer = _store(db)
    Path(f"{db}-version").unlink()
    Path(f"{db}-version").mkdir()  # the marker cannot be made: reads must still be exact
    reader = Store(f"sqlite:///{db}")
    other = Store(f"sqlite:///{db}")
    assert reader.latest_snapshot_id() == 1
    other.import_registry(_add_one, source="x", now=NOW)
    assert reader.latest_snapshot_id() == 2
    writer.dispose()
