"""Every figure the lessons draw, with the arguments the lessons pass (one place for the tests).

Each entry mirrors a plotting call in ``notebooks/*.ipynb`` (including each widget's initial
state; the slides re-save the lessons' own tagged figures); the figure checks of
``sim.plots.checks`` run on all of them, in English and in Japanese. The data are computed once
per test session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache, partial
from typing import Any

from matplotlib.axes import Axes

from sim.lessons import LESSON_NOW, LESSON_SEED

#: The lessons' fixed "now" and seed (sim/lessons.py, which the notebooks read too).
NOW, SEED = LESSON_NOW, LESSON_SEED

#: Lesson 1's dropdown: each break's title and the marks its figure draws.
BREAKS: dict[str, dict[str, str]] = {
    "nothing (the real chain)": {},
    "server forgets to send G2": {"intermediate_g2": "not sent"},
    "wrong host name (www.example.jp)": {"leaf": "name mismatch"},
    "checked 2027-06-01 (leaf lives 200 days)": {"leaf": "expired"},
    "impostor G2 (same name, other key)": {"intermediate_g2": "forged (other key)"},
    "root not trusted by this client": {"root": "untrusted"},
}

#: ``draw(ax, lang)`` -> the axes drawn on.
Draw = Callable[[Axes, str], Axes]


def _responders() -> list[tuple[str, int, int]]:
    import gzip
    from importlib import resources

    from sim.loader import load_ccadb_csv
    from sim.registry import shipped_registry
    from sim.responders import by_issuer_organization, dangerous_responders

    extract = resources.files("sim").joinpath("data", "ccadb", "responders_extract.csv.gz")
    records = load_ccadb_csv(gzip.decompress(extract.read_bytes()).decode(), "extract")
    listed = {e.sha256 for e in shipped_registry().entries}
    return by_issuer_organization(dangerous_responders(records, now=NOW, listed=listed))


@cache
def _data() -> dict[str, Any]:
    from sim.blast import blast_radius
    from sim.calibration import fit_all, model_curve
    from sim.exposure import browser_mix, mechanism_table, timeline_exposure
    from sim.holdout import held_out
    from sim.incident import ocsp_eku_2020, simulate
    from sim.intermediates import kinds_by_ca, load_hierarchy_2020
    from sim.lifetimes import LIFETIMES, compare_lifetimes
    from sim.ocsp_scenario import build_incident_2020
    from sim.pki import build_hierarchy, seed_article_spec

    n = 100_000
    timeline = simulate(ocsp_eku_2020(), n=n, seed=SEED)
    staged = simulate(ocsp_eku_2020(schedule="staged"), n=n, seed=SEED, mode="cohort")
    base = ocsp_eku_2020()
    # Lesson 4's widget at its initial state (10% automated, revoke on day 7, no ARI).
    mix = base.mix.with_segment_shares(
        "tls", {"automated": 0.10, "manual": 0.85, "never-renews": 0.05}
    )
    widget = replace(
        base, mix=mix, ari=False, revocation_days=dict.fromkeys(base.revocation_days, 7.0),
        deadlines={"chosen revocation day": 7, "BR 1.7.0 §4.9.1.2: 7 days": 7},
    )  # fmt: skip
    dv = next(
        i for i in staged.revocation_days.index if i.startswith("GlobalSign RSA DV SSL CA 2018")
    )
    return {
        "seed_pki": build_hierarchy(seed_article_spec(), now=NOW, seed=SEED),
        "incident": build_incident_2020(now=NOW, seed=SEED),
        "kinds": kinds_by_ca(load_hierarchy_2020()),
        "blast7": blast_radius(timeline, 7),
        "br": simulate(ocsp_eku_2020(schedule="br"), n=n, seed=SEED, mode="cohort"),
        "staged": staged,
        "widget": simulate(widget, n=n, seed=SEED, mode="cohort"),
        "calibration": [(f, *model_curve(f)) for f in fit_all()],
        "heldout": held_out(fit_all()),
        "responders": _responders(),
        "lifetimes": compare_lifetimes(LIFETIMES),
        "lifetimes_widget": compare_lifetimes(
            sorted(LIFETIMES, reverse=True), renew_before_fraction=1 / 3
        ),
        "table": mechanism_table(),
        "exposure": timeline_exposure(
            staged, dv, mix=browser_mix(chrome=0.6, firefox=0.1, other=0.3)
        ).dropna(),
    }


def _break(title: str, ax: Axes, lang: str) -> Axes:
    """Lesson 1's figure for one choice of its dropdown."""
    from sim.plots.hierarchy import plot_certificate_tree

    return plot_certificate_tree(_data()["seed_pki"], marks=BREAKS[title], title=title,
                                 ax=ax, lang=lang)  # fmt: skip


def lesson_figures() -> dict[str, Draw]:
    """The lessons' figures by ``<lesson>-<name>`` (the names of ``build/figures``)."""
    from sim.plots.blast import plot_blast_by_ca, plot_blast_hierarchy
    from sim.plots.calibration import plot_calibration, plot_heldout
    from sim.plots.hierarchy import plot_certificate_tree, plot_kinds_by_ca, plot_subtree
    from sim.plots.lifetimes import plot_attrition, plot_renewal_cost
    from sim.plots.mechanisms import (
        bandwidth_vs_coverage,
        clients_exposed_curve,
        exposure_window_bars,
    )
    from sim.plots.responders import plot_responders_by_issuer
    from sim.plots.timeline import plot_timeline

    d = _data
    marks = {"ica_b": "revoked by R", "ica_a": "forges OCSP", "responder": "ok"}
    return {
        "01-seed-hierarchy": lambda ax, lang: plot_certificate_tree(
            d()["seed_pki"], ax=ax, lang=lang),
        "01-seed-hierarchy-lesson": lambda ax, lang: plot_certificate_tree(
            d()["seed_pki"], title="The seed article's hierarchy (built at 2026-11-01)",
            ax=ax, lang=lang),
        "02-delegated-responder-lesson": lambda ax, lang: plot_certificate_tree(
            d()["incident"].hierarchy, marks=marks,
            title="Root R's children: ICA-A can speak for ICA-B (RFC 6960 4.2.2.2)",
            ax=ax, lang=lang),
        **{f"01-break-{k}": partial(_break, title) for k, title in enumerate(BREAKS)},
        "02-delegated-responder": lambda ax, lang: plot_certificate_tree(
            d()["incident"].hierarchy, marks=marks, ax=ax, lang=lang),
        "03-kinds-by-ca": lambda ax, lang: plot_kinds_by_ca(d()["kinds"], ax=ax, lang=lang),
        "03-blast-hierarchy": lambda ax, lang: plot_blast_hierarchy(
            d()["blast7"], ax=ax, lang=lang),
        "03-blast-by-ca": lambda ax, lang: plot_blast_by_ca(d()["blast7"], ax=ax, lang=lang),
        "03-subtree-globalsign": lambda ax, lang: plot_subtree(
            d()["blast7"], "GlobalSign", top=15, ax=ax, lang=lang),
        "03-subtree-globalsign-slide": lambda ax, lang: plot_subtree(
            d()["blast7"], "GlobalSign", ax=ax, lang=lang),
        "08-responders": lambda ax, lang: plot_responders_by_issuer(
            d()["responders"], as_of="2026-11-01", ax=ax, lang=lang),
        "04-timeline-br": lambda ax, lang: plot_timeline(d()["br"], ax=ax, lang=lang),
        "04-timeline-staged": lambda ax, lang: plot_timeline(d()["staged"], ax=ax, lang=lang),
        "04-timeline-widget": lambda ax, lang: plot_timeline(d()["widget"], ax=ax, lang=lang),
        "04-calibration": lambda ax, lang: plot_calibration(
            d()["calibration"], ax=ax, lang=lang),
        "04-heldout": lambda ax, lang: plot_heldout(d()["heldout"], ax=ax, lang=lang),
        "05-attrition": lambda ax, lang: plot_attrition(d()["lifetimes"], ax=ax, lang=lang),
        "05-renewal-cost": lambda ax, lang: plot_renewal_cost(
            d()["lifetimes"], ax=ax, lang=lang),
        "05-renewal-widget": lambda ax, lang: plot_renewal_cost(
            d()["lifetimes_widget"], ax=ax, lang=lang),
        "06-exposure-leaf": lambda ax, lang: exposure_window_bars(
            d()["table"], scenario="leaf", horizon_days=30, ax=ax, lang=lang),
        "06-exposure-intermediate": lambda ax, lang: exposure_window_bars(
            d()["table"], scenario="intermediate_2020", ax=ax, lang=lang),
        "06-exposure-leaf-blocked": lambda ax, lang: exposure_window_bars(
            d()["table"], scenario="leaf_blocked", ax=ax, lang=lang),
        "06-bandwidth": lambda ax, lang: bandwidth_vs_coverage(d()["table"], ax=ax, lang=lang),
        "06-clients-exposed": lambda ax, lang: clients_exposed_curve(
            d()["exposure"], ax=ax, lang=lang),
    }  # fmt: skip
