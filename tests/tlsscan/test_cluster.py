"""``revlab scan --scheduler``: a real Dask scheduler and two worker processes on loopback give
exactly the results of the one-machine scan."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from revlab import main
from tests.conftest import NOW, REPO, require
from tests.extension_api.tls_servers import affected_intermediate_pem, hierarchy, serve

#: Seconds to wait for the scheduler and the workers to come up.
_START = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=_START, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=_START)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and two single-threaded worker processes on 127.0.0.1."""
    require(_importable("distributed"), "Dask distributed is not installed (the [cluster] extra)")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    commands = [
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
         str(port), "--dashboard-address", ":0", "--no-show"],
        *[[sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
           "--nthreads", "1", "--no-nanny", "--dashboard-address", ":0",
           "--local-directory", str(logs / f"w{i}"), "--name", f"w{i}"] for i in range(2)],
    ]
    processes = []
    try:
        for i, command in enumerate(commands):
            with (logs / f"{i}.log").open("w") as log:
                processes.append(subprocess.Popen(
                    command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT,
                ))
            if i == 0:
                time.sleep(1.0)  # the workers retry, but give the scheduler its port first
        _wait_for_workers(address, 2)
        yield address
    finally:
        for process in reversed(processes):  # workers first, then the scheduler
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _rows(text: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for row in rows:
        del row["scanned_at"]  # the only field that may differ between two runs
    return sorted(rows, key=lambda r: (r["host"], r["port"]))


@pytest.mark.slow
def test_a_dask_cluster_gives_exactly_the_one_machine_results(
    cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = hierarchy(NOW)
    leaf, key = pki["leaf"].pem, pki["leaf"].key_pem()
    with ExitStack() as stack:
        targets = [
            stack.enter_context(serve(tmp_path, chain, key)).target
            for chain in ([leaf, affected_intermediate_pem(i)] for i in range(6))
        ]
        targets += [stack.enter_context(serve(tmp_path, [leaf, pki["ica"].pem], key)).target
                    for _ in range(4)]
        targets.append(stack.enter_context(serve(tmp_path, mode="garbage")).target)
        targets.append(stack.enter_context(serve(tmp_path, mode="silent")).target)
        listed = tmp_path / "targets.txt"
        listed.write_text("\n".join(targets) + "\n")
        common = [str(listed), "--allow-private", "--timeout", "1", "--no-progress"]
        local_code = main(["scan", *common])
        local = capsys.readouterr().out
        cluster_code = main(["scan", *common, "--scheduler", cluster, "--batch-size", "3"])
        remote = capsys.readouterr().out
    assert (local_code, cluster_code) == (1, 1)
    assert len(_rows(local)) == len(targets)
    assert _rows(remote) == _rows(local)
    verdicts = [r["verdict"] for r in _rows(remote)]
    assert verdicts.count("affected") == 6 and verdicts.count("clean") == 4


def test_an_unreachable_scheduler_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require(_importable("distributed"), "Dask distributed is not installed (the [cluster] extra)")
    import dask

    listed = tmp_path / "targets.txt"
    listed.write_text("127.0.0.1:443\n")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["scan", str(listed), "--allow-private", "--no-progress",
                     "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:" in err[0]
