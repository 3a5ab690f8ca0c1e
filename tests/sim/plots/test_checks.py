"""sim.plots.checks: each check fails on a figure with the fault and passes on the fixed one."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from sim.plots.checks import (
    check_figure,
    text_overlaps,
    texts_outside,
    unexplained_styles,
    unmarked_clipping,
)
from sim.plots.style import PALETTE, break_mark


def _axes() -> Axes:
    return Figure(figsize=(10, 5.625), dpi=100, layout="constrained").add_subplot()


def _old_bandwidth(ax: Axes) -> None:
    """The old 06-bandwidth: four labels at nearly one point, each offset the same way."""
    points = {"CRL": 100_000, "OCSP hard-fail": 100_000, "OCSP soft-fail": 100_000}
    for name, x in points.items():
        ax.scatter([x], [1.0], color=PALETTE["accent"])
        ax.annotate(name, (x, 1.0), textcoords="offset points", xytext=(6, 6))
    ax.set_xscale("symlog", linthresh=1000)


def _old_exposure(ax: Axes, *, mark: bool, legend: bool) -> None:
    """The old 06-exposure bars, drawn at their true length (365 d) with the axis at 30 d."""
    ax.barh(0, 365, color=PALETTE["accent"])
    ax.barh(1, 30, color=PALETTE["affected"], hatch="//", edgecolor="white")
    ax.set_xlim(0, 30)
    if mark:
        break_mark(ax, 29, 0)
    if legend:
        ax.legend(handles=[
            Patch(facecolor=PALETTE["accent"], edgecolor="white", label="days"),
            Patch(facecolor=PALETTE["affected"], hatch="//", edgecolor="white", label="never"),
        ])  # fmt: skip


def test_overlapping_labels_are_found_and_named() -> None:
    ax = _axes()
    _old_bandwidth(ax)
    problems = text_overlaps(ax.get_figure())  # type: ignore[arg-type]
    pairs = {p.message.split(" overlaps ")[0] for p in problems}
    assert {p.code for p in problems} == {"figure.text.overlap"}
    assert "'OCSP hard-fail'" in pairs and len(problems) == 3  # every pair of the three


def test_labels_apart_do_not_overlap() -> None:
    ax = _axes()
    for k, name in enumerate(("CRL", "OCSP hard-fail", "OCSP soft-fail")):
        ax.annotate(name, (100_000, 1.0), textcoords="offset points", xytext=(6, 6 + 20 * k))
    ax.set_xlim(0, 200_000)
    ax.set_ylim(0, 3)
    assert text_overlaps(ax.get_figure()) == []  # type: ignore[arg-type]


def test_an_annotation_matplotlib_does_not_draw_is_not_counted() -> None:
    ax = _axes()
    ax.annotate("outside", (5.0, 5.0))  # the default view is 0..1: matplotlib skips it
    ax.annotate("outside too", (5.0, 5.0), xytext=(0.5, 0.5))
    assert text_overlaps(ax.get_figure()) == []  # type: ignore[arg-type]


def test_tick_labels_outside_the_view_are_not_counted() -> None:
    ax = _axes()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([-5, 0, 0.5, 1, 5], ["far", "0", "half", "1", "far"])
    ax.set_xlim(0, 1)
    assert text_overlaps(ax.get_figure()) == []  # type: ignore[arg-type]


def test_a_bar_past_the_axis_without_a_break_mark_is_clipped() -> None:
    ax = _axes()
    _old_exposure(ax, mark=False, legend=True)
    problems = unmarked_clipping(ax.get_figure())  # type: ignore[arg-type]
    assert [p.code for p in problems] == ["figure.clip.unmarked"]
    ax = _axes()
    _old_exposure(ax, mark=True, legend=True)
    assert unmarked_clipping(ax.get_figure()) == []  # type: ignore[arg-type]


def test_a_break_mark_on_another_bar_does_not_count() -> None:
    ax = _axes()
    _old_exposure(ax, mark=False, legend=True)
    break_mark(ax, 29, 1)  # on the "never" bar, not on the cut one
    assert len(unmarked_clipping(ax.get_figure())) == 1  # type: ignore[arg-type]


def test_a_line_leaving_the_axes_is_clipped_and_a_vertical_marker_is_not() -> None:
    ax = _axes()
    ax.plot([0, 10], [0, 150])
    ax.axvline(5)
    ax.set_ylim(0, 100)
    problems = unmarked_clipping(ax.get_figure())  # type: ignore[arg-type]
    assert len(problems) == 1 and "Line2D" in problems[0].message


def test_colours_and_hatches_without_a_legend_are_reported() -> None:
    ax = _axes()
    _old_exposure(ax, mark=True, legend=False)
    problems = unexplained_styles(ax.get_figure())  # type: ignore[arg-type]
    assert {p.code for p in problems} == {"figure.legend.missing"}
    assert any("//" in p.message for p in problems)  # the hatch of "never"
    assert any(PALETTE["accent"].lower() in p.message for p in problems)
    ax = _axes()
    _old_exposure(ax, mark=True, legend=True)
    assert unexplained_styles(ax.get_figure()) == []  # type: ignore[arg-type]


def test_one_style_needs_no_legend_and_lines_need_theirs() -> None:
    ax = _axes()
    ax.barh([0, 1], [3, 4], color=PALETTE["accent"])
    assert unexplained_styles(ax.get_figure()) == []  # type: ignore[arg-type]
    ax = _axes()
    ax.plot([0, 1], [0, 1], color="red", label="a")
    ax.plot([0, 1], [1, 0], color="blue", ls="--", label="b")
    assert len(unexplained_styles(ax.get_figure())) == 2  # type: ignore[arg-type]
    ax.legend()
    assert unexplained_styles(ax.get_figure()) == []  # type: ignore[arg-type]


def test_a_thick_edge_that_carries_meaning_needs_an_entry() -> None:
    ax = _axes()
    red = PALETTE["affected"]
    ax.add_patch(Rectangle((0, 0), 0.4, 0.4, facecolor="white", edgecolor=red, lw=4))
    ax.add_patch(Rectangle((0.5, 0), 0.4, 0.4, facecolor="white", edgecolor="black", lw=1))
    problems = unexplained_styles(ax.get_figure())  # type: ignore[arg-type]
    assert any("edge" in p.message for p in problems)


def test_text_past_the_figure_edge_is_reported() -> None:
    ax = Figure(figsize=(10, 5.625), dpi=100).add_subplot()  # no layout engine to make room
    ax.text(0.9, 0.5, "a label that runs far past the right edge of the figure", fontsize=20)
    problems = texts_outside(ax.get_figure())  # type: ignore[arg-type]
    assert [p.code for p in problems] == ["figure.text.outside"]


def test_check_figure_runs_every_check() -> None:
    ax = _axes()
    _old_exposure(ax, mark=False, legend=False)
    _old_bandwidth(ax.get_figure().add_subplot(2, 1, 2))  # type: ignore[union-attr]
    codes = {p.code for p in check_figure(ax.get_figure())}  # type: ignore[arg-type]
    assert codes == {"figure.clip.unmarked", "figure.legend.missing", "figure.text.overlap"}
