"""Real servers for tests and benchmarks, started and stopped in one place.

- `free_port`, `http_get`, `listening`: the small pieces.
- `running`: start a command, wait until a probe says it is ready, stop it (TERM, then KILL).
- `revlab_serve`: ``revlab serve`` on a free port, ready when ``/healthz`` answers.
- `postgres_cluster`: a throwaway PostgreSQL cluster on a free loopback port, run as an
  unprivileged user when we are root (PostgreSQL refuses to run as root; CI runs as root).
- `redis_server`: a throwaway ``redis-server`` on a free loopback port, nothing saved.

Nothing here skips: callers decide (tests through ``require``; benchmarks print and exit).
"""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
#: ``revlab`` run from this checkout's interpreter (no console script needed).
REVLAB = [sys.executable, "-c", "import sys; from revlab import main; sys.exit(main())"]
#: The unprivileged user that runs PostgreSQL when we are root.
PG_USER = "nobody"

Output = int | IO[Any] | None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, *, timeout: float = 10, host: str = "127.0.0.1",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
    """``GET path`` on a loopback server; returns (status, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def listening(port: int) -> bool:
    """Whether something listens on TCP ``port`` (read from /proc: no connection is made)."""
    needle = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(needle in line and line.split()[3] == "0A" for line in lines):
            return True
    return False


def answers(port: int, path: str = "/healthz") -> Callable[[], bool]:
    """A readiness probe: ``GET path`` answers 200."""

    def probe() -> bool:
        try:
            return http_get(port, path, timeout=2)[0] == 200
        except OSError:
            return False

    return probe


def stop(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """TERM, then KILL after ``timeout`` seconds; waits for the exit."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@contextmanager
def running(
    argv: Sequence[str],
    ready: Callable[[], bool],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    stdout: Output = subprocess.DEVNULL,
    stderr: Output = subprocess.DEVNULL,
    timeout: float = 30,
    text: bool = True,
) -> Iterator[subprocess.Popen[Any]]:
    """Run ``argv`` until the block ends, once ``ready()`` is true.

    Raises:
        RuntimeError: the process exited, or was not ready within ``timeout`` seconds.
    """
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                            text=text)  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} was not ready within {timeout:g} s")
            time.sleep(0.05)
        yield proc
    finally:
        stop(proc)


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (a gunicorn master's workers), in pid order (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sorted(int(c) for c in children)


def serve_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test server: loopback allowed, any port, data under ``data_dir``."""
    env = {**os.environ, "REVLAB_DATA_DIR": str(data_dir), "REVLAB_ALLOW_HOSTS": "127.0.0.1",
           "REVLAB_ALLOWED_PORTS": "1-65535"}  # fmt: skip
    for name in ("DATABASE_URL", "REVLAB_DATABASE_URL", "REVLAB_PORT"):
        env.pop(name, None)
    env.update(extra or {})
    return env


@contextmanager
def revlab_serve(
    data_dir: Path,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    *,
    stdout: Output = subprocess.DEVNULL,
    stderr: Output = subprocess.DEVNULL,
    port: int | None = None,
) -> Iterator[tuple[int, subprocess.Popen[Any]]]:
    """``revlab serve`` on a free port until the block ends; yields (port, process)."""
    port = port or free_port()
    argv = [*REVLAB, "serve", "--port", str(port), *args]
    with running(argv, answers(port), env=serve_env(data_dir, env), stdout=stdout,
                 stderr=stderr) as proc:  # fmt: skip
        yield port, proc


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (the newest version installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))  # fmt: skip
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_pg_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_cluster(bindir: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port; yields its superuser URL.

    The URL names the ``postgres`` database; create one per test (`create_database`).
    """
    root = Path(tempfile.mkdtemp(prefix="revlab-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, PG_USER)
    data, log = root / "data", root / "log"
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    try:
        subprocess.run(_as_pg_user([str(bindir / "initdb"), "-D", str(data), "-U", "revlab",
                                    "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
                       **quiet)  # type: ignore[call-overload]  # fmt: skip
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_pg_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-l", str(log), "-w", "-t", "30", "start"]),
                       **quiet)  # type: ignore[call-overload]  # fmt: skip
        yield f"postgresql://revlab@127.0.0.1:{port}/postgres"
    finally:
        _stop_postmaster(data)
        shutil.rmtree(root, ignore_errors=True)


def _stop_postmaster(data: Path) -> None:
    """Fast shutdown (SIGINT) of the cluster's postmaster, then SIGKILL after 5 s."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return  # never started
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.05)


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` in the cluster of ``admin_url``; returns its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def redis_server(*, unix_socket: bool = False) -> Iterator[str]:
    """A throwaway ``redis-server`` (nothing saved); yields its URL.

    Args:
        unix_socket: listen on a Unix socket (``redis+unix://``; one machine, no TCP) instead
            of a free loopback port.
    """
    port = 0 if unix_socket else free_port()
    with tempfile.TemporaryDirectory(prefix="revlab-redis-") as tmp:
        path = Path(tmp) / "redis.sock"
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
        if unix_socket:
            argv += ["--unixsocket", str(path), "--unixsocketperm", "700"]
        ready = path.exists if unix_socket else lambda: listening(port)
        with running(argv, ready):
            yield f"redis+unix://{path}" if unix_socket else f"redis://127.0.0.1:{port}/0"
