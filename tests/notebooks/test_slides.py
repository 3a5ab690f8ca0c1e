"""``make slides``: the first lesson's deck works offline in headless Chromium, and figures are
exported at slide size.

The deck is built into a temporary directory by ``notebooks/build_slides.py`` (it needs
``notebooks/node_modules``: ``cd notebooks && npm ci``), served over HTTP on 127.0.0.1, and
opened with every request routed through the test: any request to a host other than 127.0.0.1
is aborted and recorded, and the test fails if there was one.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO, require, require_tool

NOTEBOOKS = REPO / "notebooks"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--headless=new",
]  # fmt: skip

pytestmark = [
    pytest.mark.filterwarnings("ignore:Jupyter is migrating its paths:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:There is no current event loop:DeprecationWarning"),
]


def _build_slides() -> object:
    """Import notebooks/build_slides.py (a script, not a package)."""
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import build_slides
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return build_slides


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(
        (NOTEBOOKS / "node_modules" / "reveal.js").is_dir(),
        "notebooks/node_modules is missing: run `cd notebooks && npm ci`",
    )
    out = tmp_path_factory.mktemp("slides-build")
    build = _build_slides()
    assert build.main(["--out", str(out), "--only", "01_chains_of_trust", "--no-figures"]) == 0  # type: ignore[attr-defined]
    return out / "slides"


@pytest.fixture(scope="module")
def served(deck: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output readable

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


def test_built_deck_references_only_local_assets(deck: Path) -> None:
    html = (deck / "01_chains_of_trust.slides.html").read_text(encoding="utf-8")
    for cdn in ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "code.jquery.com"):
        assert cdn not in html
    for asset in ("vendor/reveal.js/dist/reveal.js", "vendor/require.js",
                  "vendor/html-manager/embed-amd.js"):  # fmt: skip
        assert (deck / asset).is_file(), asset
    assert (deck / "talk.slides.html").exists() is False  # one lesson built: no talk


@pytest.mark.browser
@pytest.mark.slow
def test_first_deck_initialises_reveal_and_shows_a_plot_offline(
    served: str, tmp_path: Path
) -> None:
    executable = require_tool("chromium")
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed")
    from playwright.sync_api import Route, sync_playwright

    requested: list[str] = []
    blocked: list[str] = []

    def route(r: Route) -> None:
        url = r.request.url
        requested.append(url)
        if urlsplit(url).hostname in ("127.0.0.1",):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    profile = tmp_path / "chromium-profile"
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 760},
        )  # fmt: skip
        try:
            context.route("**/*", route)
            page = context.new_page()
            page.goto(f"{served}/01_chains_of_trust.slides.html")
            page.wait_for_selector(".reveal.ready", timeout=15_000)
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
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)
    assert blocked == [], f"requests outside loopback: {blocked}"
    assert any(u.endswith("/vendor/reveal.js/dist/reveal.js") for u in requested)


@pytest.mark.slow
def test_figures_are_exported_as_png_and_svg_at_16_to_9(tmp_path: Path) -> None:
    from matplotlib.image import imread

    build = _build_slides()
    written = build.export_figures(tmp_path)  # type: ignore[attr-defined]
    names = {p.stem for p in written}
    assert {"01-seed-hierarchy", "03-blast-hierarchy", "04-timeline-staged",
            "06-bandwidth"} <= names  # fmt: skip
    for name in names:
        assert (tmp_path / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        height, width = imread(tmp_path / f"{name}.png").shape[:2]
        assert (width, height) == (1600, 900), name
