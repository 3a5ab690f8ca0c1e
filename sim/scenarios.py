"""Named scenarios with string parameters, as the CLI and the API receive them.

The 2020 OCSP-EKU scenario comes from `sim.incident`, one scenario per real event from
`sim.calibration`. This module sits above both, so neither imports the other's caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from sim import calibration
from sim.errors import ParameterError
from sim.incident import MAX_DAYS as _MAX_DAYS
from sim.incident import Scenario, ocsp_eku_2020

__all__ = ["build_scenario", "scenario_names"]


def scenario_names() -> tuple[str, ...]:
    """Names accepted by ``build_scenario``: ``ocsp-eku-2020`` and one per calibration event."""
    return ("ocsp-eku-2020", *calibration.event_scenario_names())


def _parse_float(params: Mapping[str, str], key: str, low: float, high: float) -> float | None:
    if key not in params:
        return None
    try:
        value = float(params[key])
    except ValueError:
        raise ParameterError(
            f"{key} must be a number in [{low}, {high}], got {params[key]!r}"
        ) from None
    if not low <= value <= high:
        raise ParameterError(f"{key} must be in [{low}, {high}], got {value:g}")
    return value


_PARAMS = ("days", "ari", "revoke_day", "automated_median", "manual_median", "manual_never",
           "schedule", "cas")  # fmt: skip


def build_scenario(name: str, params: Mapping[str, str] | None = None) -> Scenario:
    """A named scenario with string parameters (as the CLI and the API receive them).

    Parameters: ``days`` (1..3650), ``ari`` (true/false), ``revoke_day`` (override every
    revocation day; ``none`` = never), ``automated_median`` / ``manual_median`` (days, owner
    response medians), ``manual_never`` (fraction in [0, 1]); for ``ocsp-eku-2020`` also
    ``schedule`` (staged/br) and ``cas`` (comma-separated CA names).

    Raises:
        ParameterError: unknown scenario or parameter, or a value out of range.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        raise ParameterError(f"param must be one of {', '.join(_PARAMS)}; got {', '.join(unknown)}")
    names = scenario_names()
    if name not in names:
        raise ParameterError(f"scenario must be one of {', '.join(names)}, got {name!r}")
    days = _parse_float(params, "days", 1, _MAX_DAYS)
    ari_text = params.get("ari", "false").lower()
    if ari_text not in ("true", "false", "1", "0", "yes", "no"):
        raise ParameterError(f"ari must be true or false, got {params['ari']!r}")
    ari = ari_text in ("true", "1", "yes")
    if name == "ocsp-eku-2020":
        cas = (
            tuple(c.strip() for c in params["cas"].split(",") if c.strip())
            if "cas" in params
            else None
        )
        scenario = ocsp_eku_2020(schedule=params.get("schedule", "staged"), cas=cas, ari=ari)
    else:
        for key in ("schedule", "cas"):
            if key in params:
                raise ParameterError(f"{key} applies to scenario ocsp-eku-2020 only, not {name!r}")
        scenario = replace(calibration.event_scenario(name), ari=ari)
    if days is not None:
        if days != int(days):
            raise ParameterError(f"days must be an integer in [1, {_MAX_DAYS}], got {days:g}")
        scenario = replace(scenario, days=int(days))
    if "revoke_day" in params:
        text = params["revoke_day"].lower()
        day = math.inf if text in ("none", "never", "inf") else _parse_float(
            params, "revoke_day", 0, _MAX_DAYS)  # fmt: skip
        assert day is not None
        scenario = replace(scenario, revocation_days=dict.fromkeys(scenario.revocation_days, day))
    responses = dict(scenario.responses)
    for key, seg in (("automated_median", "automated"), ("manual_median", "manual")):
        value = _parse_float(params, key, 0.001, 10_000)
        if value is not None:
            responses[seg] = replace(responses[seg], median_days=value)
    never = _parse_float(params, "manual_never", 0, 1)
    if never is not None:
        responses["manual"] = replace(responses["manual"], never_fraction=never)
    return replace(scenario, responses=responses)
