"""The SSRF guard of the chain fetcher: what it refuses, and that it never connects to it.

Every test here runs with the socket layer patched (``no_connections``): if the guard let a
refused address through, the connection attempt itself would fail the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tlsscan.fetcher import (
    FetchPolicy,
    GuardError,
    HostError,
    fetch_chain,
    normalise_host,
    parse_target,
)
from tlsscan.guard import PortError, parse_allow_entry, parse_port

REFUSED = [
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("0.0.0.0", "unspecified"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fec0::1", "site-local"),  # deprecated by RFC 3879, not "private" to Python
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:169.254.169.254", "IPv4-mapped"),
    ("2002:7f00:1::1", "6to4"),
    ("64:ff9b::7f00:1", "reserved|translated"),
]


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_guard_refuses_non_public_address_literals(
    address: str, why: str, no_connections: list[Any]
) -> None:
    host = normalise_host(address)
    with pytest.raises(GuardError, match=why):
        fetch_chain(host, 443, FetchPolicy())
    assert no_connections == []


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.7", "::ffff:127.0.0.1", "::1"])
def test_guard_refuses_a_name_that_resolves_to_a_forbidden_address(
    address: str, no_connections: list[Any], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["evil.example"] = [address]
    with pytest.raises(GuardError, match="refused"):
        fetch_chain("evil.example", 443, FetchPolicy())
    assert no_connections == []


def test_guard_refuses_a_name_with_one_forbidden_address_among_public_ones(
    no_connections: list[Any], fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["mixed.example"] = ["93.184.216.34", "10.0.0.1"]
    with pytest.raises(GuardError, match=r"10\.0\.0\.1 is a private address"):
        fetch_chain("mixed.example", 443, FetchPolicy())
    assert no_connections == []


def test_guard_refuses_a_port_outside_the_allowed_set(no_connections: list[Any]) -> None:
    with pytest.raises(GuardError, match="port 22 is not allowed"):
        fetch_chain("93.184.216.34", 22, FetchPolicy(allowed_ports=frozenset({443})))
    assert no_connections == []


def test_a_name_that_does_not_resolve_is_a_failed_fetch_not_a_refusal(
    no_connections: list[Any], fake_dns: dict[str, list[str]]
) -> None:
    result = fetch_chain("nowhere.example", 443, FetchPolicy())
    assert (result.ok, result.address, result.chain) == (False, None, ())
    assert result.error is not None and result.error.startswith("the name does not resolve")
    # The error reaches k-anonymity answers: it must not name the host.
    assert "nowhere" not in result.error
    assert no_connections == []


def test_a_resolver_with_no_answer_is_a_name_that_does_not_resolve(
    no_connections: list[Any],
) -> None:
    result = fetch_chain("empty.example", 443, FetchPolicy(), resolver=lambda host, port: [])
    assert result.error == "the name does not resolve (no address)"
    assert no_connections == []


def test_guard_connects_to_the_vetted_address_only(
    no_connections: list[Any], fake_dns: dict[str, list[str]]
) -> None:
    # A public address passes the guard: the fetcher then connects to exactly that address
    # (resolved once; our patched socket layer records the attempt and stops it).
    fake_dns["public.example"] = ["93.184.216.34"]
    with pytest.raises(AssertionError, match=r"93\.184\.216\.34"):
        fetch_chain("public.example", 443, FetchPolicy())
    assert no_connections == [("93.184.216.34", 443)]


def test_allow_list_lets_loopback_through_by_address_or_network() -> None:
    from tlsscan.fetcher import vetted_addresses

    assert [str(a) for a in vetted_addresses(
        "127.0.0.1", 8443, FetchPolicy(allow_hosts=("127.0.0.0/8",))
    )] == ["127.0.0.1"]
    with pytest.raises(GuardError):
        vetted_addresses("127.0.0.2", 443, FetchPolicy(allow_hosts=("127.0.0.1",)))


@pytest.mark.parametrize(
    "spelling",
    ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001",
     "0251.0376.0251.0376", "169.254.43518"],
)
def test_numeric_ip_spellings_are_refused_as_input(spelling: str) -> None:
    with pytest.raises(HostError, match="canonical"):
        normalise_host(spelling)


@pytest.mark.parametrize(
    "bad",
    ["", "a..b", "-a.example", "a-.example", "a_b.example", "x" * 64 + ".example",
     "exa mple.com", "example.com/path", "user@example.com", "fe80::1%eth0", "[::1",
     "a.b.c." * 50, "xn--.example", "a\u3002\u3002b.example", "\u00fc" * 70 + ".example"],
)
def test_invalid_hostnames_are_refused(bad: str) -> None:
    with pytest.raises(HostError):
        normalise_host(bad)


@pytest.mark.parametrize("bad", ["example.com:8443", "https://example.com"])
def test_a_host_with_a_port_or_a_scheme_is_told_to_give_the_name_alone(bad: str) -> None:
    with pytest.raises(HostError, match="give the name alone, and the port apart"):
        normalise_host(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM.", "example.com"),
        ("b\u00fccher.example", "xn--bcher-kva.example"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("192.0.2.1", "192.0.2.1"),
    ],
)
def test_hosts_are_normalised(raw: str, expected: str) -> None:
    assert normalise_host(raw) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [("example.com", ("example.com", 443)), ("example.com:8443", ("example.com", 8443)),
     ("[2001:db8::1]:853", ("2001:db8::1", 853)), ("2001:db8::1", ("2001:db8::1", 443))],
)
def test_targets_split_into_host_and_port(target: str, expected: tuple[str, int]) -> None:
    assert parse_target(target) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://example.com/", ("example.com", 443)),
     ("https://Example.COM:8443/a/b?c=d#e", ("example.com", 8443)),
     ("HTTPS://example.com", ("example.com", 443)),
     ("https://[2001:db8::1]:853/x", ("2001:db8::1", 853)),
     ("https://b\u00fccher.example/", ("xn--bcher-kva.example", 443))],
)
def test_https_urls_are_targets_with_the_path_ignored(
    url: str, expected: tuple[str, int]
) -> None:
    assert parse_target(url) == expected


@pytest.mark.parametrize(
    ("url", "why"),
    [("http://example.com/", "only https"), ("ftp://example.com", "only https"),
     ("https://user:pw@example.com/", "user name"), ("https:///path", "no host"),
     ("https://example.com:x/", "port"), ("https://2130706433/", "canonical")],
)
def test_urls_that_name_no_tls_server_are_refused(url: str, why: str) -> None:
    with pytest.raises(HostError, match=why):
        parse_target(url)


@pytest.mark.parametrize("target", ["example.com:0", "example.com:99999", "example.com:x"])
def test_targets_with_a_bad_port_are_refused(target: str) -> None:
    with pytest.raises(PortError, match="port"):
        parse_target(target)


# Unicode digits: str.isdigit() says yes, int() refuses (²) or misreads (٣) them.
@pytest.mark.parametrize("text", ["0", "65536", "x", "", "+1", " 1", "\u00b2", "\u0663", "1.0"])
def test_ports_are_ascii_digits_between_1_and_65535(text: str) -> None:
    with pytest.raises(PortError, match="between 1 and 65535"):
        parse_port(text)


def test_a_port_reads_as_its_number() -> None:
    assert [parse_port(t) for t in ("1", "0443", "65535")] == [1, 443, 65535]


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), ("127.0.0.1", "127.0.0.1"),
     ("::1", "::1"), (" Example.COM. ", "example.com"), ("fd00::/8", "fd00::/8")],
)
def test_allow_list_entries_are_read_in_canonical_form(entry: str, canonical: str) -> None:
    assert parse_allow_entry(entry) == canonical


@pytest.mark.parametrize("entry", ["notanip/99", "10.0.0.0/33", "10.0.0.0/x", "a..b",
                                   "exa mple", "", "0177.0.0.1", "http://example.com"])
def test_allow_list_entries_that_name_nothing_are_refused(entry: str) -> None:
    with pytest.raises(HostError, match="not a hostname, an IP address or a network"):
        parse_allow_entry(entry)
