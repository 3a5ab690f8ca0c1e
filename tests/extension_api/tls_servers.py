"""Real TLS servers on 127.0.0.1 for the tests (Python ``ssl``), and the chains they serve.

A server sends whatever chain file it is given: a generated leaf followed by any certificate,
even a real 2020 intermediate whose key nobody here has. That is exactly what the fetcher must
read and the verdict must catch.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from sim.pki import Hierarchy, build_hierarchy

__all__ = [
    "SHIPPED_PEM",
    "ServedChain",
    "affected_intermediate_pem",
    "hierarchy",
    "serve",
]

Mode = Literal["tls", "close", "silent"]

#: The shipped real 2020 intermediates (also in ../shared/data/incident-2020).
SHIPPED_PEM = resources.files("sim").joinpath("data/incident-2020/affected_intermediates.pem")


def affected_intermediate_pem(index: int = 0) -> bytes:
    """One real affected intermediate, PEM."""
    blocks = SHIPPED_PEM.read_bytes().split(b"-----END CERTIFICATE-----")
    return blocks[index].strip() + b"\n-----END CERTIFICATE-----\n"


def hierarchy(now: dt.datetime, *, seed: int = 1, reissue: bool = False) -> Hierarchy:
    """Root -> intermediate ``ica`` -> leaf ``leaf``; with ``reissue``, ``ica2`` re-issues
    ``ica`` with the same key and issues ``leaf2``."""
    certs: list[dict[str, object]] = [
        {"name": "root", "kind": "root", "subject": {"CN": "Test Root", "O": "Lab CA"}},
        {"name": "ica", "kind": "intermediate", "issuer": "root",
         "subject": {"CN": "Test ICA", "O": "Lab CA"}},
        {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["localhost"]},
    ]
    if reissue:
        certs += [
            {"name": "ica2", "kind": "intermediate", "issuer": "root", "key_from": "ica",
             "subject": {"CN": "Test ICA", "O": "Lab CA"}, "validity_days": 900},
            {"name": "leaf2", "kind": "tls_server", "issuer": "ica2",
             "dns_names": ["localhost"]},
        ]
    return build_hierarchy({"name": "test", "certificates": certs}, now=now, seed=seed)


@dataclass(frozen=True)
class ServedChain:
    """A running server.

    Attributes:
        host: 127.0.0.1.
        port: its port.
    """

    host: str
    port: int

    @property
    def target(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"


def _handle(conn: socket.socket, mode: Mode, context: ssl.SSLContext | None,
            stop: threading.Event) -> None:
    with conn:
        if mode == "close":
            return
        if mode == "silent":
            stop.wait(30)  # accept and never answer, until the test ends
            return
        assert context is not None
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass


@contextmanager
def serve(
    tmp_path: Path,
    chain_pems: Sequence[bytes] = (),
    key_pem: bytes = b"",
    *,
    mode: Mode = "tls",
) -> Iterator[ServedChain]:
    """Run a server on 127.0.0.1 until the block ends.

    Args:
        tmp_path: where the chain and key files go.
        chain_pems: the served certificates, leaf first (mode ``tls``).
        key_pem: the leaf's private key (mode ``tls``).
        mode: ``tls`` serves the chain; ``close`` closes each connection at once; ``silent``
            accepts and never answers.
    """
    context = None
    if mode == "tls":
        chain_file = tmp_path / f"chain-{id(chain_pems)}.pem"
        key_file = tmp_path / f"key-{id(chain_pems)}.pem"
        chain_file.write_bytes(b"".join(chain_pems))
        key_file.write_bytes(key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # Real 2020 intermediates are often SHA-1 signed: OpenSSL refuses to serve them at the
        # default security level, but real servers did serve them.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.load_cert_chain(chain_file, key_file)
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)
    workers: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=_handle, args=(conn, mode, context, stop),
                                      daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield ServedChain("127.0.0.1", listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)
