"""The widgets in the place learners use them: ``make lab`` (a real JupyterLab) in Chromium.

One JupyterLab is started with ``make lab`` (on a free loopback port, without a token, with
``LAB_ARGS`` passed through make) for all lessons. Each lesson is opened in headless Chromium,
all its cells are run, its first slider or dropdown is changed the way a learner would (keys on
the slider's handle, a choice in the list), and the output it drives must change: the plot's
image where it draws one, the text otherwise. No widget may fail to display, and the browser may
fetch nothing but 127.0.0.1 (ipywidgets' frontend comes from its Python package).

The lessons are served from ``notebooks/`` as ``make lab`` serves them; autosave is off (in a
private settings directory) and nothing is saved, and the test checks the files are unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO, require, require_tool

NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--headless=new",
]  # fmt: skip
#: Seconds for JupyterLab to answer, and for a lesson's cells to run (the slowest takes ~10 s).
START_TIMEOUT = 90
RUN_TIMEOUT = 180
#: What JupyterLab shows when a widget cannot be displayed (a missing or broken frontend).
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "Loading widget...",
                 "VBox(children=", "HBox(children=")  # fmt: skip
#: User settings for the test's JupyterLab: no autosave (the lessons stay as committed), no
#: news or update checks (no request leaves the machine).
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_KERNEL = "window.jupyterapp.shell.currentWidget?.sessionContext"
_ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:?$/.test(t));
}"""
#: The output the first slider or dropdown drives: images (by a digest of their data) and the
#: text of widget outputs in the same cell; the control's own readout is not part of it.
_OUTPUT = """(control) => {
  const cell = control.closest('.jp-Cell');
  const images = [...cell.querySelectorAll('.jp-OutputArea-output img')].map(img => {
    const s = img.src; return s.length + ':' + s.slice(s.length / 2, s.length / 2 + 96);
  });
  const text = [...cell.querySelectorAll('.widget-output, .widget-html-content')]
    .map(e => e.innerText).join('|');
  return {images, text};
}"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make lab`` on a free loopback port without a token; yields its URL."""
    make = require_tool("make")
    home = tmp_path_factory.mktemp("jupyter")
    for name, values in SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = dict(
        os.environ, JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "run"),
        JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_PLATFORM_DIRS="1",
    )  # fmt: skip
    port = _free_port()
    args = " ".join([
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ])  # fmt: skip
    log = home / "lab.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [make, "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=REPO, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert server.poll() is None, log.read_text(encoding="utf-8")[-3000:]
                assert time.monotonic() < deadline, "JupyterLab did not answer in time"
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and the jupyter it started
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium context whose requests outside 127.0.0.1 are aborted and listed."""
    executable = require_tool("chromium")
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed")
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []

    def route(r: Route) -> None:
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    profile = tmp_path_factory.mktemp("chromium-lab-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )  # fmt: skip
        context.route("**/*", route)
        try:
            yield context, blocked
        finally:
            context.close()


def _change(page: Any, control: Any) -> str:
    """Change a slider (a key on its handle) or a dropdown (its next choice) as a learner does."""
    if "widget-slider" in (control.get_attribute("class") or ""):
        handle = control.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        return "slider"
    select = control.locator("select").first
    count = select.locator("option").count()
    assert count > 1, "a dropdown with a single choice"
    current = select.evaluate("s => s.selectedIndex")
    select.select_option(index=(current + 1) % count)
    return "dropdown"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_jupyterlab_and_its_first_control_changes_its_output(
    lab: str, chromium: tuple[Any, list[str]], path: Path, tmp_path: Path
) -> None:
    context, blocked = chromium
    before = _digest(LESSONS)
    page = context.new_page()
    try:
        page.goto(f"{lab}/lab/tree/{path.name}?reset")
        page.wait_for_function(
            f"() => window.jupyterapp && {_KERNEL}?.session?.kernel?.status === 'idle'",
            timeout=START_TIMEOUT * 1000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(_ALL_RUN, timeout=RUN_TIMEOUT * 1000)
        page.wait_for_function(f"() => {_KERNEL}?.session?.kernel?.status === 'idle'")
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
        assert tracebacks == [], tracebacks
        controls = page.locator(".jp-Notebook .widget-slider, .jp-Notebook .widget-dropdown")
        controls.first.wait_for(timeout=30_000)
        assert page.locator(".jp-Notebook .jupyter-widgets").count() > 0
        control = controls.first
        control.scroll_into_view_if_needed()
        shown = control.evaluate(_OUTPUT)
        assert shown["images"] or shown["text"], "the control drives no visible output"
        kind = _change(page, control)
        # The kernel recomputes and the frontend redraws (the output is cleared first): wait for
        # an output again, and a different one.
        key = "images" if shown["images"] else "text"
        old = json.dumps(shown[key], separators=(",", ":"), ensure_ascii=False)
        page.wait_for_function(
            f"([control, old]) => {{ const now = ({_OUTPUT})(control).{key};"
            " return now.length > 0 && JSON.stringify(now) !== old; }",
            arg=[control.element_handle(), old], timeout=60_000,
        )  # fmt: skip
        after = control.evaluate(_OUTPUT)
        assert after[key] and after[key] != shown[key], (kind, key)
        body = page.inner_text(".jp-Notebook")
        assert not [m for m in WIDGET_ERRORS if m in body], [m for m in WIDGET_ERRORS if m in body]
        shot = REPO / "build" / "lab-shots" / f"{path.stem}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        page.evaluate(f"{_KERNEL}.shutdown()")
    finally:
        page.close()
    assert blocked == [], f"requests outside loopback: {blocked}"
    assert _digest(LESSONS) == before, "the lesson files changed: JupyterLab saved a notebook"
