"""The affected list: ``GET /v1/registry``, ``GET /v1/registry/<sha256>``, imports."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from .. import service
from ..errors import ErrorCode, Forbidden, NotFound, RequestError, Unauthenticated
from ._common import state

__all__ = ["bp"]

bp = Blueprint("registry", __name__, url_prefix="/v1/registry")


@bp.get("")
def compact() -> Response:
    """The compact list (ETag, Cache-Control, gzip when accepted)."""
    st = state()
    doc = st.compact()
    etag = f'W/"{doc.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={st.settings.registry_max_age}",
        "Vary": "Accept-Encoding",
    }
    if request.if_none_match.contains_weak(doc.etag):
        return Response(status=304, headers=headers)
    if request.accept_encodings["gzip"] > 0:
        return Response(
            doc.gzipped,
            mimetype="application/json",
            headers={**headers, "Content-Encoding": "gzip"},
        )
    return Response(doc.body, mimetype="application/json", headers=headers)


@bp.get("/<string:sha256>")
def entry(sha256: str) -> Response:
    """One entry by the SHA-256 of its certificate."""
    key = sha256.replace(":", "").lower()
    if len(key) != 64 or not set(key) <= set("0123456789abcdef"):
        raise RequestError(ErrorCode.INVALID_SHA256, "expected 64 hexadecimal digits")
    registry = state().snapshot().registry
    found = registry.get(key)
    if found is None:
        raise NotFound(ErrorCode.NOT_LISTED, "no listed certificate has this SHA-256")
    incident = registry.to_json()["incidents"].get(found.incident)
    return jsonify({"entry": found.to_json(), "incident": incident})


@bp.post("/import")
def import_file() -> Response:
    """Import our CSV, a PEM bundle or a CCADB CSV (admin token); all or nothing."""
    st = state()
    token = st.settings.admin_token
    if not token:
        raise Forbidden(
            ErrorCode.IMPORTS_DISABLED, "imports are disabled (no REVLAB_ADMIN_TOKEN)"
        )
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer "):
        raise Unauthenticated(
            ErrorCode.UNAUTHORIZED, "send the admin token as 'Authorization: Bearer ...'"
        )
    if not hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode()):
        raise Forbidden(ErrorCode.FORBIDDEN, "the admin token is wrong")
    request.max_content_length = st.settings.max_import_body
    result = service.import_registry(st, request.get_data(), dict(request.args))
    return jsonify(
        {
            "version": result.version,
            "etag": result.etag,
            "added": result.added,
            "entries": result.entries,
        }
    )
