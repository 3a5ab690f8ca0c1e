"""Figures for the lessons and the slides.

Every figure is a function ``(data, *, ax=None, lang="en") -> Axes``: it draws on the given axes
(or a new figure's) with the shared style of ``sim.plots.style`` and returns them, so tests can
pass a bare ``matplotlib.figure.Figure`` and inspect what was drawn. ``lang`` picks the label
table of ``sim.plots.labels`` (``"en"`` or ``"ja"``; Japanese is set in a CJK font, see
``sim.plots.style.font_family``). No figure function computes anything: the numbers come from
``sim``'s models. ``sim.plots.checks`` says whether a drawn figure is fit to show (no overlapping
text, no unmarked clipping, a legend for every style that carries meaning).
"""
