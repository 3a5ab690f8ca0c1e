"""``make slides`` re-saves the lessons' pickled figures: Japanese ones keep their glyphs.

The export runs in the build's own process, whose matplotlib has not drawn Japanese before;
without the CJK font registered there, every Japanese character came out as a box.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, require


def test_a_japanese_figure_exported_in_a_fresh_process_keeps_its_glyphs(tmp_path: Path) -> None:
    from sim.plots.style import MissingFontError, font_family

    try:
        font_family("ja")
    except MissingFontError as exc:
        require(False, str(exc))
    from matplotlib.figure import Figure

    from sim.plots.labels import label
    from sim.plots.style import style_axes

    fig = Figure()
    ax = fig.add_subplot()
    ax.bar(["a"], [1])
    style_axes(ax, title=label("blast.ylabel", "ja") + "の中間CA証明書", xlabel="失効", ylabel="",
               lang="ja")  # fmt: skip
    pickled = tmp_path / "figure.pickle"
    pickled.write_bytes(pickle.dumps(fig))
    script = textwrap.dedent(f"""
        import sys, warnings
        from pathlib import Path
        sys.path.insert(0, {str(REPO / "notebooks")!r})
        import build_slides
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            build_slides.export_figures({{"x": Path({str(pickled)!r})}}, Path({str(tmp_path)!r}),
                                        "ja")
        bad = [str(w.message) for w in seen if "missing from" in str(w.message)]
        print("\\n".join(bad) or "ok")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, cwd=REPO)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok", run.stdout
    assert "findfont" not in run.stderr, run.stderr[-2000:]
    assert (tmp_path / "x.png").stat().st_size > 0
