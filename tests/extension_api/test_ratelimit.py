"""extension_api.ratelimit: the counters in process memory, and which store a URI names."""

from __future__ import annotations

import pytest

from extension_api.ratelimit import MemoryCounters, RedisCounters, counters_for
from sim.errors import ConfigError


def test_memory_counters_start_a_new_window_when_the_old_one_ends() -> None:
    counters = MemoryCounters()
    assert [counters.hit("k", 60)[0] for _ in range(3)] == [1, 2, 3]
    assert counters.hit("gone", 0.0)[0] == 1
    assert counters.hit("gone", 0.0)[0] == 1  # a window of length 0 has always ended


@pytest.mark.parametrize("uri", ["memcached://x", "redis://h/notanumber", "rediss://h:1"])
def test_an_unknown_store_is_a_config_error(uri: str) -> None:
    with pytest.raises(ConfigError, match="REVLAB_RATELIMIT_STORAGE_URI"):
        counters_for(uri)


def test_a_redis_url_names_redis_counters_without_connecting() -> None:
    counters = counters_for("redis://:p%40ss@10.0.0.9:6380/3")
    assert isinstance(counters, RedisCounters)
    assert (counters._address, counters._db, counters._password) == (("10.0.0.9", 6380), 3, "p@ss")
