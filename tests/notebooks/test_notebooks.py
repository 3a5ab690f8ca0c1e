"""The lessons: every notebook runs top to bottom, and the committed files carry no outputs.

Each notebook runs in a fresh kernel with ``notebooks/`` as its working directory, as
``make lab`` opens them. The suite's loopback-only guard does not reach the kernel (another
process): lesson 7's servers are on 127.0.0.1 by construction, and no lesson imports a network
client.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sim.lessons import LESSON_NOW
from tests.conftest import REPO
from tests.notebooks.conftest import slides_tooling_present

NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
#: Seconds allowed to any one cell; the slowest (fitting the calibration) takes about 2 s.
CELL_TIMEOUT = 60

pytestmark = [
    # jupyter_core warns (DeprecationWarning) that Jupyter is migrating to platformdirs unless
    # JUPYTER_PLATFORM_DIRS is set; it is about config paths, not about the lessons.
    pytest.mark.filterwarnings("ignore:Jupyter is migrating its paths:DeprecationWarning"),
    # zmq's tornado integration on Python 3.11 creates its event loop through the deprecated
    # get_event_loop policy path inside nbclient's kernel start-up; nothing of ours.
    pytest.mark.filterwarnings("ignore:There is no current event loop:DeprecationWarning"),
]


def test_the_seven_lessons_exist_and_lesson_2_has_the_name_the_registry_cites() -> None:
    from sim.registry import INCIDENT_2020

    names = [p.name for p in LESSONS]
    assert len(names) >= 7, names
    assert Path(INCIDENT_2020.lesson).name in names


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_committed_notebook_carries_no_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {k} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {k} has a count"
    assert "widgets" not in nb["metadata"], f"{path.name} carries widget state"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_notebook_states_now_and_names_its_sources(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # The reader sees the date; the code takes it (and the seed) from the one place.
    assert LESSON_NOW.date().isoformat() in prose
    assert "from sim.lessons import LESSON_NOW as NOW, LESSON_SEED as SEED" in code
    assert "NOW = " not in code and "SEED = " not in code
    assert "Sources:" in prose and "https://" in prose


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_notebook_executes_top_to_bottom(path: Path, request: pytest.FixtureRequest) -> None:
    started = time.perf_counter()
    if slides_tooling_present():
        # Run once for the whole session by make slides' own code (fixture ``built``), which
        # stops at the first cell that raises; the slides' tests read the same run.
        nb = nbformat.read(request.getfixturevalue("built") / "notebooks" / path.name, 4)
    else:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, timeout=CELL_TIMEOUT, kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )  # fmt: skip
        client.execute()
    elapsed = time.perf_counter() - started
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "a cell did not run"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
    if not any("figure" in c.metadata.get("tags", []) for c in nb.cells):
        return  # lesson 7 shows verdicts, not plots
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]  # fmt: skip
    assert images, f"{path.name} drew no figure"
    # How long it took is reported, not asserted: timing belongs to benchmarks, and the
    # per-cell timeout above already catches a hang.
    print(f"{path.name}: {elapsed:.1f} s")
