"""Read the certificate chain a TLS server serves, behind the SSRF guard (`tlsscan.guard`).

The guard vets the target first (host, port, every resolved address); the fetcher then
connects to a vetted address (never re-resolving: no DNS rebinding), sends the hostname as SNI
only, performs an unverified handshake (we read what the site serves, we trust nothing), and
reads the served chain; nothing is followed, nothing is sent after the handshake.

Connect and handshake timeouts, one total deadline across every address tried, a cap on how
many addresses are tried, and a cap on the chain length bound every fetch. A failure, a name
that does not resolve included, is data: `FetchResult.error` says why, and the verdict becomes
``unknown``. Only a refusal by the guard is raised (`GuardError`).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from dataclasses import dataclass

from .guard import (
    FetchPolicy,
    GuardError,
    HostError,
    IPAddress,
    NameNotResolved,
    Resolver,
    normalise_host,
    parse_target,
    vet_address,
    vetted_addresses,
)

# The guard's names stay importable from here: the fetcher is what callers think of.
__all__ = [
    "FetchPolicy",
    "FetchResult",
    "GuardError",
    "HostError",
    "client_context",
    "fetch_chain",
    "normalise_host",
    "parse_target",
    "served_chain",
    "vet_address",
    "vetted_addresses",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """What a fetch obtained.

    Attributes:
        host: the normalised hostname (ASCII) or IP literal.
        port: the port.
        address: the vetted IP address connected to (None when no connection was made).
        chain: the served certificates, DER, leaf first (empty on failure).
        error: why the chain could not be read; None on success.
        truncated: whether the served chain was longer than the cap.
    """

    host: str
    port: int
    address: str | None
    chain: tuple[bytes, ...]
    error: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """Whether a chain was read."""
        return self.error is None


def client_context() -> ssl.SSLContext:
    # We read the chain the site serves and judge it ourselves: verification is off on purpose.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Sites still serving affected chains often have old keys and SHA-1 signatures: read them
    # anyway (nothing secret is sent on this connection; it closes after the handshake).
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def served_chain(tls: ssl.SSLSocket) -> list[bytes]:
    # Python 3.13 has the public SSLSocket.get_unverified_chain(); 3.11 and 3.12 have it on the
    # private _sslobj, returning _ssl.Certificate objects.
    public = getattr(tls, "get_unverified_chain", None)
    items = public() if public is not None else tls._sslobj.get_unverified_chain()  # type: ignore[attr-defined]
    out: list[bytes] = []
    for item in items or ():
        if isinstance(item, bytes):
            out.append(item)
        else:
            out.append(item.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
    if not out:
        leaf = tls.getpeercert(binary_form=True)
        if leaf:
            out.append(leaf)
    return out


def _handshake(
    host: str, address: IPAddress, port: int, policy: FetchPolicy, ends: float
) -> list[bytes]:
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(max(0.001, min(policy.connect_timeout, ends - time.monotonic())))
        raw.connect((str(address), port))
        # The socket timeout bounds the whole handshake (CPython's ssl keeps one deadline).
        raw.settimeout(max(0.001, min(policy.handshake_timeout, ends - time.monotonic())))
        is_literal = host == str(address)
        with client_context().wrap_socket(
            raw, server_hostname=None if is_literal else host, do_handshake_on_connect=False
        ) as tls:
            tls.do_handshake()
            return served_chain(tls)


def fetch_chain(
    host: str, port: int, policy: FetchPolicy, *, resolver: Resolver | None = None
) -> FetchResult:
    """Read the chain served at ``host:port``; failures are returned, not raised.

    Args:
        host: a host already normalised by `normalise_host`.
        port: the TCP port.
        policy: what the fetcher may do.
        resolver: resolves ``(host, port)`` to address strings (tests pass a fake one).

    Raises:
        GuardError: the guard refused the target (no connection was attempted).
    """
    try:
        addresses = vetted_addresses(host, port, policy, resolver)
    except NameNotResolved as exc:
        return FetchResult(host, port, None, (), error=str(exc))
    error = "no address to connect to"
    ends = time.monotonic() + policy.deadline
    for address in addresses[: policy.max_addresses]:
        if time.monotonic() >= ends:
            error = f"no answer within the check's deadline of {policy.deadline:g} s"
            break
        try:
            chain = _handshake(host, address, port, policy, ends)
        except TimeoutError:
            error = (
                f"no answer within the check's deadline of {policy.deadline:g} s"
                if time.monotonic() >= ends
                else "the server did not answer within the timeout"
            )
        except ConnectionRefusedError:
            error = "the connection was refused"
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            error = "the server closed the connection during the handshake"
        except ssl.SSLError as exc:
            error = (
                "the server closed the connection during the handshake"
                if exc.reason == "UNEXPECTED_EOF_WHILE_READING"
                else f"the TLS handshake failed ({exc.reason or type(exc).__name__})"
            )
        except (ConnectionError, EOFError):
            error = "the server closed the connection during the handshake"
        except OSError as exc:
            error = f"the connection failed ({exc.strerror or type(exc).__name__})"
        else:
            truncated = len(chain) > policy.max_chain
            return FetchResult(
                host, port, str(address), tuple(chain[: policy.max_chain]), truncated=truncated
            )
        log.debug("fetch %s:%s via %s failed: %s", host, port, address, error)
    return FetchResult(host, port, None, (), error=error)
