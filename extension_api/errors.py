"""Every error as JSON: ``{"error": {"code": "...", "message": "..."}}``.

Views raise `ApiError`; Werkzeug's HTTP errors (404, 405, 413, ...) and anything unexpected
go through the same handler, so a client never sees HTML or a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "error_response", "init_app"]

log = logging.getLogger(__name__)

# Werkzeug's status codes mapped to our stable error codes.
_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error a client caused or must know about, returned as JSON.

    Attributes:
        status: the HTTP status.
        code: a stable machine-readable code, e.g. ``invalid_chain``.
        message: one sentence for people.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        """Create the error."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    """The JSON error response."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, "http_error")
    if status == 429:
        message = f"Too many requests: limit {exc.description}."
    else:
        message = exc.description or exc.name
    response = error_response(status, code, message)
    # Keep the headers Werkzeug set (Allow on a 405, Retry-After on a 429).
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
