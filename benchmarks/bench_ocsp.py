"""OCSP speed: signing and verifying, and our responder against OpenSSL's, side by side.

Run: ``.venv/bin/python benchmarks/bench_ocsp.py [--duration 10] [--connections 20]``.

1. Responses signed and verified per second, ECDSA P-256 and RSA 2048 (``sim.ocsp``).
2. Responder throughput on loopback, in one run, same certificates, same request, same load
   generator (wrk, Debian package ``wrk``, with a Lua script POSTing the DER request):
   OpenSSL's responder (``openssl ocsp -index ... -rsigner ... -CA ...``; signs every answer
   in C, one process) and ours (gunicorn, 2 workers, gthread, pre-signed answers).
   OpenSSL's responder answers HTTP/1.0 and closes each connection; gunicorn keeps
   connections alive: that is part of what each server does, so it is measured as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.ocsp import build_request, cert_id_for, sign_response, verify_response  # noqa: E402
from sim.ocsp_scenario import build_incident_2020  # noqa: E402
from sim.pki import build_hierarchy  # noqa: E402

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 8

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
                status="good",
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        # Probe with a real request-less check is unsafe for openssl (see _LUA); wait on
        # the listening socket via /proc instead of connecting.
        if _listening(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after 20 s")


def _listening(port: int) -> bool:
    needle = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(needle in line and line.split()[3] == "0A" for line in lines):
            return True
    return False


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


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench_responders(now: dt.datetime, duration: int, connections: int) -> int:
    wrk, openssl = shutil.which("wrk"), shutil.which("openssl")
    gunicorn = Path(sys.executable).with_name("gunicorn")
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

        results = {}
        port = _free_port()
        proc = subprocess.Popen(
            [openssl, "ocsp", "-index", "index.txt", "-port", str(port), "-rsigner",
             "ica_b.pem", "-rkey", "ica_b.key", "-CA", "ica_b.pem", "-nmin", "60"],
            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_port(port, proc)
            results["openssl ocsp"] = _wrk(
                wrk, f"http://127.0.0.1:{port}/", d / "post.lua", duration, connections
            )
        finally:
            _stop(proc)

        port = _free_port()
        env = dict(os.environ, REVLAB_OCSP_SEED=str(seed), REVLAB_OCSP_NOW=now.isoformat())
        proc = subprocess.Popen(
            [str(gunicorn), "-w", str(GUNICORN_WORKERS), "-k", "gthread", "--threads",
             str(GUNICORN_THREADS), "-b", f"127.0.0.1:{port}",
             "extension_api.ocsp_responder:create_ocsp_app()"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_port(port, proc)
            time.sleep(1.0)  # both workers booted and pre-signed
            results["revlab (gunicorn)"] = _wrk(
                wrk, f"http://127.0.0.1:{port}/", d / "post.lua", duration, connections
            )
        finally:
            _stop(proc)

    size = len(build_request(leaf, ica_b.certificate))
    print(
        f"\nResponder throughput, wrk -t2 -c{connections} -d{duration}s, POST of one "
        f"{size}-byte request, loopback, {os.cpu_count()} CPUs:"
    )
    for name, r in results.items():
        print(f"  {name:18s} {r['rps']:9.0f} req/s  {r['requests']:8.0f} requests  "
              f"{r['errors']:.0f} errors")  # fmt: skip
    ours, theirs = results["revlab (gunicorn)"], results["openssl ocsp"]
    ratio = ours["rps"] / theirs["rps"] if theirs["rps"] else float("inf")
    print(f"  ratio revlab/openssl: {ratio:.2f}")
    ok = ratio >= 1.0 and ours["errors"] == 0
    print("  target (>= openssl, zero errors):", "met" if ok else "NOT met")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections")
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    bench_crypto(now)
    return bench_responders(now, args.duration, args.connections)


if __name__ == "__main__":
    sys.exit(main())
