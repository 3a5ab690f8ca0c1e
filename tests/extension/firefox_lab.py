"""The Firefox end-to-end lab: test PKI sites, the real API, and firefox-esr with the extension.

Three HTTPS sites on 127.0.0.1 serve chains under a generated root that each fresh profile
trusts (see `tests.extension.pki`). The API (``extension_api.create_app``) runs in a thread;
the listed test intermediate is imported into its registry through the real
``POST /v1/registry/import`` before the browser starts, so the registry the extension downloads
is the one the backend serves. Every request the backend receives afterwards is recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sim.loader import load_pem_bundle
from tests.conftest import REPO, require, require_tool

from .bidi import EXTENSION_UUID, Firefox
from .bidi import WAIT_S as BIDI_WAIT_S
from .pki import Authority, make_intermediate, make_leaf, make_root
from .sites import Backend, SilentBackend, TlsSite

#: The listed 2020 intermediate whose key identifier the ``keyed`` test intermediate carries.
KEYED_SHA256 = "04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f"
KEYED_CA = "QuoVadis (DigiCert group)"
LISTED_NAME = "Revocation Lab Listed Test ICA"
LISTED_CA = "Revocation Lab Test CA"
LISTED_INCIDENT = "revlab-test"
LISTED_DATE = "2026-12-31"
ADMIN_TOKEN = "test-admin-token"
HOSTS = ("affected.test", "keymatch.test", "clean.test")
#: Japanese UI of firefox-esr (Debian package firefox-esr-l10n-ja).
FIREFOX_JA = Path("/usr/lib/firefox-esr/browser/extensions/langpack-ja@firefox-esr.mozilla.org.xpi")
WAIT_S = 20.0

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], limit: float = WAIT_S) -> T:
    """Poll ``probe`` until it returns a value that is not None (at most ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def firefox_executable() -> str:
    """Debian's firefox-esr, or a skip (a failure under REVLAB_STRICT) with the reason."""
    path = require_tool("firefox-esr")
    version = subprocess.run(
        [path, "--version"], capture_output=True, text=True, timeout=60, check=False
    ).stdout
    digits = version.rsplit(" ", 1)[-1].split(".")[0]
    require(digits.isdigit() and int(digits) >= 128, f"firefox-esr 128+ needed, found {version!r}")
    return path


def build_extension(out: Path) -> Path:
    """The Firefox zip, built by the project's own builder (extension/build.mjs)."""
    node = require_tool("node")
    subprocess.run(
        [node, str(REPO / "extension" / "build.mjs"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out / "extension-firefox.zip"


@dataclass
class FirefoxLab:
    """The sites, the backend, the trusted root and the built extension."""

    root: Authority
    listed: Authority
    affected: TlsSite
    keymatch: TlsSite
    clean: TlsSite
    backend: Backend
    extension_zip: Path


@contextlib.contextmanager
def firefox_lab(data_dir: Path, build_dir: Path) -> Iterator[FirefoxLab]:
    """Start the three sites and the API with the listed test intermediate imported."""
    from extension_api import create_app

    now = dt.datetime.now(dt.UTC)  # the browser checks validity against its own clock
    pem = (REPO / "sim/data/incident-2020/affected_intermediates.pem").read_bytes()
    real = next(r for r in load_pem_bundle(pem, "shipped") if r.sha256 == KEYED_SHA256)
    assert real.ski is not None
    root = make_root(now)
    listed = make_intermediate(root, LISTED_NAME, now)
    keyed = make_intermediate(
        root, "Revocation Lab Keyed Test ICA", now, ski=bytes.fromhex(real.ski)
    )
    clean = make_intermediate(root, "Revocation Lab Clean Test ICA", now)

    def site(host: str, ica: Authority) -> TlsSite:
        return TlsSite(host, ica.certificate, ica.pem, now, leaf=make_leaf(ica, host, now))

    app = create_app(
        {
            "data_dir": str(data_dir),
            "rate_limit": "",
            "hosts_rate_limit": "",
            "admin_token": ADMIN_TOKEN,
        }
    )
    answer = app.test_client().post(
        f"/v1/registry/import?incident={LISTED_INCIDENT}&ca_label={LISTED_CA}"
        f"&status=to_be_revoked&status_date={LISTED_DATE}&source=test",
        data=listed.pem,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    zip_path = build_extension(build_dir)
    stack = contextlib.ExitStack()
    with stack:
        sites = []
        for host, ica in zip(HOSTS, (listed, keyed, clean), strict=True):
            started = site(host, ica).start()
            stack.callback(started.stop)
            sites.append(started)
        backend = Backend(app).start()
        stack.callback(backend.stop)
        affected, keymatch, clean_site = sites
        yield FirefoxLab(root, listed, affected, keymatch, clean_site, backend, zip_path)


def listed_sha256(lab: FirefoxLab) -> str:
    """The SHA-256 of the listed test intermediate."""
    from cryptography.hazmat.primitives import hashes

    return lab.listed.certificate.fingerprint(hashes.SHA256()).hex()


class ExtensionFirefox:
    """firefox-esr with the extension installed and a probe tab on one of its pages."""

    def __init__(
        self,
        executable: str,
        profile: Path,
        extension_zip: Path,
        root_der: bytes,
        language: str = "en-US",
    ):
        """Start Firefox, trust the test root, install the extension, open the probe page."""
        prefs: dict[str, object] = {}
        if language != "en-US":
            prefs.update(
                {
                    "intl.locale.requested": language,
                    # The langpack lives in the application's scope: let it load.
                    "extensions.autoDisableScopes": 0,
                    "extensions.enabledScopes": 15,
                }
            )
        from .bidi import BASE_PREFS

        self.ff = Firefox(
            executable,
            profile,
            {**BASE_PREFS, **prefs},
            env={"LANG": f"{language.replace('-', '_')}.UTF-8"},
        )
        try:
            self.ff.trust_root(root_der)
            self.ff.install_extension(extension_zip)
            self.base = f"moz-extension://{EXTENSION_UUID}"
            self.probe = self.ff.new_tab()
            wait_for("the extension's pages", self._open_probe, BIDI_WAIT_S)
            wait_for(
                "the background script",
                lambda: True if self.js("browser.runtime.sendMessage({type: 'ready'})") else None,
            )
        except BaseException:
            self.ff.close()
            raise

    def _open_probe(self) -> bool | None:
        try:
            self.ff.navigate(self.probe, f"{self.base}/popup/popup.html?tabId=999999")
        except Exception:  # noqa: BLE001 - the add-on may still be starting
            return None
        return True

    def js(self, expression: str) -> Any:
        """Evaluate in the probe page (an extension page: ``browser.*`` is there)."""
        return self.ff.evaluate(self.probe, f"(async () => {expression})()")

    def configure(self, **settings: str) -> None:
        """Store extension settings (what the options page does)."""
        self.js(f"browser.storage.local.set({json.dumps(settings)})")

    def open(self, url: str, wait: str = "complete") -> str:
        """A new tab at ``url``; its browsing context."""
        tab = self.ff.new_tab()
        self.ff.navigate(tab, url, wait)
        return tab

    def tab_id(self, url: str) -> int:
        """The WebExtension id of the tab showing ``url``."""
        found = wait_for(
            f"a tab at {url}",
            lambda: self.js(
                f"(await browser.tabs.query({{}})).find((t) => t.url === {json.dumps(url)})?.id"
                " ?? null"
            ),
        )
        return int(found)

    def tab_state(self, tab_id: int, expect: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The extension's stored state for a tab, once ``expect`` accepts it."""

        def probe() -> dict[str, Any] | None:
            state = self.js(
                f"(await browser.storage.session.get('tab:{tab_id}'))['tab:{tab_id}'] ?? null"
            )
            return state if isinstance(state, dict) and expect(state) else None

        return wait_for(f"the state of tab {tab_id}", probe)

    def badge_text(self, tab_id: int) -> str:
        """The toolbar badge text of a tab."""
        return str(self.js(f"browser.action.getBadgeText({{tabId: {tab_id}}})"))

    def badge_title(self, tab_id: int) -> str:
        """The toolbar button's title (tooltip) for a tab."""
        return str(self.js(f"browser.action.getTitle({{tabId: {tab_id}}})"))

    def popup(self, tab_id: int) -> dict[str, Any]:
        """The popup for a tab, rendered: headline, rows (label to value), lang, owner text."""
        page = self.ff.new_tab()
        self.ff.navigate(page, f"{self.base}/popup/popup.html?tabId={tab_id}")
        view = wait_for(
            "the popup",
            lambda: self.ff.evaluate(
                page,
                "document.body.dataset.ready === '1' ? {"
                " headline: document.getElementById('headline').textContent,"
                " labels: [...document.querySelectorAll('#rows dt')].map((e) => e.textContent),"
                " values: [...document.querySelectorAll('#rows dd')].map((e) => e.textContent),"
                " owner: document.getElementById('owner-text').textContent,"
                " source: document.getElementById('source').textContent,"
                " mode: document.getElementById('mode').textContent,"
                " lang: document.documentElement.lang } : null",
            ),
        )
        self.ff.close_tab(page)
        view["rows"] = dict(zip(view["labels"], view["values"], strict=True))
        return dict(view)

    def close(self) -> None:
        """Close the browser."""
        self.ff.close()


__all__ = [
    "ExtensionFirefox",
    "FirefoxLab",
    "SilentBackend",
    "firefox_executable",
    "firefox_lab",
    "listed_sha256",
    "wait_for",
]
