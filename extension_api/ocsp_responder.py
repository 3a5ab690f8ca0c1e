"""An OCSP responder over HTTP (RFC 6960 Appendix A) for a simulated hierarchy.

``create_ocsp_blueprint(responder)`` serves a :class:`sim.ocsp_store.PresignedResponder`:

* ``POST /`` with an ``application/ocsp-request`` body (A.1.1);
* ``GET /<base64 of the DER request, URL-encoded>`` (A.1.1; cacheable, RFC 5019 5).

Answers are pre-signed, so a request costs a parse and a lookup. Every answer is an
``application/ocsp-response`` with HTTP 200: bad input gets the OCSP ``malformedRequest``, a
CertID of an issuer we do not serve ``unauthorized``, an unexpected failure ``internalError``;
never an HTML 500.

``create_ocsp_app()`` is a standalone WSGI app for gunicorn, and ``create_ocsp_asgi_app()`` the
same responder as an ASGI app for gunicorn's asyncio worker (the fast one)::

    gunicorn -w 2 'extension_api.ocsp_responder:create_ocsp_app()'
    gunicorn -w 2 -k asgi 'extension_api.ocsp_responder:create_ocsp_asgi_app()'

It serves the fixed hierarchy of ``sim.ocsp_scenario`` (root R answering through its
dedicated responder, ICA-B answering for its leaves), configured by arguments or the
environment: ``REVLAB_OCSP_SEED`` (int, default 0), ``REVLAB_OCSP_NOW`` (ISO 8601 time the
certificates are built at; default: the current time; at most ``RESPONDER_DAYS`` days ago,
since the fixed hierarchy's responder certificate is short-lived) and
``REVLAB_OCSP_HONOUR_NONCE`` (``1`` to sign nonce requests on the spot). A demo responder
that runs longer than its responder certificate lives must be restarted to build a new one.
Certificates depend only on the seed and that time, so
a client can rebuild the issuers with ``sim.ocsp_scenario.build_incident_2020``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, request

from sim.ocsp import unsuccessful_response
from sim.ocsp_scenario import RESPONDER_DAYS, RESPONSE_VALIDITY, build_incident_2020
from sim.ocsp_store import OCSPAnswer, PresignedResponder

__all__ = [
    "ENV_HONOUR_NONCE",
    "ENV_NOW",
    "ENV_SEED",
    "MAX_REQUEST_BYTES",
    "OCSP_REQUEST_TYPE",
    "OCSP_RESPONSE_TYPE",
    "OCSPAsgiApp",
    "create_ocsp_app",
    "create_ocsp_asgi_app",
    "create_ocsp_blueprint",
    "handle",
    "scenario_responder",
]

OCSP_REQUEST_TYPE = "application/ocsp-request"
OCSP_RESPONSE_TYPE = "application/ocsp-response"
ENV_SEED = "REVLAB_OCSP_SEED"
ENV_NOW = "REVLAB_OCSP_NOW"
ENV_HONOUR_NONCE = "REVLAB_OCSP_HONOUR_NONCE"
#: A single-certificate request with a nonce is about 100 bytes; anything far larger is not one
#: of ours, and reading it would only cost memory.
MAX_REQUEST_BYTES = 8192

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _answer(responder: PresignedResponder, der: bytes, now: dt.datetime) -> OCSPAnswer:
    try:
        return responder.respond(der, now=now)
    except Exception:  # never an HTML 500 to an OCSP client (RFC 6960 2.3 internalError)
        _log.exception("OCSP responder failed")
        return OCSPAnswer(unsuccessful_response("internalError"), "internalError", None, False)


def _headers(answer: OCSPAnswer, *, cacheable: bool, now: dt.datetime) -> list[tuple[str, str]]:
    headers = [("Content-Type", OCSP_RESPONSE_TYPE), ("Content-Length", str(len(answer.der)))]
    if cacheable and answer.next_update is not None:
        # RFC 5019 6.2: let HTTP caches keep a GET answer until nextUpdate.
        max_age = max(0, int((answer.next_update - now).total_seconds()))
        headers.append(
            ("Cache-Control", f"max-age={max_age}, public, no-transform, must-revalidate")
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

    Every front end (the Flask blueprint, the WSGI fast path, the ASGI app) calls this, so
    they answer alike. Returns None for a method other than GET or POST. An empty or
    oversized body is a ``malformedRequest`` (the caller does not read an oversized one).
    """
    if method == "POST" and path in ("/", ""):
        result = _answer(responder, body if len(body) <= MAX_REQUEST_BYTES else b"", now)
        return result, _headers(result, cacheable=False, now=now)
    if method == "GET" and path.startswith("/") and len(path) > 1:
        result = _answer(responder, _decode_get(path[1:]), now)
        return result, _headers(result, cacheable=True, now=now)
    return None


def create_ocsp_blueprint(
    responder: PresignedResponder,
    *,
    name: str = "ocsp",
    clock: Clock = _utc_now,
) -> Blueprint:
    """A blueprint answering OCSP requests from ``responder`` (mount it at any prefix).

    Args:
        responder: the pre-signed answers.
        name: the blueprint's name (mount two hierarchies under two names).
        clock: returns the current timezone-aware time (tests pass a fixed one).
    """
    bp = Blueprint(name, __name__)

    def answer(der: bytes, *, cacheable: bool) -> Response:
        now = clock()
        result = _answer(responder, der, now)
        return Response(result.der, 200, _headers(result, cacheable=cacheable, now=now))

    @bp.post("/")
    def ocsp_post() -> Response:
        length = request.content_length
        if length is not None and length > MAX_REQUEST_BYTES:
            return answer(b"", cacheable=False)
        return answer(request.get_data(cache=False), cacheable=False)

    @bp.get("/<path:encoded>", merge_slashes=False)
    def ocsp_get(encoded: str) -> Response:
        return answer(_decode_get(encoded), cacheable=True)

    return bp


def scenario_responder(
    *,
    now: dt.datetime,
    seed: int = 0,
    signed_at: dt.datetime | None = None,
    honour_nonce: bool = False,
) -> PresignedResponder:
    """Pre-signed answers for the fixed hierarchy of the 2020 scenario.

    Args:
        now: when the scenario's certificates are built and its revocations happen.
        seed: the scenario's seed.
        signed_at: when the first answers are signed (default ``now``).
        honour_nonce: see :class:`sim.ocsp_store.PresignedResponder`.
    """
    scenario = build_incident_2020(now=now, seed=seed)
    return PresignedResponder(
        scenario.hierarchy,
        revocations=scenario.revocations,
        signers=scenario.signers,
        now=signed_at or now,
        validity=RESPONSE_VALIDITY,
        honour_nonce=honour_nonce,
    )


def _env_now() -> dt.datetime | None:
    value = os.environ.get(ENV_NOW)
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{ENV_NOW} must be an ISO 8601 time, got {value!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"{ENV_NOW} must carry a time zone, got {value!r}")
    return when


def create_ocsp_app(
    responder: PresignedResponder | None = None,
    *,
    seed: int | None = None,
    now: dt.datetime | None = None,
    honour_nonce: bool | None = None,
    clock: Clock = _utc_now,
) -> Flask:
    """A standalone Flask app serving OCSP at ``/``.

    Args:
        responder: the answers to serve; default: :func:`scenario_responder` configured by
            the other arguments or the ``REVLAB_OCSP_*`` environment variables.
        seed: the scenario's seed (``REVLAB_OCSP_SEED``, default 0).
        now: when the scenario's certificates are built (``REVLAB_OCSP_NOW``, default now).
        honour_nonce: sign nonce requests on the spot (``REVLAB_OCSP_HONOUR_NONCE=1``).
        clock: the current time for answering.

    Raises:
        ValueError: a malformed environment variable, naming it.
    """
    if responder is None:
        responder = _scenario_from_env(seed, now, honour_nonce, clock)
    app = Flask(__name__)
    app.register_blueprint(create_ocsp_blueprint(responder, clock=clock))
    app.wsgi_app = _PostFastPath(app.wsgi_app, responder, clock)  # type: ignore[method-assign]
    return app


class _PostFastPath:
    """WSGI middleware answering ``POST /`` without Flask's routing and request context.

    Same answers as the blueprint (both call :func:`_answer`); it only removes the per-request
    framework cost, which is most of what a pre-signed lookup costs (see
    benchmarks/bench_ocsp.py). Everything else falls through to the Flask app.
    """

    def __init__(self, app: WSGIApplication, responder: PresignedResponder, clock: Clock):
        self._app = app
        self._responder = responder
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in ("/", ""):
            return self._app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        # An empty or oversized body is a malformedRequest, and an oversized one is not read.
        der = environ["wsgi.input"].read(length) if 0 < length <= MAX_REQUEST_BYTES else b""
        handled = handle(self._responder, "POST", "/", der, self._clock())
        assert handled is not None
        result, headers = handled
        start_response("200 OK", headers)
        return [result.der]


def _scenario_from_env(
    seed: int | None, now: dt.datetime | None, honour_nonce: bool | None, clock: Clock
) -> PresignedResponder:
    if seed is None:
        raw = os.environ.get(ENV_SEED, "0")
        try:
            seed = int(raw)
        except ValueError:
            raise ValueError(f"{ENV_SEED} must be an integer, got {raw!r}") from None
    signed_at = clock()
    if now is None:
        now = _env_now() or signed_at
    # The fixed hierarchy's responder certificate is short-lived, as the fix recommends: it is
    # built at `now` and lives RESPONDER_DAYS days. Answers signed after that would not verify.
    expires = now + dt.timedelta(days=RESPONDER_DAYS)
    if signed_at >= expires:
        _log.warning(
            "%s: the responder certificate built at %s expired at %s; answers signed by it "
            "will not verify at the current time (give a time within the last %d days)",
            ENV_NOW,
            now.isoformat(),
            expires.isoformat(),
            RESPONDER_DAYS,
        )
    if honour_nonce is None:
        honour_nonce = os.environ.get(ENV_HONOUR_NONCE, "0") == "1"
    return scenario_responder(
        now=now, seed=seed, signed_at=max(now, signed_at), honour_nonce=honour_nonce
    )


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class OCSPAsgiApp:
    """The same responder as an ASGI application, for gunicorn's ``asgi`` worker.

    A pre-signed answer is a dictionary lookup, so the per-request cost is the HTTP server's;
    gunicorn's asyncio worker handles a request several times more cheaply than its
    synchronous workers (see benchmarks/bench_ocsp.py)::

        gunicorn -w 2 -k asgi 'extension_api.ocsp_responder:create_ocsp_asgi_app()'
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
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": result.der})


def create_ocsp_asgi_app(
    responder: PresignedResponder | None = None,
    *,
    seed: int | None = None,
    now: dt.datetime | None = None,
    honour_nonce: bool | None = None,
    clock: Clock = _utc_now,
) -> OCSPAsgiApp:
    """A standalone ASGI app serving OCSP at ``/``; arguments as for :func:`create_ocsp_app`.

    Raises:
        ValueError: a malformed environment variable, naming it.
    """
    if responder is None:
        responder = _scenario_from_env(seed, now, honour_nonce, clock)
    return OCSPAsgiApp(responder, clock)
