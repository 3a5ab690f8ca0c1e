"""``revlab calibrate``: observed against modelled fractions of real mass revocations."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sim.calibration import fit_all

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "calibrate"
HELP = "fit owner-response parameters to real mass revocations; print observed vs modelled"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's options."""
    parser.add_argument("--format", choices=("table", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit code."""
    rows: list[dict[str, Any]] = []
    for f in fit_all():
        o = f.observation
        rows.append(
            {
                "event": o.event,
                "metric": o.metric,
                "kind": f.kind,
                "observed_day": o.observed_day,
                "approximate_day": o.approximate,
                "observed_fraction": o.observed_fraction,
                "modelled_fraction": round(f.modelled_fraction, 6),
                "segment": f.segment,
                "median_days": None if f.median_days is None else round(f.median_days, 3),
                "sigma": f.sigma,
                "never_fraction": f.never_fraction,
                "revoke_share": None if f.revoke_share is None else round(f.revoke_share, 4),
                "source": o.source,
            }
        )
    if args.format == "json":
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'event':<30} {'metric':<33} {'kind':<8} {'day':>6} {'observed':>9} "
          f"{'modelled':>9} {'median d':>9}")  # fmt: skip
    for r in rows:
        day = ("~" if r["approximate_day"] else "") + f"{r['observed_day']:g}"
        median = "-" if r["median_days"] is None else f"{r['median_days']:.1f}"
        fractions = f"{r['observed_fraction']:>9.3f} {r['modelled_fraction']:>9.3f}"
        print(f"{r['event']:<30} {r['metric']:<33} {r['kind']:<8} {day:>6} {fractions} {median:>9}")
    print("kind 'schedule': a fact of the revocation schedule, reproduced by it, not fitted.")
    return 0
