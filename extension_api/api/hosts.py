"""``GET /v1/hosts/<host>?port=443``: the server reads the site's chain and judges it."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import service
from ._common import state

__all__ = ["bp"]

bp = Blueprint("hosts", __name__, url_prefix="/v1/hosts")


@bp.get("/<path:host>")
def check(host: str) -> Response:
    """The verdict on what ``host:port`` serves (cached for the configured TTL)."""
    result = service.check_host(state(), host, request.args.get("port"))
    response = jsonify(result.to_json())
    response.headers["Cache-Control"] = "private, no-store"
    return response
