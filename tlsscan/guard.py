"""The SSRF guard: which targets the chain fetcher may connect to, decided before it connects.

The fetcher is deployed on the internet: anyone may ask it to connect anywhere. So the guard

1. accepts only a well-formed hostname (IDNs are converted to their ASCII form) or a canonical
   IP literal; decimal, octal and hexadecimal IPv4 spellings (``2130706433``, ``0177.0.0.1``,
   ``0x7f.1``) are refused, because resolvers read them as addresses nobody vetted;
2. checks the port against the configured set;
3. resolves the name once and vets every address: loopback, private, link-local
   (``169.254.169.254``), multicast, reserved, unspecified (``0.0.0.0``), shared (100.64/10),
   IPv4-mapped/translated IPv6 (``::ffff:127.0.0.1``), 6to4 and Teredo are refused unless the
   explicit allow-list names the host or the address.

The fetcher then connects to a vetted address only (never re-resolving: no DNS rebinding).
A name that does not resolve is not a refusal: `NameNotResolved` lets the fetcher report it as
a failed fetch (verdict ``unknown``).

Targets are parsed here once for every caller: ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or an
``https://`` URL (`parse_target`), a port alone (`parse_port`), an allow-list entry
(`parse_allow_entry`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.errors import GuardError, HostError

__all__ = [
    "FetchPolicy",
    "GuardError",
    "HostError",
    "IPAddress",
    "NameNotResolved",
    "PortError",
    "Resolver",
    "normalise_host",
    "parse_allow_entry",
    "parse_port",
    "parse_target",
    "system_resolver",
    "vet_address",
    "vetted_addresses",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

#: Port of HTTPS, used when a target names none.
DEFAULT_PORT = 443

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


class PortError(HostError):
    """A port that is not a number between 1 and 65535."""


class NameNotResolved(LookupError):
    """The name has no address: a failed fetch (verdict ``unknown``), not a guard refusal."""


@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher may do.

    Attributes:
        allow_hosts: hostnames, IP addresses and networks let through the guard (each as
            `parse_allow_entry` accepts it).
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
            if host.count(":") == 1 or "/" in host:
                raise HostError(
                    f"{host!r} is not a host: give the name alone, and the port apart"
                ) from None
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


def parse_port(text: str) -> int:
    """A TCP port written in ASCII digits, 1-65535.

    ASCII only: ``str.isdigit()`` also accepts ``'²'`` and ``'٣'``, which ``int()`` refuses or
    reads as another number.

    Raises:
        PortError: anything else.
    """
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise PortError(f"port {text!r} is not a number between 1 and 65535")
    return int(text)


def _split_host_port(text: str) -> tuple[str, str]:
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed:
            raise HostError(f"{text!r}: an IPv6 address needs its closing ']'")
        if rest and not rest.startswith(":"):
            raise HostError(f"{text!r}: expected [IPv6]:PORT")
        return host, rest[1:]
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        return host, port_text
    return text, ""


def _authority_of_url(text: str) -> str:
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() != "https":
        raise HostError(
            f"{text!r}: only https:// URLs name a TLS server (or give HOST[:PORT])"
        )
    _userinfo, at, authority = parts.netloc.rpartition("@")
    if at:
        raise HostError(f"{text!r}: a URL with a user name or password is not accepted")
    if not authority:
        raise HostError(f"{text!r}: the URL names no host")
    return authority


def parse_target(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """The normalised host and the port of ``HOST[:PORT]``, ``[IPv6][:PORT]`` or an https URL.

    A URL's path, query and fragment are ignored (``https://example.com/a?b`` is
    ``example.com:443``).

    Raises:
        HostError: the host or the port is invalid, or the URL is not https (`PortError` for
            the port).
    """
    text = text.strip()
    if "://" in text:
        text = _authority_of_url(text)
    host, port_text = _split_host_port(text)
    port = parse_port(port_text) if port_text else default_port
    return normalise_host(host), port


def parse_allow_entry(text: str) -> str:
    """An allow-list entry in canonical form: a network (CIDR), an IP address or a hostname.

    Raises:
        HostError: the entry is none of these (``notanip/99``, ``10.0.0.0/99``, ``a..b``).
    """
    entry = text.strip()
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=False))
        return normalise_host(entry)
    except (ValueError, HostError):
        raise HostError(
            f"{entry!r} is not a hostname, an IP address or a network such as 10.0.0.0/8"
        ) from None


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


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%")[0], None)
    return list(seen)


def _resolve(host: str, port: int, resolver: Resolver | None) -> list[str]:
    # The message never names the host: it reaches the k-anonymity answers (privacy model).
    try:
        raw = list((resolver or system_resolver)(host, port))
    except socket.gaierror as exc:
        raise NameNotResolved(f"the name does not resolve ({exc.strerror})") from None
    except (OSError, UnicodeError) as exc:
        raise NameNotResolved(f"the name does not resolve ({type(exc).__name__})") from None
    if not raw:
        raise NameNotResolved("the name does not resolve (no address)")
    return raw


def vetted_addresses(
    host: str, port: int, policy: FetchPolicy, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve once and return the addresses the guard lets through.

    Every resolved address must pass: one forbidden answer refuses the host (a name that also
    resolves to 10.0.0.1 is refused even if it has a public address).

    Raises:
        GuardError: the port is not allowed, or an address is refused.
        NameNotResolved: the name has no address (not a refusal: the target may not exist).
    """
    if policy.allowed_ports and port not in policy.allowed_ports:
        raise GuardError(f"port {port} is not allowed here")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    raw = [str(literal)] if literal is not None else _resolve(host, port, resolver)
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
