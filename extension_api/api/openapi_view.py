"""``GET /openapi.json``: the OpenAPI 3 document of this API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..openapi import openapi_document

__all__ = ["bp"]

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI document."""
    return jsonify(openapi_document())
