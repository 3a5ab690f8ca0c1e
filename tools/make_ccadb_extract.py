"""Write the small real CCADB extract that ships for ``revlab responders`` and lesson 8.

Usage: ``python tools/make_ccadb_extract.py CCADB.csv --now 2026-11-01T00:00:00+00:00``

Keeps, verbatim and in report order, the rows of a CCADB ``AllCertificatePEMsCSVFormat`` report
that `sim.responders.dangerous_responders` finds at ``now`` (valid CA certificates with
OCSPSigning), every CA certificate with OCSPSigning that `cryptography` refuses, and every
certificate sharing an issuer key with one of those (so sibling counts in the extract equal
those in the full report). Writes ``sim/data/ccadb/responders_extract.csv.gz``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
from pathlib import Path

from sim.audit import sibling_exposure
from sim.loader import load_ccadb_csv
from sim.registry import shipped_registry
from sim.responders import dangerous_responders

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "sim" / "data" / "ccadb" / "responders_extract.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--now", required=True, type=dt.datetime.fromisoformat)
    args = parser.parse_args()
    text = args.report.read_text(encoding="utf-8")
    records = load_ccadb_csv(text, str(args.report))
    listed = {e.sha256 for e in shipped_registry().entries}
    found = dangerous_responders(records, now=args.now, listed=listed)
    keep = {r.sha256 for r in found}
    keep |= {r.sha256 for r in records if r.sha256 and not r.ok and r.is_ca and r.has_ocsp_signing}
    for exposure in sibling_exposure(records):
        if exposure.responder.sha256 in keep:
            keep |= {c.sha256 for c in exposure.covered if c.sha256}
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    kept = [row for row in rows[1:] if row and row[0].lower() in keep]
    writer.writerows(kept)
    # mtime=0: the same input gives the same bytes.
    OUT.write_bytes(gzip.compress(out.getvalue().encode(), compresslevel=9, mtime=0))
    print(f"wrote {OUT} with {len(kept)} rows ({len(found)} responders valid at {args.now})")


if __name__ == "__main__":
    main()
