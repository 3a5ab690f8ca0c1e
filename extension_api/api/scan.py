"""``GET /v1/scan/summary``: what the scan corpus holds, in counts."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import service
from ._common import state

__all__ = ["bp"]

bp = Blueprint("scan", __name__, url_prefix="/v1/scan")


@bp.get("/summary")
def summary() -> Response:
    """Targets per verdict and per list, and the date of the oldest and newest scan."""
    response = jsonify(service.scan_summary(state()).to_json())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
