"""Aware times: one check for the datetimes callers pass, one parser for the ones people type.

A time without a zone is refused rather than guessed: every simulation here takes an aware
``now`` (sim never reads the clock), and a silent local-time guess would move a scenario by
hours.
"""

from __future__ import annotations

import datetime as dt

from sim.errors import ParameterError, RevlabError

__all__ = ["parse_aware_time", "require_aware"]


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


def require_aware(value: dt.datetime, name: str) -> dt.datetime:
    """Return ``value`` in UTC, or raise if it is not a timezone-aware datetime.

    Args:
        value: A datetime.
        name: The parameter's name, for the error message.

    Raises:
        ParameterError: ``value`` is naive or not a datetime.
    """
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ParameterError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(dt.UTC)
