"""Plumbing that protects the service: rate limits, CORS for extensions, log redaction.

No log line names a host a user checked, nor a client's address: the access log (off unless the
operator turns it on) redacts ``/v1/hosts/<host>``; gunicorn's error log keeps only the kind
of a malformed request (its raw line may hold a hostname) and never the client's address.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request

from . import ratelimit
from .config import Settings

__all__ = ["RedactErrorLog", "RedactHosts", "init_app", "origin_patterns"]

#: Paths that extensions may read from their pages (CORS).
_CORS_PREFIX = "/v1/"
#: Request headers a preflight may ask for (lower case).
_CORS_HEADERS = ("content-type", "if-none-match")
#: Seconds a browser may keep a preflight's answer.
_CORS_MAX_AGE = "86400"

# A request line or URL that names a host: /v1/hosts/<host> (its query string included).
_HOST_PATH = re.compile(r"(/v1/hosts/)[^\s\"?]*(\?[^\s\"]*)?")


class RedactHosts(logging.Filter):
    """Replace hostnames in request paths by ``<redacted>`` (docs/design.md: none logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message and its arguments; never drops a record."""
        if isinstance(record.msg, str):
            record.msg = _HOST_PATH.sub(r"\1<redacted>", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _HOST_PATH.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                k: _HOST_PATH.sub(r"\1<redacted>", v) if isinstance(v, str) else v
                for k, v in record.args.items()
            }
        return True


class RedactErrorLog(logging.Filter):
    """Strip request lines, URIs and client addresses from gunicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite gunicorn's "Invalid request" and "Error handling request" lines."""
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith("Invalid request from ip="):
            # "Invalid request from ip=1.2.3.4: Invalid HTTP request line: 'GET /v1/...'"
            detail = message.split(": ", 1)[1] if ": " in message else ""
            kind = re.split(r"[:'\"(]", detail, maxsplit=1)[0].strip() or "malformed request"
            record.msg, record.args = "Invalid request: %s (details withheld)", (kind,)
        elif message.startswith("Error handling request"):
            record.msg, record.args = "Error handling a request (URI withheld)", ()
        return True


def origin_patterns(origins: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Compile allowed origins; ``*`` stands for one extension id (letters, digits, - _ .)."""
    return [
        re.compile("^" + re.escape(o).replace(r"\*", r"[A-Za-z0-9._-]+") + "$")
        for o in origins
    ]


def _allow_extension_origins(app: Flask, origins: tuple[str, ...]) -> None:
    """CORS for ``/v1/``: granted to the origins that match ``origins``, to nobody else.

    An allowed origin gets ``Access-Control-Allow-Origin`` naming it (and the ``ETag`` header
    exposed); a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) also gets the
    methods (GET, POST), the requested headers among ``Content-Type`` and ``If-None-Match``,
    and a day's ``Max-Age``. Every ``/v1/`` answer varies on ``Origin``.
    """
    patterns = origin_patterns(origins)

    @app.after_request
    def cors(response: Response) -> Response:
        if not request.path.startswith(_CORS_PREFIX):
            return response
        # Whether or not this request had an Origin: a shared cache must not hand an answer
        # made without CORS headers to an extension (or one with them to a page).
        headers = response.headers
        vary = headers.get("Vary")  # (werkzeug's response.vary parses and rewrites: slower)
        if vary is None:
            headers["Vary"] = "Origin"
        elif "origin" not in (name.strip().lower() for name in vary.split(",")):
            headers["Vary"] = f"{vary}, Origin"
        origin = request.headers.get("Origin")
        if origin is None or not any(p.match(origin) for p in patterns):
            return response
        headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            asked = request.headers.get("Access-Control-Request-Headers", "")
            wanted = (name.strip().lower() for name in asked.split(","))
            granted = [name for name in wanted if name in _CORS_HEADERS]
            headers["Access-Control-Allow-Methods"] = "GET, POST"
            if granted:
                headers["Access-Control-Allow-Headers"] = ", ".join(granted)
            headers["Access-Control-Max-Age"] = _CORS_MAX_AGE
        else:
            headers["Access-Control-Expose-Headers"] = "ETag"
        return response


def _redact_request_logs() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactHosts) for f in logger.filters):
            logger.addFilter(RedactHosts())
    error_log = logging.getLogger("gunicorn.error")
    if not any(isinstance(f, RedactErrorLog) for f in error_log.filters):
        error_log.addFilter(RedactErrorLog())


def init_app(app: Flask, settings: Settings) -> ratelimit.RateLimits | None:
    """Install rate limits, CORS and log redaction; returns the limits (None: no limits).

    Raises:
        ConfigError: a limit or the limit store is unusable.
    """
    limits = ratelimit.init_app(
        app, settings.ratelimit_storage_uri, settings.rate_limit, settings.hosts_rate_limit
    )
    _allow_extension_origins(app, settings.cors_origins)
    _redact_request_logs()
    return limits
