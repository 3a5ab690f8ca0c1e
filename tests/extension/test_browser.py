"""End to end: the extension in real headless Chromium, against the real API on loopback.

Two HTTPS sites run on 127.0.0.1 under test hostnames (Chromium maps them with
``--host-resolver-rules``): ``affected.test`` serves a generated leaf followed by a REAL 2020
affected intermediate (QuoVadis Qualified Web ICA G1, from sim/data/incident-2020);
``clean.test`` serves a generated leaf followed by a REAL unlisted intermediate (from the
extension's fixtures, taken from the CCADB snapshot). The API (``extension_api.create_app``)
runs in a thread with loopback allowed for host checks and its fetcher's resolver mapping the
test hostnames to 127.0.0.1; a WSGI middleware records every request it receives.

Chromium is Debian's (``/usr/bin/chromium``), started by Playwright with the new headless mode,
a fresh profile and the flags that keep it from reaching Google.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509

from sim.loader import load_pem_bundle
from tests.conftest import REPO, require, require_tool

from .sites import Backend, SilentBackend, TlsSite, loopback_resolver, with_resolver

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXTENSION = REPO / "extension" / "src"
FIXTURES = REPO / "extension" / "test" / "fixtures"
AFFECTED_SHA256 = "04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f"
AFFECTED_NAME = "QuoVadis Qualified Web ICA G1"
AFFECTED_CA = "QuoVadis (DigiCert group)"
HOSTS = ("affected.test", "clean.test")
#: Chromium's Japanese UI strings (Debian package chromium-l10n): without them the browser's
#: language falls back to English whatever --lang says.
CHROMIUM_JA = Path("/usr/lib/chromium/locales/ja.pak")
#: Upper bound of every wait for the browser (a wait, not an assertion about speed).
WAIT_S = 20.0

#: Flags that keep Chromium on loopback and quiet (DESIGN: nothing connects outside loopback).
QUIET_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--no-pings",
    "--dns-prefetch-disable",
)

T = TypeVar("T")


def _wait_for(what: str, probe: Callable[[], T | None]) -> T:
    """Poll ``probe`` until it returns a value that is not None (at most WAIT_S)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _chromium() -> str:
    path = require_tool("chromium")
    require(
        importlib.util.find_spec("playwright") is not None,
        "the playwright Python package is not installed (pip install -e '.[dev]')",
    )
    return path


@dataclass
class Lab:
    """The two sites and the backend."""

    affected: TlsSite
    clean: TlsSite
    backend: Backend


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Start the two HTTPS sites and the API (with loopback host checks allowed)."""
    _chromium()
    from extension_api import create_app
    from tlsscan.fetcher import fetch_chain

    pem = (REPO / "sim/data/incident-2020/affected_intermediates.pem").read_bytes()
    record = next(r for r in load_pem_bundle(pem, "shipped") if r.sha256 == AFFECTED_SHA256)
    assert record.certificate is not None and record.der is not None
    clean_der = (FIXTURES / "clean_real.der").read_bytes()
    clean_cert = x509.load_der_x509_certificate(clean_der)
    from cryptography.hazmat.primitives.serialization import Encoding

    now = dt.datetime.now(dt.UTC)  # the browser checks validity against its own clock
    stack = contextlib.ExitStack()
    affected = TlsSite(
        "affected.test", record.certificate, record.certificate.public_bytes(Encoding.PEM), now
    ).start()
    stack.callback(affected.stop)
    clean = TlsSite("clean.test", clean_cert, clean_cert.public_bytes(Encoding.PEM), now).start()
    stack.callback(clean.stop)
    app = create_app(
        {
            "data_dir": str(tmp_path_factory.mktemp("revlab-data")),
            "allow_hosts": ("127.0.0.1", *HOSTS),
            "allowed_ports": f"{affected.port},{clean.port}",
            "rate_limit": "",
            "hosts_rate_limit": "",
            "connect_timeout": 3.0,
            "handshake_timeout": 3.0,
        }
    )
    state = app.extensions["revlab"]
    state.fetch = with_resolver(fetch_chain, loopback_resolver(HOSTS))
    backend = Backend(app).start()
    stack.callback(backend.stop)
    with stack:
        yield Lab(affected, clean, backend)


class Browser:
    """Chromium with the extension loaded, and helpers to read its state."""

    def __init__(self, context: Any):
        """Wrap a persistent context whose extension service worker is running."""
        self.context = context
        # Waited for with Playwright's own event wait: polling `service_workers` while this
        # thread sleeps dispatches no event, so a worker that started late was never seen.
        if context.service_workers:
            worker = context.service_workers[0]
        else:
            try:
                worker = context.wait_for_event("serviceworker", timeout=WAIT_S * 1000)
            except Exception as exc:  # Playwright's TimeoutError
                workers = context.service_workers  # it may have come just before the wait
                if not workers:
                    raise AssertionError("gave up waiting for the extension's service worker") \
                        from exc
                worker = workers[0]
        self.worker = worker
        self.extension_id = worker.url.split("/")[2]
        # Playwright can report the worker before its script has run: wait until it has.
        _wait_for(
            "the service worker's script",
            lambda: True if worker.evaluate("globalThis.revlabReady === true") else None,
        )

    def configure(self, **settings: str) -> None:
        """Store extension settings (what the options page does)."""
        self.worker.evaluate("(s) => chrome.storage.local.set(s)", settings)

    def open(self, url: str) -> Any:
        """A new tab at ``url``."""
        page = self.context.new_page()
        page.goto(url, wait_until="load")
        return page

    def tab_id(self, url: str) -> int:
        """The id of the tab showing ``url``."""
        tab_id = _wait_for(
            f"a tab at {url}",
            lambda: self.worker.evaluate(
                "async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id ?? null",
                url,
            ),
        )
        return int(tab_id)

    def tab_state(self, tab_id: int, expect: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The extension's stored state for a tab, once ``expect`` accepts it."""

        def probe() -> dict[str, Any] | None:
            state = self.worker.evaluate(
                "async (id) => (await chrome.storage.session.get(`tab:${id}`))[`tab:${id}`]"
                " ?? null",
                tab_id,
            )
            return state if state is not None and expect(state) else None

        return _wait_for(f"the state of tab {tab_id}", probe)

    def badge_text(self, tab_id: int) -> str:
        """The toolbar badge text of a tab."""
        return str(self.worker.evaluate("(id) => chrome.action.getBadgeText({tabId: id})", tab_id))

    def badge_title(self, tab_id: int) -> str:
        """The toolbar button's title (tooltip) for a tab."""
        return str(self.worker.evaluate("(id) => chrome.action.getTitle({tabId: id})", tab_id))

    def popup(self, tab_id: int) -> Any:
        """The popup's page for a tab, rendered."""
        page = self.context.new_page()
        page.goto(f"chrome-extension://{self.extension_id}/popup/popup.html?tabId={tab_id}")
        page.wait_for_selector("body[data-ready='1']")
        return page


@pytest.fixture
def launch(lab: Lab, tmp_path: Path) -> Iterator[Callable[..., Browser]]:
    """Start Chromium (fresh profile) with the extension; closes every browser at the end."""
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    contexts: list[Any] = []
    with sync_playwright() as pw:

        def start(language: str = "en-US") -> Browser:
            profile = tmp_path / f"chromium-profile-{len(contexts)}"  # fresh every launch
            env: dict[str, str | float | bool] = {
                **os.environ,
                "LANGUAGE": language.split("-")[0],
                "LANG": f"{language.replace('-', '_')}.UTF-8",
            }
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=False,  # the new headless mode is asked for in the flags
                ignore_default_args=["--disable-extensions"],
                args=[
                    *QUIET_FLAGS,
                    f"--lang={language}",
                    f"--disable-extensions-except={EXTENSION}",
                    f"--load-extension={EXTENSION}",
                    "--ignore-certificate-errors",
                    # The test sites map to loopback and every other name to nothing, so the
                    # browser cannot reach beyond this machine even by mistake.
                    "--host-resolver-rules="
                    + ", ".join([*(f"MAP {h} 127.0.0.1" for h in HOSTS), "MAP * ~NOTFOUND",
                                 "EXCLUDE 127.0.0.1"]),
                ],
                env=env,
                locale=language,
                timeout=30_000,
            )
            contexts.append(context)
            return Browser(context)

        yield start
        for context in contexts:
            context.close()


def _requests_with_hostnames(lab: Lab) -> list[str]:
    forms = [form for host in HOSTS for form in (host, host.split(".")[0])]
    return [line for line in lab.backend.log.snapshot() if any(f in line for f in forms)]


def test_default_mode_sends_no_hostname_and_direct_checks_warn_on_the_affected_site(
    lab: Lab, launch: Callable[..., Browser]
) -> None:
    """Hash prefixes by default (Chrome shows no chain); with direct checks, '!' on affected."""
    browser = launch()
    browser.configure(backendUrl=lab.backend.url)  # the privacy mode stays the default
    assert browser.worker.evaluate("chrome.storage.local.get('mode')") == {}
    # Default mode in Chrome: each site is looked up by 5 hex characters of its name's hash...
    prefixes = set()
    for site in (lab.affected, lab.clean):
        page = browser.open(site.url)
        tab = browser.tab_id(site.url)
        state = browser.tab_state(tab, lambda s: "verdict" in s)
        assert state["host"] == site.host
        assert state["verdict"]["source"] == "prefix"
        prefixes.add(hashlib.sha256(site.host.encode()).hexdigest()[:5])
        page.close()
    # ...and the backend heard those prefixes (and perhaps the registry), never a hostname.
    assert _requests_with_hostnames(lab) == []
    heard = {line.split("?")[0] for line in lab.backend.log.snapshot()}
    assert {f"GET /v1/hostprefix/{p}" for p in prefixes} <= heard
    assert heard <= {"GET /v1/registry", *(f"GET /v1/hostprefix/{p}" for p in prefixes)}

    browser.configure(mode="direct", backendUrl=lab.backend.url)
    affected = browser.open(lab.affected.url)
    clean = browser.open(lab.clean.url)
    affected_tab = browser.tab_id(lab.affected.url)
    clean_tab = browser.tab_id(lab.clean.url)
    a = browser.tab_state(affected_tab, lambda s: "verdict" in s)
    c = browser.tab_state(clean_tab, lambda s: "verdict" in s)
    assert a["verdict"]["verdict"] == "affected", a["verdict"].get("summary")
    assert c["verdict"]["verdict"] == "clean", c["verdict"].get("summary")
    assert browser.badge_text(affected_tab) == "!"
    assert browser.badge_text(clean_tab) == ""
    assert browser.badge_title(affected_tab) == (
        f"Affected: the {AFFECTED_CA} intermediate {AFFECTED_NAME} on this site's chain must be "
        "revoked."
    )
    assert f"GET /v1/hosts/affected.test?port={lab.affected.port}" in lab.backend.log.snapshot()

    popup = browser.popup(affected_tab)
    rows = dict(
        zip(
            popup.locator("#rows dt").all_inner_texts(),
            popup.locator("#rows dd").all_inner_texts(),
            strict=True,
        )
    )
    assert popup.locator("#headline").inner_text() == (
        "This site's certificate chain runs through an intermediate that must be revoked."
    )
    assert rows["Intermediate"] == AFFECTED_NAME
    assert rows["Certificate authority"] == AFFECTED_CA
    assert rows["SHA-256 fingerprint"].replace(":", "").lower() == AFFECTED_SHA256
    # The list gives no revocation date for this intermediate: the popup claims none.
    assert rows["Status"] == "revocation not confirmed: no published date for this certificate"
    assert popup.locator("#owner-text").inner_text().startswith("Only swap the served intermediate")
    assert popup.locator("#mode").inner_text() == (
        "Mode: direct. The backend learns the name of every HTTPS site you visit."
    )
    assert popup.locator("#lesson-link").get_attribute("href") == (
        f"{lab.backend.url}/notebooks/02_ocsp_delegated_responder.ipynb"
    )
    # Lesson 7 shows what the visitor sees: keep a picture of this popup.
    (REPO / "build").mkdir(exist_ok=True)
    popup.locator("body").screenshot(path=str(REPO / "build" / "extension-popup.png"))
    # The "learn more" link opens the lesson, served by the backend.
    lesson = browser.context.new_page()
    answer = lesson.goto(popup.locator("#lesson-link").get_attribute("href") or "")
    assert answer is not None and answer.status == 200
    assert "Lesson 2: OCSP and the dangerous delegated responder" in lesson.inner_text("body")
    lesson.close()
    # The options page: the settings as stored, and "check this site now" for the clean site.
    options = browser.context.new_page()
    options.goto(
        f"chrome-extension://{browser.extension_id}/options/options.html"
        f"?host=clean.test:{lab.clean.port}&tabId={clean_tab}"
    )
    assert options.locator("#backend").input_value() == lab.backend.url
    assert options.locator("input[name='mode'][value='direct']").is_checked()
    assert "your browsing history" in options.locator("label.mode").nth(2).inner_text()
    options.locator("#check-now").click()
    options.wait_for_selector("#check-result[data-verdict='clean']")
    assert options.locator("#check-result").inner_text() == (
        "Clean: No known problem with this site's certificate chain."
    )
    for page in (affected, clean, popup, options):
        page.close()


def test_popup_is_in_japanese_for_a_japanese_browser(
    lab: Lab, launch: Callable[..., Browser]
) -> None:
    """With the browser's language set to Japanese, the popup speaks Japanese."""
    require(
        CHROMIUM_JA.exists(),
        f"{CHROMIUM_JA} is absent: Chromium's Japanese UI needs Debian's chromium-l10n package",
    )
    browser = launch("ja")
    assert browser.worker.evaluate("chrome.i18n.getUILanguage()").startswith("ja")
    browser.configure(mode="direct", backendUrl=lab.backend.url)
    browser.open(lab.affected.url)
    tab = browser.tab_id(lab.affected.url)
    browser.tab_state(tab, lambda s: "verdict" in s)
    assert browser.badge_text(tab) == "!"
    popup = browser.popup(tab)
    assert popup.locator("#headline").inner_text() == (
        "このサイトの証明書チェーンは、失効対象の中間証明書を経由しています。"
    )
    labels = popup.locator("#rows dt").all_inner_texts()
    assert labels[:3] == ["サイト", "中間証明書", "正式名"]
    assert "認証局" in labels
    assert AFFECTED_NAME in popup.locator("#rows").inner_text()
    assert popup.locator("#visitor h2").inner_text() == "あなたにできること"
    assert (popup.locator("html").get_attribute("lang") or "").startswith("ja")


#: The issue's functional bound: with a backend that never answers, a page still loads within it.
PAGE_LOAD_BOUND_S = 3.0


@pytest.mark.parametrize("mode", ["local", "direct"])
def test_a_backend_that_never_answers_never_stalls_a_page(
    lab: Lab, launch: Callable[..., Browser], mode: str
) -> None:
    """Chromium: pages load within 3 s whatever the backend does, in each mode."""
    silent = SilentBackend().start()
    try:
        browser = launch()
        browser.configure(mode=mode, backendUrl=silent.url)
        for site in (lab.affected, lab.clean):
            page = browser.open(site.url)
            # The browser's own Navigation Timing, start of navigation to end of load event.
            took = page.evaluate(
                "performance.getEntriesByType('navigation')[0].loadEventEnd / 1000"
            )
            assert 0 < took < PAGE_LOAD_BOUND_S, f"{site.host} took {took:.1f} s to load"
            page.close()
        # The extension did ask the silent backend (so the bound was really put to the test).
        _wait_for("a connection to the silent backend", lambda: silent.accepted or None)
    finally:
        silent.stop()


def test_default_mode_warns_by_hash_prefix_on_a_site_in_the_scan_corpus(
    lab: Lab, launch: Callable[..., Browser]
) -> None:
    """Chrome's default: '!' on a site the scan corpus holds, and no hostname leaves the browser.

    The backend answers prefixes only from its scan corpus; here an operator's scan (the same
    scanner, judgement and corpus row as ``revlab scan --into-db``, with the test names mapped
    to loopback) puts the affected site there before the browser starts.
    """
    from extension_api.scan_corpus import CorpusRow, ScanCorpus
    from sim.registry import shipped_registry
    from tlsscan.results import judge
    from tlsscan.scanner import ScanOptions, scan_batch
    from tlsscan.targets import Target

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        (served,) = pool.submit(
            scan_batch, [Target(lab.affected.host, lab.affected.port, 1)],
            ScanOptions(allow_private=True), resolver=loopback_resolver(HOSTS),
        ).result()
    result = judge(served, shipped_registry())
    assert result.verdict == "affected", result.reason
    corpus = ScanCorpus(lab.backend.app.extensions["revlab"].store.engine).ensure()
    corpus.put([CorpusRow.from_scan(result, "browser-test.txt")])
    before = len(lab.backend.log.snapshot())
    browser = launch()
    browser.configure(backendUrl=lab.backend.url)  # the mode stays Chrome's default
    browser.open(lab.affected.url)
    tab = browser.tab_id(lab.affected.url)
    state = browser.tab_state(tab, lambda s: "verdict" in s)
    assert state["verdict"]["verdict"] == "affected", state["verdict"].get("summary")
    assert state["verdict"]["source"] == "prefix"
    assert browser.badge_text(tab) == "!"
    assert browser.badge_title(tab) == (
        f"Affected: the {AFFECTED_CA} intermediate {AFFECTED_NAME} on this site's chain must be "
        "revoked."
    )
    heard = lab.backend.log.snapshot()[before:]
    prefix = hashlib.sha256(lab.affected.host.encode()).hexdigest()[:5]
    assert f"GET /v1/hostprefix/{prefix}" in heard
    assert {line.split("?")[0] for line in heard} <= {
        "GET /v1/registry", f"GET /v1/hostprefix/{prefix}"
    }
    assert not any(form in line for line in heard for form in ("affected", "clean.test"))
