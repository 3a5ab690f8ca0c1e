"""The lessons built once per test session, as ``make slides`` builds them.

``notebooks/build_slides.py`` runs every lesson (nbclient, cwd ``notebooks/``), writes the
executed notebooks and every deck, the talk and the Japanese talk. The lessons' execution test
and the slides' tests read the same build instead of running the lessons twice.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, require

NOTEBOOKS = REPO / "notebooks"


def slides_tooling_present() -> bool:
    """Whether the npm packages the decks need are installed (``cd notebooks && npm ci``)."""
    return (NOTEBOOKS / "node_modules" / "reveal.js").is_dir()


def build_slides() -> Any:
    """Import notebooks/build_slides.py (a script, not a package)."""
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import build_slides
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return build_slides


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every lesson run, every deck and the figure files built (the Japanese talk keeps the
    English run's figures, so the lessons run once)."""
    require(slides_tooling_present(),
            "notebooks/node_modules is missing: run `cd notebooks && npm ci`")
    out = tmp_path_factory.mktemp("slides-build")
    # Its own process, as `make slides` runs it: inside pytest (warnings are errors here), a
    # warning raised in jupyter_client's kernel plumbing was swallowed there and a lesson
    # then waited out nbclient's 120 s timeout (seen for lessons 03 and 06, now and then).
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build_slides.py"), "--out", str(out), "--no-ja-figures"],
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    sys.stderr.write(done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    return out
