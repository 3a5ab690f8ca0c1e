"""Every figure the lessons draw passes the figure checks, in English and in Japanese.

The figures are drawn with the lessons' own arguments (``tests/sim/plots/lesson_figures.py``)
at the two sizes a figure is seen at: a notebook cell (``sim.plots.style.new_axes``) and a
16:9 slide (``SLIDE_SIZE``, as ``notebooks/build_slides.py`` exports them).
"""

from __future__ import annotations

import warnings

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.plots.checks import check_figure
from sim.plots.style import SLIDE_SIZE, MissingFontError, font_family
from tests.conftest import require
from tests.sim.plots.lesson_figures import lesson_figures

NOTEBOOK_SIZE = (10.0, 5.625)
FIGURES = lesson_figures()


def _japanese_font() -> None:
    try:
        font_family("ja")
    except MissingFontError as exc:
        require(False, str(exc))


def _draw(name: str, lang: str, size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FIGURES[name](fig.add_subplot(), lang)
    return fig


@pytest.mark.parametrize("size", [NOTEBOOK_SIZE, SLIDE_SIZE], ids=["notebook", "slide"])
@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_lesson_figure_passes_the_figure_checks(
    name: str, lang: str, size: tuple[float, float]
) -> None:
    if lang == "ja":
        _japanese_font()
    fig = _draw(name, lang, size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = check_figure(fig)  # draws the figure
    assert problems == [], "\n".join(f"{p.code}: {p.message}" for p in problems)
    assert [str(w.message) for w in caught] == []  # e.g. "Glyph 22833 ... missing from font"
    if lang == "ja":
        texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
        japanese = [t for t in texts if any("\u3040" <= ch <= "\u9fff" for ch in t.get_text())]
        assert japanese, "no Japanese text in the Japanese figure"
        assert all(t.get_fontfamily()[0] == font_family("ja")[0] for t in japanese)  # type: ignore[index]


def test_the_lessons_figures_are_all_listed() -> None:
    # The names of build/figures (notebooks/build_slides.py) are a subset of these.
    slides = {
        "01-seed-hierarchy", "02-delegated-responder", "03-kinds-by-ca", "03-blast-hierarchy",
        "03-blast-by-ca", "03-subtree-globalsign", "04-timeline-br", "04-timeline-staged",
        "04-calibration", "05-attrition", "05-renewal-cost", "06-exposure-intermediate",
        "06-exposure-leaf-blocked", "06-bandwidth", "06-clients-exposed",
    }  # fmt: skip
    assert slides <= set(FIGURES)
