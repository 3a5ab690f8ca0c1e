"""The scan corpus behind ``/v1/hostprefix`` and ``GET /v1/scan/summary``."""

from __future__ import annotations

import hashlib

from flask import Flask

from extension_api.scan_corpus import CorpusRow, ScanCorpus
from extension_api.service import ApiState
from extension_api.storage import host_sha256
from sim.registry import shipped_registry

DAY = 86400.0
T0 = 1_790_000_000.0  # 2026-09-21


def _row(host: str, verdict: str, *, port: int = 443, list_name: str = "estate.txt",
         at: float = T0) -> CorpusRow:
    entry = shipped_registry().entries[0]
    match = {"position": 1, "entry": entry.to_json()} if verdict == "affected" else None
    return CorpusRow(host_sha256(host), port, verdict, f"{verdict}.", match,
                     "owner remedy", "visitor remedy", list_name, at)


def _corpus(state: ApiState) -> ScanCorpus:
    return ScanCorpus(state.store.engine)


def test_hostprefix_returns_the_scanned_bucket_without_naming_hosts(
    app: Flask, state: ApiState
) -> None:
    _corpus(state).put([_row("shop.example", "affected"), _row("blog.example", "clean")])
    state.clock = lambda: T0 + 2 * DAY
    digest = hashlib.sha256(b"shop.example").hexdigest()
    response = app.test_client().get(f"/v1/hostprefix/{digest[:5].upper()}")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert [(h["host_sha256"], h["port"], h["verdict"], h["list"]) for h in body["hosts"]] == [
        (digest, 443, "affected", "estate.txt")
    ]
    hit = body["hosts"][0]
    assert hit["match"]["entry"]["sha256"] == shipped_registry().entries[0].sha256
    assert hit["remedy"] == {"owner": "owner remedy", "visitor": "visitor remedy"}
    assert hit["scanned_at"] == "2026-09-21T14:13:20+00:00"
    # How old the corpus is, so the extension can tell a stale answer.
    assert body["corpus"] == {"targets": 2, "oldest_scan": "2026-09-21T14:13:20+00:00",
                              "newest_scan": "2026-09-21T14:13:20+00:00",
                              "age_seconds": 2 * 86400}
    assert "shop.example" not in response.get_data(as_text=True)


def test_a_later_scan_of_the_same_host_replaces_its_row(state: ApiState) -> None:
    corpus = _corpus(state)
    corpus.put([_row("shop.example", "affected", at=T0)])
    corpus.put([_row("shop.example", "clean", at=T0 + DAY, list_name="rescan.txt")])
    hits = corpus.with_prefix(host_sha256("shop.example")[:4])
    assert [(h.row.verdict, h.row.list_name, h.row.scanned_at) for h in hits] == [
        ("clean", "rescan.txt", T0 + DAY)
    ]


def test_a_prefix_bucket_holds_exactly_the_hashes_that_start_with_it(state: ApiState) -> None:
    hosts = [f"host{i}.example" for i in range(300)]
    _corpus(state).put(_row(h, "clean") for h in hosts)
    prefix = host_sha256(hosts[0])[:4]
    expected = sorted(host_sha256(h) for h in hosts if host_sha256(h).startswith(prefix))
    assert [h.row.host_sha256 for h in _corpus(state).with_prefix(prefix)] == expected


def test_scan_summary_counts_per_verdict_and_per_list(app: Flask, state: ApiState) -> None:
    _corpus(state).put([
        _row("a.example", "affected", at=T0), _row("b.example", "clean", at=T0 + 60),
        _row("c.example", "unknown", list_name="tranco.csv", at=T0 + DAY),
    ])
    state.clock = lambda: T0 + 3 * DAY
    body = app.test_client().get("/v1/scan/summary").json
    assert body == {
        "targets": 3,
        "oldest_scan": "2026-09-21T14:13:20+00:00",
        "newest_scan": "2026-09-22T14:13:20+00:00",
        "age_seconds": 3 * 86400,
        "verdicts": {"affected": 1, "clean": 1, "unknown": 1},
        "lists": [
            {"name": "estate.txt", "targets": 2, "verdicts": {"affected": 1, "clean": 1},
             "first_scanned": "2026-09-21T14:13:20+00:00",
             "last_scanned": "2026-09-21T14:14:20+00:00"},
            {"name": "tranco.csv", "targets": 1, "verdicts": {"unknown": 1},
             "first_scanned": "2026-09-22T14:13:20+00:00",
             "last_scanned": "2026-09-22T14:13:20+00:00"},
        ],
    }


def test_an_empty_corpus_says_so(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/v1/scan/summary").json == {
        "targets": 0, "oldest_scan": None, "newest_scan": None, "age_seconds": None,
        "verdicts": {}, "lists": [],
    }
    assert client.get("/v1/hostprefix/abcd").json == {
        "prefix": "abcd", "hosts": [],
        "corpus": {"targets": 0, "oldest_scan": None, "newest_scan": None, "age_seconds": None},
    }
