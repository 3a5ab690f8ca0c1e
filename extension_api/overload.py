"""What the API does when it is overloaded: say so at once, as JSON, with ``Retry-After``.

- `extension_api.errors.Busy`: a resource is taken (the database's write lock, every outbound
  slot, the limit store); ``extension_api.api.http_errors`` answers 503 with ``Retry-After`` and
  the client may retry. It is never a 4xx: the request itself was fine.
- `gate_fetches`: at most N host checks per worker at once, so that a flood of checks against
  tarpits cannot use up the worker's sockets and file descriptors.
- `BodyLimit`: every request body is held to its limit before the app sees it, chunked bodies
  (no ``Content-Length``) included: over the limit is 413 with the limit in the message, and
  nothing of the body is processed (an import is all or nothing).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .errors import Busy, ErrorCode, body_too_large_message

__all__ = ["BodyLimit", "gate_fetches"]

#: Bytes read at a time from a chunked body.
_READ_BLOCK = 64 * 1024


def gate_fetches(fetch: Callable[..., Any], limit: int, retry_after: int) -> Callable[..., Any]:
    """``fetch`` limited to ``limit`` calls at once in this process; more raise `Busy`."""
    slots = threading.BoundedSemaphore(limit)

    def gated(*args: Any, **kwargs: Any) -> Any:
        if not slots.acquire(blocking=False):
            raise Busy(f"{limit} host checks are already running here; try again", retry_after)
        try:
            return fetch(*args, **kwargs)
        finally:
            slots.release()

    return gated


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BodyLimit:
    """WSGI middleware: bodies over their limit get 413 before the app reads a byte of them.

    Args:
        app: the WSGI app.
        default: bytes accepted in a body.
        per_path: larger limits for some paths (``/v1/registry/import``).
    """

    def __init__(self, app: WsgiApp, default: int, per_path: dict[str, int]) -> None:
        """Wrap ``app``."""
        self.app = app
        self.default = default
        self.per_path = per_path

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Refuse an oversized body, or hand the request on (a chunked body read in full)."""
        limit = self.per_path.get(environ.get("PATH_INFO", ""), self.default)
        length = environ.get("CONTENT_LENGTH") or ""
        # Transfer-Encoding wins over a Content-Length sent beside it (RFC 9112 6.3).
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length.isdigit() and not chunked:
            if int(length) > limit:
                return _too_large(start_response, limit)
        elif chunked:
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                return _too_large(start_response, limit)
            # From here on the body is an ordinary one of known length.
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def _read_at_most(stream: Any, most: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while total < most:
        block = stream.read(min(_READ_BLOCK, most - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
    return b"".join(parts)


def _too_large(start_response: StartResponse, limit: int) -> list[bytes]:
    # Outside Flask (the app has not seen the request): the same JSON as every other error.
    error = {"code": ErrorCode.BODY_TOO_LARGE.value, "message": body_too_large_message(limit)}
    body = json.dumps({"error": error}).encode()
    start_response(
        "413 Request Entity Too Large",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
         ("Connection", "close")],
    )  # fmt: skip
    return [body]
