"""One parser for the ISO 8601 times people type: ``--now``, spec fields, configuration.

A time without a zone is refused rather than guessed: every simulation here takes an aware
``now`` (DESIGN: sim never reads the clock), and a silent local-time guess would move a
scenario by hours.
"""

from __future__ import annotations

import datetime as dt

from sim.errors import ParameterError, RevlabError

__all__ = ["parse_aware_time"]


def parse_aware_time(
    value: str, *, what: str, error: type[RevlabError] = ParameterError
) -> dt.datetime:
    """Parse an ISO 8601 date-time with a zone (``Z`` accepted) into UTC.

    Args:
        value: the text, e.g. ``2020-07-01T00:00:00Z`` or ``2020-07-01T02:00+02:00``.
        what: what the value is, for the message (``--now``, ``certificates[2].not_before``).
        error: the :class:`RevlabError` subclass to raise (callers name their area).

    Returns:
        The time in UTC.

    Raises:
        RevlabError: ``error``, when the text is not ISO 8601 or carries no zone.
    """
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{what}: {value!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        raise error(f"{what}: {value!r} has no time zone; add one, e.g. +00:00")
    return when.astimezone(dt.UTC)
