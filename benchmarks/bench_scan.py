"""Benchmark ``revlab scan`` against sslyze and a bare asyncio handshake loop, on loopback.

Starts a farm of real TLS servers, each on its own address of 127.0.0.0/8 and its own port,
each serving a generated EC P-256 leaf and a real 2020 intermediate (so every verdict is
``affected``). The farm is a throwaway nginx (Debian's ``nginx`` package; ``--farm nginx``, the
default): its own prefix, configuration, pid file and logs in a temporary directory, one
``server`` block per site, ``--farm-processes`` worker processes, no session tickets or cache,
and a ``user`` directive only when run as root (to drop the workers' privileges). Without nginx
the benchmark prints how to install it and exits 2; ``--farm python`` runs the older farm
instead (Python processes, one selectors loop each, closing each connection after its
handshake). The same farm serves all three clients, one after another, at the same concurrency;
the farm and the client under test share the machine's CPUs. Then, in one run:

1. ``revlab scan`` as a user runs it (a subprocess, start-up included) over ``--targets``
   targets cycling through the farm: targets/s, errors and its peak RSS;
2. sslyze's certificate-info scan (its own Python API and concurrency limit) over
   ``--sslyze-targets`` targets: servers/s and errors;
3. a bare asyncio loop that only does a full handshake with ``ssl`` and reads the served
   chain: handshakes/s.

Each client's line also gives its CPU time per target (client process only, the farm's not
counted): unlike a rate, it barely moves when other work shares the machine. ``--rounds N``
runs the three clients N times in turn and keeps each one's best round, for a machine where
other work comes and goes. Then ``revlab scan`` over ``--memory-targets`` (100,000 by
default) for the peak RSS.

Targets: revlab >= 20 x sslyze, revlab >= 0.5 x the bare loop, zero errors, and the 100,000-
target run under 300 MB RSS. Exit 1 if one is missed.

sslyze pins ``cryptography<47`` and this project uses a newer one, so sslyze runs from its own
virtual environment: ``--sslyze-python PATH``, or one made (once, from PyPI) under
``~/.cache/revlab/bench-sslyze``. ``--no-sslyze`` skips it (its ratio is then not checked).

Run: ``.venv/bin/python benchmarks/bench_scan.py`` (options: ``--sites 64 --concurrency 64
--targets 20000 --sslyze-targets 1000 --memory-targets 100000 --revlab-processes 1
--farm nginx --farm-processes 2 --rounds 1``; ``--full-handshake`` measures ``revlab scan
--full-handshake``).

What limits the rates: the client's side of a full TLS handshake in Python's ``ssl`` (OpenSSL
3.0 here) costs about 0.8 to 1 ms of CPU, most of it inside libcrypto, so the bare loop does at
most about 1,000 handshakes/s in one process. ``revlab scan`` does not complete the handshake: it
reads the chain from the server's first flight (``tlsscan.hello``: one X25519 exchange, the
TLS 1.3 key schedule and one or two AEAD decryptions) and resets the connection, about 0.2 ms
of CPU per target in the reader and 0.1 ms more in the scanner and the output. The farm then
costs as much as the client: nginx spends about 0.25 ms of CPU per handshake (key share,
ECDSA signature, the kernel's accept and reset), and with two CPUs shared by both, the two
together set the ceiling of a few thousand targets/s; other work on the machine shows at once.
sslyze uses its own OpenSSL 1.1.1 (nassl), Python threads, and several handshakes per server.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import grp
import json
import multiprocessing as mp
import os
import pwd
import resource
import selectors
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extension_api.demo import affected_intermediate_pem  # noqa: E402
from sim.pki import build_hierarchy  # noqa: E402
from tlsscan.fetcher import client_context, served_chain  # noqa: E402

SSLYZE_VENV = Path.home() / ".cache" / "revlab" / "bench-sslyze"
SSLYZE_SPEC = "sslyze==6.3.1"
#: Seconds after which the farm drops a connection whose handshake has not completed.
_FARM_STALE = 30.0

_SSLYZE_SCRIPT = """
import json, sys, time
from sslyze import (Scanner, ServerScanRequest, ServerNetworkLocation, ScanCommand,
                    ServerScanStatusEnum, ScanCommandAttemptStatusEnum)
targets, concurrency = json.load(sys.stdin)
requests = [ServerScanRequest(server_location=ServerNetworkLocation(host, port, ip_address=host),
                              scan_commands={ScanCommand.CERTIFICATE_INFO})
            for host, port in targets]
started = time.perf_counter()
# At most `concurrency` connections at a time, as the other two: one per server scan.
scanner = Scanner(concurrent_server_scans_limit=concurrency,
                  per_server_concurrent_connections_limit=1)
scanner.queue_scans(requests)
ok = errors = 0
for result in scanner.get_results():
    done = (result.scan_status == ServerScanStatusEnum.COMPLETED and
            result.scan_result.certificate_info.status == ScanCommandAttemptStatusEnum.COMPLETED)
    ok += done
    errors += not done
print(json.dumps({"ok": ok, "errors": errors, "seconds": time.perf_counter() - started}))
"""


def _farm_files(directory: Path) -> tuple[Path, Path]:
    """Write the farm's chain (a generated EC P-256 leaf, then a real 2020 intermediate) and key.

    Returns:
        The chain file and the key file, both PEM.
    """
    import datetime as dt

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    pki = build_hierarchy({"name": "bench", "certificates": [
        {"name": "root", "kind": "root"},
        {"name": "ica", "kind": "intermediate", "issuer": "root"},
        {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["bench.test"]},
    ]}, now=now, seed=1)
    chain, key = directory / "chain.pem", directory / "key.pem"
    chain.write_bytes(pki["leaf"].pem + affected_intermediate_pem(0))
    key.write_bytes(pki["leaf"].key_pem())
    key.chmod(0o600)
    return chain, key


def _farm_context() -> ssl.SSLContext:
    """The Python farm's server context: the chain of `_farm_files`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # the real intermediate is SHA-1 signed
    # No session tickets: no client here resumes, and minting them is server work that none of
    # the three clients asks for (they all close after the handshake).
    context.options |= ssl.OP_NO_TICKET
    context.num_tickets = 0
    with tempfile.TemporaryDirectory(prefix="revlab-bench-farm-") as tmp:
        context.load_cert_chain(*_farm_files(Path(tmp)))
    return context


def _farm(addresses: list[str], pipe: Connection) -> None:
    """Serve the chain on each address until told to stop: one selectors loop, no threads.

    Each site is a non-blocking listener; each accepted connection a non-blocking TLS socket
    driven through its handshake by the loop and closed as soon as the handshake completes
    (or fails). A connection stuck longer than `_FARM_STALE` seconds is dropped.
    """
    context = _farm_context()
    selector = selectors.DefaultSelector()
    listeners = []
    for address in addresses:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, 0))
        listener.listen(4096)
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ)
        listeners.append(listener)
    selector.register(pipe, selectors.EVENT_READ)
    pipe.send([listener.getsockname() for listener in listeners])
    started: dict[ssl.SSLSocket, float] = {}

    def drop(tls: ssl.SSLSocket) -> None:
        selector.unregister(tls)
        del started[tls]
        tls.close()  # no close_notify: every client drops the connection after the handshake

    def step(tls: ssl.SSLSocket) -> None:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            selector.modify(tls, selectors.EVENT_READ)
        except ssl.SSLWantWriteError:
            selector.modify(tls, selectors.EVENT_WRITE)
        except (ssl.SSLError, OSError):
            drop(tls)
        else:
            drop(tls)

    sweep = time.monotonic() + _FARM_STALE
    while True:
        for key, _events in selector.select(timeout=1.0):
            ready = key.fileobj
            if isinstance(ready, ssl.SSLSocket):  # a handshake in progress
                step(ready)
            elif isinstance(ready, socket.socket):  # a listener: accept all that wait
                while True:
                    try:
                        conn, _ = ready.accept()
                    except OSError:  # BlockingIOError: none left; EMFILE: clients retry
                        break
                    conn.setblocking(False)
                    tls = context.wrap_socket(conn, server_side=True,
                                              do_handshake_on_connect=False)
                    started[tls] = time.monotonic()
                    selector.register(tls, selectors.EVENT_READ)
                    step(tls)
            else:  # the pipe: stop
                for tls in list(started):
                    drop(tls)
                for listener in listeners:
                    listener.close()
                return
        now = time.monotonic()
        if now >= sweep:
            sweep = now + _FARM_STALE
            for tls, since in list(started.items()):
                if now - since > _FARM_STALE:
                    drop(tls)


def _nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, outside a user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


def _nginx_config(directory: Path, sites: list[tuple[str, int]], workers: int) -> str:
    """A throwaway nginx: its own prefix, pid, logs and temp paths in ``directory``."""
    chain, key = _farm_files(directory)
    lines = []
    if os.geteuid() == 0:
        # Only root may (and must, to drop privileges) name the workers' user.
        nobody = pwd.getpwnam("nobody")
        lines.append(f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};")
    lines += [
        f"worker_processes {workers};",
        "daemon off;",
        "master_process on;",
        f"pid {directory}/nginx.pid;",
        f"error_log {directory}/error.log crit;",  # clients abort every handshake: not an error
        "events { worker_connections 8192; multi_accept on; }",
        "http {",
        "    access_log off;",
        *(f"    {kind}_temp_path {directory}/{kind};"
          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        f"    ssl_certificate {chain};",
        f"    ssl_certificate_key {key};",
        "    ssl_protocols TLSv1.2 TLSv1.3;",
        '    ssl_ciphers "DEFAULT:@SECLEVEL=0";  # the real intermediate is SHA-1 signed',
        # As the Python farm: no tickets, no session cache (no client here resumes).
        "    ssl_session_tickets off;",
        "    ssl_session_cache off;",
    ]
    # reuseport: one listening socket per worker, the kernel spreads the connections.
    listen = "ssl backlog=4096 reuseport"
    for address, port in sites:
        lines.append(f"    server {{ listen {address}:{port} {listen}; return 204; }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _start_nginx(sites: int, workers: int) -> tuple[list[tuple[str, int]], Any]:
    """Start nginx serving the farm; return the targets and what `_stop_nginx` needs."""
    binary = _nginx()
    assert binary is not None
    directory = Path(tempfile.mkdtemp(prefix="revlab-bench-nginx-"))
    directory.chmod(0o755)  # the workers (user nobody) reach their temp paths through it
    targets = [(address, _free_port(address)) for address in _addresses(sites)]
    config = directory / "nginx.conf"
    config.write_text(_nginx_config(directory, targets, workers))
    process = subprocess.Popen([binary, "-p", str(directory), "-c", str(config),
                                "-e", str(directory / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ends = time.monotonic() + 20
    waiting = list(targets)
    while waiting:
        if process.poll() is not None:
            errors = (directory / "error.log").read_text(errors="replace")
            raise SystemExit(f"nginx did not start: {process.stderr.read().decode()} {errors}"
                             if process.stderr else "nginx did not start")
        if time.monotonic() > ends:
            process.kill()
            raise SystemExit("nginx did not listen within 20 s")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(waiting[-1]) == 0:
                waiting.pop()
            else:
                time.sleep(0.05)
    return targets, (process, directory)


def _stop_nginx(handle: Any) -> None:
    process, directory = handle
    process.terminate()  # SIGTERM: nginx's fast shutdown
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(directory, ignore_errors=True)



def _addresses(sites: int) -> list[str]:
    return [f"127.0.{2 + i // 250}.{2 + i % 250}" for i in range(sites)]


def _start_farm(sites: int, processes: int) -> tuple[list[tuple[str, int]], list[Any]]:
    addresses = _addresses(sites)
    context = mp.get_context("fork")
    targets: list[tuple[str, int]] = []
    handles = []
    for k in range(processes):
        ours, theirs = context.Pipe()
        process = context.Process(target=_farm, args=(addresses[k::processes], theirs),
                                  daemon=True)
        process.start()
        targets += ours.recv()
        handles.append((process, ours))
    return targets, handles


def _stop_farm(handles: list[Any]) -> None:
    for _process, pipe in handles:
        pipe.send("stop")
    for process, _ in handles:
        process.join(10)


def _revlab(targets: list[tuple[str, int]], count: int, concurrency: int, processes: int = 1,
            extra: tuple[str, ...] = ()) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="revlab-bench-") as tmp:
        listed = Path(tmp) / "targets.txt"
        with listed.open("w") as handle:
            for i in range(count):
                host, port = targets[i % len(targets)]
                handle.write(f"{host}:{port}\n")
        out = Path(tmp) / "results.jsonl"
        command = [sys.executable, "-m", "revlab", "scan", str(listed), "--allow-private",
                   "--concurrency", str(concurrency), "--timeout", "10", "--no-progress",
                   "--processes", str(processes), *extra,
                   "--out", str(out)]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        verdicts: dict[str, int] = {}
        kinds: dict[str, int] = {}
        with out.open() as handle:
            for line in handle:
                row = json.loads(line)
                verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
                if row["error"] is not None:
                    kinds[row["error"]] = kinds.get(row["error"], 0) + 1
    return {"targets": count, "seconds": seconds, "rate": count / seconds,
            "errors": sum(kinds.values()), "error_kinds": kinds, "verdicts": verdicts,
            "exit": process.returncode, "max_rss_mb": usage.ru_maxrss / 1024,
            "cpu_ms": 1000 * (usage.ru_utime + usage.ru_stime) / count}


async def _bare_loop(targets: list[tuple[str, int]], count: int, concurrency: int
                     ) -> dict[str, Any]:
    context = client_context()
    loop = asyncio.get_running_loop()
    work = iter(targets[i % len(targets)] for i in range(count))
    tally = {"ok": 0, "errors": 0}

    async def worker() -> None:
        for host, port in work:
            try:
                async with asyncio.timeout(10):
                    transport, _ = await loop.create_connection(
                        asyncio.Protocol, host, port, ssl=context, server_hostname="")
                chain = served_chain(transport.get_extra_info("ssl_object"))
                transport.abort()
                tally["ok" if chain else "errors"] += 1
            except (OSError, TimeoutError):
                tally["errors"] += 1

    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"targets": count, "seconds": seconds, "rate": count / seconds,
            "cpu_ms": 1000 * cpu / count, **tally}


def _sslyze_python(args: argparse.Namespace) -> Path:
    if args.sslyze_python:
        return Path(args.sslyze_python)
    python = SSLYZE_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {SSLYZE_VENV} with {SSLYZE_SPEC} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SSLYZE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", SSLYZE_SPEC],
                       check=True)
    return python


def _sslyze(python: Path, targets: list[tuple[str, int]], count: int, concurrency: int
            ) -> dict[str, Any]:
    chosen = [targets[i % len(targets)] for i in range(count)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the farm's are not reaped yet
    found = subprocess.run([str(python), "-c", _SSLYZE_SCRIPT], input=json.dumps(
        [chosen, concurrency]), capture_output=True, text=True, check=True, timeout=1800)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(found.stdout.strip().splitlines()[-1])
    result["rate"] = count / result["seconds"]
    result["targets"] = count
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result["cpu_ms"] = 1000 * cpu / count
    return result


def _best(best: dict[str, Any] | None, ran: dict[str, Any]) -> dict[str, Any]:
    """The run with the higher rate; a round with more errors never wins."""
    if best is None or (ran["errors"], -ran["rate"]) < (best["errors"], -best["rate"]):
        return ran
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=64, help="TLS servers in the farm")
    parser.add_argument("--farm", choices=("nginx", "python"), default="nginx",
                        help="the farm's servers: nginx (default) or the Python selectors farm")
    parser.add_argument("--farm-processes", type=int, default=2,
                        help="nginx worker processes, or Python farm processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--targets", type=int, default=20_000, help="targets for the rates")
    parser.add_argument("--sslyze-targets", type=int, default=1000,
                        help="targets for sslyze (enough for its steady rate, not its ramp-up)")
    parser.add_argument("--memory-targets", type=int, default=100_000,
                        help="targets of the RSS run (0 skips it)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the three clients this many times, one after another, and "
                        "keep each one's best round (other work on the machine only ever "
                        "slows a client down; default 1)")
    parser.add_argument("--revlab-processes", type=int, default=1,
                        help="revlab scan --processes (default 1: one process, as the bare "
                        "loop and sslyze; the concurrency is shared out, not multiplied)")
    parser.add_argument("--sslyze-python", help="a Python with sslyze installed")
    parser.add_argument("--no-sslyze", action="store_true")
    parser.add_argument("--full-handshake", action="store_true",
                        help="revlab scan --full-handshake (the old path: ssl's handshake)")
    args = parser.parse_args()
    if args.farm == "nginx" and _nginx() is None:
        print("nginx is not installed (Debian: apt-get install -y nginx), or use --farm python",
              file=sys.stderr)
        return 2
    python = None if args.no_sslyze else _sslyze_python(args)
    extra = ("--full-handshake",) if args.full_handshake else ()
    if args.farm == "nginx":
        targets, handle = _start_nginx(args.sites, args.farm_processes)
        farm = (f"nginx with {args.farm_processes} worker processes, one server block per "
                "site, no session tickets or cache")
        stop: Callable[[], None] = functools.partial(_stop_nginx, handle)
    else:
        targets, handles = _start_farm(args.sites, args.farm_processes)
        farm = (f"{args.farm_processes} Python processes (one selectors loop each, no "
                "threads, no session tickets)")
        stop = functools.partial(_stop_farm, handles)
    try:
        print(f"farm: {len(targets)} TLS servers on 127.0.0.0/8, {farm}; "
              f"concurrency {args.concurrency} for every client; {os.cpu_count()} CPUs shared "
              f"by the farm and the client under test (the clients run one after another); "
              f"revlab scan in {args.revlab_processes} process(es), the bare loop in 1, "
              f"sslyze in 1 (its threads)", flush=True)
        bare = scan = slow = None
        for _ in range(args.rounds):
            ran = asyncio.run(_bare_loop(targets, args.targets, args.concurrency))
            print(f"bare asyncio loop: {ran['rate']:8.0f} handshakes/s "
                  f"({ran['targets']} in {ran['seconds']:.1f} s, {ran['errors']} errors, "
                  f"{ran['cpu_ms']:.2f} ms CPU each)", flush=True)
            bare = _best(bare, ran)
            ran = _revlab(targets, args.targets, args.concurrency, args.revlab_processes, extra)
            print(f"revlab scan:       {ran['rate']:8.0f} targets/s "
                  f"({ran['targets']} in {ran['seconds']:.1f} s incl. start-up, "
                  f"errors {ran['error_kinds'] or 0}, verdicts {ran['verdicts']}, "
                  f"peak RSS {ran['max_rss_mb']:.0f} MB"
                  f"{' of the largest process' if args.revlab_processes > 1 else ''}, "
                  f"{ran['cpu_ms']:.2f} ms CPU each incl. start-up)", flush=True)
            scan = _best(scan, ran)
            if python is not None:
                ran = _sslyze(python, targets, args.sslyze_targets, args.concurrency)
                print(f"sslyze certinfo:   {ran['rate']:8.1f} servers/s "
                      f"({ran['targets']} in {ran['seconds']:.1f} s, {ran['errors']} errors, "
                      f"{ran['cpu_ms']:.2f} ms CPU each incl. start-up)", flush=True)
                slow = _best(slow, ran)
        assert bare is not None and scan is not None
        if args.rounds > 1:
            print(f"best of {args.rounds} rounds: bare {bare['rate']:.0f}/s, revlab "
                  f"{scan['rate']:.0f}/s"
                  + (f", sslyze {slow['rate']:.1f}/s" if slow is not None else ""), flush=True)
        memory = None
        if args.memory_targets:
            memory = _revlab(targets, args.memory_targets, args.concurrency,
                             args.revlab_processes, extra)
            print(f"revlab scan of {memory['targets']} targets: peak RSS "
                  f"{memory['max_rss_mb']:.0f} MB, {memory['rate']:.0f} targets/s, "
                  f"errors {memory['error_kinds'] or 0}", flush=True)
    finally:
        stop()
    checks = [
        (f"revlab / bare loop = {scan['rate'] / bare['rate']:.2f} (target >= 0.5)",
         scan["rate"] >= 0.5 * bare["rate"]),
        (f"errors: revlab {scan['errors']}, bare {bare['errors']} (target 0)",
         scan["errors"] == 0 and bare["errors"] == 0),
    ]
    if slow is not None:
        checks.append((f"revlab / sslyze = {scan['rate'] / slow['rate']:.1f} (target >= 20)",
                       scan["rate"] >= 20 * slow["rate"] and slow["errors"] == 0))
    if memory is not None:
        checks.append((f"peak RSS over {memory['targets']} targets = "
                       f"{memory['max_rss_mb']:.0f} MB (target < 300)",
                       memory["max_rss_mb"] < 300))
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
