"""``make slides``: every deck works offline in headless Chromium, keeps every element inside its
slides, draws Japanese in the vendored web font; the Japanese talk follows the English lessons;
figures are exported at slide size.

The decks (all seven lessons, the talk and the Japanese talk) are built once per session into a
temporary directory by ``notebooks/build_slides.py`` (fixture ``built`` in conftest.py; it needs
``notebooks/node_modules``: ``cd notebooks && npm ci``), served over HTTP on 127.0.0.1, and opened with every request routed through the
test: any request to a host other than 127.0.0.1 is aborted and recorded, and the test fails if
there was one.
"""

from __future__ import annotations

import copy
import functools
import http.server
import importlib.util
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest

from tests.conftest import REPO, require, require_tool
from tests.notebooks.conftest import build_slides

NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--headless=new",
]  # fmt: skip
#: Where the screenshots a speaker (or a reviewer) can look at are written.
SHOTS = REPO / "build" / "slides-shots"

pytestmark = [
    pytest.mark.filterwarnings("ignore:Jupyter is migrating its paths:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:There is no current event loop:DeprecationWarning"),
]

# Reveal.js is loaded through require.js (no global): every script takes it from there.
_REVEAL = 'require("vendor/reveal.js/dist/reveal.js")'

#: For every slide (fragments all shown): the elements whose box leaves the slide's box, and
#: the elements that cut their own content (overflow hidden, scroll or auto, content larger).
_MEASURE = f"""() => {{
  const Reveal = {_REVEAL};
  Reveal.configure({{transition: "none", backgroundTransition: "none"}});
  const box = document.querySelector(".reveal .slides");
  const found = [];
  for (const slide of Reveal.getSlides()) {{
    const {{h, v}} = Reveal.getIndices(slide);
    Reveal.slide(h, v, 1000);
    const b = box.getBoundingClientRect();
    const title = (slide.querySelector("h1, h2") || {{textContent: ""}}).textContent.trim();
    for (const el of slide.querySelectorAll("*")) {{
      // Speaker notes are not on the slide; a <select>'s scroll size is its option list.
      if (el.closest("aside.notes") || el.tagName === "SELECT") continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const s = getComputedStyle(el);
      const outside = r.left < b.left - 1 || r.top < b.top - 1
        || r.right > b.right + 1 || r.bottom > b.bottom + 1;
      const cut = (s.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1)
        || (s.overflowY !== "visible" && el.scrollHeight > el.clientHeight + 1);
      if (outside || cut) {{
        const what = el.tagName.toLowerCase() + [...el.classList].map(c => "." + c).join("");
        const text = (el.textContent || "").trim().slice(0, 40);
        found.push(`slide ${{h}}/${{v}} (${{title.slice(0, 50)}}): ${{what}} `
          + `${{outside ? "leaves the slide" : "cuts its content"}}: "${{text}}"`);
      }}
    }}
  }}
  return {{count: Reveal.getSlides().length, problems: found}};
}}"""

#: For every figure slide: the shown size of its figure against the slide's size.
_FIGURES = f"""() => {{
  const Reveal = {_REVEAL};
  const box = document.querySelector(".reveal .slides");
  const sizes = [];
  for (const slide of Reveal.getSlides()) {{
    const img = slide.querySelector(".celltag_figure img");
    if (!img) continue;
    const {{h, v}} = Reveal.getIndices(slide);
    Reveal.slide(h, v, 1000);
    const b = box.getBoundingClientRect();
    // object-fit: contain draws the image inside its box at its own aspect ratio.
    const r = img.getBoundingClientRect();
    const scale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
    sizes.push({{h, v, width: img.naturalWidth * scale / b.width,
                 height: img.naturalHeight * scale / b.height}});
  }}
  return sizes;
}}"""


@pytest.fixture(scope="module")
def deck(built: Path) -> Path:
    return built / "slides"


@pytest.fixture(scope="module")
def served(deck: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output readable

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser closed a page while a font or script was on its way

    handler = functools.partial(Quiet, directory=str(deck))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class OfflineBrowser:
    """Headless Chromium whose pages may only reach 127.0.0.1 (other requests are recorded)."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.requested: list[str] = []
        self.blocked: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requested.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, url: str) -> Any:
        """A new page on ``url`` once reveal.js is ready and the fonts in use have loaded."""
        page = self.context.new_page()
        page.goto(url)
        page.wait_for_selector(".reveal.ready", timeout=20_000)
        page.evaluate("document.fonts.ready.then(() => true)")
        return page


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineBrowser]:
    executable = require_tool("chromium")
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 760},
        )  # fmt: skip
        try:
            offline = OfflineBrowser(context)
            yield offline
        finally:
            context.close()
    assert offline.blocked == [], f"requests outside loopback: {offline.blocked}"


def _decks(deck: Path) -> list[str]:
    return sorted(p.name for p in deck.glob("*.slides.html"))


def test_built_decks_reference_only_local_assets(deck: Path) -> None:
    names = _decks(deck)
    assert names == sorted([f"{p.stem}.slides.html" for p in LESSONS]
                           + ["talk.slides.html", "talk.ja.slides.html"])  # fmt: skip
    for name in names:
        html = (deck / name).read_text(encoding="utf-8")
        for cdn in ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "code.jquery.com",
                    "fonts.googleapis.com", "fonts.gstatic.com"):  # fmt: skip
            assert cdn not in html, (name, cdn)
        assert 'href="vendor/fonts/noto-sans-jp.css"' in html, name
    for asset in ("vendor/reveal.js/dist/reveal.js", "vendor/require.js",
                  "vendor/html-manager/embed-amd.js", "vendor/fonts/noto-sans-jp.css",
                  "vendor/fonts/LICENSE-noto-sans-jp.txt"):  # fmt: skip
        assert (deck / asset).is_file(), asset


def test_only_the_font_slices_the_decks_use_are_vendored(deck: Path) -> None:
    build = build_slides()
    css = (deck / "vendor" / "fonts" / "noto-sans-jp.css").read_text(encoding="utf-8")
    files = sorted((deck / "vendor" / "fonts").glob("*.woff2"))
    # Every slice the CSS declares is there, and nothing else.
    declared = sorted(set(css.split("url(./")[1:]))
    assert [d.split(")")[0] for d in declared] == [f.name for f in files]
    # Every Japanese character of the decks is covered by a slice of each weight.
    text = "".join((deck / n).read_text(encoding="utf-8") for n in _decks(deck))
    faces = css.split("@font-face")[1:]
    for weight in build.FONT_WEIGHTS:
        covered = {cp for face in faces if f"font-weight: {weight}" in face
                   for r in build._code_points(face.split("unicode-range:")[1].split(";")[0])
                   for cp in r}  # fmt: skip
        missing = {ch for ch in text if "\u3040" <= ch <= "\u9fff" and ord(ch) not in covered}
        assert not missing, (weight, sorted(missing)[:20])
    # A subset, not the package: the package has about 120 slices per weight.
    assert len(files) < 120 * len(build.FONT_WEIGHTS)
    assert sum(f.stat().st_size for f in files) < 4_000_000


@pytest.mark.browser
@pytest.mark.slow
def test_first_deck_initialises_reveal_and_shows_a_plot_offline(
    served: str, browser: OfflineBrowser
) -> None:
    page = browser.open(f"{served}/01_chains_of_trust.slides.html")
    assert page.evaluate("document.querySelectorAll('.reveal .slides section').length") > 3
    plot = page.locator(".reveal .slides img[src^='data:image/png']").first
    for _ in range(40):  # advance slide by slide (and fragment) until the plot shows
        if plot.is_visible():
            break
        page.keyboard.press("Space")
        page.wait_for_timeout(150)
    assert plot.is_visible(), "no plot image became visible"
    width = page.evaluate("(img) => img.naturalWidth", plot.element_handle())
    assert width > 400
    shot = REPO / "build" / "slides-01-plot.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    page.close()
    assert any(u.endswith("/vendor/reveal.js/dist/reveal.js") for u in browser.requested)


@pytest.mark.browser
@pytest.mark.slow
def test_no_element_of_any_slide_of_any_deck_leaves_the_slide(
    served: str, deck: Path, browser: OfflineBrowser
) -> None:
    problems: list[str] = []
    for name in _decks(deck):
        page = browser.open(f"{served}/{name}")
        result = page.evaluate(_MEASURE)
        page.close()
        assert result["count"] > 3, name
        problems += [f"{name}: {p}" for p in result["problems"]]
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
@pytest.mark.slow
def test_a_figure_slide_shows_its_figure_large(served: str, browser: OfflineBrowser) -> None:
    page = browser.open(f"{served}/talk.slides.html")
    sizes = page.evaluate(_FIGURES)
    page.close()
    assert len(sizes) >= 10  # every lesson but 7 has figure slides
    # Large: the figure (16:9) spans nearly the slide's width or nearly its height.
    small = [s for s in sizes if s["width"] < 0.85 and s["height"] < 0.85]
    assert small == [], small


def _platform_fonts(page: Any, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium drew ``selector``'s text with (DevTools: CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    fonts: list[dict[str, Any]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return fonts


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "selector"),
    [
        ("01_chains_of_trust.slides.html", ".reveal .slides section.present blockquote p"),
        ("talk.ja.slides.html", ".reveal .slides section.present h1"),
        ("talk.ja.slides.html", ".reveal .slides section.present blockquote p"),
    ],
)
def test_japanese_on_a_slide_is_drawn_in_the_vendored_font_offline(
    served: str, browser: OfflineBrowser, name: str, selector: str
) -> None:
    page = browser.open(f"{served}/{name}")
    text = page.locator(selector).first.inner_text()
    assert any("\u3040" <= ch <= "\u9fff" for ch in text), text
    # The font is declared and its slices for these characters load (offline) ...
    font = '32px "Noto Sans JP"'
    assert page.evaluate("([f, t]) => document.fonts.load(f, t).then(faces => faces.length)",
                         [font, text]) > 0  # fmt: skip
    assert page.evaluate("([f, t]) => document.fonts.check(f, t)", [font, text])
    # ... and the title slide's text was drawn with it: Noto Sans JP from the web font, not a
    # system CJK font (Debian's fonts-noto-cjk may be installed too).
    fonts = _platform_fonts(page, selector)
    page.close()
    # (The family name inside the font's own file is "Noto Sans JP Thin": one variable source.)
    web_font = [f for f in fonts if f["isCustomFont"] and f["familyName"].startswith("Noto Sans JP")]
    assert web_font, fonts
    japanese = [ch for ch in text if "\u3040" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"]
    assert sum(f["glyphCount"] for f in web_font) >= len(japanese), fonts
    assert not [f for f in fonts if "CJK" in f["familyName"]], fonts
    assert any("/vendor/fonts/noto-sans-jp-" in u and u.endswith(".woff2")
               for u in browser.requested)  # fmt: skip


@pytest.mark.browser
@pytest.mark.slow
def test_screenshots_of_three_slides_of_each_talk(served: str, browser: OfflineBrowser) -> None:
    """Three slides of each talk as PNG under build/slides-shots: title, text, figure."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("talk.slides.html", "talk.ja.slides.html"):
        page = browser.open(f"{served}/{name}")
        for h, v in ((0, 0), (1, 0), (1, 1)):
            page.evaluate(f"{_REVEAL}.slide({h}, {v}, 1000)")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.wait_for_timeout(700)  # the slide transition
            shot = SHOTS / f"{name.removesuffix('.slides.html')}-{h}-{v}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        title = page.evaluate(f"{_REVEAL}.getSlides()[0].querySelector('h1').textContent")
        page.close()
        assert title.startswith("レッスン1" if ".ja." in name else "Lesson 1"), title


def test_japanese_talk_is_in_japanese_and_english_talk_in_english(deck: Path) -> None:
    ja = (deck / "talk.ja.slides.html").read_text(encoding="utf-8")
    en = (deck / "talk.slides.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    for n in range(1, len(LESSONS) + 1):
        assert f"レッスン{n}:" in ja and f"Lesson {n}:" in en
        assert f"Lesson {n}:" not in ja
    for term in ("中間CA証明書", "失効", "OCSPレスポンダ", "秘密鍵"):
        assert term in ja, term


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_english_markdown_cell_has_a_current_japanese_translation(path: Path) -> None:
    build = build_slides()
    nb = nbformat.read(path, as_version=4)
    assert build.translation_problems(nb, path.stem, "ja") == []
    table = json.loads(build.translation_path(path.stem, "ja").read_text(encoding="utf-8"))
    for cid, entry in table["cells"].items():
        text = "\n".join(entry["text"])
        assert any("\u3040" <= ch <= "\u30ff" for ch in text), f"{cid} has no kana"


def test_an_edited_english_cell_makes_its_translation_stale_and_a_new_one_missing() -> None:
    build = build_slides()
    lesson = LESSONS[0]
    nb = nbformat.read(lesson, as_version=4)
    edited = copy.deepcopy(nb)
    first = next(c for c in edited.cells if c.cell_type == "markdown")
    first.source += "\nOne more sentence."
    added = nbformat.v4.new_markdown_cell("## A new slide")
    edited.cells.append(added)
    problems = build.translation_problems(edited, lesson.stem, "ja")
    assert len(problems) == 2, problems
    assert f"cell {first.id}: ja text is stale" in problems[0]
    assert f"cell {added.id}: no ja text" in problems[1]
    with pytest.raises(SystemExit, match="out of step"):
        build.translated(edited, lesson.stem, "ja")
    assert build.translated(nb, lesson.stem, "ja").cells[0].source.startswith("# レッスン1")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_the_language_of_a_lessons_figures_is_one_parameter(path: Path) -> None:
    build = build_slides()
    nb = nbformat.read(path, as_version=4)
    tagged = [k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert 'LANG = "en"' in nb.cells[tagged[0]].source
    # Every figure call of the lesson takes the language from it.
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    calls = re.findall(r"\b(?:plot_\w+|exposure_window_bars|bandwidth_vs_coverage|"
                       r"clients_exposed_curve)\(", code)  # fmt: skip
    assert code.count("**FIGURE_LANG)") == len(calls)
    # The Japanese build sets it in a cell of its own, before the cell that reads it.
    injected = build.with_parameters(nb, LANG="ja")
    assert injected.cells[tagged[0] + 1].source == "LANG = 'ja'"
    reads = next(k for k, c in enumerate(injected.cells) if "FIGURE_LANG = " in c.source)
    assert reads > tagged[0] + 1
    assert len(injected.cells) == len(nb.cells) + 1 and "parameters" in nb.cells[tagged[0]].metadata.tags


def test_lesson_2_shows_the_openssl_lines_a_reader_needs_whole(built: Path) -> None:
    require_tool("openssl")
    nb = nbformat.read(built / "notebooks" / "02_ocsp_delegated_responder.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      and "openssl ocsp" in c.source for o in c.outputs)  # fmt: skip
    blocks = printed.split("\n\n")
    verdicts = {b.split(":")[0]: b for b in blocks[1:]}
    assert "exit 0" in verdicts["forged_good_ica_b.der about ica_b.pem"]
    assert "good | Response verify OK" in verdicts["forged_good_ica_b.der about ica_b.pem"]
    assert "Response Verify Failure" in verdicts["forged_good_ica_b_noeku.der about ica_b.pem"]
    assert "revoked | Reason: superseded | Response verify OK" in verdicts[
        "genuine_revoked_ica_b.der about ica_b.pem"]  # fmt: skip


@pytest.mark.slow
def test_figures_are_the_lessons_tagged_figures_as_png_and_svg_at_16_to_9(built: Path) -> None:
    from matplotlib.image import imread

    tagged = {f"{path.stem[:2]}-{cell.metadata['figure_name']}"
              for path in LESSONS for cell in nbformat.read(path, as_version=4).cells
              if "figure" in cell.metadata.get("tags", [])}  # fmt: skip
    figures = built / "figures"
    # One file pair per tagged cell of the lessons, and no other: nothing is drawn twice.
    assert {p.stem for p in figures.glob("*.png")} == tagged
    assert {p.stem for p in figures.glob("*.svg")} == tagged
    assert {"01-seed-hierarchy", "03-blast-hierarchy", "04-timeline-staged", "04-heldout",
            "06-bandwidth"} <= tagged  # fmt: skip
    for name in tagged:
        assert (figures / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        height, width = imread(figures / f"{name}.png").shape[:2]
        assert (width, height) == (1600, 900), name
    # The executed lessons keep no trace of the capture (a temporary path).
    executed = (built / "notebooks" / "04_revocation_timelines.ipynb").read_text(encoding="utf-8")
    assert "revlab_figure" not in executed


def test_the_build_no_longer_draws_figures_itself() -> None:
    build = build_slides()
    assert not hasattr(build, "figures")
    source = (REPO / "notebooks" / "build_slides.py").read_text(encoding="utf-8")
    assert "sim.plots." not in source.replace("sim.plots.style", "").replace(
        "sim.plots.timeline", "")  # the slide size; whether plots take lang=
