"""``GET /notebooks/<name>.ipynb``: a lesson as a page (the extension's "learn more" link)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..lessons import render_lesson
from ._common import state

__all__ = ["bp"]

bp = Blueprint("lessons", __name__, url_prefix="/notebooks")


@bp.get("/<name>")
def lesson(name: str) -> Response:
    """The lesson rendered as HTML (`LessonNotFound` becomes a JSON 404)."""
    page = render_lesson(state().settings.notebooks_dir, name)
    return Response(page, 200, {"Content-Type": "text/html; charset=utf-8"})
