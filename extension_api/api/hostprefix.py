"""``GET /v1/hostprefix/<prefix>``: k-anonymity lookup in the scan corpus by hash prefix."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import service
from ._common import state

__all__ = ["bp"]

bp = Blueprint("hostprefix", __name__, url_prefix="/v1/hostprefix")


@bp.get("/<string:prefix>")
def lookup(prefix: str) -> Response:
    """Verdicts of every scanned host whose SHA-256(lower-case hostname) starts with prefix."""
    hits, corpus = service.lookup_prefix(state(), prefix)
    response = jsonify({
        "prefix": prefix.lower(),
        "hosts": [h.to_json() for h in hits],
        "corpus": corpus.age_json(),
    })
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
