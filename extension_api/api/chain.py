"""``POST /v1/chain``: the verdict on a chain the client already has."""

from __future__ import annotations

from flask import Blueprint, Response

from .. import service
from ._common import json_body, state

__all__ = ["bp"]

bp = Blueprint("chain", __name__, url_prefix="/v1/chain")


@bp.post("")
def check() -> Response:
    """The verdict on ``{"chain": [PEM or base64 DER, leaf first]}``."""
    return Response(service.check_chain(state(), json_body()), mimetype="application/json")
