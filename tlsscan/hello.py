"""Read a server's certificate chain from its first flight, without a full TLS handshake.

The scan reads chains, it does not judge trust. So, like certificate scanners do, this module
sends one ClientHello, reads the server's first flight up to its Certificate message, and
closes the connection (an abort: no Finished is ever sent, nothing is sent after the hello):

- TLS 1.3 (RFC 8446): the Certificate message is encrypted. The client's X25519 key share (or,
  after a HelloRetryRequest, a P-256, P-384, P-521 or X448 one) gives the shared secret; the
  key schedule of RFC 8446 7.1 derives the server's handshake traffic key from it and the
  transcript hash of ClientHello and ServerHello; the records are decrypted (AES-128-GCM,
  AES-256-GCM or ChaCha20-Poly1305, RFC 8446 5.2-5.3) and EncryptedExtensions, an optional
  CertificateRequest and the Certificate are read. Nothing the server signs is verified.
- TLS 1.2 (RFC 5246 7.4.2): the Certificate message follows the ServerHello in the clear.

The ClientHello offers what OpenSSL's default client offers (TLS 1.3 and 1.2, its cipher
suites and signature algorithms), so a server answers it as it answers `ssl`.

Only what is plainly the server's failure is `FirstFlightFailed`: bytes that are not TLS
records, an alert after its ServerHello, the connection closed after its ServerHello. Anything
else this reader does not expect is `FirstFlightUnsupported`, and the caller then runs the full
handshake: an older protocol, a cipher suite or group it did not offer, compression, a record
or message over its limits, a malformed message or a record that does not decrypt (the server's
fault or this reader's: `ssl` decides), and a refusal of the hello itself (an alert, or a
connection closed, before the ServerHello). So a result never depends on this reader being
complete. Every read is bounded: records by RFC 8446 5.1-5.2, handshake messages by
`MAX_MESSAGE`, all bytes before the Certificate by twice that, chains by the caller's cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

__all__ = [
    "MAX_MESSAGE",
    "FirstFlight",
    "FirstFlightFailed",
    "FirstFlightUnsupported",
    "client_hello",
    "read_first_flight",
]

#: Largest handshake message read (a Certificate with a long chain fits many times over;
#: OpenSSL's own default cap on a certificate list is 100 KiB).
MAX_MESSAGE = 256 * 1024
#: RFC 8446 5.1: a plaintext record holds at most 2^14 bytes; 5.2: a protected one 2^14 + 256.
_MAX_PLAINTEXT = 2**14
_MAX_RECORD = 2**14 + 256
#: Most bytes read from one server before its Certificate message is complete.
_MAX_FLIGHT = 2 * MAX_MESSAGE
#: Bytes asked of the socket per read.
_RECEIVE = 32 * 1024
_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset
_CLOSED = "the server closed the connection during the handshake"

# Record content types (RFC 8446 5.1).
_CHANGE_CIPHER_SPEC = 20
_ALERT = 21
_HANDSHAKE = 22
_APPLICATION_DATA = 23
# Handshake message types (RFC 8446 4, RFC 5246 7.4).
_SERVER_HELLO = 2
_ENCRYPTED_EXTENSIONS = 8
_CERTIFICATE = 11
_SERVER_KEY_EXCHANGE = 12
_CERTIFICATE_REQUEST = 13
_SERVER_HELLO_DONE = 14
_MESSAGE_HASH = 254
# Extensions (RFC 8446 4.2, RFC 6066 3, RFC 4492 5.1).
_EXT_SERVER_NAME = 0
_EXT_SUPPORTED_GROUPS = 10
_EXT_EC_POINT_FORMATS = 11
_EXT_SIGNATURE_ALGORITHMS = 13
_EXT_ENCRYPT_THEN_MAC = 22
_EXT_EXTENDED_MASTER_SECRET = 23
_EXT_SESSION_TICKET = 35
_EXT_COOKIE = 44
_EXT_SUPPORTED_VERSIONS = 43
_EXT_PSK_MODES = 45
_EXT_KEY_SHARE = 51
# Named groups (RFC 8446 4.2.7).
_X25519 = 0x001D
_SECP256R1 = 0x0017
_SECP384R1 = 0x0018
_SECP521R1 = 0x0019
_X448 = 0x001E
_FFDHE = (0x0100, 0x0101, 0x0102, 0x0103, 0x0104)
_TLS12 = 0x0303
_TLS13 = 0x0304
# RFC 8446 4.1.3: the ServerHello random that marks a HelloRetryRequest.
_HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
)

#: TLS 1.3 suites: (hash, AEAD, key length), in OpenSSL's default order (RFC 8446 B.4).
_TLS13_SUITES: dict[int, tuple[str, Callable[[bytes], AESGCM | ChaCha20Poly1305], int]] = {
    0x1302: ("sha384", AESGCM, 32),
    0x1303: ("sha256", ChaCha20Poly1305, 32),
    0x1301: ("sha256", AESGCM, 16),
}
#: TLS 1.2 suites of OpenSSL 3.0's ``DEFAULT:@SECLEVEL=0`` client list (`client_context`),
#: without the PSK and SRP ones a client without such credentials never sends.
_TLS12_SUITES = (
    0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA, 0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028,
    0x006B, 0xC023, 0xC027, 0x0067, 0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033, 0x009D,
    0x009C, 0x003D, 0x003C, 0x0035, 0x002F,
)
#: RFC 5746 3.3: the renegotiation SCSV OpenSSL appends.
_RENEGOTIATION_SCSV = 0x00FF
#: OpenSSL 3.0's default signature algorithms, with the SHA-1 ones ``@SECLEVEL=0`` allows.
_SIGNATURE_ALGORITHMS = (
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080A, 0x080B, 0x0804, 0x0805, 0x0806,
    0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201,
    0x0202,
)
#: OpenSSL 3.0's default supported groups, in its order (a server chooses among them as it
#: would for `ssl`). This reader answers a HelloRetryRequest for the elliptic-curve ones; one
#: for a finite-field group (RFC 7919) goes to the full handshake.
_GROUPS = (_X25519, _SECP256R1, _X448, _SECP521R1, _SECP384R1, *_FFDHE)
_CURVES: dict[int, ec.EllipticCurve] = {
    _SECP256R1: ec.SECP256R1(), _SECP384R1: ec.SECP384R1(), _SECP521R1: ec.SECP521R1(),
}


class FirstFlightFailed(Exception):
    """The server's first flight shows a failure (an alert, garbage, a truncated record).

    Attributes:
        detail: what went wrong, in words.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class FirstFlightUnsupported(Exception):
    """The server answered with something this reader does not do: run the full handshake.

    Attributes:
        detail: what was not supported, in words.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class FirstFlight:
    """What the server's first flight said.

    Attributes:
        tls_version: the protocol the server chose, as `ssl` spells it (``TLSv1.3``).
        chain: the served certificates, DER, leaf first (at most the caller's cap).
        cipher_suite: the cipher suite the server chose (its IANA number).
    """

    tls_version: str
    chain: tuple[bytes, ...]
    cipher_suite: int


def _vector(data: bytes, width: int) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _u16s(values: tuple[int, ...]) -> bytes:
    return struct.pack(f">{len(values)}H", *values)


def _extension(kind: int, body: bytes) -> bytes:
    return struct.pack(">HH", kind, len(body)) + body


# The parts of every ClientHello that never change, built once.
# The cipher suites, then the compression methods: null only.
_SUITES_AND_COMPRESSION = (
    _vector(_u16s((*_TLS13_SUITES, *_TLS12_SUITES, _RENEGOTIATION_SCSV)), 2) + b"\x01\x00"
)
_FIXED_EXTENSIONS = b"".join((
    _extension(_EXT_EC_POINT_FORMATS, b"\x01\x00"),  # uncompressed only (RFC 8422 5.1.2)
    _extension(_EXT_SUPPORTED_GROUPS, _vector(_u16s(_GROUPS), 2)),
    _extension(_EXT_SESSION_TICKET, b""),  # RFC 5077 3.2: empty, as OpenSSL sends it
    _extension(_EXT_ENCRYPT_THEN_MAC, b""),
    _extension(_EXT_EXTENDED_MASTER_SECRET, b""),
    _extension(_EXT_SIGNATURE_ALGORITHMS, _vector(_u16s(_SIGNATURE_ALGORITHMS), 2)),
    _extension(_EXT_SUPPORTED_VERSIONS, _vector(_u16s((_TLS13, _TLS12)), 1)),
    _extension(_EXT_PSK_MODES, b"\x01\x01"),  # psk_dhe_ke, as OpenSSL says
))


def client_hello(
    random: bytes,
    session_id: bytes,
    server_name: str | None,
    key_shares: tuple[tuple[int, bytes], ...],
    cookie: bytes | None = None,
) -> bytes:
    """The ClientHello handshake message (no record header).

    Args:
        random: 32 random bytes.
        session_id: the legacy session id (RFC 8446 D.4: 32 random bytes, middlebox mode).
        server_name: the SNI host name, or None (an IP literal sends none: RFC 6066 3).
        key_shares: ``(group, public key)`` pairs for the key_share extension.
        cookie: the cookie of a HelloRetryRequest, echoed (RFC 8446 4.2.2).
    """
    extensions = b""
    if server_name:
        name = server_name.encode("ascii")
        extensions = _extension(_EXT_SERVER_NAME, _vector(b"\x00" + _vector(name, 2), 2))
    extensions += _FIXED_EXTENSIONS
    shares = b"".join(struct.pack(">H", group) + _vector(key, 2) for group, key in key_shares)
    extensions += _extension(_EXT_KEY_SHARE, _vector(shares, 2))
    if cookie is not None:
        extensions += _extension(_EXT_COOKIE, _vector(cookie, 2))
    body = b"".join((
        b"\x03\x03", random, _vector(session_id, 1), _SUITES_AND_COMPRESSION,
        _vector(extensions, 2),
    ))
    return b"\x01" + _vector(body, 3)


def _plaintext_record(content_type: int, fragment: bytes) -> bytes:
    # RFC 8446 5.1: legacy_record_version 0x0301 for the first ClientHello is allowed; 0x0303
    # is what OpenSSL sends after a HelloRetryRequest. Both are accepted by servers.
    return struct.pack(">BHH", content_type, 0x0301, len(fragment)) + fragment


def _expand_label(hash_name: str, secret: bytes, label: bytes, context: bytes,
                  length: int) -> bytes:
    """HKDF-Expand-Label (RFC 8446 7.1) for outputs of at most one hash block."""
    info = struct.pack(">H", length) + _vector(b"tls13 " + label, 1) + _vector(context, 1)
    return hmac.digest(secret, info + b"\x01", hash_name)[:length]


def _derived_secret(hash_name: str) -> bytes:
    # RFC 8446 7.1: Early Secret = HKDF-Extract(0, 0) without a PSK, then
    # Derive-Secret(., "derived", "") salts the handshake secret. Both are constants.
    size = hashlib.new(hash_name).digest_size
    early = hmac.digest(b"\x00" * size, b"\x00" * size, hash_name)
    empty = hashlib.new(hash_name, b"").digest()
    return _expand_label(hash_name, early, b"derived", empty, size)


_DERIVED = {name: _derived_secret(name) for name in ("sha256", "sha384")}


def _alert_text(fragment: bytes) -> str:
    if len(fragment) >= 2:
        return f"the server sent a TLS alert (level {fragment[0]}, description {fragment[1]})"
    return "the server sent a malformed TLS alert"


class _Share:
    """One key share of the client: its group, its public key, and the exchange."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.private: x25519.X25519PrivateKey | x448.X448PrivateKey | ec.EllipticCurvePrivateKey
        if group == _X25519:
            self.private = x25519.X25519PrivateKey.generate()
            self.public = self.private.public_key().public_bytes_raw()
        elif group == _X448:
            self.private = x448.X448PrivateKey.generate()
            self.public = self.private.public_key().public_bytes_raw()
        elif group in _CURVES:
            self.private = ec.generate_private_key(_CURVES[group])
            # RFC 8446 4.2.8.2: the uncompressed point.
            self.public = self.private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        else:
            raise FirstFlightUnsupported(f"the server asked for group {group:#06x}")

    def exchange(self, peer: bytes) -> bytes:
        """The shared secret with the server's public key.

        Raises:
            ValueError: the server's key share is not a valid public key.
        """
        if isinstance(self.private, x25519.X25519PrivateKey):
            return self.private.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
        if isinstance(self.private, x448.X448PrivateKey):
            return self.private.exchange(x448.X448PublicKey.from_public_bytes(peer))
        point = ec.EllipticCurvePublicKey.from_encoded_point(self.private.curve, peer)
        return self.private.exchange(ec.ECDH(), point)


class _Flight:
    """The client's side of one first flight: the hello to send, then the server's records fed
    in as they arrive, until the Certificate message."""

    def __init__(self, server_name: str | None, max_chain: int) -> None:
        self.server_name = server_name
        self.max_chain = max_chain
        self.buffer = bytearray()  # record bytes not yet parsed into records
        self.received = 0
        self.messages = bytearray()  # handshake bytes not yet parsed into messages
        self.random = os.urandom(32)
        self.session_id = os.urandom(32)
        self.share = _Share(_X25519)
        hello = client_hello(self.random, self.session_id, server_name,
                             ((_X25519, self.share.public),))
        self.outgoing = [_plaintext_record(_HANDSHAKE, hello)]  # records to send, in order
        self.transcript = [hello]  # the messages up to ServerHello (RFC 8446 4.4.1)
        self.result: FirstFlight | None = None
        self.retried = False
        self.suite = 0
        self.version = 0
        self.seen_server_hello = False
        self.aead: AESGCM | ChaCha20Poly1305 | None = None
        self.iv = b""
        self.sequence = 0

    def feed(self, data: bytes) -> FirstFlight | None:
        """Read bytes from the server; the first flight once its Certificate has arrived.

        Raises:
            FirstFlightFailed: the server failed.
            FirstFlightUnsupported: the reader cannot go on.
        """
        self.received += len(data)
        if self.received > _MAX_FLIGHT:
            raise FirstFlightUnsupported(f"over {_MAX_FLIGHT} bytes without a Certificate")
        self.buffer += data
        self._records()
        return self.result

    def _records(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 5 and self.result is None:
            content_type, major, length = buffer[0], buffer[1], (buffer[3] << 8) | buffer[4]
            if content_type not in (20, 21, 22, 23) or major != 3:
                raise FirstFlightFailed("the server did not answer with TLS")
            if length > _MAX_RECORD:
                raise FirstFlightUnsupported(f"a record of {length} bytes is over the limit")
            if len(buffer) < 5 + length:
                return
            fragment = bytes(buffer[5:5 + length])
            del buffer[:5 + length]
            self._record(content_type, fragment)

    def _record(self, content_type: int, fragment: bytes) -> None:
        if content_type == _CHANGE_CIPHER_SPEC:
            return  # RFC 8446 D.4: middlebox compatibility, ignored
        if self.aead is not None:
            if content_type != _APPLICATION_DATA:
                raise FirstFlightUnsupported("a TLS 1.3 server sent an unprotected record")
            content_type, fragment = self._decrypt(fragment)
        if content_type == _ALERT:
            if not self.seen_server_hello:
                # The server refused our hello: let the full handshake ask with OpenSSL's own.
                raise FirstFlightUnsupported(_alert_text(fragment))
            raise FirstFlightFailed(_alert_text(fragment))
        if content_type != _HANDSHAKE:
            raise FirstFlightUnsupported(f"unexpected TLS record of type {content_type}")
        if len(fragment) > _MAX_PLAINTEXT:
            raise FirstFlightUnsupported("a plaintext record is over 2^14 bytes")
        self.messages += fragment
        self._messages()

    def _decrypt(self, fragment: bytes) -> tuple[int, bytes]:
        assert self.aead is not None
        nonce = (int.from_bytes(self.iv, "big") ^ self.sequence).to_bytes(12, "big")
        self.sequence += 1
        header = struct.pack(">BHH", _APPLICATION_DATA, _TLS12, len(fragment))
        try:
            plain = self.aead.decrypt(nonce, fragment, header)
        except InvalidTag:
            raise FirstFlightUnsupported("a TLS record did not decrypt") from None
        # RFC 8446 5.2: TLSInnerPlaintext is content || type || zero padding.
        end = len(plain.rstrip(b"\x00"))
        if end == 0:
            raise FirstFlightUnsupported("a TLS record had no content type")
        return plain[end - 1], plain[:end - 1]

    def _messages(self) -> None:
        messages = self.messages
        while len(messages) >= 4 and self.result is None:
            kind, length = messages[0], int.from_bytes(messages[1:4], "big")
            if length > MAX_MESSAGE:
                raise FirstFlightUnsupported(f"a handshake message of {length} bytes")
            if len(messages) < 4 + length:
                return
            message = bytes(messages[:4 + length])
            del messages[:4 + length]
            self._message(kind, message)

    def _message(self, kind: int, message: bytes) -> None:
        body = memoryview(message)[4:]
        if not self.seen_server_hello:
            if kind != _SERVER_HELLO:
                raise FirstFlightUnsupported(f"the server sent handshake message {kind} first")
            self._server_hello(message, body)
        elif kind == _CERTIFICATE:
            self.result = FirstFlight(
                "TLSv1.3" if self.version == _TLS13 else "TLSv1.2",
                self._certificates(body), self.suite,
            )
        elif self.version == _TLS13 and kind in (_ENCRYPTED_EXTENSIONS, _CERTIFICATE_REQUEST):
            return
        elif self.version == _TLS12 and kind in (_SERVER_KEY_EXCHANGE, _SERVER_HELLO_DONE):
            # RFC 5246 7.4.3: an anonymous suite sends no Certificate (we offer none).
            raise FirstFlightUnsupported("the server sent no certificate")
        else:
            raise FirstFlightUnsupported(f"handshake message {kind} before the Certificate")

    def _server_hello(self, message: bytes, body: memoryview) -> None:
        try:
            fields = self._parse_server_hello(body)
        except (IndexError, ValueError, struct.error):
            raise FirstFlightUnsupported("the server sent a malformed ServerHello") from None
        legacy_version, random, suite, compression, extensions = fields
        selected = extensions.get(_EXT_SUPPORTED_VERSIONS)
        if selected is not None:
            if len(selected) != 2 or int.from_bytes(selected, "big") != _TLS13:
                raise FirstFlightUnsupported("the server chose a version other than TLS 1.3")
            version = _TLS13
        elif legacy_version == _TLS12:
            version = _TLS12
        else:
            raise FirstFlightUnsupported(f"the server chose protocol {legacy_version:#06x}")
        if compression != 0:
            raise FirstFlightUnsupported("the server chose compression")
        if version == _TLS12:
            if suite not in _TLS12_SUITES:
                raise FirstFlightUnsupported(f"the server chose cipher suite {suite:#06x}")
            self.seen_server_hello = True
            self.version, self.suite = version, suite
            return
        if suite not in _TLS13_SUITES or (self.suite and suite != self.suite):
            raise FirstFlightUnsupported(f"the server chose cipher suite {suite:#06x}")
        self.version, self.suite = version, suite
        if random == _HRR_RANDOM:
            self._retry(message, extensions)
            return
        self.seen_server_hello = True
        self._handshake_keys(message, extensions.get(_EXT_KEY_SHARE))

    @staticmethod
    def _parse_server_hello(
        body: memoryview,
    ) -> tuple[int, bytes, int, int, dict[int, bytes]]:
        legacy_version = int.from_bytes(body[0:2], "big")
        random = bytes(body[2:34])
        at = 35 + body[34]
        suite = int.from_bytes(body[at:at + 2], "big")
        compression = body[at + 2]
        at += 3
        extensions: dict[int, bytes] = {}
        if at < len(body):
            end = at + 2 + int.from_bytes(body[at:at + 2], "big")
            if end != len(body):
                raise ValueError("extensions length")
            at += 2
            while at < end:
                kind, size = struct.unpack_from(">HH", body, at)
                if at + 4 + size > end:
                    raise ValueError("extension length")
                extensions[kind] = bytes(body[at + 4:at + 4 + size])
                at += 4 + size
        elif at > len(body) or len(random) != 32:
            raise ValueError("truncated")
        return legacy_version, random, suite, compression, extensions

    def _retry(self, message: bytes, extensions: dict[int, bytes]) -> None:
        """Answer a HelloRetryRequest with a key share of the group it asks for (RFC 8446 4.1.4)."""
        share = extensions.get(_EXT_KEY_SHARE)
        if self.retried or share is None or len(share) != 2:
            raise FirstFlightUnsupported("a HelloRetryRequest this reader cannot answer")
        group = int.from_bytes(share, "big")
        if group not in _GROUPS or group == self.share.group:
            # RFC 8446 4.2.8: a group not offered, or one already shared, is an error.
            raise FirstFlightUnsupported(f"a HelloRetryRequest for group {group:#06x}")
        self.share = _Share(group)
        self.retried = True
        cookie = extensions.get(_EXT_COOKIE)
        hello = client_hello(self.random, self.session_id, self.server_name,
                             ((group, self.share.public),), None if cookie is None else cookie[2:])
        hash_name = _TLS13_SUITES[self.suite][0]
        # RFC 8446 4.4.1: ClientHello1 is replaced by a synthetic message_hash message.
        digest = hashlib.new(hash_name, self.transcript[0]).digest()
        self.transcript = [bytes((_MESSAGE_HASH, 0, 0, len(digest))) + digest, message, hello]
        self.outgoing.append(_plaintext_record(_HANDSHAKE, hello))

    def _handshake_keys(self, message: bytes, share: bytes | None) -> None:
        """The server handshake traffic key (RFC 8446 7.1, 7.3)."""
        if share is None or len(share) < 4:
            raise FirstFlightUnsupported("the ServerHello has no key share")
        group, size = struct.unpack_from(">HH", share, 0)
        public = share[4:4 + size]
        if group != self.share.group:
            raise FirstFlightUnsupported(f"the server answered with group {group:#06x}")
        try:
            shared = self.share.exchange(public)
        except ValueError:
            raise FirstFlightUnsupported("the server's key share is not a valid key") from None
        hash_name, aead, key_size = _TLS13_SUITES[self.suite]
        transcript = hashlib.new(hash_name, b"".join(self.transcript))
        transcript.update(message)
        handshake_secret = hmac.digest(_DERIVED[hash_name], shared, hash_name)
        size = transcript.digest_size
        traffic = _expand_label(hash_name, handshake_secret, b"s hs traffic",
                                transcript.digest(), size)
        self.aead = aead(_expand_label(hash_name, traffic, b"key", b"", key_size))
        self.iv = _expand_label(hash_name, traffic, b"iv", b"", 12)

    def _certificates(self, body: memoryview) -> tuple[bytes, ...]:
        """The certificate_list of a Certificate message (RFC 8446 4.4.2, RFC 5246 7.4.2)."""
        at = 0
        try:
            if self.version == _TLS13:
                at = 1 + body[0]  # certificate_request_context
            end = at + 3 + int.from_bytes(body[at:at + 3], "big")
            if end != len(body):
                raise ValueError("list length")
            at += 3
            chain: list[bytes] = []
            while at < end:
                size = int.from_bytes(body[at:at + 3], "big")
                at += 3
                if size == 0 or at + size > end:
                    raise ValueError("certificate length")
                if len(chain) < self.max_chain:
                    chain.append(bytes(body[at:at + size]))
                at += size
                if self.version == _TLS13:  # per-certificate extensions
                    at += 2 + int.from_bytes(body[at:at + 2], "big")
                    if at > end:
                        raise ValueError("extensions length")
        except (IndexError, ValueError):
            raise FirstFlightUnsupported("the server sent a malformed Certificate") from None
        return tuple(chain)


async def read_first_flight(
    address: str, port: int, server_name: str | None, *, max_chain: int
) -> FirstFlight:
    """Connect to ``address:port``, send a ClientHello, and read the served chain.

    The caller bounds the time (``asyncio.timeout``); the socket is always closed, at once,
    whatever the server still has to say.

    Args:
        address: the IP address to connect to (already vetted by the guard).
        port: the TCP port.
        server_name: the SNI host name, or None for an IP-literal target.
        max_chain: most certificates kept from the chain.

    Raises:
        FirstFlightFailed: the server failed (alert, garbage, early close): a ``tls`` error.
        FirstFlightUnsupported: this reader cannot go on: run the full handshake instead.
        OSError: the connection could not be made (refused, unreachable).
    """
    loop = asyncio.get_running_loop()
    flight = _Flight(server_name, max_chain)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    # A bare non-blocking socket driven by two callbacks and one future: no transport, no
    # protocol, no future per read, for one hello and the answer to it.
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        # Closing resets the connection (an abort): no FIN handshake, no TIME_WAIT left behind
        # for each of a scan's many targets.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _ABORT)
        connection = _Connection(loop, sock, flight)
        with contextlib.suppress(BlockingIOError):  # in progress: writable once connected
            sock.connect((address, port))
        loop.add_writer(sock.fileno(), connection.writable)
        try:
            return await connection.done
        finally:
            loop.remove_writer(sock.fileno())
            loop.remove_reader(sock.fileno())


class _Connection:
    """The callbacks of one connection: connected, then send, then read until done."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 flight: _Flight) -> None:
        self.loop = loop
        self.sock = sock
        self.flight = flight
        self.done: asyncio.Future[FirstFlight] = loop.create_future()
        self.connected = False
        self.pending = b""  # bytes of the records being sent

    def writable(self) -> None:
        if self.done.done():
            return
        if not self.connected:
            error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:  # OSError's constructor picks the subclass: ConnectionRefusedError...
                self._fail(OSError(error, os.strerror(error)))
                return
            self.connected = True
            self.loop.add_reader(self.sock.fileno(), self.readable)
        self._send()

    def readable(self) -> None:
        if self.done.done():
            return
        try:
            data = self.sock.recv(_RECEIVE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # a reset: the server went away mid-handshake
            self._closed()
            return
        if not data:
            self._closed()
            return
        try:
            found = self.flight.feed(data)
        except (FirstFlightFailed, FirstFlightUnsupported) as exc:
            self._fail(exc)
            return
        if found is not None:
            self.done.set_result(found)
        elif self.flight.outgoing:
            self._send()  # the second ClientHello, after a HelloRetryRequest

    def _send(self) -> None:
        self.pending += b"".join(self.flight.outgoing)
        self.flight.outgoing.clear()
        try:
            sent = self.sock.send(self.pending)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._closed()
            return
        self.pending = self.pending[sent:]
        if self.pending:
            self.loop.add_writer(self.sock.fileno(), self.writable)
        else:
            self.loop.remove_writer(self.sock.fileno())

    def _closed(self) -> None:
        if self.flight.seen_server_hello:
            self._fail(FirstFlightFailed(_CLOSED))
        else:
            # Dropped in answer to our hello: let the full handshake ask with OpenSSL's own.
            self._fail(FirstFlightUnsupported(_CLOSED + " before its ServerHello"))

    def _fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)
