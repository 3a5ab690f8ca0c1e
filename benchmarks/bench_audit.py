"""``revlab audit`` as a user waits for it, against a process that only parses the same file.

Run: ``.venv/bin/python benchmarks/bench_audit.py [CORPUS.csv] [--rounds N] [--jobs N]``
(default: the full CCADB corpus in the developers' data folder named by REVLAB_SHARED, else
the vendored sample). Both sides are whole
processes started from scratch, in alternating rounds (the machine's noise hits both alike):

- bare parse: a Python process that reads the CSV, decodes each PEM cell and parses it with
  ``cryptography`` (``load_der_x509_certificate`` + reading ``.extensions``, where real
  refusals happen; without it the Rust parser is lazy and measures almost nothing);
- revlab audit: ``revlab audit --format json CORPUS > out.json``, every worker included.

It prints the median rates, the median of the per-round ratios (target: at least 0.5), and the
peak memory of each process tree (the sum of the RSS of the process and its workers, sampled
every 5 ms; pages the workers share with their parent are counted in each, so it is an upper
bound). Then the in-process figures (record + findings on DER already in memory), and pkilint
on a 500-certificate sample when the optional ``bench`` extra is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509

from sim.audit import audit
from sim.loader import load_ccadb_csv, record_from_der

REPO = Path(__file__).resolve().parent.parent
# The developers' data folder, as the tests find it (REVLAB_SHARED); users have the sample only.
_SHARED = Path(os.environ.get("REVLAB_SHARED", "/nonexistent"))
DEFAULT = _SHARED / "data/ccadb/AllCertificatePEMsCSVFormat.csv"
SAMPLE = REPO / "tests/data/ccadb_sample.csv"

#: The bare side: only what any audit must do (read, decode, parse), nothing of ours.
BARE_SCRIPT = """
import base64, csv, sys, warnings
from cryptography import x509
warnings.simplefilter("ignore")
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    rows = list(csv.reader(f))[1:]
parsed = 0
for row in rows:
    pem = row[1]
    body = pem[pem.find("-----BEGIN CERTIFICATE-----") + 27 : pem.find("-----END CERTIFICATE-----")]
    try:
        x509.load_der_x509_certificate(base64.b64decode("".join(body.split()))).extensions
        parsed += 1
    except ValueError:
        pass
print(parsed)
"""


def _tree_rss(pid: int) -> int:
    """The resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def _run(cmd: Sequence[str], stdout_path: str) -> tuple[float, int, float]:
    """Wall time of a whole process, its tree's peak RSS, and the CPU seconds it used."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.005):
                peak = max(peak, _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    if proc.returncode not in (0, 1):  # 1: findings, the normal outcome on a real corpus
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, peak, cpu


def whole_process(path: Path, rounds: int, jobs: int | None) -> None:
    """Alternate bare-parse and revlab-audit processes; print rates, ratio and memory."""
    n = sum(1 for r in load_ccadb_csv(path.read_bytes(), path.name) if r.der)
    revlab = [str(Path(sys.executable).with_name("revlab")), "audit", "--format", "json"]
    if jobs is not None:
        revlab += ["--jobs", str(jobs)]
    bare_times, ours_times, ratios, bare_peak, ours_peak = [], [], [], 0, 0
    bare_cpu, ours_cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            t_bare, m_bare, c_bare = _run(
                [sys.executable, "-c", BARE_SCRIPT, str(path)], f"{tmp}/b"
            )
            t_ours, m_ours, c_ours = _run([*revlab, str(path)], f"{tmp}/out.json")
            bare_times.append(t_bare)
            ours_times.append(t_ours)
            bare_cpu.append(c_bare)
            ours_cpu.append(c_ours)
            ratios.append(t_bare / t_ours)
            bare_peak, ours_peak = max(bare_peak, m_bare), max(ours_peak, m_ours)
    print(f"whole processes, {rounds} alternating rounds, {n} certificates, "
          f"{_cpu_count()} CPUs, revlab --jobs {jobs or 'default'}:")
    print(f"  bare parse process:   {n / statistics.median(bare_times):10,.0f} certificates/s"
          f"  peak RSS {bare_peak / 2**20:6.0f} MB")
    print(f"  revlab audit process: {n / statistics.median(ours_times):10,.0f} certificates/s"
          f"  peak RSS {ours_peak / 2**20:6.0f} MB (process tree)")
    print(f"  ratio audit / bare (median of rounds): {statistics.median(ratios):.2f} "
          f"(target >= 0.50; rounds {', '.join(f'{r:.2f}' for r in ratios)})")
    # CPU seconds do not depend on how busy the machine is: they show the work each side does.
    print(f"  CPU seconds per run (all processes, median): bare {statistics.median(bare_cpu):.2f}"
          f", revlab audit {statistics.median(ours_cpu):.2f}")
    print(f"  load average when done: {os.getloadavg()[0]:.1f} (a busy machine depresses both)")


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _time(fn: Callable[[], int]) -> float:
    start = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - start)


def in_process(path: Path, repeats: int = 5) -> None:
    """Record + findings on DER already in memory, against the bare parse in this process."""
    ders = [r.der for r in load_ccadb_csv(path.read_bytes(), path.name) if r.der]

    def bare() -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for der in ders:
                with contextlib.suppress(ValueError):
                    x509.load_der_x509_certificate(der).extensions  # noqa: B018
        return len(ders)

    def ours() -> int:
        for der in ders:
            audit(record_from_der(der, "bench"))
        return len(ders)

    rates_bare, rates_ours = [], []
    for _ in range(repeats):
        rates_bare.append(_time(bare))
        rates_ours.append(_time(ours))
    ratio = statistics.median(o / b for b, o in zip(rates_bare, rates_ours, strict=True))
    print("in one process, DER already in memory (no names rendered, no output):")
    print(f"  bare parse:  {statistics.median(rates_bare):10,.0f} certificates/s")
    ours = statistics.median(rates_ours)
    print(f"  record+audit:{ours:10,.0f} certificates/s  ratio {ratio:.2f}")
    _pkilint(ders[:500])


def _pkilint(ders: list[bytes]) -> None:
    """pkilint's CA/B Forum server-auth lint, validators built once per certificate type."""
    try:
        from pkilint import loader
        from pkilint.cabf import serverauth
        from pkilint.pkix import certificate
    except ImportError:
        print("pkilint: not installed (pip install -e '.[bench]' to compare)")
        return
    doc_loader = loader.RFC5280CertificateDocumentLoader()
    validators: dict[object, object] = {}
    failed = 0
    start = time.perf_counter()
    for der in ders:
        try:
            cert = doc_loader.load_der_document(der, "bench")
            kind = serverauth.determine_certificate_type(cert)
            if kind not in validators:
                validators[kind] = certificate.create_pkix_certificate_validator_container(
                    serverauth.create_decoding_validators(), serverauth.create_validators(kind)
                )
            validators[kind].validate(cert.root)  # type: ignore[attr-defined]
        except Exception:  # pkilint raises on what it cannot decode; count it
            failed += 1
    rate = len(ders) / (time.perf_counter() - start)
    print(
        f"pkilint serverauth ({len(ders)} certificates, {failed} raised): "
        f"{rate:10,.0f} certificates/s"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=None, help="revlab audit --jobs")
    parser.add_argument("--whole-only", action="store_true", help="skip the in-process figures")
    args = parser.parse_args(argv)
    path = args.corpus or (DEFAULT if DEFAULT.exists() else SAMPLE)
    print(f"corpus: {path}")
    whole_process(path, args.rounds, args.jobs)
    if not args.whole_only:
        in_process(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
