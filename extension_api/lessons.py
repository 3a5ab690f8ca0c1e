"""The lessons as web pages: what the extension's "learn more" link opens.

The registry names each incident's lesson by its path in the repository
(``notebooks/02_ocsp_delegated_responder.ipynb``); the extension resolves that against the
backend's URL. This renders the notebook (prose and code; committed notebooks carry no
outputs) with nbconvert's ``basic`` template, which references no CDN, inside a small page.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ErrorCode, NotFound

__all__ = ["Lesson", "LessonNotFound", "list_lessons", "render_lesson"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[0-9A-Za-z_-]{1,80}\.ipynb$")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Revocation Lab</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; }}
pre {{ background: #f6f6f6; padding: .75rem; overflow-x: auto; }}
.jp-InputPrompt, .prompt {{ display: none; }}
</style></head>
<body><p><em>Revocation Lab lesson. Run it interactively with <code>make lab</code>.</em></p>
{body}
</body></html>
"""


class LessonNotFound(NotFound):
    """No lesson of that name (the message never names the server's folders)."""

    def __init__(self, message: str) -> None:
        """Create the error."""
        super().__init__(ErrorCode.NOT_FOUND, message)


@dataclass(frozen=True)
class Lesson:
    """A lesson the server can render.

    Attributes:
        name: the notebook's file name, e.g. ``02_ocsp_delegated_responder.ipynb``.
        title: its first heading, e.g. ``Lesson 2: OCSP and the dangerous delegated responder``.
    """

    name: str
    title: str

    @property
    def url(self) -> str:
        """Where this server renders it."""
        return f"/notebooks/{self.name}"


def list_lessons(notebooks_dir: Path) -> list[Lesson]:
    """Every lesson in ``notebooks_dir``, by file name (empty when the folder is missing)."""
    if not notebooks_dir.is_dir():
        return []
    return [
        Lesson(path.name, _title(path, path.stat().st_mtime_ns))
        for path in sorted(notebooks_dir.glob("*.ipynb"))
        if _NAME.match(path.name)
    ]


@lru_cache(maxsize=64)
def _title(path: Path, _mtime: int) -> str:
    fallback = path.stem.replace("_", " ")
    try:
        cells = json.loads(path.read_bytes()).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return fallback
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            for line in text.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            return fallback
    return fallback


def render_lesson(notebooks_dir: Path, name: str) -> str:
    """The lesson ``name`` as an HTML page.

    Raises:
        LessonNotFound: the name is not a notebook file name, or no such notebook exists.
    """
    if not _NAME.match(name):
        raise LessonNotFound(f"{name!r} is not the name of a lesson notebook")
    path = notebooks_dir / name
    if not path.is_file():
        # The folder is the operator's business, not the client's: it goes to the log only.
        log.info("no lesson %r in %s (REVLAB_NOTEBOOKS_DIR)", name, notebooks_dir)
        raise LessonNotFound(f"there is no lesson named {name!r}; GET / lists the lessons")
    return _render(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _render(path: Path, _mtime: int) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    exporter = HTMLExporter(template_name="basic")  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(notebook)
    return _PAGE.format(title=html.escape(path.stem.replace("_", " ")), body=body)
