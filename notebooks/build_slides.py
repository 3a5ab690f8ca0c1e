"""Build the lesson slides offline: one reveal.js deck per lesson, one combined talk, and every
lesson figure as PNG and SVG at slide size (16:9).

Run from the repository root (``make slides``)::

    (cd notebooks && npm ci)            # reveal.js, require.js, the widget renderer
    .venv/bin/python notebooks/build_slides.py [--out build] [--only 01_chains_of_trust]

Output (never in ``notebooks/``: the committed notebooks stay without outputs):

- ``build/notebooks/<lesson>.ipynb``: each lesson executed (with its widget state);
- ``build/slides/<lesson>.slides.html`` and ``build/slides/talk.slides.html``;
- ``build/slides/vendor/``: the JavaScript the decks load, copied from ``notebooks/node_modules``
  (npm registry); nothing is loaded from a CDN: nbconvert's CDN defaults (reveal.js, require.js,
  jQuery, MathJax, Mermaid, the widget html-manager) are all pointed at these local copies, and
  MathJax and Mermaid, which the lessons do not use, at small local stubs (the head's
  unconditional Mermaid import is removed by ``notebooks/templates/revlab_reveal``);
- ``build/figures/<lesson>-<figure>.png|svg`` at ``sim.plots.style.SLIDE_SIZE`` (16 x 9 in,
  1600 x 900 px PNG), drawn by the same ``sim.plots`` functions the lessons call.
"""

# nbformat and nbconvert ship no type hints: their calls are untyped and return Any.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

import argparse
import copy
import datetime as dt
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from nbclient import NotebookClient
from nbconvert import SlidesExporter
from traitlets.config import Config

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NODE_MODULES = HERE / "node_modules"
#: The fixed "now" and seed of the lessons (each notebook states them too).
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SEED = 2026
#: Figure exports: pixels per inch, so that SLIDE_SIZE gives 1600 x 900 px.
DPI = 100

_MATHJAX_STUB = """// Offline stand-in for MathJax: no formulas in the lessons; the reveal
// template calls MathJax.Hub on every slide change.
window.MathJax = {Hub: {
  Config: function () {}, Queue: function () {},
  getAllJax: function () { return null; }, Rerender: function () {}}};
"""
_MERMAID_STUB = """// Offline stand-in for Mermaid (no lesson draws a Mermaid diagram).
export default { initialize() {}, registerLayoutLoaders() {}, run() {} };
"""

# (source under node_modules, destination under vendor/)
_ASSETS: tuple[tuple[str, str], ...] = (
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("@jupyter-widgets/html-manager/dist", "html-manager"),
)


def copy_assets(vendor: Path) -> None:
    """Copy the npm packages the decks need into ``vendor`` and write the two stubs.

    Raises:
        SystemExit: ``notebooks/node_modules`` is missing (run ``npm ci`` in notebooks/).
    """
    if not (NODE_MODULES / "reveal.js").is_dir():
        raise SystemExit("notebooks/node_modules is missing: run `cd notebooks && npm ci` first")
    for source, dest in _ASSETS:
        src, dst = NODE_MODULES / source, vendor / dest
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    (vendor / "mathjax-stub.js").write_text(_MATHJAX_STUB, encoding="utf-8")
    (vendor / "mermaid-stub.mjs").write_text(_MERMAID_STUB, encoding="utf-8")


def exporter() -> SlidesExporter:
    """nbconvert's slides exporter with every CDN URL replaced by a path under vendor/."""
    c = Config()
    c.SlidesExporter.extra_template_basedirs = [str(HERE / "templates")]
    c.SlidesExporter.template_name = "revlab_reveal"
    c.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_width = "1280"
    c.SlidesExporter.reveal_height = "760"
    c.SlidesExporter.require_js_url = "vendor/require.js"
    c.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    c.SlidesExporter.mathjax_url = "vendor/mathjax-stub.js"
    c.SlidesExporter.mermaid_js_url = "./vendor/mermaid-stub.mjs"
    c.SlidesExporter.mermaid_layout_elk_js_url = ""
    c.SlidesExporter.widget_renderer_url = "vendor/html-manager/embed-amd.js"
    c.SlidesExporter.jupyter_widgets_base_url = "vendor/"
    c.SlidesExporter.font_awesome_url = ""
    # A talk shows prose and figures; the code stays in the notebooks.
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    return SlidesExporter(config=c)


def execute(path: Path, out_dir: Path) -> nbformat.NotebookNode:
    """Execute one lesson (cwd notebooks/) and write it with outputs into ``out_dir``."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(HERE)}},
    ).execute()  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return nb


def combined(notebooks: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """One notebook of all lessons in order (their widget states merged), for the talk."""
    talk = nbformat.v4.new_notebook()
    talk.metadata = copy.deepcopy(notebooks[0].metadata)
    talk.metadata["title"] = "Revocation Lab: mass revocation in seven lessons"
    talk.metadata.pop("widgets", None)
    state: dict[str, object] = {}
    mime = "application/vnd.jupyter.widget-state+json"
    for nb in notebooks:
        talk.cells.extend(copy.deepcopy(nb.cells))
        state.update(nb.metadata.get("widgets", {}).get(mime, {}).get("state", {}))
    if state:
        talk.metadata["widgets"] = {mime: {"version_major": 2, "version_minor": 0, "state": state}}
    return talk


FigureFn = Callable[[Axes], Axes]


def figures() -> dict[str, FigureFn]:
    """The lessons' figures by ``<lesson>-<name>``, each drawing on the axes it is given."""
    from sim.blast import blast_radius
    from sim.calibration import fit_all, model_curve
    from sim.exposure import browser_mix, mechanism_table, timeline_exposure
    from sim.incident import ocsp_eku_2020, simulate
    from sim.intermediates import kinds_by_ca, load_hierarchy_2020
    from sim.lifetimes import compare_lifetimes
    from sim.ocsp_scenario import build_incident_2020
    from sim.pki import build_hierarchy, seed_article_spec
    from sim.plots.blast import plot_blast_by_ca, plot_blast_hierarchy
    from sim.plots.calibration import plot_calibration
    from sim.plots.hierarchy import plot_certificate_tree, plot_kinds_by_ca, plot_subtree
    from sim.plots.lifetimes import plot_attrition, plot_renewal_cost
    from sim.plots.mechanisms import (
        bandwidth_vs_coverage,
        clients_exposed_curve,
        exposure_window_bars,
    )
    from sim.plots.timeline import plot_timeline

    seed_pki = build_hierarchy(seed_article_spec(), now=NOW, seed=SEED)
    incident = build_incident_2020(now=NOW, seed=SEED)
    timeline = simulate(ocsp_eku_2020(), n=100_000, seed=SEED)
    blast = blast_radius(timeline, 7)
    br = simulate(ocsp_eku_2020(schedule="br"), n=100_000, seed=SEED, mode="cohort")
    staged = simulate(ocsp_eku_2020(), n=100_000, seed=SEED, mode="cohort")
    lifetimes = compare_lifetimes()
    table = mechanism_table()
    dv = next(n for n in staged.revocation_days.index if n.startswith("GlobalSign RSA DV SSL"))
    exposure = timeline_exposure(staged, dv, mix=browser_mix()).dropna()
    marks = {"ica_b": "revoked by R", "ica_a": "forges OCSP", "responder": "ok"}
    return {
        "01-seed-hierarchy": lambda ax: plot_certificate_tree(seed_pki, ax=ax),
        "02-delegated-responder": lambda ax: plot_certificate_tree(
            incident.hierarchy, marks=marks, ax=ax),
        "03-kinds-by-ca": lambda ax: plot_kinds_by_ca(kinds_by_ca(load_hierarchy_2020()), ax=ax),
        "03-blast-hierarchy": lambda ax: plot_blast_hierarchy(blast, ax=ax),
        "03-blast-by-ca": lambda ax: plot_blast_by_ca(blast, ax=ax),
        "03-subtree-globalsign": lambda ax: plot_subtree(blast, "GlobalSign", ax=ax),
        "04-timeline-br": lambda ax: plot_timeline(br, ax=ax),
        "04-timeline-staged": lambda ax: plot_timeline(staged, ax=ax),
        "04-calibration": lambda ax: plot_calibration(
            [(f, *model_curve(f)) for f in fit_all()], ax=ax),
        "05-attrition": lambda ax: plot_attrition(lifetimes, ax=ax),
        "05-renewal-cost": lambda ax: plot_renewal_cost(lifetimes, ax=ax),
        "06-exposure-intermediate": lambda ax: exposure_window_bars(
            table, scenario="intermediate_2020", ax=ax),
        "06-exposure-leaf-blocked": lambda ax: exposure_window_bars(
            table, scenario="leaf_blocked", ax=ax),
        "06-bandwidth": lambda ax: bandwidth_vs_coverage(table, ax=ax),
        "06-clients-exposed": lambda ax: clients_exposed_curve(exposure, ax=ax),
    }  # fmt: skip


def export_figures(out: Path) -> list[Path]:
    """Draw every figure on a 16:9 slide-sized figure; write PNG and SVG into ``out``."""
    from sim.plots.style import SLIDE_SIZE

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in figures().items():
        fig = Figure(figsize=SLIDE_SIZE, dpi=DPI, layout="constrained")
        draw(fig.add_subplot())
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            fig.savefig(path, format=ext, dpi=DPI)  # no bbox="tight": keep exactly 16:9
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Build the decks and the figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build", help="output root")
    parser.add_argument("--only", action="append", default=[],
                        help="lesson stem to build (repeatable); default all")  # fmt: skip
    parser.add_argument("--no-figures", action="store_true", help="skip build/figures")
    args = parser.parse_args(argv)
    lessons = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        lessons = [p for p in lessons if p.stem in args.only]
        if not lessons:
            parser.error(f"--only: no lesson named {args.only}")
    slides = args.out / "slides"
    copy_assets(slides / "vendor")
    export = exporter()
    executed = []
    for path in lessons:
        started = time.perf_counter()
        nb = execute(path, args.out / "notebooks")
        executed.append(nb)
        body, _ = export.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        (slides / f"{path.stem}.slides.html").write_text(body, encoding="utf-8")
        print(f"{path.stem}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if len(executed) > 1:
        talk = {"metadata": {"name": "talk"}}
        body, _ = export.from_notebook_node(combined(executed), resources=talk)
        (slides / "talk.slides.html").write_text(body, encoding="utf-8")
    if not args.no_figures:
        count = len(export_figures(args.out / "figures"))
        print(f"{count} figure files in {args.out / 'figures'}", file=sys.stderr)
    print(f"decks in {slides}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
