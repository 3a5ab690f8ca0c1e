"""Benchmark the API as deployed, with wrk, 32 connections, on loopback, rate limits ON.

Two deployments, each started with ``revlab serve`` on the SQLite file:

- ``embedded``: what ``make run`` starts: one gevent worker, limits counted exactly in the
  worker's memory;
- ``redis``: a deployment for many users: ``--workers 2``, limits counted in a shared Redis
  (a throwaway ``redis-server`` on a Unix socket), as several workers or instances must count
  them.

The limits are set high enough that the benchmark's single client is never refused, so each
request pays the full cost of counting. For each deployment it prints requests/s, p99 latency,
errors and the CPU the server used per request (gunicorn's processes and the redis-server;
compare with ``--no-limits`` for what counting costs) for ``GET /healthz`` (not limited),
``POST /v1/chain`` (a 3-certificate chain) and a cached ``GET /v1/hosts/<host>``, and checks
the targets set for ``POST /v1/chain``: at least 70% of healthz's requests/s and p99 at most
25 ms; and zero errors on every endpoint.
Exit 1 if one is missed. The load generator shares the machine's CPUs with the server.

Needs Debian's ``wrk`` and ``redis-server``.
Run: ``.venv/bin/python benchmarks/bench_api.py``
(options: ``--deployment embedded|redis|both`` (default both), ``--duration 6 --rounds 3
--connections 32 --threads 2``, ``--no-limits`` to measure without limits; the figures are
medians over rounds in which the endpoints take turns).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extension_api.demo import serve_chain  # noqa: E402
from sim.pki import build_hierarchy  # noqa: E402
from tests.servers import child_pids, http_get, redis_server, revlab_serve  # noqa: E402

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
#: The endpoint the targets are set for (the cached host check is measured for information).
TARGETED = "POST /v1/chain (3 certs)"
#: Limits on, high enough that one benchmarking client is never refused.
BENCH_LIMIT = "100000000/minute"


def _wrk(url: str, args: argparse.Namespace, script: Path | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections),
           "-d", f"{args.duration}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_value, p99_unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p99_ms": float(p99_value) * _UNITS[p99_unit], "errors": errors,
            "requests": total}


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used so far (from /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _server_pids(master: int, redis_socket: str | None) -> list[int]:
    """The gunicorn master, its workers, and the redis-server listening on ``redis_socket``."""
    pids = [master, *child_pids(master)]
    if redis_socket is not None:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and redis_socket in (entry / "cmdline").read_text():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def main() -> int:
    """Run the benchmark; returns 0 when every target is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-limits", action="store_true",
                        help="rate limits off (default: on)")
    parser.add_argument("--deployment", choices=("embedded", "redis", "both"), default="both",
                        help="embedded: what `make run` starts (one worker, limits in its "
                        "memory); redis: --workers N with limits in a shared Redis")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="workers of the redis deployment")
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install -y {tool})", file=sys.stderr)
            return 2
    deployments = ["embedded", "redis"] if args.deployment == "both" else [args.deployment]
    ok = True
    for deployment in deployments:
        ok &= _measure(deployment, args)
    return 0 if ok else 1


def _measure(deployment: str, args: argparse.Namespace) -> bool:
    """Start ``deployment``, measure its endpoints, print the table; True if targets are met."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    pki = build_hierarchy({"name": "bench", "certificates": [
        {"name": "root", "kind": "root"},
        {"name": "ica", "kind": "intermediate", "issuer": "root"},
        {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["localhost"]},
    ]}, now=now, seed=1)
    chain = [c.pem.decode() for c in pki.chain("leaf")]
    workers = 1 if deployment == "embedded" else args.workers
    with tempfile.TemporaryDirectory() as tmp_text, ExitStack() as stack:
        tmp = Path(tmp_text)
        limit = "" if args.no_limits else BENCH_LIMIT
        env = {"REVLAB_RATE_LIMIT": limit, "REVLAB_HOSTS_RATE_LIMIT": limit}
        if deployment == "redis" and not args.no_limits:
            # Workers of one host reach their Redis over a Unix socket (docs/api.md).
            env["REVLAB_RATELIMIT_STORAGE_URI"] = stack.enter_context(
                redis_server(unix_socket=True)
            )
        port, served = stack.enter_context(
            revlab_serve(tmp / "data", ["--workers", str(workers)], env)
        )
        store = env.get("REVLAB_RATELIMIT_STORAGE_URI")
        pids = _server_pids(served.pid, store.removeprefix("redis+unix://") if store else None)
        script = tmp / "chain.lua"
        body = json.dumps({"chain": chain})
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
        )
        with serve_chain([pki["leaf"].pem, pki["ica"].pem, pki["root"].pem],
                         pki["leaf"].key_pem()) as site:
            host_path = f"/v1/hosts/127.0.0.1?port={site.port}"
            for _ in range(4):  # fill the cache (every worker reads the same table)
                assert http_get(port, host_path)[0] == 200
        base = f"http://127.0.0.1:{port}"
        targets = {
            "GET /healthz": (f"{base}/healthz", None),
            "POST /v1/chain (3 certs)": (f"{base}/v1/chain", script),
            "GET /v1/hosts (cached)": (f"{base}{host_path}", None),
        }
        # Rounds with the endpoints in turn: the machine's noise falls on all of them
        # alike, and each ratio is taken within one round.
        rounds: list[dict[str, dict[str, float]]] = []
        for _ in range(args.rounds):
            measured = {}
            for name, (url, lua) in targets.items():
                before = _cpu_seconds(pids)
                measured[name] = _wrk(url, args, lua)
                measured[name]["cpu_us"] = ((_cpu_seconds(pids) - before)
                                            / measured[name]["requests"] * 1e6)
            rounds.append(measured)
    ok = True
    limits_text = "off" if args.no_limits else f"on, {BENCH_LIMIT} " + (
        "in the worker's memory" if deployment == "embedded" else "in Redis (Unix socket)"
    )
    print(f"\n{deployment}: revlab serve --workers {workers} (gevent), wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s, median of {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs (rate limits: {limits_text})")
    print(f"{'endpoint':28} {'req/s':>9} {'vs healthz':>10} {'p99 ms':>7} {'errors':>6} "
          f"{'CPU µs/req':>10}")
    for name in targets:
        rps = statistics.median(r[name]["rps"] for r in rounds)
        ratio = statistics.median(r[name]["rps"] / r["GET /healthz"]["rps"] for r in rounds)
        p99 = statistics.median(r[name]["p99_ms"] for r in rounds)
        errors = sum(r[name]["errors"] for r in rounds)
        cpu = statistics.median(r[name]["cpu_us"] for r in rounds)
        print(f"{name:28} {rps:9.0f} {ratio:10.0%} {p99:7.2f} {errors:6.0f} {cpu:10.0f}")
        ok &= errors == 0
        if name == TARGETED:
            ok &= ratio >= 0.70 and p99 <= 25
    print(f"{deployment}: targets ({TARGETED} >= 70% of healthz's requests/s and p99 <= 25 "
          "ms; no errors anywhere):", "met" if ok else "MISSED", flush=True)
    return ok


if __name__ == "__main__":
    sys.exit(main())
