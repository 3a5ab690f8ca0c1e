"""The first-flight reader against real loopback servers (``openssl s_server`` and Python's
``ssl``): the chain and version it reads equal what a full handshake with ``ssl`` reads from
the same server, for each protocol, key type, AEAD and HelloRetryRequest group; and a server
that fails gives the scanner's error kinds."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from sim.loader import load_ccadb_csv
from sim.pki import Hierarchy, build_hierarchy
from tests.conftest import NOW, TEST_DATA, require_tool
from tests.extension_api.tls_servers import affected_intermediate_pem, hierarchy, serve
from tests.servers import free_port, listening, running
from tlsscan.fetcher import client_context, served_chain
from tlsscan.hello import (
    FirstFlight,
    FirstFlightFailed,
    FirstFlightUnsupported,
    read_first_flight,
)
from tlsscan.scanner import ScanErrorKind, ScanOptions, Served, scan_target
from tlsscan.targets import Target

NAME = "hello.test"
FAST = ScanOptions(timeout=5.0, concurrency=1, allow_private=True)
FULL = ScanOptions(timeout=5.0, concurrency=1, allow_private=True, full_handshake=True)


def resolver(host: str, port: int) -> list[str]:
    """``hello.test`` is 127.0.0.1."""
    del port
    if host == NAME:
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _pki(key_type: str | None = None) -> Hierarchy:
    leaf: dict[str, object] = {"name": "leaf", "kind": "tls_server", "issuer": "ica",
                               "dns_names": [NAME]}
    if key_type is not None:
        leaf["key"] = key_type
    return build_hierarchy({"name": "hello", "certificates": [
        {"name": "root", "kind": "root"},
        {"name": "ica", "kind": "intermediate", "issuer": "root"},
        leaf,
    ]}, now=NOW, seed=11)


def _real_intermediates(count: int) -> list[bytes]:
    """Real CA certificates (PEM) from the vendored CCADB sample, for a long chain."""
    import ssl

    found = [ssl.DER_cert_to_PEM_cert(r.der).encode("ascii")
             for r in load_ccadb_csv((TEST_DATA / "ccadb_sample.csv").read_bytes())
             if r.ok and r.is_ca and r.der]
    assert len(found) >= count
    return found[:count]


@pytest.fixture(scope="module")
def ecdsa() -> Hierarchy:
    return _pki()


@pytest.fixture(scope="module")
def rsa() -> Hierarchy:
    return _pki("rsa-2048")


@contextmanager
def s_server(tmp_path: Path, chain: Sequence[bytes], key: bytes, *options: str) -> Iterator[int]:
    """``openssl s_server`` on 127.0.0.1 serving ``chain`` (leaf first) with ``options``."""
    openssl = require_tool("openssl")
    leaf, rest, key_file = tmp_path / "leaf.pem", tmp_path / "rest.pem", tmp_path / "key.pem"
    leaf.write_bytes(chain[0])
    rest.write_bytes(b"".join(chain[1:]))
    key_file.write_bytes(key)
    port = free_port()
    argv = [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(leaf),
            "-key", str(key_file), "-quiet", "-no_ticket",
            # The real intermediates are SHA-1 signed, as `tlsscan.fetcher`'s client allows.
            "-cipher", "DEFAULT:@SECLEVEL=0", *options]
    if len(chain) > 1:
        argv += ["-cert_chain", str(rest)]
    log = tmp_path / "s_server.log"
    with log.open("w") as errors, running(argv, lambda: listening(port),
                                          stdout=subprocess.DEVNULL, stderr=errors) as proc:
        yield port
        # A server that died mid-test would make a refusal look like the reader's fault.
        assert proc.poll() is None, log.read_text()


def _fast(port: int, name: str | None = NAME, *, max_chain: int = 10) -> FirstFlight:
    async def read() -> FirstFlight:
        async with asyncio.timeout(5):
            return await read_first_flight("127.0.0.1", port, name, max_chain=max_chain)

    return asyncio.run(read())


def _scan(port: int, options: ScanOptions, host: str = NAME) -> Served:
    return asyncio.run(scan_target(Target(host, port), options, resolver=resolver))


def _full_handshake(port: int) -> tuple[str | None, tuple[bytes, ...]]:
    """The version and whole served chain of a full handshake with ``ssl`` (the fetcher's)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            client_context().wrap_socket(raw, server_hostname=NAME) as tls:
        return tls.version(), tuple(served_chain(tls))


def _assert_same_as_full(flight: FirstFlight, port: int) -> None:
    assert (flight.tls_version, flight.chain) == _full_handshake(port)
    # And the scanner's own full-handshake path (`--full-handshake`) agrees.
    full = _scan(port, FULL)
    assert (full.error, full.tls_version, full.chain) == (None, flight.tls_version,
                                                          flight.chain[:10])


CHAIN_CASES = {
    # name: (key type, s_server options, expected version, expected cipher suite or None)
    "tls13-only-ecdsa": (None, ["-tls1_3"], "TLSv1.3", None),
    "tls12-only-ecdsa": (None, ["-tls1_2"], "TLSv1.2", None),
    "both-ecdsa": (None, [], "TLSv1.3", None),
    "tls13-only-rsa": ("rsa-2048", ["-tls1_3"], "TLSv1.3", None),
    "tls12-only-rsa": ("rsa-2048", ["-tls1_2"], "TLSv1.2", None),
    "both-rsa": ("rsa-2048", [], "TLSv1.3", None),
    "aes128gcm": (None, ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLSv1.3",
                  0x1301),
    "aes256gcm": (None, ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"], "TLSv1.3",
                  0x1302),
    "chacha20": (None, ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
                 "TLSv1.3", 0x1303),
    # Our first hello shares an X25519 key only: each of these answers a HelloRetryRequest.
    "hrr-p256": (None, ["-tls1_3", "-groups", "P-256"], "TLSv1.3", None),
    "hrr-p384-sha384": (None, ["-tls1_3", "-groups", "P-384", "-ciphersuites",
                               "TLS_AES_256_GCM_SHA384"], "TLSv1.3", 0x1302),
    "hrr-p521": (None, ["-tls1_3", "-groups", "P-521"], "TLSv1.3", None),
    "hrr-x448": (None, ["-tls1_3", "-groups", "X448"], "TLSv1.3", None),
    "tls12-ecdhe-rsa-gcm": ("rsa-2048", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
                            "TLSv1.2", 0xC02F),
}


@pytest.mark.parametrize("case", list(CHAIN_CASES))
def test_the_first_flight_reads_the_chain_and_version_of_a_full_handshake(
    tmp_path: Path, ecdsa: Hierarchy, rsa: Hierarchy, case: str
) -> None:
    key_type, options, version, suite = CHAIN_CASES[case]
    pki = rsa if key_type else ecdsa
    chain = [pki["leaf"].pem, pki["ica"].pem]
    with s_server(tmp_path, chain, pki["leaf"].key_pem(), *options) as port:
        flight = _fast(port)
        assert flight.tls_version == version
        if suite is not None:
            assert flight.cipher_suite == suite
        assert flight.chain == (pki["leaf"].der, pki["ica"].der)
        _assert_same_as_full(flight, port)


def test_a_long_chain_spanning_several_records_is_read_whole(
    tmp_path: Path, ecdsa: Hierarchy
) -> None:
    chain = [ecdsa["leaf"].pem, *_real_intermediates(24)]
    for version in ("-tls1_3", "-tls1_2"):
        with s_server(tmp_path, chain, ecdsa["leaf"].key_pem(), version) as port:
            flight = _fast(port, max_chain=30)
            assert len(flight.chain) == 25
            # More than one TLS record's worth (2^14 bytes): the message spans records.
            assert sum(len(der) for der in flight.chain) > 2**14
            _assert_same_as_full(flight, port)


def test_the_chain_is_capped(tmp_path: Path, ecdsa: Hierarchy) -> None:
    chain = [ecdsa["leaf"].pem, *_real_intermediates(5)]
    with s_server(tmp_path, chain, ecdsa["leaf"].key_pem()) as port:
        assert len(_fast(port, max_chain=3).chain) == 3


def test_a_python_ssl_server_serving_a_real_2020_intermediate_reads_the_same() -> None:
    pki = hierarchy(NOW)
    with serve(Path("."), [pki["leaf"].pem, affected_intermediate_pem(0)],
               pki["leaf"].key_pem()) as site:
        flight = _fast(site.port)
        assert flight.chain[1] == _der(affected_intermediate_pem(0))
        _assert_same_as_full(flight, site.port)
        fast = _scan(site.port, FAST)
        assert (fast.tls_version, fast.chain, fast.error) == (flight.tls_version, flight.chain,
                                                              None)


def _der(pem: bytes) -> bytes:
    import ssl

    return ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))


def test_a_group_the_reader_does_not_do_falls_back_to_the_full_handshake(
    tmp_path: Path, ecdsa: Hierarchy
) -> None:
    chain = [ecdsa["leaf"].pem, ecdsa["ica"].pem]
    with s_server(tmp_path, chain, ecdsa["leaf"].key_pem(), "-tls1_3", "-groups",
                  "ffdhe2048") as port:
        with pytest.raises(FirstFlightUnsupported, match="0x0100"):
            _fast(port)
        served = _scan(port, FAST)  # the scanner falls back within the same deadline
        assert (served.error, served.tls_version) == (None, "TLSv1.3")
        assert served.chain == (ecdsa["leaf"].der, ecdsa["ica"].der)


# --- servers that fail -----------------------------------------------------------------------


@contextmanager
def raw_server(answer: Callable[[socket.socket], None],
               seen: list[bytes] | None = None) -> Iterator[int]:
    """A loopback server that reads the ClientHello (kept in ``seen``) and runs ``answer`` on
    each connection, then closes it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    hello = conn.recv(65536)
                    if seen is not None:
                        seen.append(hello)
                    answer(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def _send(data: bytes) -> Callable[[socket.socket], None]:
    def answer(conn: socket.socket) -> None:
        conn.sendall(data)

    return answer


#: A fatal handshake_failure alert (RFC 8446 6.2), as a plaintext record.
ALERT = bytes.fromhex("15030300020228")
#: A TLS 1.2 ServerHello (null compression, ECDHE-RSA-AES128-GCM-SHA256, no extensions).
SERVER_HELLO_12 = (bytes.fromhex("160303002a" "02000026" "0303") + bytes(32) + b"\x00"
                   + bytes.fromhex("c02f00"))


def test_an_alert_in_answer_to_the_hello_goes_to_the_full_handshake_which_fails_as_tls(
) -> None:
    with raw_server(_send(ALERT)) as port:
        with pytest.raises(FirstFlightUnsupported, match="alert"):
            _fast(port)
        served = _scan(port, FAST)
    assert served.error is ScanErrorKind.TLS


def test_an_alert_after_the_server_hello_is_a_tls_error() -> None:
    with raw_server(_send(SERVER_HELLO_12 + ALERT)) as port:
        with pytest.raises(FirstFlightFailed, match="alert"):
            _fast(port)
        served = _scan(port, FAST)
    assert (served.error, served.chain) == (ScanErrorKind.TLS, ())
    assert "alert" in (served.detail or "")


def _server_hello_13() -> bytes:
    """A TLS 1.3 ServerHello (TLS_AES_128_GCM_SHA256, an X25519 key share) as a record."""
    public = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    # supported_versions: TLS 1.3; key_share: X25519, 32 bytes.
    extensions = bytes.fromhex("002b00020304" "00330024" "001d0020") + public
    body = (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(32) + bytes.fromhex("130100")
            + len(extensions).to_bytes(2, "big") + extensions)
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(message).to_bytes(2, "big") + message


def test_a_record_that_does_not_decrypt_goes_to_the_full_handshake() -> None:
    # The reader cannot tell a server's bad record from its own mistake: ssl decides.
    protected = b"\x17\x03\x03\x00\x28" + bytes(40)
    with raw_server(_send(_server_hello_13() + protected)) as port:
        with pytest.raises(FirstFlightUnsupported, match="did not decrypt"):
            _fast(port)
        served = _scan(port, FAST)
    assert served.error is ScanErrorKind.TLS
    assert (served.detail or "").startswith("the TLS handshake failed")


def test_garbage_is_a_tls_error() -> None:
    with raw_server(_send(b"HTTP/1.1 400 Bad Request\r\n\r\n")) as port:
        with pytest.raises(FirstFlightFailed, match="did not answer with TLS"):
            _fast(port)
        served = _scan(port, FAST)
        full = _scan(port, FULL)
    assert served.error is full.error is ScanErrorKind.TLS
    # Each path says it in its own words: the option really takes ssl's handshake.
    assert served.detail == "the server did not answer with TLS"
    assert (full.detail or "").startswith("the TLS handshake failed")


def test_a_record_truncated_after_the_server_hello_is_a_tls_error() -> None:
    # A Certificate record announcing 46 bytes, 10 of them sent, then the connection closes.
    certificate = bytes.fromhex("160303002e" "0b00002a")
    with raw_server(_send(SERVER_HELLO_12 + certificate[:15])) as port:
        with pytest.raises(FirstFlightFailed, match="closed the connection"):
            _fast(port)
        served = _scan(port, FAST)
    assert (served.error, served.detail) == (
        ScanErrorKind.TLS, "the server closed the connection during the handshake")


def test_a_connection_closed_before_the_server_hello_goes_to_the_full_handshake() -> None:
    # Half a ServerHello record, then the connection closes: the server may have refused our
    # hello and not OpenSSL's, so the full handshake asks again (and fails here too).
    with raw_server(_send(SERVER_HELLO_12[:15])) as port:
        with pytest.raises(FirstFlightUnsupported, match="before its ServerHello"):
            _fast(port)
        served = _scan(port, FAST)
    assert (served.error, served.detail) == (
        ScanErrorKind.TLS, "the server closed the connection during the handshake")


def test_a_record_over_the_limit_goes_to_the_full_handshake() -> None:
    oversized = bytes.fromhex("16030348ff")  # 18,687 bytes: over 2^14 + 256
    with raw_server(_send(oversized)) as port:
        with pytest.raises(FirstFlightUnsupported, match="over the limit"):
            _fast(port)
        assert _scan(port, FAST).error is ScanErrorKind.TLS


def test_a_server_that_never_stops_sending_is_cut_off() -> None:
    # ChangeCipherSpec records are skipped (RFC 8446 D.4), but not without end.
    endless = bytes.fromhex("140303000101") * 200_000  # 1.2 MB of them
    with raw_server(_send(endless)) as port:
        with pytest.raises(FirstFlightUnsupported, match="without a Certificate"):
            _fast(port)
        assert _scan(port, FAST).error is ScanErrorKind.TLS


def test_a_silent_server_times_out_at_the_targets_deadline() -> None:
    with serve(Path("."), mode="silent") as site:
        served = _scan(site.port, ScanOptions(timeout=0.3, concurrency=1, allow_private=True))
    assert served.error is ScanErrorKind.TIMEOUT
    assert "0.3 s" in (served.detail or "")


# --- the hello -------------------------------------------------------------------------------


def _hello_sent(name: str | None) -> bytes:
    """The bytes the reader sends to a server that reads them and closes."""
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        del conn

    with raw_server(answer, seen) as port, pytest.raises(FirstFlightUnsupported):
        _fast(port, name)
    return seen[0]


def test_the_hello_sends_the_name_as_sni_and_an_ip_literal_sends_none() -> None:
    named = _hello_sent(NAME)
    literal = _hello_sent(None)
    assert named[0] == 22 and named[5] == 1  # a handshake record holding a ClientHello
    assert b"\x00\x00" + (len(NAME) + 5).to_bytes(2, "big") in named
    assert NAME.encode() in named
    assert NAME.encode() not in literal
    # supported_versions offers TLS 1.3 then TLS 1.2 (RFC 8446 4.2.1).
    assert bytes.fromhex("002b0005040304" "0303") in named
