"""The lessons' fixed time and seed, defined once.

Every lesson (``notebooks/*.ipynb``), the slide build (``notebooks/build_slides.py``) and the
tests that redraw the lessons' figures read them from here, so a lesson, its slides and its
tests cannot drift apart. The lessons also state the date in their prose, for the reader.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["LESSON_NOW", "LESSON_SEED"]

#: The lessons' "now": every certificate is built and every rule judged at this instant (UTC).
LESSON_NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
#: The seed of every random draw in the lessons (keys, simulated populations).
LESSON_SEED = 2026
