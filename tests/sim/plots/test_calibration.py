"""sim.plots.calibration: model lines against observed points."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.calibration import fit_all, model_curve
from sim.holdout import held_out
from sim.plots.calibration import plot_calibration, plot_heldout
from sim.plots.style import MissingFontError
from tests.conftest import require


def test_each_row_has_a_model_line_through_its_observed_point() -> None:
    data = [(f, *model_curve(f)) for f in fit_all()]
    ax = plot_calibration(data, ax=Figure().add_subplot())
    lines = {line.get_label(): line for line in ax.get_lines()}
    for f, _days, _values in data:
        name = f"{f.observation.event} {f.observation.metric}"
        point = lines[f"{name} (observed)"]
        assert point.get_ydata()[0] == 100 * f.observation.observed_fraction
        model = lines[f"{name} (model)"]
        x, y = np.asarray(model.get_xdata()), np.asarray(model.get_ydata())
        at = y[np.searchsorted(x, np.ceil(f.observation.observed_day))]
        assert abs(at - 100 * f.observation.observed_fraction) < 2.0
    assert ax.get_xscale() == "log"


def test_heldout_bars_show_observed_fitted_and_predicted_per_checked_row() -> None:
    rows = held_out()
    ax = plot_heldout(rows, ax=Figure().add_subplot())
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    checks = [r for r in rows if r.role == "check"]
    assert len(ax.get_xticks()) == len(checks)
    assert bars["observed"] == [100 * r.fit.observation.observed_fraction for r in checks]
    assert bars["fitted"] == [100 * r.fit.modelled_fraction for r in checks]
    assert bars["predicted"] == [100 * r.fraction for r in checks if r.fraction is not None]
    # The schedule rows are inputs: no bar group.
    assert not any("ocsp eku 2020" in t.get_text() for t in ax.get_xticklabels())


def test_heldout_bars_in_japanese_take_the_label_tables() -> None:
    try:
        ax = plot_heldout(held_out(), ax=Figure().add_subplot(), lang="ja")
    except MissingFontError as exc:
        require(False, str(exc))
        return
    assert {c.get_label() for c in ax.containers} == {"実測", "当てはめ", "予測"}
    assert ax.get_ylabel() == "対象母集団に占める割合（%）"
