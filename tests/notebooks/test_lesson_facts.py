"""The corrected facts of issue 12 as the lessons state them (English prose and Japanese text).

Each fact has its source in docs/sources.md; a rule is cited through ``sim.rules.cite``, so the
lesson and the table cannot disagree on its version.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from sim.incident import JPRS_G3_REVOKED_DAY, JPRS_REISSUE_DEADLINE_DAY
from sim.rules import cite
from tests.conftest import REPO

NOTEBOOKS = REPO / "notebooks"


def _lesson(number: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def prose(number: str) -> str:
    """The English markdown of a lesson."""
    nb = nbformat.read(_lesson(number), as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def japanese(number: str) -> str:
    """The Japanese text of a lesson."""
    path = NOTEBOOKS / "i18n" / "ja" / f"{_lesson(number).stem}.json"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(line for entry in cells.values() for line in entry["text"])


@pytest.mark.parametrize("number", ["03", "04"])
def test_jprs_g3_is_revoked_on_day_257_and_day_214_is_only_the_deadline(number: str) -> None:
    text = prose(number)
    assert f"day {JPRS_G3_REVOKED_DAY}" in text and "2021-03-15" in text
    # Day 214 may appear only as the re-issue deadline.
    for line in text.split(". "):
        if f"day {JPRS_REISSUE_DEADLINE_DAY}" in line:
            assert "deadline" in line, line
    assert f"{JPRS_G3_REVOKED_DAY}日目" in japanese(number)


def test_lesson_4_drops_symantec_and_reports_the_out_of_sample_error() -> None:
    text = prose("04")
    assert "Symantec" not in text and "Symantec" not in japanese("04")
    assert "by\nconstruction" in text or "by construction" in text
    assert "inputs" in text
    nb = nbformat.read(_lesson("04"), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "held_out(" in code and "mean_abs_error(" in code and "plot_heldout(" in code


def test_lesson_5_states_the_short_lived_exemption_with_its_citation() -> None:
    text = prose("05").replace("\n  ", " ").replace("\n", " ")
    assert cite("br.short_lived") in text
    assert "2024-03-15" in text and "10 days" in text and "7 days" in text and "MAY" in text
    assert cite("br.short_lived") in japanese("05")


def test_lesson_6_describes_crlsets_as_the_current_page_does() -> None:
    text = prose("06")
    assert "250 KB" not in text and "250 KB" not in japanese("06")
    assert "IMC 2015" in text and "IMC 2015" in japanese("06")
    assert "every revocation" not in text  # CRLite: leaves; OneCRL: intermediates


def test_lesson_2_a_delegated_responder_speaks_for_its_issuing_cas_certificates() -> None:
    text = prose("02").replace("\n", " ")
    assert "every sibling intermediate of its root" not in text
    assert "same issuing CA" in text and "RFC 6960 §4.2.2.2" in text
