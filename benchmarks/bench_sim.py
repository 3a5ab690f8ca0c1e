"""Benchmarks of the mass-revocation simulator (issue 4). Prints its figures; not a test.

Run: .venv/bin/python benchmarks/bench_sim.py [--large-n 10000000]

1. 10 million certificates over a 730-day daily timeline (target <= 5 s, <= 2 GB peak RSS).
2. Lesson scale, 100,000 certificates: median of 20 runs (target <= 100 ms).
3. Whole-WebPKI scale, 1 billion certificates, cohort mode (target <= 2 s), and the largest gap
   between its curves and the per-certificate run of step 1 (target <= 1 percentage point).
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import time

from sim.incident import ocsp_eku_2020, simulate


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    """Run the three benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large-n", type=int, default=10_000_000)
    args = parser.parse_args()
    scenario = dataclasses.replace(ocsp_eku_2020(), days=730)
    simulate(scenario, n=1_000, seed=0)  # warm caches (CSV parsing, imports)

    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    large = simulate(scenario, n=args.large_n, seed=1)
    large_s = time.perf_counter() - t0
    print(f"per-certificate: n={args.large_n:,} days=730: {large_s:.2f} s "
          f"(target <= 5 s); peak RSS {_peak_rss_mb():,.0f} MB (before: {rss_before:,.0f} MB; "
          f"target <= 2048 MB)")  # fmt: skip

    lesson = ocsp_eku_2020()
    times = []
    for k in range(20):
        t0 = time.perf_counter()
        simulate(lesson, n=100_000, seed=k)
        times.append(time.perf_counter() - t0)
    median_ms = 1000 * statistics.median(times)
    spread = f"min {1000 * min(times):.1f}, max {1000 * max(times):.1f}"
    print(f"lesson scale: n=100,000 days=365: median of 20 runs {median_ms:.1f} ms "
          f"({spread}; target <= 100 ms)")  # fmt: skip

    t0 = time.perf_counter()
    simulate(scenario, n=1_000_000_000, seed=1, mode="cohort")
    cohort_s = time.perf_counter() - t0
    print(f"cohort: n=1,000,000,000 days=730: {cohort_s:.3f} s (target <= 2 s)")
    same_n = simulate(scenario, n=args.large_n, seed=1, mode="cohort")
    gap = (large.fractions() - same_n.fractions()).abs().to_numpy().max()
    print(f"cohort vs per-certificate at n={args.large_n:,}: largest gap "
          f"{100 * gap:.3f} percentage points (target <= 1)")  # fmt: skip


if __name__ == "__main__":
    main()
