"""sim.plots.calibration: model lines against observed points."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.calibration import fit_all, model_curve
from sim.plots.calibration import plot_calibration


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
