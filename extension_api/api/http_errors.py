"""Every error as JSON ``{"error": {"code": "...", "message": "..."}}``: the one HTTP mapping.

The service and the views raise domain errors (`sim.errors.RevlabError` and its subclasses,
`extension_api.errors.RequestError`); `STATUS_OF` is the only place that gives each an HTTP
status. Werkzeug's HTTP errors (404, 405, 413, ...) and anything unexpected go through the same
JSON handlers, so a client never sees HTML or a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from sim.errors import GuardError, HostError, LoadError, RegistryImportError, RevlabError
from tlsscan.guard import PortError

from ..errors import (
    Busy,
    ErrorCode,
    Forbidden,
    NotFound,
    RateLimited,
    RequestError,
    RetryLater,
    Unauthenticated,
    body_too_large_message,
)

__all__ = ["STATUS_OF", "error_response", "init_app", "status_of"]

log = logging.getLogger(__name__)

#: HTTP status and default code per domain error; the first class the error is an instance
#: of wins, so subclasses come before their bases. A `RequestError` brings its own code.
STATUS_OF: tuple[tuple[type[RevlabError], int, ErrorCode], ...] = (
    (Busy, 503, ErrorCode.BUSY),
    (RateLimited, 429, ErrorCode.RATE_LIMITED),
    (NotFound, 404, ErrorCode.NOT_FOUND),
    (Unauthenticated, 401, ErrorCode.UNAUTHORIZED),
    (Forbidden, 403, ErrorCode.FORBIDDEN),
    (GuardError, 403, ErrorCode.REFUSED_TARGET),
    (RegistryImportError, 422, ErrorCode.IMPORT_REFUSED),
    (PortError, 400, ErrorCode.INVALID_PORT),
    (HostError, 400, ErrorCode.INVALID_HOST),
    (LoadError, 400, ErrorCode.INVALID_CERTIFICATE),
    (RevlabError, 400, ErrorCode.BAD_REQUEST),
)

# Werkzeug's status codes mapped to our stable error codes.
_HTTP_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    409: ErrorCode.CONFLICT,
    411: ErrorCode.LENGTH_REQUIRED,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
}


def status_of(exc: RevlabError) -> tuple[int, ErrorCode]:
    """The HTTP status and the error code of a domain error."""
    for cls, status, code in STATUS_OF:
        if isinstance(exc, cls):
            return status, exc.code if isinstance(exc, RequestError) else code
    raise AssertionError("RevlabError is the last row of STATUS_OF")  # pragma: no cover


def error_response(status: int, code: str, message: str) -> Response:
    """The JSON error response."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _domain_error(exc: RevlabError) -> Response:
    status, code = status_of(exc)
    message = str(exc)
    if isinstance(exc, RegistryImportError):
        message = f"{message} (nothing was changed)"
    response = error_response(status, code, message)
    if isinstance(exc, RetryLater):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_message(exc: HTTPException, status: int) -> str:
    if status == 429:
        return f"Too many requests: limit {exc.description}."
    if status == 413:
        limit = request.max_content_length
        if limit is not None:
            return body_too_large_message(limit)
    if status == 404:
        return "No such page. GET / lists what this server offers."
    return exc.description or exc.name


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, ErrorCode.HTTP_ERROR)
    response = error_response(status, code, _http_message(exc, status))
    # Keep the headers Werkzeug set (Allow on a 405, Retry-After on a 429).
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error")
    return error_response(500, ErrorCode.INTERNAL_ERROR, "An unexpected error occurred.")


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(RevlabError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
