"""``revlab simulate``: run a mass-revocation scenario and print its timeline and blast radius."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from revlab import CliError
from sim.blast import blast_radius
from sim.incident import STATES, max_certificates, simulate
from sim.population import PopulationMode
from sim.scenarios import build_scenario, scenario_names

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "simulate"
HELP = "simulate a mass revocation: daily timeline and blast radius"

_TABLE_DAYS = (0, 1, 7, 14, 30, 60, 90, 180, 204, 214, 257, 365, 400, 730)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's options."""
    parser.add_argument("--scenario", help="scenario name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V",
        help="scenario parameter: days, ari, revoke_day, automated_median, manual_median, "
        "manual_never; for ocsp-eku-2020 also schedule (staged|br) and cas (comma-separated)",
    )  # fmt: skip
    parser.add_argument(
        "--n", type=int, default=100_000,
        help="certificates (default 100000); per-certificate mode refuses an n that does not "
        "fit in the available memory (about 80 bytes each)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--mode", choices=[m.value for m in PopulationMode], default=PopulationMode.CERTIFICATES,
        help="certificates: draw each one (default); cohort: expected counts in closed form, "
        "any n at the same cost",
    )  # fmt: skip
    parser.add_argument(
        "--blast-day", type=int, default=None,
        help="day of the blast-radius summary (default: the 7-day deadline of BR 1.7.0 §4.9.1.2)",
    )  # fmt: skip
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")


def _params(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--param must look like key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _available_memory() -> int:
    """Bytes this process may still allocate: MemAvailable, capped by a cgroup v2 limit."""
    available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    cgroup = Path("/sys/fs/cgroup")
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            used = int((cgroup / "memory.current").read_text())
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(0, available)


def _check_fits(n: int) -> None:
    """Refuse, before drawing anything, an ``n`` whose per-certificate run cannot fit."""
    available = _available_memory()
    largest = max_certificates(available)
    if n > largest:
        raise CliError(
            f"--n {n:,} does not fit in per-certificate mode: {available / 2**30:.1f} GiB "
            f"available holds at most --n {largest:,}; use --mode cohort for expected counts "
            "at any n"
        )


def _day(value: float) -> float | None:
    return None if math.isinf(value) else value


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit code."""
    if args.list:
        for name in scenario_names():
            print(name)
        return 0
    if not args.scenario:
        raise CliError("--scenario is required (see --list)")
    scenario = build_scenario(args.scenario, _params(args.param))
    if args.mode == PopulationMode.CERTIFICATES and args.n >= 1:
        _check_fits(args.n)
    try:
        timeline = simulate(scenario, n=args.n, seed=args.seed, mode=args.mode)
    except MemoryError:
        # Memory other processes took between the check and the run.
        raise CliError(
            f"--n {args.n:,} ran out of memory; use a smaller --n or --mode cohort"
        ) from None
    day = min(7, timeline.days - 1) if args.blast_day is None else args.blast_day
    blast = blast_radius(timeline, day)
    frame = timeline.overall
    values = frame[list(STATES)].to_numpy()
    dates = timeline.dates
    if args.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["day", "date", *STATES])
        for d, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            writer.writerow([d, dates[d].date().isoformat(), *(f"{v:.6g}" for v in row)])
        sys.stdout.write(buf.getvalue())
        return 0
    if args.format == "json":
        doc: dict[str, Any] = {
            "scenario": scenario.name,
            "description": scenario.description,
            "start": timeline.start.isoformat(),
            "n": args.n,
            "seed": args.seed,
            "mode": args.mode,
            "days": timeline.days,
            "total": timeline.total,
            "revocation_days": {k: _day(v) for k, v in timeline.revocation_days.items()},
            "timeline": [
                {"day": int(d), "date": dates[d].date().isoformat(),
                 **{s: float(values[d, k]) for k, s in enumerate(STATES)}}
                for d in frame.index
            ],
            "blast_radius": {
                "day": blast.day, "certificates": blast.certificates, "sites": blast.sites,
                "by_ca": dict(blast.by_ca),
            },
        }  # fmt: skip
        print(json.dumps(doc, indent=1))
        return 0
    print(f"scenario {scenario.name}: {scenario.description}")
    print(f"start {timeline.start.date()}  n={args.n}  mode={args.mode}  "
          f"affected certificates={timeline.total:,.0f} (simulated)")  # fmt: skip
    print("shares of the simulated population (model output, not measurements):")
    print(f"{'day':>5} {'date':>10}  " + "  ".join(f"{s:>10}" for s in STATES))
    total = timeline.total or 1.0
    for d in (d for d in _TABLE_DAYS if d < timeline.days):
        cells = "  ".join(f"{100 * v / total:9.1f}%" for v in values[d])
        print(f"{d:>5} {dates[d].date()}  {cells}")
    print(f"blast radius on day {blast.day} (simulated): {blast.certificates:,.0f} certificates "
          f"on {blast.sites:,.0f} sites still served under an affected intermediate")  # fmt: skip
    for ca, count in list(blast.by_ca.items())[:5]:
        print(f"  {ca:<45} {count:>12,.0f}")
    return 0
