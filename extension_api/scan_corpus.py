"""The scan corpus: verdicts of the hosts an operator scanned with ``revlab scan --into-db``.

It is what ``GET /v1/hostprefix/<prefix>`` answers from (Chrome's private lookup) and what
``GET /v1/scan/summary`` counts. It holds no hostname: each row is keyed by the SHA-256 of the
lower-case hostname (`extension_api.storage.host_sha256`) and the port, with the verdict as the
scan made it, the name of the list the target came from and when it was scanned. Hosts that
users checked directly (``GET /v1/hosts``) never enter it.

The table lives in the API's database (`extension_api.schema`: created by its migrations),
through SQLAlchemy Core, so it works on SQLite and PostgreSQL alike. A later scan of the same
host and port replaces its row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, tuple_

from sim.registry import VerdictKind
from tlsscan.results import ScanResult

from .schema import scan_corpus
from .storage import host_sha256

__all__ = ["CorpusHit", "CorpusRow", "CorpusSummary", "ListSummary", "ScanCorpus", "scan_corpus"]

#: Rows written per transaction (one scan of 100,000 hosts is 100 transactions).
_BATCH = 1000


@dataclass(frozen=True)
class CorpusRow:
    """One scanned target as the corpus keeps it.

    Attributes:
        host_sha256: SHA-256 (hex) of the lower-case hostname.
        port: the port.
        verdict: the verdict's value (``affected``, ...).
        summary: the verdict's one line.
        match: ``{"position", "entry"}`` of the matched list entry, or None.
        remedy_owner: what the site owner must do.
        remedy_visitor: what a visitor can do.
        list_name: the name of the list the target came from.
        scanned_at: when it was scanned (Unix time).
        known_reissue: whether the chain serves the CA's known clean re-issue (the fix).
        responder_position: where a dangerous responder sits in the chain, or None.
    """

    host_sha256: str
    port: int
    verdict: str
    summary: str
    match: dict[str, Any] | None
    remedy_owner: str
    remedy_visitor: str
    list_name: str
    scanned_at: float
    known_reissue: bool = False
    responder_position: int | None = None

    @classmethod
    def from_scan(cls, result: ScanResult, list_name: str) -> CorpusRow:
        """The row ``revlab scan --into-db`` keeps for one scanned target of ``list_name``."""
        decided = result.decided_by
        return cls(
            host_sha256=host_sha256(result.host),
            port=result.port,
            verdict=result.verdict.value,
            summary=result.reason,
            match=None if result.listed is None else {
                "position": None if decided is None else decided["position"],
                "entry": result.listed,
            },
            remedy_owner=result.remedy["owner"],
            remedy_visitor=result.remedy["visitor"],
            list_name=list_name,
            scanned_at=result.scanned_at.timestamp(),
            known_reissue=result.known_reissue,
            responder_position=(
                decided["position"]
                if result.verdict is VerdictKind.DANGEROUS_RESPONDER and decided
                else None
            ),
        )


@dataclass(frozen=True)
class CorpusHit:
    """A scanned target in a k-anonymity bucket: nothing in it names the host.

    Attributes:
        row: the corpus row.
    """

    row: CorpusRow

    def to_json(self) -> dict[str, Any]:
        """The host entry of ``/v1/hostprefix``: the shape the extension reads."""
        r = self.row
        return {
            "host_sha256": r.host_sha256,
            "port": r.port,
            "verdict": r.verdict,
            "summary": r.summary,
            "match": r.match,
            "known_reissue": r.known_reissue,
            "responder_position": r.responder_position,
            "remedy": {"owner": r.remedy_owner, "visitor": r.remedy_visitor},
            "scanned_at": _iso(r.scanned_at),
            "list": r.list_name,
        }


@dataclass(frozen=True)
class ListSummary:
    """One list's share of the corpus.

    Attributes:
        name: the list's name.
        targets: targets of it in the corpus.
        verdicts: targets per verdict.
        first_scanned: the oldest scan of one of its targets (Unix time).
        last_scanned: the newest (Unix time).
    """

    name: str
    targets: int
    verdicts: dict[str, int]
    first_scanned: float
    last_scanned: float

    def to_json(self) -> dict[str, Any]:
        """JSON with ISO dates."""
        return {
            "name": self.name,
            "targets": self.targets,
            "verdicts": self.verdicts,
            "first_scanned": _iso(self.first_scanned),
            "last_scanned": _iso(self.last_scanned),
        }


@dataclass(frozen=True)
class CorpusSummary:
    """The whole corpus in counts.

    Attributes:
        targets: targets in the corpus.
        verdicts: targets per verdict.
        lists: per list.
        oldest: the oldest scan in the corpus (Unix time), None when empty.
        newest: the newest, None when empty.
        now: when the summary was made (Unix time), for the age.
    """

    targets: int
    verdicts: dict[str, int]
    lists: tuple[ListSummary, ...]
    oldest: float | None
    newest: float | None
    now: float

    def age_json(self) -> dict[str, Any]:
        """How old the corpus is: its oldest and newest scan and their ages in seconds."""
        return {
            "targets": self.targets,
            "oldest_scan": None if self.oldest is None else _iso(self.oldest),
            "newest_scan": None if self.newest is None else _iso(self.newest),
            "age_seconds": None if self.oldest is None else max(0, round(self.now - self.oldest)),
        }

    def to_json(self) -> dict[str, Any]:
        """The body of ``GET /v1/scan/summary``."""
        return {
            **self.age_json(),
            "verdicts": self.verdicts,
            "lists": [item.to_json() for item in self.lists],
        }


def _iso(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="seconds")


def _values(row: CorpusRow) -> dict[str, Any]:
    return {
        "host_sha256": row.host_sha256,
        "port": row.port,
        "verdict": row.verdict,
        "summary": row.summary,
        "match": None if row.match is None else json.dumps(row.match, sort_keys=True),
        "remedy_owner": row.remedy_owner,
        "remedy_visitor": row.remedy_visitor,
        "list_name": row.list_name,
        "scanned_at": row.scanned_at,
        "known_reissue": row.known_reissue,
        "responder_position": row.responder_position,
    }


def _row(found: Any) -> CorpusRow:
    return CorpusRow(
        host_sha256=found.host_sha256,
        port=found.port,
        verdict=found.verdict,
        summary=found.summary,
        match=None if found.match is None else json.loads(found.match),
        remedy_owner=found.remedy_owner,
        remedy_visitor=found.remedy_visitor,
        list_name=found.list_name,
        scanned_at=found.scanned_at,
        known_reissue=bool(found.known_reissue),
        responder_position=found.responder_position,
    )


class ScanCorpus:
    """The scan corpus in a database (the API's engine)."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine`` (the API creates the table with the others at start; a scan that
        writes first calls `ensure`)."""
        self.engine = engine

    def ensure(self) -> ScanCorpus:
        """Create the table when it is missing; returns self."""
        scan_corpus.create(self.engine, checkfirst=True)
        return self

    def put(self, rows: Iterable[CorpusRow]) -> int:
        """Store rows (a later scan of a host and port replaces the earlier one); returns how
        many were written. Streams: ``rows`` may be a generator of any length."""
        written = 0
        batch: list[CorpusRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                written += self._put_batch(batch)
                batch = []
        if batch:
            written += self._put_batch(batch)
        return written

    def _put_batch(self, batch: Sequence[CorpusRow]) -> int:
        latest = {(r.host_sha256, r.port): r for r in batch}  # the last word of this batch
        keys = list(latest)
        with self.engine.begin() as conn:
            conn.execute(
                delete(scan_corpus).where(
                    tuple_(scan_corpus.c.host_sha256, scan_corpus.c.port).in_(keys)
                )
            )
            conn.execute(insert(scan_corpus), [_values(r) for r in latest.values()])
        return len(latest)

    def with_prefix(self, prefix: str) -> list[CorpusHit]:
        """Every scanned target whose hostname hash starts with ``prefix`` (lower-case hex)."""
        # A range, not LIKE: it uses the primary key's index on SQLite and PostgreSQL alike.
        upper = prefix + "g"  # 'g' sorts after every hex digit
        with self.engine.connect() as conn:
            found = conn.execute(
                select(scan_corpus)
                .where(scan_corpus.c.host_sha256 >= prefix, scan_corpus.c.host_sha256 < upper)
                .order_by(scan_corpus.c.host_sha256, scan_corpus.c.port)
            ).all()
        return [CorpusHit(_row(r)) for r in found]

    def summary(self, now: float) -> CorpusSummary:
        """Counts per verdict and per list, and how old the corpus is."""
        c = scan_corpus.c
        with self.engine.connect() as conn:
            grouped = conn.execute(
                select(
                    c.list_name,
                    c.verdict,
                    func.count(),
                    func.min(c.scanned_at),
                    func.max(c.scanned_at),
                ).group_by(c.list_name, c.verdict)
            ).all()
        verdicts: dict[str, int] = {}
        lists: dict[str, dict[str, Any]] = {}
        for name, verdict, count, first, last in grouped:
            verdicts[verdict] = verdicts.get(verdict, 0) + count
            entry = lists.setdefault(
                name, {"targets": 0, "verdicts": {}, "first": first, "last": last}
            )
            entry["targets"] += count
            entry["verdicts"][verdict] = count
            entry["first"] = min(entry["first"], first)
            entry["last"] = max(entry["last"], last)
        per_list = tuple(
            ListSummary(name, e["targets"], dict(sorted(e["verdicts"].items())), e["first"],
                        e["last"])
            for name, e in sorted(lists.items())
        )
        return CorpusSummary(
            targets=sum(verdicts.values()),
            verdicts=dict(sorted(verdicts.items())),
            lists=per_list,
            oldest=min((item.first_scanned for item in per_list), default=None),
            newest=max((item.last_scanned for item in per_list), default=None),
            now=now,
        )
