"""``revlab audit PATH...``: what is dangerous about each certificate.

Reads PEM bundles, DER files and CCADB CSV reports (or directories of them). Exit 0 when no
certificate has an ERROR or FATAL finding, 1 when one has, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from revlab import CliError
from revlab._output import add_format_argument, write_csv, write_json, write_table
from sim.audit import AuditResult, Severity, audit, sibling_exposure
from sim.loader import CertRecord, LoadError, load_paths

NAME = "audit"
HELP = "audit certificates (PEM, DER, CCADB CSV) for dangerous OCSP and lifetime settings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revlab audit``."""
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="PEM, DER or CCADB CSV files or folders"
    )
    add_format_argument(parser)
    parser.add_argument(
        "--siblings",
        action="store_true",
        help="also list, for each CA certificate with OCSPSigning, the siblings it can vouch for",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def _records(paths: list[str], progress: bool) -> Iterator[CertRecord]:
    bar = tqdm(desc="auditing", unit=" cert", disable=not progress, file=sys.stderr, leave=False)
    try:
        for record in load_paths(paths):
            bar.update()
            yield record
    finally:
        bar.close()


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


def run(args: argparse.Namespace) -> int:
    """Audit the files and print the findings."""
    progress = sys.stderr.isatty() and not args.no_progress
    try:
        records = list(_records(args.paths, progress))
    except LoadError as exc:
        raise CliError(str(exc)) from None
    results = [audit(r) for r in records]
    if args.format == "json":
        payload: Any = [result_json(res) for res in results]
        if args.siblings:
            payload = {"certificates": payload, "siblings": _siblings_json(records)}
        write_json(payload)
    elif args.format == "csv":
        rows = []
        for res in results:
            r = res.record
            if not res.findings:
                rows.append([r.source, r.sha256, r.subject, "", "", ""])
            for f in res.findings:
                rows.append([r.source, r.sha256, r.subject, f.code, f.severity.name, f.message])
        write_csv(["source", "sha256", "subject", "code", "severity", "message"], rows)
    else:
        _print_table(results, siblings=args.siblings)
    bad = any((res.worst or 0) >= Severity.ERROR for res in results)
    return 1 if bad else 0


def _siblings_json(records: list[CertRecord]) -> list[dict[str, Any]]:
    return [
        {
            "responder": {"sha256": e.responder.sha256, "subject": e.responder.subject},
            "issuer_key": e.issuer_key,
            "covered": [{"sha256": c.sha256, "subject": c.subject} for c in e.covered],
        }
        for e in sibling_exposure(records)
    ]


def _print_table(results: list[AuditResult], *, siblings: bool) -> None:
    rows = []
    for res in results:
        r = res.record
        subject = r.subject if len(r.subject) <= 60 else r.subject[:57] + "..."
        codes = ", ".join(f.code for f in res.findings if f.severity >= Severity.WARNING)
        rows.append([(r.sha256 or "-")[:16], res.worst.name if res.worst else "ok", subject, codes])
    write_table(["sha256", "worst", "subject", "findings"], rows)
    counts = {s: sum(1 for res in results if res.worst == s) for s in Severity}
    print(
        f"\n{len(results)} certificate(s): {counts[Severity.FATAL]} unparseable, "
        f"{counts[Severity.ERROR]} with errors, "
        f"{sum(1 for res in results if 'ca.ocsp_signing_eku' in res.codes)} CA(s) with OCSPSigning."
    )
    if siblings:
        print("\nBlast radius of each dangerous responder (certificates it can vouch for):")
        for e in sibling_exposure([res.record for res in results]):
            print(f"  {len(e.covered):4d}  {e.responder.subject}")
