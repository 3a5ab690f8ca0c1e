"""``revlab scan FILE``: which of many sites serve an affected or dangerous chain.

Reads a list of targets (``host``, ``host:port``, IP literals, ``[IPv6]:port``, or a Tranco-style
``rank,domain`` CSV; ``-`` for stdin), scans them with `tlsscan.scanner` (one machine) or
`tlsscan.cluster` (``--scheduler``: a Dask cluster), judges each chain with the API's verdict
and streams one result per target as JSONL, CSV or a table. ``--into-db`` also writes the
results as the backend's scan corpus (what ``/v1/hostprefix`` answers from).

Exit codes: 0 nothing affected or dangerous, 1 something is (a chain serving the CA's known
clean re-issue is the fix, not a finding), 2 bad input (no target at all, unreadable file).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from revlab import CliError
from revlab._options import registry_option
from tlsscan.results import FIELDS, ScanResult, ScanSummary, judge
from tlsscan.scanner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    ScanOptions,
    Served,
    run_processes,
    run_stream,
)
from tlsscan.targets import BadLine, Target, read_targets

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "scan"
HELP = "scan many TLS servers from a list and say which serve an affected or dangerous chain"

FORMATS = ("jsonl", "csv", "table")
#: Seconds between flushes of an ``--out`` file.
_FILE_FLUSH = 0.25
#: Columns of ``--format table`` with their widths (a stream cannot measure the widest cell).
_TABLE = (("target", 32), ("verdict", 19), ("error", 7), ("tls", 7), ("reason", 0))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``revlab scan``."""
    parser.add_argument("file", metavar="FILE", help="the list of targets, one a line "
                        "(host, host:port, IP, [IPv6]:port, or rank,domain CSV); - for stdin")
    parser.add_argument("--port", type=int, default=443, help="port of targets that name none "
                        "(default 443)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"handshakes in flight (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds per target, one deadline across all its addresses "
                        f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--processes", type=int, default=1, help="scan in this many worker "
                        "processes, --concurrency shared out between them (TLS handshakes cost "
                        "CPU: one process is limited to one core; default 1)")
    parser.add_argument("--full-handshake", action="store_true", help="complete every TLS "
                        "handshake (Python's ssl) instead of reading the chain from the "
                        "server's first flight and closing, like certificate scanners do")
    parser.add_argument("--format", choices=FORMATS, default="jsonl",
                        help="output format (default jsonl)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write results here "
                        "(default stdout); the summary then goes to stdout")
    parser.add_argument("--resume", action="store_true", help="skip targets already in --out "
                        "and append to it")
    parser.add_argument("--allow-private", action="store_true", help="scan loopback and "
                        "private addresses too (your own estate); otherwise the API's SSRF "
                        "guard applies")
    parser.add_argument("--into-db", action="store_true", help="also write the results as "
                        "the API's scan corpus (REVLAB_DATA_DIR / DATABASE_URL)")
    parser.add_argument("--list-name", default=None, help="the list's name in the corpus "
                        "(default: the file's name)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed "
                        "cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--batch-size", type=int, default=500, help="targets per Dask task "
                        "(with --scheduler; default 500)")
    parser.add_argument("--registry", type=Path, metavar="FILE", help="also match against "
                        "this list (our CSV, a PEM bundle or a CCADB CSV)")
    parser.add_argument("--ca-label", default="", help="CA label for a PEM/CCADB --registry")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on "
                        "a terminal")


# --- output ---------------------------------------------------------------------------------


def _csv_row(result: ScanResult) -> list[Any]:
    data = result.to_json()
    data["chain"] = " ".join(result.chain)
    data["listed"] = "" if result.listed is None else result.listed["sha256"]
    data["decided_by"] = "" if result.decided_by is None else result.decided_by["sha256"]
    data["remedy"] = result.remedy["owner"]
    return ["" if data[f] is None else data[f] for f in FIELDS]


class _Writer:
    """Writes results in one format to one stream as they complete.

    Each line is flushed at once to stdout (a pipe or a terminal is watched); to a file
    (``--out``) at most every `_FILE_FLUSH` seconds, which saves a system call per target on a
    fast scan (``--resume`` rescans whatever a killed run had not flushed).
    """

    def __init__(self, stream: TextIO, fmt: str, header: bool, *, every: float = 0.0) -> None:
        self.stream = stream
        self.fmt = fmt
        self.every = every
        self.flushed = time.monotonic()
        self.csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
        if header and self.csv is not None:
            self.csv.writerow(FIELDS)
        if header and fmt == "table":
            stream.write(_table_line([name for name, _ in _TABLE]))
            stream.write(_table_line(["-" * max(width, 6) for _, width in _TABLE]))

    def write(self, result: ScanResult) -> None:
        if self.fmt == "jsonl":
            self.stream.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        elif self.csv is not None:
            self.csv.writerow(_csv_row(result))
        else:
            target = f"{result.host}:{result.port}"
            error = "" if result.error is None else result.error.value
            self.stream.write(_table_line(
                [target, result.verdict.value, error, result.tls_version or "", result.reason]
            ))
        if self.every <= 0:
            self.stream.flush()
            return
        now = time.monotonic()
        if now - self.flushed >= self.every:
            self.stream.flush()
            self.flushed = now


def _table_line(cells: list[str]) -> str:
    return "  ".join(
        c.ljust(width) if width else c for c, (_, width) in zip(cells, _TABLE, strict=True)
    ).rstrip() + "\n"


def _print_summary(summary: ScanSummary, out: TextIO) -> None:
    out.write(f"\n{summary.targets} target(s) scanned")
    if summary.skipped:
        out.write(f", {summary.skipped} skipped (already in --out)")
    if summary.bad_lines:
        out.write(f", {summary.bad_lines} bad line(s) skipped")
    out.write("\n")
    out.write("  verdicts: " + (", ".join(
        f"{k} {v}" for k, v in sorted(summary.verdicts.items())) or "none") + "\n")
    if summary.errors:
        out.write("  errors: " + ", ".join(
            f"{k} {v}" for k, v in sorted(summary.errors.items())) + "\n")
    for finding in summary.findings:
        out.write(
            f"  {finding.verdict.value}: {finding.targets} target(s) serve {finding.sha256}\n"
            f"    CA: {finding.ca}\n    What to do: {finding.remedy}\n"
        )


# --- input ----------------------------------------------------------------------------------


def _open_list(name: str) -> contextlib.AbstractContextManager[TextIO]:
    if name == "-":
        return contextlib.nullcontext(sys.stdin)
    path = Path(name)
    if path.is_dir():
        raise CliError(f"{name}: is a directory, not a list of targets")
    try:
        return path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        raise CliError(f"{name}: cannot read ({exc.strerror})") from None


def _count_targets(name: str) -> int | None:
    """Lines that may be targets, for the progress bar's total (None for stdin)."""
    if name == "-":
        return None
    count = 0
    with open(name, "rb") as handle:
        for raw in handle:
            text = raw.strip()
            if text and not text.startswith(b"#"):
                count += 1
    return count


def _done_targets(out: Path, fmt: str) -> set[tuple[str, int]]:
    """The (host, port) of every result already in ``out``; its torn last line is dropped."""
    if not out.exists():
        return set()
    with out.open("rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):  # a run killed mid-line: drop the torn line
            handle.truncate(data.rfind(b"\n") + 1)
    done: set[tuple[str, int]] = set()
    with out.open(encoding="utf-8", errors="replace", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    item = json.loads(line)
                    done.add((str(item["host"]), int(item["port"])))
        elif fmt == "csv":
            for row in csv.DictReader(handle):
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    done.add((row["host"], int(row["port"])))
        else:
            raise CliError("--resume needs --format jsonl or csv (a table cannot be read back)")
    return done


# --- the run --------------------------------------------------------------------------------




def _check(args: argparse.Namespace) -> ScanOptions:
    if not 1 <= args.port <= 65535:
        raise CliError("--port must be between 1 and 65535")
    if args.resume and args.out is None:
        raise CliError("--resume needs --out (the results to resume from)")
    if args.processes < 1:
        raise CliError("--processes must be at least 1")
    if args.processes > 1 and args.scheduler is not None:
        raise CliError("--processes is for one machine; a Dask cluster has its own workers")
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    if args.scheduler is not None and "://" not in args.scheduler:
        raise CliError("--scheduler must be an address such as tcp://HOST:8786")
    return ScanOptions(  # raises ParameterError (a RevlabError) for a bad timeout/concurrency
        timeout=args.timeout, concurrency=args.concurrency, allow_private=args.allow_private,
        full_handshake=args.full_handshake,
    )


def _corpus_sink(args: argparse.Namespace) -> tuple[Callable[[ScanResult], None],
                                                     Callable[[], None]]:
    """Where ``--into-db`` writes: a buffer flushed to the corpus every thousand results."""
    try:
        from extension_api.config import ConfigError, Settings
        from extension_api.scan_corpus import CorpusRow, ScanCorpus
        from extension_api.storage import Store
    except ImportError as exc:  # pragma: no cover - the [api] extra is missing
        raise CliError(f"--into-db needs the API's packages (pip install "
                       f"'revocation-lab[api]'): {exc.name} is missing") from None
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url)
    corpus = ScanCorpus(store.engine).ensure()
    list_name = args.list_name or ("stdin" if args.file == "-" else Path(args.file).name)
    pending: list[Any] = []

    def flush() -> None:
        corpus.put(pending)
        pending.clear()

    def add(result: ScanResult) -> None:
        pending.append(CorpusRow.from_scan(result, list_name))
        if len(pending) >= 1000:
            flush()

    def close() -> None:
        flush()
        store.dispose()

    return add, close


def _targets(handle: TextIO, args: argparse.Namespace, summary: ScanSummary,
             done: set[tuple[str, int]]) -> Iterator[Target]:
    for item in read_targets(handle, args.port):
        if isinstance(item, BadLine):
            summary.bad_lines += 1
            print(f"revlab scan: line {item.line}: {item.reason} (skipped)", file=sys.stderr)
        elif item.key in done:
            summary.skipped += 1
        else:
            yield item


def _progress(args: argparse.Namespace, done: set[tuple[str, int]]) -> Any:
    """A progress bar with count, rate and ETA, on a terminal only."""
    if args.no_progress or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    total = _count_targets(args.file)
    return tqdm(total=None if total is None else max(0, total - len(done)), unit="host",
                dynamic_ncols=True, file=sys.stderr, smoothing=0.1)


def _source(args: argparse.Namespace, options: ScanOptions
            ) -> Callable[[Iterable[Target], Callable[[Served], None]], None]:
    if args.scheduler is None:
        if args.processes > 1:
            return lambda targets, on_served: run_processes(
                targets, options, on_served, processes=args.processes
            )
        return lambda targets, on_served: run_stream(targets, options, on_served)
    try:
        from tlsscan.cluster import scan_on_cluster
    except ImportError as exc:
        raise CliError(f"--scheduler needs Dask (pip install 'revocation-lab[cluster]'): "
                       f"{exc.name} is missing") from None

    def on_cluster(targets: Iterable[Target], on_served: Callable[[Served], None]) -> None:
        try:
            scan_on_cluster(targets, options, args.scheduler, on_served,
                            batch_size=args.batch_size)
        except OSError as exc:  # distributed: the scheduler did not answer in time
            raise CliError(f"cannot reach the Dask scheduler at {args.scheduler} "
                           f"({exc})") from None

    return on_cluster


def run(args: argparse.Namespace) -> int:
    """Scan, write each result as it completes, print the summary; exit 0, 1 or 2."""
    options = _check(args)
    registry = registry_option(args.registry, args.ca_label)
    scan = _source(args, options)
    done = _done_targets(args.out, args.format) if args.resume else set()
    summary = ScanSummary()
    into_db = _corpus_sink(args) if args.into_db else None
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(_open_list(args.file))
        if args.out is not None:
            appending = args.resume and args.out.exists() and args.out.stat().st_size > 0
            stream: TextIO = stack.enter_context(
                args.out.open("a" if args.resume else "w", encoding="utf-8", newline="")
            )
            writer = _Writer(stream, args.format, header=not appending, every=_FILE_FLUSH)
            report = sys.stdout
        else:
            writer = _Writer(sys.stdout, args.format, header=True)
            report = sys.stderr
        bar = _progress(args, done)
        if bar is not None:
            stack.callback(bar.close)

        def on_served(served: Served) -> None:
            result = judge(served, registry)
            writer.write(result)
            summary.add(result)
            if into_db is not None:
                into_db[0](result)
            if bar is not None:
                bar.update(1)

        try:
            scan(_targets(handle, args, summary, done), on_served)
        finally:
            if into_db is not None:
                into_db[1]()
    if summary.targets == 0 and summary.skipped == 0:
        raise CliError(f"{args.file}: no target to scan"
                       + (f" ({summary.bad_lines} bad line(s))" if summary.bad_lines else ""))
    _print_summary(summary, report)
    return 1 if summary.has_findings else 0

