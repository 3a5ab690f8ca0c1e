"""sim.plots.mechanisms: what each figure draws, checked on a bare Figure."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim import mechanisms as M
from sim.plots import mechanisms as P
from sim.plots.style import BREAK_MARK_GID, PALETTE
from tests.conftest import NOW


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return M.mechanism_table()


def test_exposure_bars_draw_one_bar_per_mechanism_and_mark_never(table: pd.DataFrame) -> None:
    ax = Figure().add_subplot()
    returned = P.exposure_window_bars(table, scenario="leaf_blocked", horizon_days=30, ax=ax)
    assert returned is ax
    bars = ax.patches
    assert len(bars) == len(M.Mechanism)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [M.LABELS[m] for m in M.Mechanism]
    by_label = dict(zip(labels, bars, strict=True))
    # Soft-fail OCSP never protects against a blocking attacker: a full-width vermilion bar.
    soft = by_label["OCSP soft-fail"]
    assert soft.get_width() == 30
    assert to_hex(soft.get_facecolor()) == PALETTE["affected"].lower()
    # A CRL cached until its nextUpdate (at most 10 days, BR 4.9.7) is a 10-day bar.
    assert by_label["CRL"].get_width() == pytest.approx(10.0)
    texts = [t.get_text().strip() for t in ax.texts]
    assert texts.count("never") == int(
        sum(
            math.isinf(d) or c == 0
            for d, c in zip(
                table["days_leaf_blocked"],
                table["covered_leaf_blocked"],
                strict=True,
            )
        )
    )
    assert any("covers 0.35%" in t for t in texts)  # CRLSets' partial coverage is written down


def test_exposure_bars_for_2020_show_ocsp_never_and_onecrl_finite(table: pd.DataFrame) -> None:
    ax = P.exposure_window_bars(table, scenario="intermediate_2020", ax=Figure().add_subplot())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    texts = [t.get_text().strip() for t in ax.texts]
    by_label = dict(zip(labels, texts, strict=True))
    assert by_label["OCSP hard-fail"] == "never"
    assert by_label["Firefox OneCRL"] != "never"


def test_a_window_longer_than_the_horizon_is_drawn_whole_with_a_break_mark(
    table: pd.DataFrame,
) -> None:
    ax = P.exposure_window_bars(table, scenario="intermediate_2020", horizon_days=30,
                                ax=Figure().add_subplot())  # fmt: skip
    labels = [t.get_text() for t in ax.get_yticklabels()]
    bars = dict(zip(labels, ax.patches, strict=True))
    # CRL: 365 days (an intermediate's CRL is published yearly), not cut to the horizon...
    assert bars["CRL"].get_width() == pytest.approx(365.0)
    assert ax.get_xlim() == (0.0, 30.0)
    # ... so it is marked where the axis cuts it, and it does not look like "never".
    marks = [line for line in ax.get_lines() if line.get_gid() == BREAK_MARK_GID]
    assert len(marks) == 1 and min(marks[0].get_ydata()) < 0 < max(marks[0].get_ydata())
    assert bars["CRL"].get_hatch() is None and bars["OCSP hard-fail"].get_hatch() == "//"
    texts = dict(zip(labels, [t.get_text().strip() for t in ax.texts], strict=True))
    assert texts["CRL"] == "365 d"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["exposed for the days shown, then protected",
                      "never protected by this mechanism"]  # fmt: skip


def test_bandwidth_labels_of_coinciding_points_are_stacked(table: pd.DataFrame) -> None:
    ax = P.bandwidth_vs_coverage(table, ax=Figure().add_subplot())
    offsets = {a.get_text(): a.xyann for a in ax.texts}
    stacked = [offsets[k] for k in ("CRL", "OCSP hard-fail", "OCSP soft-fail", "OCSP stapling")]
    assert len({y for _, y in stacked}) == 4  # one row each
    assert offsets["Firefox CRLite"] == (6, 6)  # a point of its own keeps the plain label


def test_exposure_bars_refuse_an_unknown_scenario(table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="scenario"):
        P.exposure_window_bars(table, scenario="nope", ax=Figure().add_subplot())


def test_clients_exposed_curve_draws_each_profile_and_the_total() -> None:
    frame = M.client_exposure(
        [100.0] * 10,
        revocation_day=2,
        protections=M.worst_case_protections(
            M.Revocation(NOW, M.Target.INTERMEDIATE, self_vouching=True)
        ),
        mix=M.browser_mix(chrome=0.5, firefox=0.2, other=0.3),
    )
    ax = P.clients_exposed_curve(frame, ax=Figure().add_subplot())
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"chrome", "firefox", "other", "all clients"}
    total = lines["all clients"].get_ydata()
    assert list(total[-1:]) == pytest.approx([frame["exposed_all"].iloc[-1]])
    assert total[-1] == pytest.approx(0.3)  # only clients that never check stay exposed


def test_bandwidth_scatter_places_mechanisms_at_bytes_and_coverage(table: pd.DataFrame) -> None:
    ax = P.bandwidth_vs_coverage(table, ax=Figure().add_subplot())
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == len(M.Mechanism)
    points = {a.get_text(): tuple(a.xy) for a in ax.texts}
    assert points["Short-lived certificates"] == (0.0, 1.0)
    assert points["Chrome CRLSets"][1] == pytest.approx(0.0035)
    assert ax.get_xscale() == "symlog"
