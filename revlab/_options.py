"""Option parsing shared by several ``revlab`` commands."""

from __future__ import annotations

import datetime as dt

from revlab import CliError
from sim.times import parse_aware_time

__all__ = ["now_option"]


def now_option(value: str | None, option: str = "--now") -> dt.datetime:
    """The moment an option names (ISO 8601 with a zone), or the current time when absent.

    Raises:
        CliError: the text is not ISO 8601 or has no zone.
    """
    if value is None:
        return dt.datetime.now(dt.UTC)
    return parse_aware_time(value, what=option, error=CliError)
