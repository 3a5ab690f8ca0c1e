"""``revlab responders [REPORT]``: valid CA certificates that can forge OCSP answers today.

Reads a CCADB ``AllCertificatePEMsCSVFormat`` report (plain or gzipped; the default is the
small real extract that ships with the package) and lists every CA certificate valid at
``--now`` that carries id-kp-OCSPSigning, with its sibling blast radius and whether it was on
the July 2020 list.
"""

from __future__ import annotations

import argparse
import gzip
import zlib
from importlib import resources
from pathlib import Path

from revlab import CliError
from revlab._output import add_format_argument, write_csv, write_json, write_table
from revlab.ocsp import _parse_now
from sim.loader import load_ccadb_csv
from sim.registry import shipped_registry
from sim.responders import DangerousResponder, by_issuer_organization, dangerous_responders

__all__ = ["HELP", "NAME", "SHIPPED_EXTRACT", "add_arguments", "read_report", "run"]

NAME = "responders"
HELP = "list valid CA certificates carrying OCSPSigning in a CCADB report (today's exposure)"

#: The shipped extract of CCADB's report (snapshot 2026-08-21; sim/data/ccadb/README.md).
SHIPPED_EXTRACT = "responders_extract.csv.gz"
# A CCADB report is about 20 MB; refuse a gzip bomb long before memory runs out.
_MAX_REPORT_BYTES = 512 * 1024 * 1024

_COLUMNS = ("sha256", "subject", "issuer", "not_after", "on_2020_list", "siblings", "error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``revlab responders``."""
    parser.add_argument(
        "report", nargs="?", type=Path, metavar="REPORT",
        help="CCADB AllCertificatePEMsCSVFormat report, .csv or .csv.gz (default: the shipped "
        "extract of the 2026-08-21 snapshot)",
    )  # fmt: skip
    parser.add_argument(
        "--now",
        help="ISO 8601 time with zone: which certificates are within their validity "
        "(default: the current time)",
    )
    add_format_argument(parser)


def read_report(path: Path | None) -> str:
    """The report's text: ``path`` (plain or gzipped) or the shipped extract.

    Raises:
        CliError: the file is not UTF-8 text or is a broken or oversized gzip file.
        OSError: the file cannot be read (it names the path).
    """
    if path is None:
        data = resources.files("sim").joinpath("data", "ccadb", SHIPPED_EXTRACT).read_bytes()
    else:
        data = path.read_bytes()
    where = "the shipped extract" if path is None else str(path)
    if data[:2] == b"\x1f\x8b":
        try:
            inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            data = inflater.decompress(data, _MAX_REPORT_BYTES)
        except (zlib.error, EOFError, gzip.BadGzipFile) as exc:
            raise CliError(f"{where}: not a readable gzip file ({exc})") from None
        if inflater.unconsumed_tail:
            raise CliError(f"{where}: more than {_MAX_REPORT_BYTES >> 20} MiB once unzipped")
        if not inflater.eof:
            raise CliError(f"{where}: the gzip file is truncated")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{where}: not UTF-8 text (expected CCADB's CSV report)") from None


def _row(r: DangerousResponder) -> tuple[str, ...]:
    return (r.sha256, r.subject or f"(unparseable: {r.error})", r.issuer,
            r.not_after.date().isoformat(), "yes" if r.on_2020_list else "no",
            "?" if r.siblings is None else str(r.siblings), r.error or "")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """List the responders; exit 0 (the list is information, not a verdict on the input)."""
    now = _parse_now(args.now)
    text = read_report(args.report)
    records = load_ccadb_csv(text, str(args.report or SHIPPED_EXTRACT))
    if not records:
        raise CliError("the report holds no certificate (expected CCADB's CSV report)")
    listed = {e.sha256 for e in shipped_registry().entries}
    found = dangerous_responders(records, now=now, listed=listed)
    if args.format == "json":
        write_json([r.to_json() for r in found])
    elif args.format == "csv":
        write_csv(_COLUMNS, (_row(r) for r in found))
    else:
        write_table(("sha256", "subject", "not_after", "2020 list", "siblings"),
                    ((row[0][:16], row[1][:70], *row[3:6]) for row in map(_row, found)))
        fresh = sum(not r.on_2020_list for r in found)
        print(f"\n{len(found)} CA certificates valid at {now.date()} carry OCSPSigning "
              f"({fresh} not on the 2020 list), out of {len(records)} certificates read.")
        for org, total, new in by_issuer_organization(found)[:10]:
            print(f"  {total:4d}  ({new} not on the 2020 list)  issued by {org}")
        print("Valid means inside its validity period: CCADB's report carries no revocation "
              "status. Siblings are counted within this report.")
    return 0
