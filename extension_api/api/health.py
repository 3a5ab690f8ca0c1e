"""``GET /healthz``: liveness (no database work, so load balancers may poll it often)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

__all__ = ["bp"]

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify({"status": "ok"})
