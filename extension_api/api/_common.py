"""Small helpers shared by the views: the state of this app and JSON bodies."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from .. import jsonio
from ..errors import ErrorCode, RequestError
from ..service import ApiState

__all__ = ["json_body", "state"]


def state() -> ApiState:
    """The `ApiState` of the current app."""
    found: ApiState = current_app.extensions["revlab"]
    return found


def json_body() -> Any:
    """The request's JSON body (whatever its Content-Type says).

    Raises:
        RequestError: the body is not JSON (deeply nested arrays included: the parser's
            RecursionError is bad input, not a server error).
    """
    # The body straight from the server's input (its length is vouched for by
    # `extension_api.overload.BodyLimit`): werkzeug's stream wrappers cost more than the parse.
    environ = request.environ
    length = environ.get("CONTENT_LENGTH", "")
    data = environ["wsgi.input"].read(int(length) if length.isdigit() else 0)
    try:
        return jsonio.loads(data)
    except (ValueError, RecursionError):
        raise RequestError(ErrorCode.INVALID_JSON, "the body must be a JSON document") from None
