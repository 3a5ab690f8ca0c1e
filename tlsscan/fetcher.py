"""Read the certificate chain a TLS server serves, behind an SSRF guard.

The fetcher is deployed on the internet: anyone may ask it to connect anywhere. So it

1. accepts only a well-formed hostname (IDNs are converted to their ASCII form) or a canonical
   IP literal; decimal, octal and hexadecimal IPv4 spellings (``2130706433``, ``0177.0.0.1``,
   ``0x7f.1``) are refused, because resolvers read them as addresses nobody vetted;
2. checks the port against the configured set;
3. resolves the name once (``socket.getaddrinfo``) and vets every address: loopback, private,
   link-local (``169.254.169.254``), multicast, reserved, unspecified (``0.0.0.0``), shared
   (100.64/10), IPv4-mapped/translated IPv6 (``::ffff:127.0.0.1``), 6to4 and Teredo are refused
   unless the explicit allow-list names the host or the address;
4. connects to the vetted address (never re-resolving: no DNS rebinding), sends the hostname as
   SNI only, performs an unverified handshake (we read what the site serves, we trust nothing),
   and reads the served chain; nothing is followed, nothing is sent after the handshake.

Connect and handshake timeouts, one total deadline across every address tried, a cap on how
many addresses are tried, and a cap on the chain length bound every fetch. A failure is
data: `FetchResult.error` says why, and the verdict becomes ``unknown``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.errors import GuardError, HostError

__all__ = [
    "FetchPolicy",
    "FetchResult",
    "GuardError",
    "HostError",
    "fetch_chain",
    "normalise_host",
    "parse_target",
    "vet_address",
]

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# RFC 1035 2.3.4 / RFC 1123 2.1: labels of 1-63 letters, digits and hyphens, 253 in all.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# A last label made of digits or 0x-hex: a numeric IPv4 spelling, never a real TLD (RFC 3696 2).
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
# Networks ipaddress does not flag as non-global on every Python version, refused explicitly.
_EXTRA_BLOCKED: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("100.64.0.0/10"),  # RFC 6598 shared address space (carrier NAT)
    ipaddress.ip_network("64:ff9b::/96"),  # RFC 6052 NAT64: embeds an IPv4 address
    ipaddress.ip_network("64:ff9b:1::/48"),  # RFC 8215 local-use NAT64
)




@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher may do.

    Attributes:
        allow_hosts: hostnames, IP addresses and networks let through the guard.
        allowed_ports: the ports it may connect to; empty means any.
        connect_timeout: seconds for the TCP connect.
        handshake_timeout: seconds for the TLS handshake.
        max_chain: most certificates read from the served chain.
        deadline: total seconds of one fetch, across every address tried.
        max_addresses: most addresses of one name tried (a name may have dozens of tarpits).
    """

    allow_hosts: tuple[str, ...] = ()
    allowed_ports: frozenset[int] = frozenset({443, 8443})
    connect_timeout: float = 5.0
    handshake_timeout: float = 5.0
    max_chain: int = 10
    deadline: float = 10.0
    max_addresses: int = 4

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether the allow-list names the host, the address or a network holding it."""
        for entry in self.allow_hosts:
            if entry.lower().rstrip(".") == host:
                return True
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        return False


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


def normalise_host(raw: str) -> str:
    """The host in canonical form: lower-case ASCII (IDNA), or a canonical IP literal.

    Raises:
        HostError: not a hostname or a canonical IP address.
    """
    host = raw.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise HostError("the host is empty")
    if len(host) > 255:
        raise HostError("the host is longer than 253 characters")
    if ":" in host:
        try:
            if "%" in host:
                raise ValueError("zone ids are local")
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise HostError(f"{host!r} is not a valid IPv6 address") from None
    host = host.rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise HostError("the internationalised hostname is not valid IDNA") from None
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise HostError(
                f"{host!r} is not a canonical dotted-quad IPv4 address "
                "(decimal, octal and hexadecimal spellings are refused)"
            ) from None
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise HostError(f"{host!r} is not a valid hostname")
    return host


def parse_target(text: str, default_port: int = 443) -> tuple[str, int]:
    """Split ``HOST[:PORT]`` (``[v6]:port`` for IPv6) and normalise the host.

    Raises:
        HostError: the host or the port is invalid.
    """
    text = text.strip()
    port_text = ""
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed:
            raise HostError(f"{text!r}: an IPv6 address needs its closing ']'")
        if rest:
            if not rest.startswith(":"):
                raise HostError(f"{text!r}: expected [IPv6]:PORT")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host = text
    port = default_port
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise HostError(f"port {port_text!r} is not a number between 1 and 65535")
        port = int(port_text)
    return normalise_host(host), port


def vet_address(address: IPAddress) -> str | None:
    """Why an address must not be connected to, or None when it is a public unicast one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # fec0::/10, deprecated (RFC 3879) but still routable inside
            return f"{address} is a site-local address"
        if address.ipv4_mapped is not None:
            return f"{address} is an IPv4-mapped IPv6 address"
        if address.sixtofour is not None:
            return f"{address} is a 6to4 address (it embeds an IPv4 address)"
        if address.teredo is not None:
            return f"{address} is a Teredo address (it embeds an IPv4 address)"
    checks = (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    )
    for attribute, label in checks:
        if getattr(address, attribute):
            return f"{address} is a {label} address"
    if any(address in net for net in _EXTRA_BLOCKED):
        return f"{address} is in a shared or translated range"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%")[0], None)
    return list(seen)


def vetted_addresses(
    host: str, port: int, policy: FetchPolicy, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve once and return the addresses the guard lets through.

    Every resolved address must pass: one forbidden answer refuses the host (a name that also
    resolves to 10.0.0.1 is refused even if it has a public address).

    Raises:
        GuardError: the port is not allowed, the name does not resolve, or an address is refused.
    """
    if policy.allowed_ports and port not in policy.allowed_ports:
        raise GuardError(f"port {port} is not allowed here")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        raw = [str(literal)]
    else:
        try:
            raw = list((resolver or _system_resolver)(host, port))
        except (OSError, UnicodeError) as exc:
            raise GuardError(f"the name does not resolve ({type(exc).__name__})") from None
    if not raw:
        raise GuardError("the name does not resolve")
    out: list[IPAddress] = []
    for text in raw:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise GuardError(f"the resolver returned {text!r}, not an address") from None
        reason = vet_address(address)
        if reason is not None and not policy.allows(host, address):
            raise GuardError(f"refused: {reason}")
        out.append(address)
    return out


def _client_context() -> ssl.SSLContext:
    # We read the chain the site serves and judge it ourselves: verification is off on purpose.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Sites still serving affected chains often have old keys and SHA-1 signatures: read them
    # anyway (nothing secret is sent on this connection; it closes after the handshake).
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _served_chain(tls: ssl.SSLSocket) -> list[bytes]:
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
        with _client_context().wrap_socket(
            raw, server_hostname=None if is_literal else host, do_handshake_on_connect=False
        ) as tls:
            tls.do_handshake()
            return _served_chain(tls)


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
    addresses = vetted_addresses(host, port, policy, resolver)
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
