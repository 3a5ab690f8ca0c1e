"""One visual style for every figure: readable on a 16:9 slide and in a notebook.

Besides colours and sizes this module holds the two conventions the figure checks of
:mod:`sim.plots.checks` rely on: a bar or line that runs past the axis limits carries a
*break mark* (:func:`break_mark`, gid :data:`BREAK_MARK_GID`), and text in a language other than
English is set in a font that has its glyphs (:func:`font_family`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

__all__ = [
    "BREAK_MARK_GID",
    "CJK_FONTS",
    "PALETTE",
    "SLIDE_SIZE",
    "MissingFontError",
    "apply_font",
    "break_mark",
    "font_family",
    "new_axes",
    "style_axes",
]

#: Figure size in inches for a 16:9 slide at 100 dpi (1600 x 900 px at dpi=100).
SLIDE_SIZE: tuple[float, float] = (16.0, 9.0)

#: Colours with meaning, the same in every figure (colour-blind safe, Okabe-Ito).
PALETTE: dict[str, str] = {
    "affected": "#D55E00",  # vermilion: still exposed / still affected
    "replaced": "#009E73",  # bluish green: replaced
    "expired": "#56B4E9",  # sky blue: expired naturally
    "broken": "#CC79A7",  # reddish purple: broken (served under a revoked intermediate)
    "neutral": "#999999",
    "accent": "#0072B2",  # blue
    "warning": "#E69F00",  # orange
    "model": "#000000",
}

#: The gid of a break mark: the sign that a bar or line goes on past the axis limit.
BREAK_MARK_GID = "break-mark"

#: Fonts with Japanese glyphs, best first: Debian's fonts-noto-cjk provides the first.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
)

#: File names of those fonts (Debian: fonts-noto-cjk, fonts-ipaexfont, fonts-ipafont).
_CJK_FILES: tuple[str, ...] = ("NotoSansCJK", "NotoSansJP", "SourceHanSans", "ipaexg", "ipag")

_FONT = {"title": 16, "label": 13, "tick": 11}


class MissingFontError(LookupError):
    """No installed font can draw the figure's language (the figure would show empty boxes)."""


@cache
def font_family(lang: str) -> tuple[str, ...] | None:
    """The font families to set text of ``lang`` in, or None for matplotlib's default.

    Args:
        lang: A language code (``"en"``, ``"ja"``).

    Returns:
        None for English; for Japanese the first installed font of :data:`CJK_FONTS`, then
        DejaVu Sans (matplotlib's own font) for any glyph the CJK font lacks.

    Raises:
        MissingFontError: ``lang`` is ``"ja"`` and none of :data:`CJK_FONTS` is installed.
    """
    if lang != "ja":
        return None
    found = _installed_cjk_font()
    if found is None:
        # Installed after matplotlib cached its font list: register the system's CJK files.
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name for part in _CJK_FILES):
                font_manager.fontManager.addfont(path)
        found = _installed_cjk_font()
    if found is not None:
        return (found, "DejaVu Sans")
    raise MissingFontError(
        "Japanese figures need a font with Japanese glyphs, and none of "
        f"{', '.join(CJK_FONTS)} is installed: on Debian or Ubuntu run "
        "`apt-get install fonts-noto-cjk`"
    )


def _installed_cjk_font() -> str | None:
    for name in CJK_FONTS:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return None


def apply_font(ax: Axes, lang: str) -> Axes:
    """Set every text of ``ax`` (and the tick labels made later) in ``lang``'s font.

    Raises:
        MissingFontError: no font for ``lang`` is installed (see :func:`font_family`).
    """
    family = font_family(lang)
    if family is None:
        return ax
    for text in ax.findobj(Text):
        text.set_fontfamily(list(family))
    ax.tick_params(labelfontfamily=list(family))
    return ax


def break_mark(ax: Axes, x: float, y: float, *, size: float = 0.3) -> Line2D:
    """Draw a break mark (a white zig-zag across a bar) at data point ``(x, y)``.

    A horizontal bar that is longer than the axis is drawn at its true length, clipped by the
    axis, and marked with this near the axis edge, so that nobody reads it as ending there.

    Args:
        ax: The axes.
        x: Where the break is drawn (data units; just inside the axis limit).
        y: The bar's centre (data units).
        size: The mark's height in data units of y (a bar is 0.8 high by default).

    Returns:
        The mark (gid :data:`BREAK_MARK_GID`).
    """
    x0, x1 = ax.get_xlim()
    dx = 0.006 * abs(x1 - x0)
    h = size / 2
    xs = [x - dx, x + dx, x - dx, x + dx, x - dx]
    ys = [y - 2 * h, y - h, y, y + h, y + 2 * h]
    (mark,) = ax.plot(xs, ys, color="white", lw=3, solid_capstyle="butt", zorder=5,
                      gid=BREAK_MARK_GID, label="_break")  # fmt: skip
    return mark


def new_axes(ax: Axes | None) -> Axes:
    """Return ``ax`` or the axes of a new figure, so that figure functions can take ``ax=None``."""
    if ax is not None:
        return ax
    fig = Figure(figsize=(10, 5.625), layout="constrained")
    return fig.add_subplot()


def style_axes(
    ax: Axes, *, title: str, xlabel: str, ylabel: str, lang: str = "en", **_: Any
) -> Axes:
    """Apply the shared style: title, labels, light grid, no top/right spines, ``lang``'s font.

    Call it last, after every text of the figure is drawn, so that all of it gets the font.

    Raises:
        MissingFontError: no font for ``lang`` is installed (see :func:`font_family`).
    """
    # Wrapped at the figure's edge: a long title on a notebook-sized figure stays whole.
    # matplotlib wraps at spaces only; Japanese has none, so allow a break after its commas.
    if lang == "ja":
        title = title.replace("、", "、 ").replace("：", "： ")
    ax.set_title(title, fontsize=_FONT["title"], loc="left", wrap=True)
    ax.set_xlabel(xlabel, fontsize=_FONT["label"])
    ax.set_ylabel(ylabel, fontsize=_FONT["label"])
    ax.tick_params(labelsize=_FONT["tick"])
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return apply_font(ax, lang)
