"""A bounded, thread-safe least-recently-used map: what this process keeps of things made
once per key (a chart's bytes, a diary's saved-scores list, the diary form's fields), each
key holding all the thing depends on, so that a key is never stale, only dropped."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedLRU(Generic[V]):
    """At most ``max_items`` values, the least recently used dropped first."""

    def __init__(self, max_items: int = 256):
        self.max_items = max_items
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept under ``key``, else ``make()``'s, kept (made outside the lock:
        two threads may both make a new key's value, and the last one made is kept)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        made = make()
        with self._lock:
            self._items[key] = made
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return made
