"""The lessons as web pages: what the extension's "learn more" link opens.

The registry names each incident's lesson by its path in the repository
(``notebooks/02_ocsp_delegated_responder.ipynb``); the extension resolves that against the
backend's URL. This renders the notebook (prose and code; committed notebooks carry no
outputs) with nbconvert's ``basic`` template, which references no CDN, inside a small page.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["LessonNotFound", "render_lesson"]

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


class LessonNotFound(LookupError):
    """No lesson of that name (the message says where we looked)."""


def render_lesson(notebooks_dir: Path, name: str) -> str:
    """The lesson ``name`` as an HTML page.

    Raises:
        LessonNotFound: the name is not a notebook file name, or no such notebook exists.
    """
    if not _NAME.match(name):
        raise LessonNotFound(f"{name!r} is not the name of a lesson notebook")
    path = notebooks_dir / name
    if not path.is_file():
        raise LessonNotFound(
            f"no lesson {name!r} in {notebooks_dir} (set REVLAB_NOTEBOOKS_DIR to the "
            "repository's notebooks folder)"
        )
    return _render(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _render(path: Path, _mtime: int) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    exporter = HTMLExporter(template_name="basic")  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(notebook)
    return _PAGE.format(title=html.escape(path.stem.replace("_", " ")), body=body)
