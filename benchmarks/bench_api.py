"""Benchmark the API under gunicorn (2 workers) with wrk, 32 connections, on loopback.

Prints requests/s, p99 latency and errors for ``GET /healthz``, ``POST /v1/chain`` (a
3-certificate chain) and a cached ``GET /v1/hosts/<host>``, and checks the issue's targets:
each at least 70% of healthz's requests/s, p99 at most 25 ms, zero errors. Exit 1 if missed.

Needs Debian's ``wrk`` (``apt-get install -y wrk``).
Run: ``.venv/bin/python benchmarks/bench_api.py``
(options: ``--duration 6 --rounds 3 --connections 32 --threads 2``; the figures are medians
over rounds in which the three endpoints take turns).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extension_api.demo import serve_chain  # noqa: E402
from sim.pki import build_hierarchy  # noqa: E402

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


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


def main() -> int:
    """Run the benchmark; returns 0 when every target is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rate-limit",
        default="",
        help="REVLAB_RATE_LIMIT for the run, e.g. 10000000/minute to measure the limiter's cost "
        "(default: off, since one client makes all the load)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    pki = build_hierarchy({"name": "bench", "certificates": [
        {"name": "root", "kind": "root"},
        {"name": "ica", "kind": "intermediate", "issuer": "root"},
        {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["localhost"]},
    ]}, now=now, seed=1)
    chain = [c.pem.decode() for c in pki.chain("leaf")]
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        port = _free_port()
        env = {**os.environ, "REVLAB_DATA_DIR": str(tmp / "data"),
               "REVLAB_ALLOW_HOSTS": "127.0.0.1", "REVLAB_ALLOWED_PORTS": "1-65535",
               "REVLAB_RATE_LIMIT": args.rate_limit, "REVLAB_HOSTS_RATE_LIMIT": args.rate_limit}
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from revlab import main; sys.exit(main())",
             "serve", "--port", str(port), "--workers", str(args.workers)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if _get(port, "/healthz") == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
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
                for _ in range(4):  # fill the cache (both workers read the same table)
                    assert _get(port, host_path) == 200
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
                rounds.append({n: _wrk(url, args, lua) for n, (url, lua) in targets.items()})
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
    ok = True
    print(f"gunicorn {args.workers} workers, wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s, median of {args.rounds} rounds, {os.cpu_count()} CPUs "
          f"(rate limit: {args.rate_limit or 'off, one client makes all the load'})")
    print(f"{'endpoint':28} {'req/s':>9} {'vs healthz':>10} {'p99 ms':>7} {'errors':>6}")
    for name in targets:
        rps = statistics.median(r[name]["rps"] for r in rounds)
        ratio = statistics.median(r[name]["rps"] / r["GET /healthz"]["rps"] for r in rounds)
        p99 = statistics.median(r[name]["p99_ms"] for r in rounds)
        errors = sum(r[name]["errors"] for r in rounds)
        print(f"{name:28} {rps:9.0f} {ratio:10.0%} {p99:7.2f} {errors:6.0f}")
        if name != "GET /healthz":
            ok &= ratio >= 0.70 and p99 <= 25 and errors == 0
    print("targets (>=70% of healthz, p99 <= 25 ms, 0 errors):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
