"""Plumbing that protects the service: rate limits, CORS for extensions, log redaction.

No log line names a host a user checked, nor a client's address: the access log (off unless the
operator turns it on) redacts ``/v1/hosts/<host>``; gunicorn's error log keeps only the kind
of a malformed request (its raw line may hold a hostname) and never the client's address.
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from flask_cors import CORS

from . import ratelimit
from .config import Settings

__all__ = ["RedactErrorLog", "RedactHosts", "init_app", "origin_patterns"]

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
    CORS(
        app,
        resources={r"/v1/*": {"origins": origin_patterns(settings.cors_origins)}},
        methods=["GET", "POST"],
        allow_headers=["Content-Type", "If-None-Match"],
        expose_headers=["ETag"],
        max_age=86400,
    )
    _redact_request_logs()
    return limits
