"""Per-client rate limits on ``/v1``, counted where every worker and instance sees the count.

Fixed windows that start at a client's first request: one counter per client, rule and window,
counted in one command per request. ``redis://host:port/db`` (or ``redis+unix:///path``)
shares the counts between workers and instances; ``memory://`` is exact for one process only,
which ``revlab serve`` enforces. A refused client gets 429 with ``Retry-After`` (the seconds
until its window ends). The store being unreachable is a 503, not a free pass and not a 500.
Both are domain errors (`extension_api.errors.RateLimited`, `extension_api.errors.Busy`) that
``extension_api.api.http_errors`` answers like every other error.

The check is a ``before_request`` hook on the paths it limits and nothing else (flask-limiter's
Flask integration cost several times the count itself); how Redis is spoken to is
`extension_api.redis_counters`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, request
from limits import RateLimitItem, parse

from sim.errors import ConfigError

from .errors import Busy, RateLimited
from .redis_counters import RedisCounters

__all__ = ["MemoryCounters", "RateLimits", "RedisCounters", "counters_for", "init_app"]

#: Seconds after which a client may retry when the limit store is unreachable.
_STORE_RETRY = 5


class Counters(Protocol):
    """Where hits are counted."""

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each (key, window length in seconds), at once.

        Returns, for each key, (hits in its window, seconds until the window ends).
        """


class MemoryCounters:
    """Counters in this process (exact only when one process serves)."""

    def __init__(self) -> None:
        """Start empty."""
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._hits = 0

    def hit(self, key: str, period: float) -> tuple[int, float]:
        """Count one hit (see `Counters.hits`)."""
        return self.hits([(key, period)])[0]

    def hits(self, keys: Sequence[tuple[str, float]]) -> list[tuple[int, float]]:
        """Count a hit on each key (see `Counters.hits`)."""
        return [self._hit(key, period) for key, period in keys]

    def _hit(self, key: str, period: float) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            self._hits += 1
            if self._hits % 4096 == 0:  # forget ended windows now and then: bounded memory
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                window = self._windows[key] = [0, now + period]
            window[0] += 1
            return int(window[0]), window[1] - now


def counters_for(uri: str) -> Counters:
    """The counters named by ``REVLAB_RATELIMIT_STORAGE_URI``.

    Raises:
        ConfigError: not ``memory://``, ``redis://...`` or ``redis+unix://...``.
    """
    if uri.startswith("memory:"):
        return MemoryCounters()
    return RedisCounters(uri)


@dataclass(frozen=True)
class _Rule:
    scope: str
    prefix: str
    item: RateLimitItem
    text: str


class RateLimits:
    """The limits of one app: rules by path prefix, counted in one store.

    Args:
        storage_uri: ``memory://``, ``redis://host:port/db`` or ``redis+unix:///path``.
        rules: (scope, path prefix, limit text such as ``600/minute``).

    Raises:
        ConfigError: a limit or the store URI is unusable.
    """

    def __init__(self, storage_uri: str, rules: list[tuple[str, str, str]]) -> None:
        """Parse the rules and name the store."""
        parsed = []
        for scope, prefix, text in rules:
            try:
                parsed.append(_Rule(scope, prefix, parse(text), text))
            except ValueError:
                raise ConfigError(
                    f"rate limit {text!r} is not a limit such as 600/minute"
                ) from None
        self.rules = tuple(parsed)
        self.counters = counters_for(storage_uri)

    def check(self) -> None:
        """Count this request against every rule for its path.

        Raises:
            RateLimited: a rule is exceeded (429 with ``Retry-After``).
            Busy: the store is unreachable (503 with ``Retry-After``).
        """
        path = request.path
        if request.method == "OPTIONS":
            return
        client = request.remote_addr or "-"
        rules = [rule for rule in self.rules if path.startswith(rule.prefix)]
        if not rules:
            return
        periods = [rule.item.get_expiry() for rule in rules]
        keys = [f"revlab:{rule.scope}:{client}" for rule in rules]
        try:
            counted = self.counters.hits(list(zip(keys, periods, strict=True)))
        except OSError:
            raise Busy("the rate-limit store is unreachable", _STORE_RETRY) from None
        for rule, period, (count, ends_in) in zip(rules, periods, counted, strict=True):
            if count > rule.item.amount:
                raise RateLimited(rule.text, min(period, max(1, math.ceil(ends_in))))


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
