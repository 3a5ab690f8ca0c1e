"""``revlab calibrate``: observed against modelled fractions of real mass revocations."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sim.holdout import held_out, mean_abs_error

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "calibrate"
HELP = (
    "fit owner-response parameters to real mass revocations; print observed, fitted and "
    "predicted (leave one event out)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's options."""
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit code."""
    rows: list[dict[str, Any]] = []
    checks = held_out()
    for h in checks:
        f, o = h.fit, h.fit.observation
        rows.append(
            {
                "event": o.event,
                "metric": o.metric,
                "kind": f.kind,
                "role": h.role,
                "observed_day": o.observed_day,
                "approximate_day": o.approximate,
                "observed_fraction": o.observed_fraction,
                "modelled_fraction": round(f.modelled_fraction, 6),
                "heldout_fraction": _round(h.fraction, 6),
                "heldout_from": list(h.from_events),
                "heldout_median_days": _round(h.median_days, 3),
                "segment": f.segment,
                "median_days": _round(f.median_days, 3),
                "sigma": f.sigma,
                "never_fraction": f.never_fraction,
                "revoke_share": _round(f.revoke_share, 4),
                "source": o.source,
            }
        )
    if args.format == "json":
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'event':<28} {'metric':<25} {'role':<6} {'day':>4} {'observed':>9} "
          f"{'fitted':>7} {'predicted':>10} {'median d':>9}")  # fmt: skip
    for r in rows:
        day = ("~" if r["approximate_day"] else "") + f"{r['observed_day']:g}"
        median = "-" if r["median_days"] is None else f"{r['median_days']:.1f}"
        held = "-" if r["heldout_fraction"] is None else f"{r['heldout_fraction']:.3f}"
        fractions = f"{r['observed_fraction']:>9.3f} {r['modelled_fraction']:>7.3f} {held:>10}"
        print(f"{r['event']:<28} {r['metric']:<25} {r['role']:<6} {day:>4} {fractions} "
              f"{median:>9}")  # fmt: skip
    error = mean_abs_error(checks)
    print("fitted: one parameter per event, so it matches the observation by construction.")
    print("predicted: from the other events of the same owner segment (leave one event out);")
    print("  '-': no other event of the segment measures it. " + (
        "Mean |predicted - observed|: " + f"{error:.3f} (the model's honest error)."
        if error is not None else "No row has a prediction."))  # fmt: skip
    print("role 'input': a fact of the 2020 revocation schedule, given to the model, not a check.")
    return 0
