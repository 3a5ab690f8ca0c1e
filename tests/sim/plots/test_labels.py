"""sim.plots.labels: one label table per language, complete and consistent."""

from __future__ import annotations

import string

import pytest

from sim import mechanisms
from sim.calibration import fit_all
from sim.incident import STATES, ocsp_eku_2020
from sim.pki import CERT_KINDS
from sim.plots.labels import LANGUAGES, label, labels, term
from sim.plots.style import MissingFontError, font_family
from tests.conftest import require


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_english_label_has_a_japanese_entry_with_the_same_placeholders() -> None:
    en, ja = labels("en"), labels("ja")
    assert sorted(set(en) - set(ja)) == []
    for key, template in en.items():
        assert _fields(ja[key]) == _fields(template), key
        assert ja[key] != template or not any(c.isalpha() for c in template), key


def test_japanese_labels_use_the_operators_terms() -> None:
    ja = labels("ja")
    text = " ".join(ja.values())
    for word in ("中間CA証明書", "ルート証明書", "失効", "認証局", "OCSPレスポンダ", "再発行"):
        assert word in text, word
    # The seed article's words, not literal translations ("intermediate" is never 中間体).
    assert "中間体" not in text and "取り消し" not in text
    assert label("timeline.revocation", "ja", whose="x", day="7") == "7日目：xを失効"


def test_words_that_come_with_the_data_have_japanese_terms() -> None:
    words = [*mechanisms.LABELS.values(), *ocsp_eku_2020().deadlines, "ocsp-eku-2020"]
    words += list(CERT_KINDS)
    for fit in fit_all():
        words += [fit.observation.event, fit.observation.metric]
    assert [w for w in words if f"term.{w}" not in labels("ja")] == []
    assert term("OCSP stapling", "ja") == "OCSPステープリング"
    assert term("intermediate", "ja") == "中間CA証明書"
    assert term("CRL", "en") == "CRL" and term("not a term", "ja") == "not a term"


def test_every_state_has_a_label_in_every_language() -> None:
    for lang in LANGUAGES:
        assert all(label(f"timeline.state.{s}", lang) for s in STATES)


def test_unknown_language_and_unknown_key_fail_with_a_message() -> None:
    with pytest.raises(ValueError, match="lang must be one of en, ja"):
        labels("fr")
    with pytest.raises(KeyError, match="no figure label"):
        label("no.such.key", "ja")


def test_japanese_needs_a_cjk_font_and_english_none() -> None:
    assert font_family("en") is None
    try:
        family = font_family("ja")
    except MissingFontError as exc:
        assert "fonts-noto-cjk" in str(exc)
        require(False, str(exc))
        return
    assert family is not None and family[0] != "DejaVu Sans"
