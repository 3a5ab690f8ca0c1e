"""End to end: the extension in a real firefox-esr over WebDriver BiDi, in the default mode.

Firefox is the browser where the private default mode sees a chain: the extension reads the
chain Firefox built and verified (webRequest.getSecurityInfo) and matches it against the
registry it downloaded, so no hostname leaves the browser. The sites serve chains under a
generated root the fresh profile trusts (tests/extension/pki.py); see firefox_lab.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .firefox_lab import (
    FIREFOX_JA,
    HOSTS,
    KEYED_CA,
    LISTED_CA,
    LISTED_DATE,
    LISTED_NAME,
    ExtensionFirefox,
    FirefoxLab,
    SilentBackend,
    firefox_executable,
    firefox_lab,
    listed_sha256,
)
from tests.conftest import require

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirefoxLab]:
    """The sites, the API with the listed test intermediate, the built extension."""
    firefox_executable()
    with firefox_lab(
        tmp_path_factory.mktemp("revlab-data"), tmp_path_factory.mktemp("extension-build")
    ) as started:
        yield started


@pytest.fixture
def launch(lab: FirefoxLab, tmp_path: Path) -> Iterator[Callable[..., ExtensionFirefox]]:
    """Start firefox-esr (fresh profile each time) with the extension; closes them at the end."""
    executable = firefox_executable()
    browsers: list[ExtensionFirefox] = []

    def start(language: str = "en-US") -> ExtensionFirefox:
        browser = ExtensionFirefox(
            executable,
            tmp_path / f"firefox-profile-{len(browsers)}",
            lab.extension_zip,
            lab.root.der,
            language,
        )
        browsers.append(browser)
        return browser

    yield start
    for browser in browsers:
        browser.close()


def _requests_naming_a_test_host(lab: FirefoxLab) -> list[str]:
    forms = [form for host in HOSTS for form in (host, host.split(".")[0])]
    return [line for line in lab.backend.log.snapshot() if any(f in line for f in forms)]


def test_default_mode_warns_from_the_verified_chain_and_sends_no_hostname(
    lab: FirefoxLab, launch: Callable[..., ExtensionFirefox]
) -> None:
    """'!' on the listed chain, '?' on the key match, nothing on clean; only the registry asked."""
    browser = launch()
    browser.configure(backendUrl=lab.backend.url)  # the privacy mode stays the default
    assert browser.js("browser.storage.local.get('mode')") == {}
    verdicts = {}
    for site in (lab.affected, lab.keymatch, lab.clean):
        browser.open(site.url)
        tab = browser.tab_id(site.url)
        state = browser.tab_state(tab, lambda s: "verdict" in s)
        verdicts[site.host] = (tab, state["verdict"])
    tab, affected = verdicts["affected.test"]
    assert affected["verdict"] == "affected", affected.get("summary")
    assert affected["source"] == "local"
    # Firefox handed the chain it built: leaf, listed intermediate, trusted root.
    assert [c["subject"].split(",")[0] for c in affected["chain"]] == [
        "CN=affected.test",
        f"CN={LISTED_NAME}",
        "CN=Revocation Lab Test Root",
    ]
    assert browser.badge_text(tab) == "!"
    assert browser.badge_title(tab) == (
        f"Affected: the {LISTED_CA} intermediate {LISTED_NAME} on this site's chain must be "
        "revoked."
    )
    key_tab, keyed = verdicts["keymatch.test"]
    assert keyed["verdict"] == "affected_key", keyed.get("summary")
    assert keyed["match"]["entry"]["ca_label"] == KEYED_CA
    assert browser.badge_text(key_tab) == "?"
    clean_tab, clean = verdicts["clean.test"]
    assert clean["verdict"] == "clean", clean.get("summary")
    assert browser.badge_text(clean_tab) == ""

    popup = browser.popup(tab)
    assert popup["headline"] == (
        "This site's certificate chain runs through an intermediate that must be revoked."
    )
    assert popup["rows"]["Intermediate"] == LISTED_NAME
    assert popup["rows"]["Certificate authority"] == LISTED_CA
    assert popup["rows"]["SHA-256 fingerprint"].replace(":", "").lower() == listed_sha256(lab)
    assert popup["rows"]["Status"] == f"will be revoked on {LISTED_DATE}"
    assert popup["source"] == "Checked in your browser; nothing about this site was sent."
    assert popup["mode"] == (
        "Mode: private. The backend learns nothing about the sites you visit; it only serves the"
        " list of affected intermediates."
    )
    # The backend heard the registry download and nothing that names a site.
    assert _requests_naming_a_test_host(lab) == []
    assert {line.split("?")[0] for line in lab.backend.log.snapshot()} == {"GET /v1/registry"}


def test_popup_is_in_japanese_in_a_japanese_firefox(
    lab: FirefoxLab, launch: Callable[..., ExtensionFirefox]
) -> None:
    """With Firefox's language set to Japanese, the popup names the intermediate in Japanese."""
    require(
        FIREFOX_JA.exists(),
        f"{FIREFOX_JA} is absent: Firefox's Japanese UI needs Debian's firefox-esr-l10n-ja",
    )
    browser = launch("ja")
    assert browser.js("browser.i18n.getUILanguage()").startswith("ja")
    browser.configure(backendUrl=lab.backend.url)
    browser.open(lab.affected.url)
    tab = browser.tab_id(lab.affected.url)
    browser.tab_state(tab, lambda s: "verdict" in s)
    assert browser.badge_text(tab) == "!"
    popup = browser.popup(tab)
    assert (
        popup["headline"] == "このサイトの証明書チェーンは、失効対象の中間証明書を経由しています。"
    )
    assert popup["rows"]["中間証明書"] == LISTED_NAME
    assert popup["rows"]["認証局"] == LISTED_CA
    assert popup["rows"]["SHA-256 フィンガープリント"].replace(":", "").lower() == listed_sha256(
        lab
    )
    assert popup["lang"].startswith("ja")
    assert _requests_naming_a_test_host(lab) == []


#: The issue's functional bound: with a backend that never answers, a page still loads within it.
PAGE_LOAD_BOUND_S = 3.0


def test_a_backend_that_never_answers_never_stalls_a_page(
    lab: FirefoxLab, launch: Callable[..., ExtensionFirefox]
) -> None:
    """Pages load within 3 s, get 'unknown', and share one registry download."""
    silent = SilentBackend().start()
    try:
        browser = launch()
        browser.configure(backendUrl=silent.url)
        # Two pages at once on a fresh profile (no registry stored): both wait for the very
        # first download, which never comes, for at most 2 seconds.
        tabs = [browser.ff.new_tab() for _ in range(2)]
        for tab, site in zip(tabs, (lab.affected, lab.clean), strict=True):
            browser.ff.navigate(tab, site.url, wait="none")
        for tab in tabs:
            browser.ff.wait_loaded(tab)
            # The browser's own Navigation Timing: from the start of the navigation to the end
            # of the page's load event, as a user would wait for it.
            took = browser.ff.evaluate(
                tab, "performance.getEntriesByType('navigation')[0].loadEventEnd / 1000"
            )
            assert 0 < took < PAGE_LOAD_BOUND_S, f"a page took {took:.1f} s to load"
        states = [
            browser.tab_state(browser.tab_id(site.url), lambda s: "verdict" in s)
            for site in (lab.affected, lab.clean)
        ]
        assert [s["verdict"]["unknown_reason"] for s in states] == ["no_registry"] * 2
        # The download started once (at install or by the first page) and is shared.
        assert silent.accepted == 1
    finally:
        silent.stop()
