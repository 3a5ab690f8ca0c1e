"""``revlab audit PATH...``: what is dangerous about each certificate.

Reads PEM bundles, DER files and CCADB CSV reports, and folders of them (recursively; a file
in a folder that holds no certificates is skipped with a warning). Exit 0 when no certificate
has an ERROR or FATAL finding, 1 when one has, 2 on a usage or input error, including input in
which no certificate was found at all.

Large inputs are audited by several worker processes (``--jobs``): the parent splits the files
into certificates (`sim.loader.pending_certificates`, cheap), then starts the workers, which
parse, audit and render them slice by slice; it writes their output in input order. Where
workers are forked (Linux), they inherit the split certificates and are sent only which slice
to audit; elsewhere the slices themselves are sent.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import io
import itertools
import json
import os
import pickle
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from revlab import CliError
from revlab._output import add_format_argument, write_json, write_table
from sim.audit import AuditResult, Severity, audit, sibling_exposure
from sim.errors import LoadError
from sim.loader import CertRecord, PendingCertificate, expand_paths, pending_certificates, read_file

NAME = "audit"
HELP = "audit certificates (PEM, DER, CCADB CSV) for dangerous OCSP and lifetime settings"

#: Below this many certificates one process is faster than starting workers.
_PARALLEL_MIN = 400
#: Certificates per slice a worker audits: small enough that the workers share the work evenly
#: and that a slice's records are freed soon; large enough that a slice costs little to send.
_SLICE = 500
_TABLE_HEADER = ("sha256", "worst", "subject", "findings")
_CSV_HEADER = ("source", "sha256", "subject", "code", "severity", "message")


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revlab audit``."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="PEM, DER or CCADB CSV files, or folders: every file under a folder is read, "
        "sub-folders included; files in a folder that hold no certificates are skipped "
        "with a warning",
    )
    add_format_argument(parser)
    parser.add_argument(
        "--siblings",
        action="store_true",
        help="also list, for each CA certificate with OCSPSigning, the siblings it can vouch "
        "for (needs every certificate in one process: --jobs is ignored)",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=_cpu_count(),
        metavar="N",
        help="worker processes for large inputs (default: the number of CPUs, here "
        f"{_cpu_count()}); the output is in input order whatever N is",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def result_json(result: AuditResult) -> dict[str, Any]:
    """One certificate's audit as the JSON output shows it."""
    r = result.record
    return {
        "source": r.source,
        "sha256": r.sha256,
        "subject": r.subject,
        "issuer": r.issuer,
        "not_before": r.not_before.isoformat() if r.not_before else None,
        "not_after": r.not_after.isoformat() if r.not_after else None,
        "is_ca": r.is_ca if r.ok else None,
        "ekus": list(r.ekus),
        "findings": [
            {"code": f.code, "severity": f.severity.name, "message": f.message}
            for f in result.findings
        ],
    }


@dataclass
class _Part:
    """What auditing a slice of the input gives: its output and its counts."""

    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    worst: Counter[str] = field(default_factory=Counter)
    ocsp_cas: int = 0
    certificates: int = 0

    def add(self, other: _Part) -> None:
        self.rows += other.rows
        self.worst += other.worst
        self.ocsp_cas += other.ocsp_cas
        self.certificates += other.certificates


_string = json.encoder.encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses


def _json_item(result: AuditResult) -> str:
    """`result_json` as `json.dump(items, indent=2)` prints it inside the top-level list.

    Written out field by field (the same bytes as ``_json_value(result_json(result))``, which
    a test holds it to): no dict, no recursion, for ten thousand certificates.
    """
    r = result.record
    s = _string
    ekus = "[\n      " + ",\n      ".join([s(e) for e in r.ekus]) + "\n    ]" if r.ekus else "[]"
    if result.findings:
        findings = (
            "[\n      "
            + ",\n      ".join(
                [
                    '{\n        "code": '
                    + s(f.code)
                    + ',\n        "severity": '
                    + s(f.severity.name)
                    + ',\n        "message": '
                    + s(f.message)
                    + "\n      }"
                    for f in result.findings
                ]
            )
            + "\n    ]"
        )
    else:
        findings = "[]"
    not_before, not_after = r.validity_iso
    return "".join(
        [
            '  {\n    "source": ',
            s(r.source),
            ',\n    "sha256": ',
            "null" if r.sha256 is None else s(r.sha256),
            ',\n    "subject": ',
            s(r.subject),
            ',\n    "issuer": ',
            s(r.issuer),
            ',\n    "not_before": ',
            "null" if not_before is None else s(not_before),
            ',\n    "not_after": ',
            "null" if not_after is None else s(not_after),
            ',\n    "is_ca": ',
            ("true" if r.is_ca else "false") if r.ok else "null",
            ',\n    "ekus": ',
            ekus,
            ',\n    "findings": ',
            findings,
            "\n  }",
        ]
    )


def _table_row(result: AuditResult) -> list[str]:
    r = result.record
    subject = r.subject if len(r.subject) <= 60 else r.subject[:57] + "..."
    # Every finding, NOTICE included: a row whose worst is NOTICE says which one.
    codes = ", ".join(f.code for f in result.findings)
    return [(r.sha256 or "-")[:16], result.worst.name if result.worst else "ok", subject, codes]


def _csv_rows(result: AuditResult) -> Iterator[list[Any]]:
    r = result.record
    if not result.findings:
        yield [r.source, r.sha256, r.subject, "", "", ""]
    for f in result.findings:
        yield [r.source, r.sha256, r.subject, f.code, f.severity.name, f.message]


def _audit_part(items: Sequence[PendingCertificate], fmt: str) -> _Part:
    """Parse, audit and render consecutive certificates."""
    return _render_part([audit(item.load()) for item in items], fmt)


def _render_part(results: Sequence[AuditResult], fmt: str) -> _Part:
    """The output of consecutive audit results, and their counts."""
    part = _Part(certificates=len(results))
    pieces: list[str] = []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for result in results:
        if result.findings:  # most certificates have none: skip worst and codes then
            worst = result.worst
            if worst is not None:
                part.worst[worst.name] += 1
            part.ocsp_cas += "ca.ocsp_signing_eku" in result.codes
        if fmt == "json":
            pieces.append(_json_item(result))
        elif fmt == "csv":
            writer.writerows(_csv_rows(result))
        else:
            part.rows.append(_table_row(result))
    part.text = ",\n".join(pieces) if fmt == "json" else buf.getvalue()
    return part


_Task = tuple[list[tuple[str, "bytes | str", str, str]], str]

#: The certificates forked workers audit, and the folder they write each slice's output to:
#: set by the parent just before it forks them, so each worker inherits them (copy-on-write)
#: and is only told which slice to audit.
_INHERITED: list[PendingCertificate] = []
_OUTPUT_DIR = ""


def _audit_task(task: _Task) -> _Part:
    """A spawned worker's job: one slice of certificates, sent as plain tuples."""
    rows, fmt = task
    return _audit_part([PendingCertificate.from_tuple(row) for row in rows], fmt)


def _audit_slice(task: tuple[int, int, str]) -> str:
    """A forked worker's job: the slice ``[start, stop)`` of the certificates it inherited.

    The output goes to a file, and only its name through the pool's pipe: a pipe holds 64 kB,
    so a worker sending hundreds of kB waited until the parent's result thread had read them
    all, and that thread waits for the GIL (up to 5 ms a read) while the parent audits its
    own share. The workers stood idle for a third of the run.
    """
    start, stop, fmt = task
    path = os.path.join(_OUTPUT_DIR, f"{start}.pickle")
    with open(path, "wb") as f:
        pickle.dump(_audit_part(_INHERITED[start:stop], fmt), f, pickle.HIGHEST_PROTOCOL)
    return path


def _read_part(path: str) -> _Part:
    with open(path, "rb") as f:
        part: _Part = pickle.load(f)
    os.unlink(path)
    return part


def _parts(items: Iterator[PendingCertificate], fmt: str, jobs: int) -> Iterator[_Part]:
    """The audited input, slice by slice, in input order.

    With ``jobs`` > 1 the parent splits the whole input first (a small part of the work). Where
    workers can be forked, it then audits the first share of the certificates itself while
    ``jobs - 1`` workers audit the rest: the parent is one of the ``jobs`` processes rather
    than a dispatcher beside them. (Feeding every certificate through a pipe from a thread
    that split the input while other threads read the results cost the parent as much CPU as
    it saved, and the workers waited on it.)
    """
    head = list(itertools.islice(items, _PARALLEL_MIN))
    if jobs == 1 or len(head) < _PARALLEL_MIN:
        for piece in _batched(itertools.chain(head, items), _SLICE):
            yield _audit_part(piece, fmt)
        return
    import multiprocessing  # only here: importing it costs every run a noticeable start-up

    global _INHERITED
    every = head + list(items)
    del head
    if "fork" not in multiprocessing.get_all_start_methods():
        tasks = [
            ([item.as_tuple() for item in every[start : start + _SLICE]], fmt)
            for start in range(0, len(every), _SLICE)
        ]
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            yield from pool.imap(_audit_task, tasks)
        return
    # An equal share each: the parent's writing costs about what a worker's pickling does.
    own = len(every) // jobs
    slices = [
        (start, min(start + _SLICE, len(every)), fmt) for start in range(own, len(every), _SLICE)
    ]
    global _OUTPUT_DIR
    try:
        with tempfile.TemporaryDirectory(prefix="revlab-audit-") as _OUTPUT_DIR:
            _INHERITED = every
            # fork: a worker starts in a millisecond, with the modules loaded and the input
            # split.
            with multiprocessing.get_context("fork").Pool(jobs - 1) as pool:
                theirs = pool.imap(_audit_slice, slices)
                for piece in _batched(every[:own], _SLICE):
                    yield _audit_part(piece, fmt)
                for path in theirs:
                    yield _read_part(path)
    finally:
        _INHERITED, _OUTPUT_DIR = [], ""


def _batched(items: Iterable[PendingCertificate], size: int) -> Iterator[list[PendingCertificate]]:
    iterator = iter(items)
    while piece := list(itertools.islice(iterator, size)):
        yield piece


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    # Auditing creates objects by the hundred thousand and frees them by reference counting;
    # the cyclic collector finds no garbage among them but rescans them all, again and again
    # (it cost more than the parsing). Paused for the run, restored after (tests call main()).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _inputs(paths: list[str]) -> tuple[list[Iterator[PendingCertificate]], int]:
    """The certificates of each input file, not split yet, and how many files were skipped.

    Every file is read and judged here, before any output: a named file of no supported
    format is an error (exit 2), one found in a folder a warning.
    """
    inputs = []
    skipped = 0
    for file, named in expand_paths(paths):
        data = read_file(file)
        try:
            inputs.append(pending_certificates(data, str(file)))
        except LoadError as exc:
            if named:
                raise
            skipped += 1
            print(f"revlab audit: warning: skipped {exc}", file=sys.stderr)
    return inputs, skipped


def run(args: argparse.Namespace) -> int:
    """Audit the files and print the findings."""
    with _gc_paused():
        inputs, skipped = _inputs(args.paths)
        items = itertools.chain.from_iterable(inputs)
        first = next(items, None)
        if first is None:
            raise CliError(
                f"no certificate found in {', '.join(args.paths)}"
                f" ({skipped} file(s) skipped: no supported format)"
            )
        items = itertools.chain([first], items)
        if args.siblings:
            return _run_siblings(list(items), args.format, skipped)
        return _exit_code(_write(items, args, skipped))


def _write(items: Iterator[PendingCertificate], args: argparse.Namespace, skipped: int) -> _Part:
    out = sys.stdout
    total = _Part()
    progress = _progress(sys.stderr.isatty() and not args.no_progress)
    first = True
    if args.format == "csv":
        csv.writer(out, lineterminator="\n").writerow(_CSV_HEADER)
    elif args.format == "json":
        out.write("[\n")
    for part in _parts(items, args.format, args.jobs):
        if args.format == "json" and part.text:
            out.write(part.text if first else ",\n" + part.text)
            first = False
        elif args.format == "csv":
            out.write(part.text)
        total.add(part)
        progress(part.certificates, False)
    progress(0, True)
    if args.format == "json":
        out.write("\n]\n")
    elif args.format == "table":
        write_table(_TABLE_HEADER, total.rows)
        _print_summary(total, skipped)
    return total


def _progress(show: bool) -> Callable[[int, bool], None]:
    """A progress callback: ``(certificates done, close)``; silent when not shown."""
    if not show:
        return lambda n, close: None
    from tqdm import tqdm  # only for a terminal: importing it costs a noticeable start-up

    bar = tqdm(desc="auditing", unit=" cert", file=sys.stderr, leave=False)

    def update(n: int, close: bool) -> None:
        bar.update(n)
        if close:
            bar.close()

    return update


def _print_summary(total: _Part, skipped: int) -> None:
    skipped_text = f", {skipped} file(s) skipped (no certificates)" if skipped else ""
    print(
        f"\n{total.certificates} certificate(s): {total.worst[Severity.FATAL]} unparseable, "
        f"{total.worst[Severity.ERROR]} with errors, "
        f"{total.ocsp_cas} CA(s) with OCSPSigning{skipped_text}."
    )


def _run_siblings(items: list[PendingCertificate], fmt: str, skipped: int) -> int:
    # The blast radius groups certificates of the whole input by issuer key: one process.
    records = [item.load() for item in items]
    results = [audit(r) for r in records]
    part = _render_part(results, fmt)
    if fmt == "json":
        payload = {
            "certificates": [result_json(res) for res in results],
            "siblings": _siblings_json(records),
        }
        write_json(payload)
    elif fmt == "csv":
        sys.stdout.write(",".join(_CSV_HEADER) + "\n" + part.text)
    else:
        write_table(_TABLE_HEADER, part.rows)
        _print_summary(part, skipped)
        print("\nBlast radius of each dangerous responder (certificates it can vouch for):")
        for e in sibling_exposure(records):
            print(f"  {len(e.covered):4d}  {e.responder.subject}")
    return _exit_code(part)


def _exit_code(total: _Part) -> int:
    return 1 if total.worst[Severity.ERROR] or total.worst[Severity.FATAL] else 0


def _siblings_json(records: list[CertRecord]) -> list[dict[str, Any]]:
    return [
        {
            "responder": {"sha256": e.responder.sha256, "subject": e.responder.subject},
            "issuer_key": e.issuer_key,
            "covered": [{"sha256": c.sha256, "subject": c.subject} for c in e.covered],
        }
        for e in sibling_exposure(records)
    ]
