"""Test fixtures for the browser tests: two local HTTPS sites and the API on loopback.

- `TlsSite`: an HTTPS server on 127.0.0.1 that serves a fixed chain: a generated leaf for its
  hostname followed by the given intermediates (PEM). The browser maps the hostname to
  127.0.0.1 (``--host-resolver-rules``) and accepts the leaf (``--ignore-certificate-errors``).
- `Backend`: the real API (``extension_api.create_app``) served by werkzeug in a thread, with a
  WSGI middleware that records every request line, and the chain fetcher's resolver mapping the
  test hostnames to 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.serving import BaseWSGIServer, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def issue_leaf(host: str, issuer: x509.Certificate, now: dt.datetime) -> tuple[bytes, bytes]:
    """A leaf for ``host`` naming ``issuer`` as its issuer (signed by a throwaway key).

    The signature does not verify against the real intermediate (we do not hold its key); the
    browser is told to accept it, and the backend reads the served chain unverified.

    Returns:
        (leaf PEM, private key PEM).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        pass
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False
        )
    cert = builder.sign(signer, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = getattr(self.server, "site_name", "site")
        body = f"<!doctype html><title>{name}</title><p>test site</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class TlsSite:
    """An HTTPS site on 127.0.0.1 serving ``leaf + intermediates`` for ``host``."""

    def __init__(
        self,
        host: str,
        issuer: x509.Certificate,
        chain_pems: bytes,
        now: dt.datetime,
        leaf: tuple[bytes, bytes] | None = None,
    ):
        """Issue the leaf (or serve ``leaf``: PEM and key PEM) and bind a port.

        The server starts with `start`.
        """
        self.host = host
        leaf_pem, key_pem = leaf if leaf is not None else issue_leaf(host, issuer, now)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix=f"revlab-{host}-") as tmp:
            chain_file = Path(tmp) / "chain.pem"
            key_file = Path(tmp) / "key.pem"
            chain_file.write_bytes(leaf_pem + chain_pems)
            key_file.write_bytes(key_pem)
            context.load_cert_chain(chain_file, key_file)
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
        self._httpd.daemon_threads = True
        self._httpd.site_name = host  # type: ignore[attr-defined]
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The site's URL as the browser sees it."""
        return f"https://{self.host}:{self.port}/"

    def start(self) -> TlsSite:
        """Serve in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()


class RequestLog:
    """WSGI middleware that records ``METHOD path?query`` of every request it passes on."""

    def __init__(self, app: WsgiApp):
        """Wrap ``app``."""
        self.app = app
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Record, then pass on."""
        query = environ.get("QUERY_STRING", "")
        line = f"{environ['REQUEST_METHOD']} {environ.get('RAW_URI') or environ['PATH_INFO']}"
        if query and "?" not in line:
            line += f"?{query}"
        with self._lock:
            self.lines.append(line)
        return self.app(environ, start_response)

    def snapshot(self) -> list[str]:
        """The requests so far."""
        with self._lock:
            return list(self.lines)


class Backend:
    """The real API in a thread on 127.0.0.1, recording its requests."""

    def __init__(self, app: Any):
        """Serve ``app`` (a Flask app) behind a `RequestLog`."""
        self.app = app
        self.log = RequestLog(app.wsgi_app)
        app.wsgi_app = self.log
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Backend:
        """Serve in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class SilentBackend:
    """A backend that accepts connections and never answers (the stalled-page scenario)."""

    def __init__(self) -> None:
        """Listen on a loopback port."""
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)  # read nothing, answer nothing, keep it open

    def start(self) -> SilentBackend:
        """Accept in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every held connection and the listener."""
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()


def loopback_resolver(hosts: Iterable[str]) -> Callable[[str, int], list[str]]:
    """A resolver for the chain fetcher that maps the test hostnames to 127.0.0.1 only."""
    known = frozenset(hosts)

    def resolve(host: str, port: int) -> list[str]:
        if host not in known:
            raise OSError(f"{host} is not a test host")
        return ["127.0.0.1"]

    return resolve


def with_resolver(fetch: Callable[..., Any], resolver: Callable[[str, int], list[str]]) -> Any:
    """The fetcher with the test resolver bound."""
    return functools.partial(fetch, resolver=resolver)
