"""``sim.plots.hierarchy``: what each lesson figure draws, checked on a bare Figure."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from sim.blast import blast_radius
from sim.incident import ocsp_eku_2020, simulate
from sim.intermediates import kinds_by_ca, load_hierarchy_2020
from sim.ocsp_scenario import build_incident_2020
from sim.pki import build_hierarchy, seed_article_spec
from sim.plots.hierarchy import plot_certificate_tree, plot_kinds_by_ca, plot_subtree
from sim.plots.style import PALETTE, MissingFontError
from tests.conftest import NOW, require


def _boxes(ax: object) -> dict[str, FancyBboxPatch]:
    return {p.get_gid(): p for p in ax.patches if isinstance(p, FancyBboxPatch)}  # type: ignore[attr-defined]


def test_certificate_tree_draws_one_box_per_certificate_root_on_top() -> None:
    hier = build_hierarchy(seed_article_spec(), now=NOW, seed=0)
    ax = plot_certificate_tree(hier, marks={"leaf": "revoked"}, ax=Figure().add_subplot())
    boxes = _boxes(ax)
    assert set(boxes) == {"root", "intermediate_g2", "leaf"}
    assert boxes["root"].get_y() > boxes["intermediate_g2"].get_y() > boxes["leaf"].get_y()
    # G2 chains OCSPSigning: outlined thick; the marked leaf is filled.
    assert boxes["intermediate_g2"].get_linewidth() > boxes["root"].get_linewidth()
    assert boxes["leaf"].get_facecolor()[:3] != (1.0, 1.0, 1.0)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "ssl.sakura.ad.jp" in texts and ">> revoked" in texts


def test_delegated_responder_tree_tells_the_reissue_apart_and_draws_the_red_edge() -> None:
    incident = build_incident_2020(now=NOW, seed=0)
    ax = plot_certificate_tree(incident.hierarchy, marks={"ica_a": "forges OCSP"},
                               ax=Figure().add_subplot())  # fmt: skip
    first_lines = [t.get_text().split("\n")[0] for t in ax.texts if t.get_text()]
    assert "ICA-A (original)" in first_lines and "ICA-A (re-issue, same key)" in first_lines
    assert len(first_lines) == len(set(first_lines))
    boxes = _boxes(ax)
    # The thick edge is drawn at full strength even on a filled box (the title promises it).
    edge = boxes["ica_a"].get_edgecolor()
    assert to_hex(edge, keep_alpha=True) == PALETTE["affected"].lower() + "ff"
    assert boxes["ica_a"].get_linewidth() >= 3 > boxes["ica_a_noeku"].get_linewidth()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("thick red edge: CA certificate with OCSPSigning") for t in legend)


def test_certificate_tree_in_japanese_uses_the_seed_articles_words() -> None:
    hier = build_hierarchy(seed_article_spec(), now=NOW, seed=0)
    try:
        ax = plot_certificate_tree(hier, ax=Figure().add_subplot(), lang="ja")
    except MissingFontError as exc:
        require(False, str(exc))
        return
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "[中間CA証明書]" in texts and "[ルート証明書]" in texts
    assert "ssl.sakura.ad.jp" in texts  # names stay as they are
    assert "発行者" in ax.get_title(loc="left")


def test_certificate_tree_rejects_marks_on_unknown_certificates() -> None:
    hier = build_hierarchy(seed_article_spec(), now=NOW, seed=0)
    with pytest.raises(ValueError, match="marks must name"):
        plot_certificate_tree(hier, marks={"nope": "revoked"})


def test_kinds_by_ca_draws_a_bar_per_ca_and_kind() -> None:
    table = kinds_by_ca(load_hierarchy_2020())
    ax = plot_kinds_by_ca(table, ax=Figure().add_subplot())
    assert len(ax.containers) == 4
    assert all(len(c) == len(table) for c in ax.containers)
    assert "293 intermediates" in ax.get_title(loc="left")
    with pytest.raises(ValueError, match="missing"):
        plot_kinds_by_ca(table.drop(columns=["tls"]))


def test_subtree_shows_one_ca_with_its_breaking_leaves() -> None:
    timeline = simulate(ocsp_eku_2020(), n=20_000, seed=1, mode="cohort")
    blast = blast_radius(timeline, 30)
    ax = plot_subtree(blast, "GlobalSign", ax=Figure().add_subplot(), top=5)
    named = [p.get_gid() for p in ax.patches if p.get_gid()]
    assert len(named) == 5
    assert all(r.ca == "GlobalSign" for r in blast.by_intermediate if r.name in named)
    assert ax.get_title(loc="left").startswith("GlobalSign:")
    assert "simulated leaves" in ax.get_title(loc="left")
    assert "simulated population" in ax.get_xlabel()
    with pytest.raises(ValueError, match="ca must be one of"):
        plot_subtree(blast, "No Such CA")
