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
- ``build/figures/<NN>-<figure_name>.png|svg`` (and ``build/figures/ja/`` from the Japanese
  run) at ``sim.plots.style.SLIDE_SIZE`` (16 x 9 in, 1600 x 900 px PNG): the figures the lessons'
  cells tagged ``figure`` drew in this build, captured from their kernels and re-saved at slide
  size (each tagged cell names its figure in its ``figure_name`` metadata). Nothing is drawn a
  second time. The lessons' ``now`` and seed are theirs, from ``sim/lessons.py``.
"""

# nbformat and nbconvert ship no type hints: their calls are untyped and return Any.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

import argparse
import copy
import hashlib
import inspect
import json
import pickle
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbconvert import SlidesExporter
from traitlets.config import Config

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
    executed: list[nbformat.NotebookNode],
    lessons: list[Path],
    out_dir: Path,
    *,
    figures: bool,
    pickles: Path | None = None,
) -> list[nbformat.NotebookNode]:
    """The executed lessons with their text in Japanese, and their figures too where the plot
    functions take ``lang=`` (the lessons then run again with ``LANG = "ja"``, into ``out_dir``).

    Args:
        executed: The lessons as run in English.
        lessons: Their paths, in the same order.
        out_dir: Where the lessons run in Japanese are written.
        figures: False keeps the English run's figures (no second run; the tests' quick build).
        pickles: Where the Japanese run's figures are captured (one folder per lesson), so that
            they can be exported to ``build/figures/ja``; None captures nothing.
    """
    japanese = [translated(nb, path.stem, "ja") for nb, path in zip(executed, lessons, strict=True)]
    if not figures:
        return japanese
    if not plots_take_lang():
        print("talk.ja: sim.plots takes no lang= yet, the figures keep English words",
              file=sys.stderr)  # fmt: skip
        return japanese
    runs = []
    for nb, path in zip(japanese, lessons, strict=True):
        run = with_parameters(nb, LANG="ja")
        if pickles is not None:
            (pickles / path.stem).mkdir(parents=True, exist_ok=True)
            run = with_figure_capture(run, pickles / path.stem)
        runs.append(execute(path, out_dir, run))
    return runs


#: Run after a lesson's setup cell (``%matplotlib inline``) when the decks are built: every
#: figure the lesson displays is also pickled, and its PNG output records where. The exported
#: figures (``build/figures``) are thus the very figure objects the lesson's cells drew, re-saved
#: at slide size, not a second computation of them. ``{dir}`` is the build's pickle directory.
_CAPTURE = """\
import itertools as _revlab_it, pathlib as _revlab_path, pickle as _revlab_pickle
from matplotlib.figure import Figure as _RevlabFigure
_revlab_png = get_ipython().display_formatter.formatters["image/png"]
_revlab_draw = _revlab_png.lookup_by_type(_RevlabFigure)
_revlab_count = _revlab_it.count()
def _revlab_capture(fig, _dir=_revlab_path.Path({dir!r})):
    path = _dir / f"figure-{{next(_revlab_count)}}.pickle"
    path.write_bytes(_revlab_pickle.dumps(fig))
    return _revlab_draw(fig), {{"revlab_figure": str(path)}}
_revlab_png.for_type(_RevlabFigure, _revlab_capture)
"""


def with_figure_capture(nb: nbformat.NotebookNode, pickles: Path) -> nbformat.NotebookNode:
    """``nb`` with the figure-capturing cell (:data:`_CAPTURE`) after its ``%matplotlib inline``
    cell; a lesson without one is returned unchanged (it draws no figure)."""
    at = next((k for k, c in enumerate(nb.cells) if c.cell_type == "code"
               and "%matplotlib inline" in c.source), None)  # fmt: skip
    if at is None:
        return nb
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(_CAPTURE.format(dir=str(pickles)), metadata={
        "tags": ["injected-figure-capture"], "slideshow": {"slide_type": "skip"}})  # fmt: skip
    cell.id = f"capture-{nb.cells[at].id}"
    nb.cells.insert(at + 1, cell)
    return nb


def tagged_figures(
    lesson: str, nb: nbformat.NotebookNode, *, required: bool = True
) -> dict[str, Path]:
    """``<NN>-<figure_name>`` -> the pickled figure of each cell tagged ``figure`` in an executed
    lesson. The capture cell and every capture path (a temporary directory) are then removed
    from ``nb``, in place.

    Raises:
        SystemExit: a tagged cell has no ``figure_name`` in its metadata, or (``required``)
            drew no captured figure (the lesson ran without :func:`with_figure_capture`).
    """
    found: dict[str, Path] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "figure" not in cell.metadata.get("tags", []):
            continue
        name = cell.metadata.get("figure_name")
        if not name:
            raise SystemExit(f"{lesson} cell {cell.id}: a figure cell needs a figure_name")
        paths = [Path(md.pop("revlab_figure")) for out in cell.get("outputs", [])
                 for md in [out.get("metadata", {}).get("image/png", {})]
                 if "revlab_figure" in md]  # fmt: skip
        if not paths and required:
            raise SystemExit(f"{lesson} cell {cell.id}: no captured figure")
        for k, path in enumerate(paths):
            found[f"{lesson[:2]}-{name}" + (f"-{k + 1}" if k else "")] = path
    # Widget outputs (untagged) carry capture paths too, and the capture cell is build plumbing.
    nb.cells = [c for c in nb.cells if "injected-figure-capture" not in c.metadata.get("tags", [])]
    _forget_captures(nb)
    return found


def _forget_captures(node: object) -> None:
    """Remove every ``revlab_figure`` key from a notebook (outputs, widget state), in place."""
    if isinstance(node, dict):
        node.pop("revlab_figure", None)
        for value in node.values():
            _forget_captures(value)
    elif isinstance(node, list):
        for value in node:
            _forget_captures(value)


def export_figures(figures: dict[str, Path], out: Path, lang: str = "en") -> list[Path]:
    """Re-save each pickled lesson figure on a 16:9 slide-sized canvas as PNG and SVG in ``out``.

    Args:
        figures: Name -> pickle, from :func:`tagged_figures`.
        out: The directory written (``build/figures``).
        lang: The figures' language: ``ja`` needs the CJK font in this process too.
    """
    from sim.plots.style import SLIDE_SIZE, font_family

    # The pickled figures name their fonts; the Japanese ones need the CJK font known to this
    # process's matplotlib too (font_family registers it), or the glyphs come out as boxes.
    font_family(lang)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, pickled in figures.items():
        fig = pickle.loads(pickled.read_bytes())  # written by this build's own kernels
        fig.set_size_inches(SLIDE_SIZE)
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
    pickles = Path(tempfile.mkdtemp(prefix="revlab-figures-"))
    figure_files = 0
    for path in lessons:
        started = time.perf_counter()
        (pickles / path.stem).mkdir()
        nb = execute(path, args.out / "notebooks",
                     with_figure_capture(nbformat.read(path, as_version=4), pickles / path.stem))
        figures = tagged_figures(path.stem, nb)
        nbformat.write(nb, args.out / "notebooks" / path.name)  # without the capture paths
        if not args.no_figures:
            figure_files += len(export_figures(figures, args.out / "figures"))
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
                                        figures=not args.no_ja_figures,
                                        pickles=pickles / "ja")  # fmt: skip
            for nb, path in zip(japanese, lessons, strict=True):
                figures = tagged_figures(path.stem, nb, required=False)  # none: English kept
                if figures:
                    nbformat.write(nb, args.out / "notebooks" / "ja" / path.name)
                    if not args.no_figures:
                        out_ja = args.out / "figures" / "ja"
                        figure_files += len(export_figures(figures, out_ja, "ja"))
            body, _ = exporter("ja").from_notebook_node(combined(japanese, "ja"), resources=talk)
            (slides / "talk.ja.slides.html").write_text(body, encoding="utf-8")
            print(f"talk.ja: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    decks = "".join(p.read_text(encoding="utf-8") for p in sorted(slides.glob("*.slides.html")))
    vendor_font(slides / "vendor" / "fonts", decks)
    shutil.rmtree(pickles, ignore_errors=True)
    if not args.no_figures:
        print(f"{figure_files} figure files in {args.out / 'figures'}", file=sys.stderr)
    print(f"decks in {slides}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
