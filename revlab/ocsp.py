"""``revlab ocsp``: the 2020 OCSP forgery as files that ``openssl ocsp`` checks.

``revlab ocsp demo --out DIR [--now ISO] [--seed N]`` writes the certificates (PEM), the
forged and genuine responses (DER) and a README.txt with the exact ``openssl ocsp`` commands
and the outcome each gives.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from revlab import CliError
from sim.ocsp_demo import write_demo

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "ocsp"
HELP = "forge and verify OCSP responses: the 2020 delegated-responder case"

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``demo`` and its options."""
    sub = parser.add_subparsers(dest="ocsp_command", required=True, metavar="ACTION")
    demo = sub.add_parser(
        "demo",
        help="write the 2020 forgeries, the fix and a README with openssl commands",
        description="Write root/ICA-A/ICA-B certificates, ICA-A's forged 'good' answers, the "
        "same forgery without the EKU, and the fixed hierarchy's genuine answer.",
    )
    demo.add_argument("--out", required=True, type=Path, help="directory to write (created)")
    demo.add_argument(
        "--now",
        help="ISO 8601 time with zone for notBefore and thisUpdate (default: the current time)",
    )
    demo.add_argument("--seed", type=int, default=0, help="key and serial seed (default 0)")


def _parse_now(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"--now: {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise CliError(f"--now: {value!r} has no time zone; add one, e.g. +00:00")
    return when


def run(args: argparse.Namespace) -> int:
    """Run ``revlab ocsp ACTION``."""
    if args.ocsp_command == "demo":
        now = _parse_now(args.now)
        paths = write_demo(args.out, now=now, seed=args.seed)
        print(f"wrote {len(paths)} files to {args.out}; see {args.out / 'README.txt'}")
        return 0
    raise CliError(f"unknown action {args.ocsp_command!r}")  # pragma: no cover (argparse)
