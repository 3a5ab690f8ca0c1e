"""An OCSP responder over HTTP (RFC 6960 Appendix A) for a simulated hierarchy.

``create_ocsp_blueprint(responder)`` serves a :class:`sim.ocsp_store.PresignedResponder`:

* ``POST /`` with an ``application/ocsp-request`` body (A.1.1);
* ``GET /<base64 of the DER request, URL-encoded>`` (A.1.1; cacheable, RFC 5019 5).

Answers are pre-signed, so a request costs a parse and a lookup. Every answer is an
``application/ocsp-response`` with HTTP 200: bad input gets the OCSP ``malformedRequest``, a
CertID of an issuer we do not serve ``unauthorized``, an unexpected failure ``internalError``;
never an HTML 500.

``create_ocsp_app()`` is a standalone app for gunicorn::

    gunicorn -w 2 'extension_api.ocsp_responder:create_ocsp_app()'

It serves the fixed hierarchy of ``sim.ocsp_scenario`` (root R answering through its
dedicated responder, ICA-B answering for its leaves), configured by arguments or the
environment: ``REVLAB_OCSP_SEED`` (int, default 0), ``REVLAB_OCSP_NOW`` (ISO 8601 time the
certificates are built at; default: the current time) and ``REVLAB_OCSP_HONOUR_NONCE`` (``1``
to sign nonce requests on the spot). Certificates depend only on the seed and that time, so
a client can rebuild the issuers with ``sim.ocsp_scenario.build_incident_2020``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, request

from sim.ocsp import unsuccessful_response
from sim.ocsp_scenario import RESPONSE_VALIDITY, build_incident_2020
from sim.ocsp_store import OCSPAnswer, PresignedResponder

__all__ = [
    "ENV_HONOUR_NONCE",
    "ENV_NOW",
    "ENV_SEED",
    "MAX_REQUEST_BYTES",
    "OCSP_REQUEST_TYPE",
    "OCSP_RESPONSE_TYPE",
    "create_ocsp_app",
    "create_ocsp_blueprint",
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
        # Werkzeug already %-decoded the path; unquote again for clients that double-encode.
        text = unquote(encoded).strip()
        if len(text) > MAX_REQUEST_BYTES * 2:
            return answer(b"", cacheable=False)
        try:
            der = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            der = b""
        return answer(der, cacheable=True)

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
        if seed is None:
            raw = os.environ.get(ENV_SEED, "0")
            try:
                seed = int(raw)
            except ValueError:
                raise ValueError(f"{ENV_SEED} must be an integer, got {raw!r}") from None
        signed_at = clock()
        if now is None:
            now = _env_now() or signed_at
        if honour_nonce is None:
            honour_nonce = os.environ.get(ENV_HONOUR_NONCE, "0") == "1"
        responder = scenario_responder(
            now=now, seed=seed, signed_at=max(now, signed_at), honour_nonce=honour_nonce
        )
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
        now = self._clock()
        result = _answer(self._responder, der, now)
        start_response("200 OK", _headers(result, cacheable=False, now=now))
        return [result.der]
