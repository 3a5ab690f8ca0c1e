"""``GET /v1/hostprefix/<prefix>``: k-anonymity lookup by the hostname's hash prefix.

It answers from nothing for now: the hosts users asked about are theirs, and a bucket of their
hashes could be matched against a domain list. Buckets will be filled from a public scan corpus
(issue 14), never from what users checked.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import service
from ._common import state

__all__ = ["NOTE", "bp"]

bp = Blueprint("hostprefix", __name__, url_prefix="/v1/hostprefix")

#: Said with every bucket while the buckets are empty.
NOTE = (
    "Buckets are empty: hosts that users checked are never served here. They will list hosts "
    "of a public scan corpus."
)


@bp.get("/<string:prefix>")
def lookup(prefix: str) -> Response:
    """Verdicts of every known host whose SHA-256(lower-case hostname) starts with prefix."""
    hits = service.lookup_prefix(state(), prefix)
    response = jsonify({"prefix": prefix.lower(), "hosts": [h.to_json() for h in hits],
                        "note": NOTE})  # fmt: skip
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
