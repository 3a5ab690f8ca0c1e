"""``GET /``: what this server offers, as a page for a browser or JSON for a program.

The banner of ``revlab serve`` prints this address, so it must answer. The list of endpoints is
read from the OpenAPI document (one truth), the lessons from the notebooks folder.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..lessons import list_lessons
from ..openapi import openapi_document
from ._common import state

__all__ = ["bp", "index_document"]

bp = Blueprint("index", __name__)

_TITLE = "Revocation Lab API"
_ABOUT = (
    "Verdicts on TLS certificate chains against the lists of intermediate CA certificates "
    "that were (or must be) revoked in a mass revocation, for the Revocation Lab browser "
    "extension."
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; }}
code {{ background: #f6f6f6; padding: 0 .2rem; }}
</style></head>
<body><h1>{title}</h1>
<p>{about}</p>
<p>The machine-readable description: <a href="{openapi}">{openapi}</a> (OpenAPI 3).
Every error is <code>{{"error": {{"code": "...", "message": "..."}}}}</code> with a 4xx status.</p>
<h2>Endpoints</h2>
<ul>
{endpoints}
</ul>
<h2>Lessons</h2>
{lessons}
</body></html>
"""


def index_document() -> dict[str, Any]:
    """The index as JSON: the OpenAPI link, every endpoint with its summary, the lessons."""
    paths: dict[str, dict[str, Any]] = openapi_document()["paths"]
    return {
        "name": _TITLE,
        "about": _ABOUT,
        "openapi": "/openapi.json",
        "endpoints": [
            {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
            for path, methods in paths.items()
            for method, op in methods.items()
        ],
        "lessons": [
            {"title": lesson.title, "url": lesson.url}
            for lesson in list_lessons(state().settings.notebooks_dir)
        ],
    }


def _html(doc: dict[str, Any]) -> str:
    esc = html.escape
    endpoints = "\n".join(
        f"<li><code>{esc(e['method'])} {esc(e['path'])}</code>: {esc(e['summary'])}</li>"
        for e in doc["endpoints"]
    )
    if doc["lessons"]:
        items = "\n".join(
            f'<li><a href="{esc(lesson["url"])}">{esc(lesson["title"])}</a></li>'
            for lesson in doc["lessons"]
        )
        lessons = f"<ul>\n{items}\n</ul>"
    else:
        lessons = "<p>No lessons are installed on this server.</p>"
    return _PAGE.format(
        title=esc(doc["name"]),
        about=esc(doc["about"]),
        openapi=esc(doc["openapi"]),
        endpoints=endpoints,
        lessons=lessons,
    )


@bp.get("/")
def index() -> Response:
    """HTML for a browser; JSON when the client prefers ``application/json``."""
    doc = index_document()
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json":
        response = jsonify(doc)
    else:
        response = Response(_html(doc), 200, {"Content-Type": "text/html; charset=utf-8"})
    response.headers["Vary"] = "Accept"
    return response
