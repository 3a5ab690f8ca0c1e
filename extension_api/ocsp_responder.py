"""An OCSP responder over HTTP (RFC 6960 Appendix A), as an ASGI application.

:class:`OCSPAsgiApp` serves a :class:`sim.ocsp_store.PresignedResponder`:

* ``POST /`` with an ``application/ocsp-request`` body (A.1.1; the type is not enforced);
* ``GET /<base64 of the DER request, URL-encoded>`` (A.1.1; cacheable, RFC 5019 5).

Answers are pre-signed, so a request costs a parse and a lookup, and the HTTP server's own
cost per request is most of the total: gunicorn's asyncio ``asgi`` worker is the cheapest it
has (benchmarks/bench_ocsp.py measures it against ``openssl ocsp``). ``revlab ocsp serve``
runs this app under gunicorn. Every answer is an ``application/ocsp-response`` with HTTP 200:
bad input gets the OCSP ``malformedRequest``, a CertID of an issuer we do not serve
``unauthorized``, an unexpected failure ``internalError``; never an HTML 500. Other methods
get 405.

No Flask here: the app is plain ASGI (the spec, not a framework), so that the responder stays
as cheap as the server under it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from sim.ocsp import unsuccessful_response
from sim.ocsp_store import OCSPAnswer, PresignedResponder

__all__ = [
    "MAX_REQUEST_BYTES",
    "OCSP_RESPONSE_TYPE",
    "OCSPAsgiApp",
    "handle",
]

OCSP_RESPONSE_TYPE = "application/ocsp-response"
#: A single-certificate request with a nonce is about 100 bytes; anything far larger is not one
#: of ours, and reading it would only cost memory.
MAX_REQUEST_BYTES = 8192

_log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _answer(responder: PresignedResponder, der: bytes, now: dt.datetime) -> OCSPAnswer:
    try:
        return responder.respond(der, now=now)
    except Exception:  # never an HTML 500 to an OCSP client (RFC 6960 2.3 internalError)
        _log.exception("OCSP responder failed")
        return OCSPAnswer(unsuccessful_response("internalError"), "internalError", None, False)


def _headers(answer: OCSPAnswer, *, cacheable: bool, now: dt.datetime) -> list[tuple[str, str]]:
    headers = [("content-type", OCSP_RESPONSE_TYPE), ("content-length", str(len(answer.der)))]
    if cacheable and answer.next_update is not None:
        # RFC 5019 6.2: let HTTP caches keep a GET answer until nextUpdate.
        max_age = max(0, int((answer.next_update - now).total_seconds()))
        headers.append(
            ("cache-control", f"max-age={max_age}, public, no-transform, must-revalidate")
        )
    return headers


def _decode_get(encoded: str) -> bytes:
    """The DER request of a GET path (RFC 6960 A.1: base64, then URL-encoded)."""
    # Servers already %-decode the path; unquote again for clients that double-encode.
    text = unquote(encoded).strip()
    if len(text) > MAX_REQUEST_BYTES * 2:
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def handle(
    responder: PresignedResponder, method: str, path: str, body: bytes, now: dt.datetime
) -> tuple[OCSPAnswer, list[tuple[str, str]]] | None:
    """Answer one HTTP request to a responder mounted at ``/``: the answer and its headers.

    Returns None for a method other than GET or POST (and a GET of ``/``). An empty or
    oversized body is a ``malformedRequest``.
    """
    if method == "POST" and path in ("/", ""):
        result = _answer(responder, body if len(body) <= MAX_REQUEST_BYTES else b"", now)
        return result, _headers(result, cacheable=False, now=now)
    if method == "GET" and path.startswith("/") and len(path) > 1:
        result = _answer(responder, _decode_get(path[1:]), now)
        return result, _headers(result, cacheable=True, now=now)
    return None


class OCSPAsgiApp:
    """The responder as an ASGI application (``revlab ocsp serve`` runs it under gunicorn).

    Args:
        responder: the pre-signed answers.
        clock: returns the current timezone-aware time (tests pass a fixed one).
    """

    def __init__(self, responder: PresignedResponder, clock: Clock = _utc_now) -> None:
        self._responder = responder
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (lifespan or http)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if len(body) <= MAX_REQUEST_BYTES:  # past the cap, drain without keeping it
                body += message.get("body", b"")
            if not message.get("more_body"):
                break
        handled = handle(self._responder, scope["method"], scope["path"], body, self._clock())
        if handled is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 405,
                    "headers": [(b"allow", b"GET, POST"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        result, headers = handled
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": result.der})
