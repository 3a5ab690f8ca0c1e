"""Per-client rate limits on ``/v1``, counted where every worker and instance sees the count.

Fixed windows from the ``limits`` library: one counter per client and window, one round trip
to the store per request (``redis://`` shares the counts between workers and instances;
``memory://`` is exact for one process only, which ``revlab serve`` enforces). A refused
client gets 429 with ``Retry-After`` (the seconds until its window ends). The store being
unreachable is a 503, not a free pass and not a 500.

The check is a ``before_request`` hook on the paths it limits and nothing else: the Flask
integration of flask-limiter cost six times the store's own round trip per request
(benchmarks/bench_api.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, Response, request
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from sim.errors import ConfigError

from .errors import error_response
from .overload import Busy

__all__ = ["RateLimits", "init_app"]

#: Seconds after which a client may retry when the limit store is unreachable.
_STORE_RETRY = 5


@dataclass(frozen=True)
class _Rule:
    scope: str
    prefix: str
    item: RateLimitItem
    text: str


class RateLimits:
    """The limits of one app: rules by path prefix, one shared store.

    Args:
        storage_uri: ``memory://`` or ``redis://host:port/db``.
        rules: (scope, path prefix, limit text such as ``600/minute``).

    Raises:
        ConfigError: a limit or the store URI is unusable.
    """

    def __init__(self, storage_uri: str, rules: list[tuple[str, str, str]]) -> None:
        """Parse the rules and open the store."""
        parsed = []
        for scope, prefix, text in rules:
            try:
                parsed.append(_Rule(scope, prefix, parse(text), text))
            except ValueError:
                raise ConfigError(
                    f"rate limit {text!r} is not a limit such as 600/minute"
                ) from None
        self.rules = tuple(parsed)
        problem = "not a synchronous store"
        try:
            storage = storage_from_string(storage_uri)
        except Exception as exc:  # the limits library raises several kinds for a bad URI
            storage, problem = None, type(exc).__name__
        if not isinstance(storage, Storage):
            raise ConfigError(
                f"REVLAB_RATELIMIT_STORAGE_URI: {storage_uri.split('@')[-1]!r} is unusable "
                f"({problem}; memory:// or redis://host:port)"
            )
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(self.storage)

    def check(self) -> Response | None:
        """Count this request against every rule for its path; a 429 when one is exceeded.

        Raises:
            Busy: the store is unreachable.
        """
        path = request.path
        client = request.remote_addr or "-"
        for rule in self.rules:
            if not path.startswith(rule.prefix) or request.method == "OPTIONS":
                continue
            try:
                allowed = self.limiter.hit(rule.item, rule.scope, client)
                reset = 0.0 if allowed else self.limiter.get_window_stats(
                    rule.item, rule.scope, client
                ).reset_time
            except Exception:  # redis' ConnectionError, TimeoutError...: the store is away
                raise Busy("the rate-limit store is unreachable", _STORE_RETRY) from None
            if not allowed:
                period = rule.item.get_expiry()
                wait = min(period, max(1, math.ceil(reset - time.time())))
                response = error_response(
                    429, "rate_limited", f"Too many requests: limit {rule.text}."
                )
                response.headers["Retry-After"] = str(wait)
                return response
        return None


def init_app(app: Flask, storage_uri: str, general: str, hosts: str) -> RateLimits | None:
    """Limit ``/v1`` to ``general`` and ``/v1/hosts`` also to ``hosts`` (empty: no limit).

    Raises:
        ConfigError: a limit or the store URI is unusable.
    """
    rules = [("v1", "/v1/", general)] if general else []
    if hosts:
        rules.append(("hosts", "/v1/hosts/", hosts))
    if not rules:
        return None
    limits = RateLimits(storage_uri, rules)
    app.before_request(limits.check)
    return limits
