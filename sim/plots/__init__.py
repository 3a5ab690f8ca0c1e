"""Figures for the lessons and the slides.

Every figure is a function ``(data, *, ax=None) -> Axes``: it draws on the given axes (or a new
figure's) with the shared style of ``sim.plots.style`` and returns them, so tests can pass a bare
``matplotlib.figure.Figure`` and inspect what was drawn. No figure function computes anything:
the numbers come from ``sim``'s models.
"""
