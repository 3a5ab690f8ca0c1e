"""Demo sites on 127.0.0.1 for the lessons: a real TLS server that serves a chosen chain.

The lesson "Checking a site" serves a generated leaf followed by any certificate (even a real
2020 intermediate whose key nobody here has) and asks the API for its verdict. Only loopback:
the server binds 127.0.0.1 on a free port and stops when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = ["DemoSite", "Mode", "affected_intermediate_pem", "serve_chain"]

_SHIPPED_PEM = "data/incident-2020/affected_intermediates.pem"
_END = b"-----END CERTIFICATE-----"
#: How often the accept loop wakes up to see whether it must stop (seconds).
_POLL = 0.05


@dataclass(frozen=True)
class DemoSite:
    """A running demo site.

    Attributes:
        host: A loopback address (``127.0.0.1`` unless asked otherwise).
        port: The port it listens on.
    """

    host: str
    port: int

    @property
    def target(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"


def affected_intermediate_pem(index: int = 0) -> bytes:
    """One real intermediate of the shipped July 2020 list (``sim/data``), as PEM.

    Args:
        index: Position in the shipped PEM bundle (0 is AC Camerfirma's first).

    Raises:
        IndexError: ``index`` is outside the bundle.
    """
    data = resources.files("sim").joinpath(_SHIPPED_PEM).read_bytes()
    blocks = [b for b in data.split(_END) if b"-----BEGIN CERTIFICATE-----" in b]
    if not 0 <= index < len(blocks):
        raise IndexError(f"index must be in [0, {len(blocks) - 1}], got {index}")
    body = blocks[index][blocks[index].index(b"-----BEGIN CERTIFICATE-----") :]
    return body.strip() + b"\n" + _END + b"\n"


#: What a demo site does with a connection: serve the chain over TLS, close it at once, accept
#: it and never answer, or answer with something that is not TLS (the last three show the
#: ``unknown`` verdict).
Mode = Literal["tls", "close", "silent", "garbage"]
#: What a ``garbage`` site answers: a plain-HTTP error, as a web server on the wrong port does.
_GARBAGE = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"


def _handle(
    conn: socket.socket, mode: Mode, context: ssl.SSLContext | None, stop: threading.Event
) -> None:
    with conn:
        if mode == "close":
            return
        if mode == "silent":
            stop.wait(30)  # accept and never answer, until the site stops
            return
        if mode == "garbage":
            with contextlib.suppress(OSError):  # the client may already have given up
                conn.sendall(_GARBAGE)
            return
        assert context is not None
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # a client that hangs up mid-handshake is not the demo's problem


def _tls_context(chain_pems: Sequence[bytes], key_pem: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Real 2020 intermediates are often SHA-1 signed; OpenSSL refuses to serve them at the
    # default security level, but real servers did serve them.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with tempfile.TemporaryDirectory(prefix="revlab-demo-") as tmp:
        chain_file, key_file = Path(tmp) / "chain.pem", Path(tmp) / "key.pem"
        chain_file.write_bytes(b"".join(chain_pems))
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        context.load_cert_chain(chain_file, key_file)
    return context


@contextmanager
def serve_chain(
    chain_pems: Sequence[bytes] = (),
    key_pem: bytes = b"",
    *,
    mode: Mode = "tls",
    host: str = "127.0.0.1",
) -> Iterator[DemoSite]:
    """Serve ``chain_pems`` (leaf first) over TLS on loopback until the block ends.

    Args:
        chain_pems: The certificates to send, leaf first, PEM (mode ``tls``).
        key_pem: The leaf's private key, PEM (mode ``tls``).
        mode: ``tls`` serves the chain; ``close`` closes each connection at once; ``silent``
            accepts and never answers; ``garbage`` answers plain HTTP instead of TLS.
        host: The loopback address to bind (a scan benchmark spreads sites over 127.0.0.0/8).

    Raises:
        ValueError: ``host`` is not a loopback address.

    Raises:
        ValueError: mode ``tls`` without a certificate.
        ssl.SSLError: the key does not match the leaf.
    """
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"a demo site binds loopback only, not {host}")
    context = None
    if mode == "tls":
        if not chain_pems:
            raise ValueError("chain_pems must hold at least the leaf certificate")
        context = _tls_context(chain_pems, key_pem)
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(1024)
    listener.settimeout(_POLL)
    # The connections still being served: each worker removes itself when done, so a site that
    # serves many connections keeps no finished thread.
    workers: set[threading.Thread] = set()

    def serve_one(conn: socket.socket) -> None:
        try:
            _handle(conn, mode, context, stop)
        finally:
            workers.discard(threading.current_thread())

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=serve_one, args=(conn,), daemon=True)
            workers.add(worker)
            worker.start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield DemoSite(host, listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for worker in list(workers):
            worker.join(5)
