"""OCSP speed: signing and verifying, and our responder against OpenSSL's, side by side.

Run: ``.venv/bin/python benchmarks/bench_ocsp.py [--duration 10] [--connections 20]``.

1. Responses signed and verified per second, ECDSA P-256 and RSA 2048 (``sim.ocsp``).
2. Responder throughput on loopback, in one run, same certificates, same request, same load
   generator (wrk, Debian package ``wrk``, with a Lua script POSTing the DER request):
   OpenSSL's responder (``openssl ocsp -index ... -rsigner ... -CA ...``; signs every answer
   in C, one process) and ours as a user runs it: ``revlab ocsp serve --workers 2`` (gunicorn's
   asyncio ``asgi`` worker, pre-signed answers).
   OpenSSL's responder answers HTTP/1.0 and closes each connection; gunicorn keeps
   connections alive: that is part of what each server does, so it is measured as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cryptography.x509 import ocsp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.ocsp import CertStatus, build_request, cert_id_for, sign_response  # noqa: E402
from sim.ocsp_scenario import build_incident_2020  # noqa: E402
from sim.ocsp_verify import verify_response  # noqa: E402
from sim.pki import build_hierarchy  # noqa: E402
from tests.servers import free_port, listening, running  # noqa: E402

GUNICORN_WORKERS = 2
OURS = "revlab ocsp serve"

# wrk probes each address with a connect-and-close before the run; OpenSSL 3.0's responder
# then spins on that empty connection and never answers anyone, so the probe is skipped.
_LUA = """
local f = io.open("{body}", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
function wrk.resolve(host, service)
   wrk.addrs = wrk.lookup(host, service)
end
"""


def _rate(fn: Callable[[], object], seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def bench_crypto(now: dt.datetime) -> None:
    print("Signing and verifying (one SingleResponse, SHA-256), per second:")
    for key in ("ec-p256", "rsa-2048"):
        h = build_hierarchy(
            {
                "certificates": [
                    {"name": "ca", "kind": "root", "key": key},
                    {"name": "leaf", "kind": "tls_server", "issuer": "ca"},
                ]
            },
            now=now,
        )
        ca, leaf = h["ca"], h["leaf"].certificate
        cert_id = cert_id_for(ca.certificate, leaf.serial_number)

        def sign(ca: object = ca, cert_id: object = cert_id) -> bytes:
            return sign_response(
                cert_id,  # type: ignore[arg-type]
                status=CertStatus.GOOD,
                signer_cert=ca.certificate,  # type: ignore[attr-defined]
                signer_key=ca.private_key,  # type: ignore[attr-defined]
                now=now,
            )

        der = sign()
        signed = _rate(sign)
        verified = _rate(
            lambda der=der, ca=ca, leaf=leaf: verify_response(
                der, issuer=ca.certificate, cert=leaf, now=now
            )
        )
        print(f"  {key:9s} signed {signed:8.0f}/s   verified {verified:8.0f}/s")


def _wrk(wrk: str, url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    return {"rps": rps, "requests": total, "errors": errors}


def _check_answer(url: str, request_der: bytes) -> None:
    """One request before the load: the server must answer "good", not just HTTP 200."""
    req = urllib.request.Request(
        url, data=request_der, headers={"Content-Type": "application/ocsp-request"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # loopback only
        answer = ocsp.load_der_ocsp_response(resp.read())
    if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL or (
        answer.certificate_status != ocsp.OCSPCertStatus.GOOD
    ):
        raise SystemExit(f"{url} did not answer 'good': {answer.response_status}")


def bench_responders(now: dt.datetime, duration: int, connections: int, rounds: int) -> int:
    wrk, openssl = shutil.which("wrk"), shutil.which("openssl")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    revlab = [sys.executable, "-c", "import sys; from revlab import main; sys.exit(main())"]
    if not wrk or not openssl or not gunicorn.exists():
        print("responder benchmark skipped: needs wrk (apt-get install wrk), openssl, gunicorn")
        return 0
    seed = 0
    scenario = build_incident_2020(now=now, seed=seed)
    h = scenario.hierarchy
    ica_b, leaf = h["ica_b"], h["leaf_good"].certificate
    with tempfile.TemporaryDirectory(prefix="revlab-bench-") as tmp:
        d = Path(tmp)
        (d / "ica_b.pem").write_bytes(ica_b.pem)
        (d / "ica_b.key").write_bytes(ica_b.key_pem())
        (d / "req.der").write_bytes(build_request(leaf, ica_b.certificate))
        (d / "post.lua").write_text(_LUA.format(body=d / "req.der"))
        rows = []
        for child in h.children("ica_b"):
            cert = child.certificate
            expiry = cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
            revoked = scenario.revocations.get(child.name)
            status, when = ("R", revoked.time.strftime("%y%m%d%H%M%SZ")) if revoked else ("V", "")
            subject = "/" + cert.subject.rfc4514_string()
            rows.append(f"{status}\t{expiry}\t{when}\t{cert.serial_number:X}\tunknown\t{subject}")
        (d / "index.txt").write_text("\n".join(rows) + "\n")

        env = dict(os.environ)
        commands: dict[str, tuple[list[str], Path]] = {
            "openssl ocsp": (
                [openssl, "ocsp", "-index", "index.txt", "-rsigner", "ica_b.pem",
                 "-rkey", "ica_b.key", "-CA", "ica_b.pem", "-nmin", "60", "-port"],
                d,
            ),
        }  # fmt: skip
        commands[OURS] = (
            [*revlab, "ocsp", "serve", "--workers", str(GUNICORN_WORKERS),
             "--now", now.isoformat(), "--seed", str(seed), "--port"],
            REPO,
        )  # fmt: skip
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        # Rounds in turn, so that the machine's noise falls on every server alike. Each run gets
        # a fresh server: OpenSSL's single-threaded responder can hang on a connection wrk
        # cut at the end of the previous run.
        for _ in range(rounds):
            for name, (argv, cwd) in commands.items():
                port = free_port()
                url = f"http://127.0.0.1:{port}/"
                # Ready once it listens (read from /proc): a probing connection is unsafe for
                # openssl (see _LUA).
                with running([*argv, str(port)], partial(listening, port), env=env, cwd=cwd):
                    time.sleep(0.5)  # every worker booted and pre-signed
                    _check_answer(url, (d / "req.der").read_bytes())
                    samples[name].append(_wrk(wrk, url, d / "post.lua", duration, connections))

    results = {
        name: {
            "rps": statistics.median(x["rps"] for x in runs),
            "requests": sum(x["requests"] for x in runs),
            "errors": sum(x["errors"] for x in runs),
        }
        for name, runs in samples.items()
    }
    ratios = [
        o["rps"] / t["rps"] for o, t in zip(samples[OURS], samples["openssl ocsp"], strict=True)
    ]
    size = len(build_request(leaf, ica_b.certificate))
    print(
        f"\nResponder throughput, median of {rounds} rounds of wrk -t2 -c{connections} "
        f"-d{duration}s, POST of one {size}-byte request, loopback, {os.cpu_count()} CPUs:"
    )
    for name, r in results.items():
        print(f"  {name:26s} {r['rps']:9.0f} req/s  {r['requests']:8.0f} requests  "
              f"{r['errors']:.0f} errors")  # fmt: skip
    ours = results[OURS]
    ratio = statistics.median(ratios)
    print(f"  ratio revlab/openssl, median of the rounds' ratios: {ratio:.2f} "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    ok = ratio >= 1.0 and ours["errors"] == 0
    print("  target (>= openssl, zero errors):", "met" if ok else "NOT met")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of runs, servers in turn")
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    bench_crypto(now)
    return bench_responders(now, args.duration, args.connections, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
