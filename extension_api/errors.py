"""What can go wrong in a request, as domain errors: no HTTP here.

The service layer and the views raise these (and the `sim.errors` ones: `HostError`,
`GuardError`, `LoadError`, `RegistryImportError`...). One table in
`extension_api.api.http_errors` turns each into an HTTP status and a JSON body
``{"error": {"code": "...", "message": "..."}}``; nothing else chooses a status. A `RetryLater`
(429 `RateLimited`, 503 `Busy`) also says when to retry (``Retry-After``).

A message is one sentence for a person: it says what is wrong with what the client sent, and
never names a server path or a parser's internals.
"""

from __future__ import annotations

from enum import StrEnum

from sim.errors import RevlabError

__all__ = [
    "Busy",
    "ErrorCode",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "RequestError",
    "RetryLater",
    "Unauthenticated",
    "body_too_large_message",
]


class ErrorCode(StrEnum):
    """The stable machine-readable codes of the API's errors (``error.code``)."""

    # Bad input (400).
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    INVALID_BODY = "invalid_body"
    INVALID_CHAIN = "invalid_chain"
    CHAIN_TOO_LONG = "chain_too_long"
    INVALID_CERTIFICATE = "invalid_certificate"
    INVALID_HOST = "invalid_host"
    INVALID_PORT = "invalid_port"
    INVALID_PREFIX = "invalid_prefix"
    INVALID_SHA256 = "invalid_sha256"
    INVALID_PARAMETER = "invalid_parameter"
    EMPTY_BODY = "empty_body"
    # Tokens and refusals (401, 403).
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    IMPORTS_DISABLED = "imports_disabled"
    REFUSED_TARGET = "refused_target"
    # Unknown things (404).
    NOT_FOUND = "not_found"
    NOT_LISTED = "not_listed"
    # A file refused as a whole (422).
    IMPORT_REFUSED = "import_refused"
    # HTTP-level errors raised by Werkzeug.
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"
    LENGTH_REQUIRED = "length_required"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    # A shared resource is taken (503): the request was fine, retry it later.
    BUSY = "busy"
    HTTP_ERROR = "http_error"
    INTERNAL_ERROR = "internal_error"


class RequestError(RevlabError):
    """A request the API cannot serve as asked (bad input unless a subclass says otherwise).

    Attributes:
        code: which rule the request broke.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        """Create the error with its code and its sentence for people."""
        super().__init__(message)
        self.code = code


class NotFound(RequestError):
    """The request names something that does not exist here (a lesson, a listed certificate)."""


class Unauthenticated(RequestError):
    """The request needs a token and carries none."""


class Forbidden(RequestError):
    """The request is not allowed: a wrong token, or a feature that is switched off."""


class RetryLater(RequestError):
    """A request that may succeed if sent again after ``retry_after`` seconds.

    Attributes:
        retry_after: whole seconds after which a retry is sensible (``Retry-After``).
    """

    def __init__(self, code: ErrorCode, message: str, retry_after: int) -> None:
        """Create the error with its code, its sentence and the seconds to wait."""
        super().__init__(code, message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """The client sent more requests than its limit allows in the current window."""

    def __init__(self, limit: str, retry_after: int) -> None:
        """Create the error for ``limit`` (e.g. ``600/minute``)."""
        super().__init__(ErrorCode.RATE_LIMITED, f"Too many requests: limit {limit}.", retry_after)


class Busy(RetryLater):
    """A shared resource is taken (the database's write lock, every outbound slot, the limit
    store): never the client's fault, so never a 4xx."""

    def __init__(self, message: str, retry_after: int) -> None:
        """Create the error with its sentence and the seconds to wait."""
        super().__init__(ErrorCode.BUSY, message, retry_after)


def body_too_large_message(limit: int) -> str:
    """The sentence of a 413: it names the limit, and says nothing of the body was used."""
    return (
        f"The request body is larger than the limit of {limit:,} bytes; "
        "nothing of it was processed."
    )
