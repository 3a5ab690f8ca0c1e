"""Build the lesson slides offline: one reveal.js deck per lesson, one combined talk, and every
lesson figure as PNG and SVG at slide size (16:9).

Run from the repository root (``make slides``)::

    (cd notebooks && npm ci)            # reveal.js, require.js, the widget renderer
    .venv/bin/python notebooks/build_slides.py [--out build] [--only 01_chains_of_trust]

Output (never in ``notebooks/``: the committed notebooks stay without outputs):

- ``build/notebooks/<lesson>.ipynb``: each lesson executed (with its widget state);
- ``build/slides/<lesson>.slides.html`` and ``build/slides/talk.slides.html``;
- ``build/slides/talk.ja.slides.html``: the talk in Japanese. The English notebooks are the
  source; each lesson's Japanese text is ``notebooks/i18n/ja/<lesson>.json``, keyed by cell id,
  each entry recording the SHA-256 of the English cell it translates (``--check-translations``
  lists the cells whose translation is missing or stale). The lessons run again with their
  ``LANG`` parameter set to ``"ja"`` so that the figures carry Japanese words;
- ``build/slides/vendor/``: the JavaScript the decks load, copied from ``notebooks/node_modules``
  (npm registry); nothing is loaded from a CDN: nbconvert's CDN defaults (reveal.js, require.js,
  jQuery, MathJax, Mermaid, the widget html-manager) are all pointed at these local copies, and
  MathJax and Mermaid, which the lessons do not use, at small local stubs (the head's
  unconditional Mermaid import is removed by ``notebooks/templates/revlab_reveal``); Japanese is
  set in Noto Sans JP (``@fontsource/noto-sans-jp``), of which only the 400 and 700 weight
  slices covering characters the decks use are copied (``vendor/fonts/``);
- ``build/figures/<lesson>-<figure>.png|svg`` at ``sim.plots.style.SLIDE_SIZE`` (16 x 9 in,
  1600 x 900 px PNG), drawn by the same ``sim.plots`` functions the lessons call.
"""

# nbformat and nbconvert ship no type hints: their calls are untyped and return Any.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

import argparse
import copy
import hashlib
import inspect
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from nbclient import NotebookClient
from nbconvert import SlidesExporter
from traitlets.config import Config

from sim.lessons import LESSON_NOW, LESSON_SEED

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NODE_MODULES = HERE / "node_modules"
I18N = HERE / "i18n"
#: The web font for Japanese: its package under node_modules and the weights the decks use
#: (body text and bold; the theme's 600 headings take the 700).
FONT_PACKAGE = NODE_MODULES / "@fontsource" / "noto-sans-jp"
FONT_WEIGHTS = (400, 700)
#: The talk's title per language.
TALK_TITLES = {
    "en": "Revocation Lab: mass revocation in seven lessons",
    "ja": "Revocation Lab: 7つのレッスンで学ぶ中間CA証明書の一斉失効",
}
#: The lessons' fixed "now" and seed (sim/lessons.py; each notebook reads them there too).
NOW, SEED = LESSON_NOW, LESSON_SEED
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


def _code_points(unicode_range: str) -> Iterable[range]:
    """The ranges of a CSS ``unicode-range`` value (``U+4e00-4e0f,U+30??``)."""
    for part in unicode_range.split(","):
        spec = part.strip().removeprefix("U+").removeprefix("u+")
        low, _, high = spec.partition("-")
        if "?" in low:
            low, high = low.replace("?", "0"), low.replace("?", "f")
        yield range(int(low, 16), int(high or low, 16) + 1)


def vendor_font(fonts: Path, text: str) -> list[str]:
    """Copy the Noto Sans JP slices ``text`` needs into ``fonts`` with their ``@font-face`` CSS.

    The package splits the font (about 4 MB per weight) into ~120 WOFF2 slices, each declared
    for a ``unicode-range``; a browser fetches only the slices of characters on the page.
    Copying only the slices that cover a character of ``text`` keeps the decks small (a few
    hundred KB) and complete: no character they contain lacks its slice.

    Returns:
        The names of the WOFF2 files written.

    Raises:
        SystemExit: the font package is missing (run ``npm ci`` in notebooks/).
    """
    if not FONT_PACKAGE.is_dir():
        raise SystemExit("@fontsource/noto-sans-jp is missing: run `cd notebooks && npm ci` first")
    used = {ord(ch) for ch in text}
    shutil.rmtree(fonts, ignore_errors=True)  # no slice of an earlier build left behind
    fonts.mkdir(parents=True)
    faces, written = [], []
    for weight in FONT_WEIGHTS:
        css = (FONT_PACKAGE / f"{weight}.css").read_text(encoding="utf-8")
        for face in re.findall(r"@font-face\s*\{[^}]*\}", css):
            ranges = re.search(r"unicode-range:\s*([^;]+);", face)
            woff2 = re.search(r"url\(\./files/([^)]+\.woff2)\)", face)
            if ranges is None or woff2 is None:
                continue
            if not any(cp in used for r in _code_points(ranges.group(1)) for cp in r):
                continue
            shutil.copy2(FONT_PACKAGE / "files" / woff2.group(1), fonts / woff2.group(1))
            written.append(woff2.group(1))
            # The WOFF fallback (for browsers without WOFF2) is not copied: drop its URL.
            faces.append(re.sub(r"src:[^;]+;", f"src: url(./{woff2.group(1)}) format('woff2');",
                                face))  # fmt: skip
    header = "/* Noto Sans JP (SIL OFL 1.1, @fontsource/noto-sans-jp): the slices the decks use. */"
    (fonts / "noto-sans-jp.css").write_text("\n".join([header, *faces]) + "\n", encoding="utf-8")
    license_file = FONT_PACKAGE / "LICENSE"
    if license_file.is_file():
        shutil.copy2(license_file, fonts / "LICENSE-noto-sans-jp.txt")
    return written


def exporter(lang: str = "en") -> SlidesExporter:
    """nbconvert's slides exporter with every CDN URL replaced by a path under vendor/.

    Args:
        lang: The decks' language (``<html lang>``, which selects the fonts in revlab.css).
    """
    c = Config()
    c.SlidesExporter.language_code = lang
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


class QuietKernelManager(AsyncKernelManager):
    """A kernel manager that shuts its kernel down by request only.

    jupyter_client interrupts a kernel (SIGINT) before asking it to shut down, even an idle one,
    and ipykernel then prints "KeyboardInterrupt caught in kernel" for nothing. The shutdown
    request alone stops an idle kernel; jupyter_client still terminates it if it does not.
    """

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()


def kernel_config(sockets: Path) -> Config:
    """Kernels on Unix sockets under ``sockets`` (a private directory), not loopback TCP.

    Over TCP, ipykernel warns that the traffic is unencrypted (any local user could connect);
    a socket in a directory only we can enter needs no encryption, and the warning is moot.
    """
    c = Config()
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(sockets / "kernel")
    return c


def with_parameters(nb: nbformat.NotebookNode, **values: object) -> nbformat.NotebookNode:
    """``nb`` with a cell setting ``values`` after its cell tagged ``parameters`` (papermill's
    convention: the lesson's defaults stay visible, the injected cell overrides them).

    Raises:
        ValueError: the notebook has no cell tagged ``parameters``.
    """
    nb = copy.deepcopy(nb)
    at = next((k for k, c in enumerate(nb.cells)
               if "parameters" in c.metadata.get("tags", [])), None)  # fmt: skip
    if at is None:
        raise ValueError(f"{nb.metadata.get('title', 'notebook')}: no cell tagged 'parameters'")
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={
        "tags": ["injected-parameters"], "slideshow": {"slide_type": "skip"}})  # fmt: skip
    cell.id = f"injected-{nb.cells[at].id}"
    nb.cells.insert(at + 1, cell)
    return nb


def execute(
    path: Path, out_dir: Path, nb: nbformat.NotebookNode | None = None
) -> nbformat.NotebookNode:
    """Execute one lesson (cwd notebooks/) and write it with outputs into ``out_dir``.

    Args:
        path: The lesson (read unless ``nb`` is given; its name names the output).
        out_dir: Where the executed notebook is written.
        nb: The notebook to run instead of ``path``'s (e.g. with injected parameters).
    """
    nb = nbformat.read(path, as_version=4) if nb is None else nb
    with tempfile.TemporaryDirectory(prefix="revlab-kernel-") as sockets:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", store_widget_state=True,
            kernel_manager_class=QuietKernelManager, config=kernel_config(Path(sockets)),
            resources={"metadata": {"path": str(HERE)}},
        ).execute()  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return nb


def combined(notebooks: list[nbformat.NotebookNode], lang: str = "en") -> nbformat.NotebookNode:
    """One notebook of all lessons in order (their widget states merged), for the talk."""
    talk = nbformat.v4.new_notebook()
    talk.metadata = copy.deepcopy(notebooks[0].metadata)
    talk.metadata["title"] = TALK_TITLES[lang]
    talk.metadata.pop("widgets", None)
    state: dict[str, object] = {}
    mime = "application/vnd.jupyter.widget-state+json"
    for nb in notebooks:
        talk.cells.extend(copy.deepcopy(nb.cells))
        state.update(nb.metadata.get("widgets", {}).get(mime, {}).get("state", {}))
    if state:
        talk.metadata["widgets"] = {mime: {"version_major": 2, "version_minor": 0, "state": state}}
    return talk


def cell_hash(source: str) -> str:
    """The SHA-256 (hex) of an English cell's source, as its translation records it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def translation_path(lesson: str, lang: str) -> Path:
    """Where the ``lang`` text of ``lesson`` (a notebook stem) lives."""
    return I18N / lang / f"{lesson}.json"


def load_translation(lesson: str, lang: str) -> dict[str, dict[str, str]]:
    """Cell id -> ``{"source_sha256": ..., "text": ...}`` for one lesson in ``lang``.

    The file stores each text as a list of lines (readable diffs); they are joined here.
    Returns an empty mapping when the lesson has no translation file.
    """
    path = translation_path(lesson, lang)
    if not path.is_file():
        return {}
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return {cid: {"source_sha256": entry["source_sha256"], "text": "\n".join(entry["text"])}
            for cid, entry in cells.items()}  # fmt: skip


def translation_problems(nb: nbformat.NotebookNode, lesson: str, lang: str) -> list[str]:
    """Why ``lesson``'s ``lang`` text is not in step with the English notebook ``nb``: markdown
    cells without a translation, translations of another version of their cell (stale hash),
    and translations of cells that no longer exist."""
    table = load_translation(lesson, lang)
    problems = []
    markdown = {c.id: c for c in nb.cells if c.cell_type == "markdown"}
    for cid, cell in markdown.items():
        entry = table.get(cid)
        if entry is None:
            problems.append(f"{lesson} cell {cid}: no {lang} text "
                            f"(sha256 {cell_hash(cell.source)})")  # fmt: skip
        elif entry["source_sha256"] != cell_hash(cell.source):
            problems.append(f"{lesson} cell {cid}: {lang} text is stale: the English cell changed "
                            f"(now sha256 {cell_hash(cell.source)})")  # fmt: skip
    problems += [f"{lesson} cell {cid}: {lang} text for a cell that no longer exists"
                 for cid in table if cid not in markdown]  # fmt: skip
    return problems


def translated(nb: nbformat.NotebookNode, lesson: str, lang: str) -> nbformat.NotebookNode:
    """``nb`` with its markdown cells in ``lang``.

    Raises:
        SystemExit: a markdown cell has no current translation (see :func:`translation_problems`).
    """
    problems = translation_problems(nb, lesson, lang)
    if problems:
        raise SystemExit("translations out of step with the lessons:\n  " + "\n  ".join(problems))
    table = load_translation(lesson, lang)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = table[cell.id]["text"]
    return nb


def plots_take_lang() -> bool:
    """Whether ``sim.plots``' figure functions accept ``lang=`` (labels in other languages)."""
    from sim.plots.timeline import plot_timeline

    return "lang" in inspect.signature(plot_timeline).parameters


def japanese_lessons(
    executed: list[nbformat.NotebookNode], lessons: list[Path], out_dir: Path, *, figures: bool
) -> list[nbformat.NotebookNode]:
    """The executed lessons with their text in Japanese, and their figures too where the plot
    functions take ``lang=`` (the lessons then run again with ``LANG = "ja"``, into ``out_dir``).

    Args:
        executed: The lessons as run in English.
        lessons: Their paths, in the same order.
        out_dir: Where the lessons run in Japanese are written.
        figures: False keeps the English run's figures (no second run; the tests' quick build).
    """
    japanese = [translated(nb, path.stem, "ja") for nb, path in zip(executed, lessons, strict=True)]
    if not figures:
        return japanese
    if not plots_take_lang():
        print("talk.ja: sim.plots takes no lang= yet, the figures keep English words",
              file=sys.stderr)  # fmt: skip
        return japanese
    return [execute(path, out_dir, with_parameters(nb, LANG="ja"))
            for nb, path in zip(japanese, lessons, strict=True)]  # fmt: skip


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
    parser.add_argument("--no-ja", action="store_true", help="skip the Japanese talk")
    parser.add_argument("--no-ja-figures", action="store_true",
                        help="Japanese talk with the English figures (no second run)")  # fmt: skip
    parser.add_argument("--check-translations", action="store_true",
                        help="list the cells whose Japanese text is missing or stale")  # fmt: skip
    args = parser.parse_args(argv)
    lessons = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if args.check_translations:
        problems = [p for path in lessons for p in translation_problems(
            nbformat.read(path, as_version=4), path.stem, "ja")]  # fmt: skip
        print("\n".join(problems) or "every lesson's Japanese text is current")
        return 1 if problems else 0
    if args.only:
        lessons = [p for p in lessons if p.stem in args.only]
        if not lessons:
            parser.error(f"--only: no lesson named {args.only}")
    slides = args.out / "slides"
    status = 0
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
        stale = [p for nb, path in zip(executed, lessons, strict=True)
                 for p in translation_problems(nb, path.stem, "ja")]  # fmt: skip
        (slides / "talk.ja.slides.html").unlink(missing_ok=True)
        if stale and not args.no_ja:
            # The English decks are built; the Japanese talk would mix languages: not written.
            print("talk.ja.slides.html not written: the Japanese text is out of step:\n  "
                  + "\n  ".join(stale), file=sys.stderr)  # fmt: skip
            status = 1
        elif not args.no_ja:
            started = time.perf_counter()
            japanese = japanese_lessons(executed, lessons, args.out / "notebooks" / "ja",
                                        figures=not args.no_ja_figures)  # fmt: skip
            body, _ = exporter("ja").from_notebook_node(combined(japanese, "ja"), resources=talk)
            (slides / "talk.ja.slides.html").write_text(body, encoding="utf-8")
            print(f"talk.ja: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    decks = "".join(p.read_text(encoding="utf-8") for p in sorted(slides.glob("*.slides.html")))
    vendor_font(slides / "vendor" / "fonts", decks)
    if not args.no_figures:
        count = len(export_figures(args.out / "figures"))
        print(f"{count} figure files in {args.out / 'figures'}", file=sys.stderr)
    print(f"decks in {slides}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
