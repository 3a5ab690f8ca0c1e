"""A least-recently-used cache bounded in bytes: every in-process cache of the API is one.

A count bound is no bound when items differ in size: 4,096 posted items of 64 KB are 256 MB
per worker. Each cache here is given a byte budget and the size of what it holds, and drops
the least recently used items when a new one would exceed it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["ByteLRU"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    """A thread-safe LRU mapping whose items' sizes never add up to more than ``max_bytes``.

    Args:
        max_bytes: the budget.
        size_of: the bytes an item (key and value) takes, as estimated by the caller.
    """

    def __init__(self, max_bytes: int, size_of: Callable[[K, V], int]) -> None:
        """Create an empty cache."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """The bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        """How many items are held."""
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value``; an item larger than the whole budget is not kept."""
        size = self._size_of(key, value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return
            while self._items and self._bytes + size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
            self._items[key] = (value, size)
            self._bytes += size

    def pop(self, key: K) -> None:
        """Forget ``key`` if held."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
