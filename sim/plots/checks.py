"""Checks a figure must pass before a speaker shows it (run by the tests on every lesson figure).

Each check takes a drawn :class:`~matplotlib.figure.Figure` and returns its problems as data,
each with a dotted code:

- ``figure.text.overlap``: two texts (titles, labels, tick labels, annotations, legend entries)
  whose rendered bounding boxes intersect;
- ``figure.text.outside``: a text that runs past the edge of the figure (it would be cut);
- ``figure.clip.unmarked``: a bar, patch, line or marker that runs past the axis limits (so
  part of it is not drawn) without a break mark drawn over it (the convention of
  :func:`sim.plots.style.break_mark`: an artist whose gid is :data:`BREAK_MARK_GID`);
- ``figure.legend.missing``: an axes that draws data in two or more styles (fill colour and
  hatch, a thick edge colour, line colour and dash) where a style has no legend entry.

:func:`check_figure` runs all four. The figure is drawn first (``fig.canvas.draw()``), so the
boxes are those of the rendered text at the figure's size and dpi.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.collections import Collection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from sim.plots.style import BREAK_MARK_GID

__all__ = [
    "FigureProblem",
    "check_figure",
    "text_overlaps",
    "texts_outside",
    "unexplained_styles",
    "unmarked_clipping",
]

#: Pixels two boxes may share before they count as overlapping (antialiasing slack).
_OVERLAP_PX = 1.0
#: Pixels an artist may run past the axes before it counts as clipped (line widths, rounding).
_CLIP_PX = 1.5
#: Edges at least this wide (points) carry meaning (the "thick red edge" of a dangerous CA).
_THICK_EDGE = 2.0
#: How matplotlib spells "no line" and "no marker".
_NONE = ("None", "none", "", " ", None)


@dataclass(frozen=True)
class FigureProblem:
    """One problem of a figure.

    Attributes:
        code: ``figure.text.overlap``, ``figure.text.outside``, ``figure.clip.unmarked`` or
            ``figure.legend.missing``.
        message: What and where, for a person.
    """

    code: str
    message: str


def check_figure(fig: Figure) -> list[FigureProblem]:
    """Every problem of ``fig`` (all four checks)."""
    renderer = _draw(fig)
    return [
        *text_overlaps(fig, renderer),
        *texts_outside(fig, renderer),
        *unmarked_clipping(fig, renderer),
        *unexplained_styles(fig),
    ]


def _draw(fig: Figure) -> RendererBase:
    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer: RendererBase = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return renderer


def _tick_texts(ax: Axes) -> tuple[set[int], list[Text]]:
    """(ids of every tick label, the tick labels actually drawn: visible ticks in view)."""
    every: set[int] = set()
    drawn: list[Text] = []
    for axis in (ax.xaxis, ax.yaxis):
        low, high = sorted(axis.get_view_interval())
        scale = axis.get_transform()
        lo, hi = (float(v) for v in scale.transform(np.array([low, high])))
        ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
        for tick in ticks:
            labels = (tick.label1, tick.label2)
            every.update(id(t) for t in labels)
            if not tick.get_visible():
                continue
            at = float(scale.transform(np.array([tick.get_loc()]))[0])
            slack = 1e-9 * max(1.0, abs(hi - lo))
            if math.isfinite(at) and lo - slack <= at <= hi + slack:
                drawn.extend(t for t in labels if t.get_visible())
    return every, drawn


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure that is drawn."""
    ticks_all: set[int] = set()
    drawn: list[Text] = []
    for ax in fig.axes:
        every, shown = _tick_texts(ax)
        ticks_all |= every
        drawn.extend(shown)
    for text in fig.findobj(Text):
        if id(text) not in ticks_all:
            drawn.append(text)
    seen: set[int] = set()
    out = []
    for text in drawn:
        if id(text) in seen or not text.get_text().strip() or not _visible(text):
            continue
        seen.add(id(text))
        out.append(text)
    return out


def _visible(text: Text) -> bool:
    if not text.get_visible():
        return False
    if text.axes is not None and not text.axes.get_visible():
        return False
    if isinstance(text, Annotation) and text.axes is not None:
        # matplotlib skips an annotation whose data point lies outside the axes.
        clip = text.get_annotation_clip()
        if (clip is None and text.xycoords == "data") or clip:
            px, py = text.axes.transData.transform(np.asarray(text.xy, float))
            return bool(text.axes.bbox.contains(float(px), float(py)))
    return True


def _text_box(text: Text, renderer: RendererBase) -> Bbox:
    """The box of the text's glyphs (for an annotation, without its arrow)."""
    return Text.get_window_extent(text, renderer)


def _describe(text: Text) -> str:
    return repr(text.get_text()[:60])


def _intersection(a: Bbox, b: Bbox) -> tuple[float, float]:
    return min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)


def text_overlaps(fig: Figure, renderer: RendererBase | None = None) -> list[FigureProblem]:
    """Pairs of drawn texts whose rendered bounding boxes intersect.

    Args:
        fig: The figure.
        renderer: A renderer of the drawn figure (drawn here when None).
    """
    renderer = renderer or _draw(fig)
    texts = _texts(fig)
    boxes = [_text_box(t, renderer) for t in texts]
    problems = []
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            w, h = _intersection(a, boxes[j])
            if w > _OVERLAP_PX and h > _OVERLAP_PX:
                problems.append(FigureProblem(
                    "figure.text.overlap",
                    f"{_describe(texts[i])} overlaps {_describe(texts[j])} "
                    f"({w:.0f} x {h:.0f} px)",
                ))  # fmt: skip
    return problems


def texts_outside(fig: Figure, renderer: RendererBase | None = None) -> list[FigureProblem]:
    """Drawn texts that run past the figure's edge (and are cut in the image)."""
    renderer = renderer or _draw(fig)
    frame = fig.bbox
    problems = []
    for text in _texts(fig):
        box = _text_box(text, renderer)
        if (box.x0 < frame.x0 - _CLIP_PX or box.x1 > frame.x1 + _CLIP_PX
                or box.y0 < frame.y0 - _CLIP_PX or box.y1 > frame.y1 + _CLIP_PX):  # fmt: skip
            problems.append(FigureProblem(
                "figure.text.outside", f"{_describe(text)} runs past the figure's edge"
            ))  # fmt: skip
    return problems


def _is_break_mark(artist: Artist) -> bool:
    gid = artist.get_gid()
    return isinstance(gid, str) and gid.startswith(BREAK_MARK_GID)


def _data_artists(ax: Axes) -> Iterator[Artist]:
    for artist in [*ax.patches, *ax.lines, *ax.collections]:
        if artist.get_visible() and not _is_break_mark(artist):
            yield artist


def _display_points(artist: Artist) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The artist's geometry (unclipped) in display pixels, non-finite points dropped."""
    if isinstance(artist, Line2D):
        points = artist.get_transform().transform(np.asarray(artist.get_xydata(), float))
    elif isinstance(artist, Collection):
        offsets = np.asarray(artist.get_offsets(), float)
        if offsets.size == 0:
            path_boxes = [p.get_extents(artist.get_transform()) for p in artist.get_paths()]
            corners = [[b.x0, b.y0] for b in path_boxes] + [[b.x1, b.y1] for b in path_boxes]
            points = np.array(corners)
        else:
            points = artist.get_offset_transform().transform(offsets)
    elif isinstance(artist, Patch):
        box = artist.get_window_extent()
        points = np.array([[box.x0, box.y0], [box.x1, box.y1]])
    else:  # pragma: no cover - axes hold only these three kinds of data artist
        return np.empty((0, 2))
    flat: np.ndarray[Any, np.dtype[np.float64]] = np.asarray(points, float).reshape(-1, 2)
    finite: np.ndarray[Any, np.dtype[np.float64]] = flat[np.isfinite(flat).all(axis=1)]
    return finite


def unmarked_clipping(fig: Figure, renderer: RendererBase | None = None) -> list[FigureProblem]:
    """Data artists that run past their axes' limits with no break mark drawn over them.

    An artist is clipped when (clip_on) part of its geometry lies more than a pixel and a half
    outside the axes box; it is marked when an artist with gid :data:`BREAK_MARK_GID` touches
    the part of it that is drawn.
    """
    renderer = renderer or _draw(fig)
    problems = []
    for ax in fig.axes:
        frame = ax.bbox
        marks = [a.get_window_extent(renderer) for a in [*ax.lines, *ax.patches]
                 if _is_break_mark(a) and a.get_visible()]  # fmt: skip
        for artist in _data_artists(ax):
            if not artist.get_clip_on():
                continue
            points = _display_points(artist)
            if points.size == 0:
                continue
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            if (x0 >= frame.x0 - _CLIP_PX and x1 <= frame.x1 + _CLIP_PX
                    and y0 >= frame.y0 - _CLIP_PX and y1 <= frame.y1 + _CLIP_PX):  # fmt: skip
                continue
            shown = Bbox([[max(x0, frame.x0), max(y0, frame.y0)],
                          [min(x1, frame.x1), min(y1, frame.y1)]]).expanded(1.0, 1.0)  # fmt: skip
            shown = Bbox.from_extents(shown.x0 - 4, shown.y0 - 4, shown.x1 + 4, shown.y1 + 4)
            if any(min(_intersection(shown, m)) > 0 for m in marks):
                continue
            name = artist.get_label() or artist.get_gid() or type(artist).__name__
            problems.append(FigureProblem(
                "figure.clip.unmarked",
                f"{type(artist).__name__} {str(name)[:60]!r} runs past the axis limits of "
                f"{_axes_name(ax)!r} and no break mark shows it",
            ))  # fmt: skip
    return problems


def _axes_name(ax: Axes) -> str:
    return ax.get_title(loc="left") or ax.get_title() or "axes"


def _hex(colour: Any) -> str:
    return to_hex(colour, keep_alpha=True)


def _styles(artist: Artist) -> set[tuple[str, ...]]:
    """The visual encodings of an artist that could carry meaning."""
    keys: set[tuple[str, ...]] = set()
    if isinstance(artist, Line2D):
        if artist.get_linestyle() not in _NONE:
            keys.add(("line", _hex(artist.get_color()), str(artist.get_linestyle())))
        marker = artist.get_marker()
        if marker not in _NONE:
            keys.add(("marker", _hex(artist.get_markerfacecolor()), str(marker)))
    elif isinstance(artist, Patch):
        face = to_rgba(artist.get_facecolor())
        if face[3] > 0:
            keys.add(("fill", _hex(face), artist.get_hatch() or ""))
        if artist.get_linewidth() >= _THICK_EDGE and to_rgba(artist.get_edgecolor())[3] > 0:
            keys.add(("edge", _hex(artist.get_edgecolor())))
    elif isinstance(artist, Collection):
        faces = artist.get_facecolor()
        for face in np.atleast_2d(faces):
            if len(face) == 4 and face[3] > 0:
                keys.add(("fill", _hex(face), artist.get_hatch() or ""))
    return keys


def _legend_styles(ax: Axes) -> set[tuple[str, ...]]:
    fig = ax.get_figure()
    legends = [ax.get_legend(), *(fig.legends if fig is not None else [])]
    keys: set[tuple[str, ...]] = set()
    for legend in legends:
        if legend is None:
            continue
        for handle in legend.legend_handles:
            if handle is not None:
                keys |= _styles(handle)
    # A legend marker drawn for a scatter is a Line2D marker: count it as that fill too.
    keys |= {("fill", k[1], "") for k in keys if k[0] == "marker"}
    return keys


def unexplained_styles(fig: Figure) -> list[FigureProblem]:
    """Styles that carry meaning (two or more in one axes) but have no legend entry.

    A style is a fill (colour with alpha, and hatch), a thick edge's colour, a line's colour
    and dash, or a marker's colour. An axes drawing its data in one style needs no legend.
    """
    problems = []
    for ax in fig.axes:
        used: set[tuple[str, ...]] = set()
        for artist in _data_artists(ax):
            used |= _styles(artist)
        if len(used) < 2:
            continue
        explained = _legend_styles(ax)
        for key in sorted(used - explained):
            problems.append(FigureProblem(
                "figure.legend.missing",
                f"{_axes_name(ax)!r} draws {' '.join(key)} and no legend entry explains it",
            ))  # fmt: skip
    return problems
