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
    """At most ``max_items`` values, the least recently used dropped first; with ``size``
    (a value's size) and ``max_size``, also at most ``max_size`` in all (a value larger
    than that alone is made but not kept)."""

    def __init__(
        self,
        max_items: int = 256,
        size: Callable[[V], int] | None = None,
        max_size: int | None = None,
    ):
        self.max_items = max_items
        self.size = size
        self.max_size = max_size
        self.total_size = 0
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _size_of(self, value: V) -> int:
        return self.size(value) if self.size is not None else 0

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept under ``key``, else ``make()``'s, kept (made outside the lock:
        two threads may both make a new key's value, and the last one made is kept)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        made = make()
        made_size = self._size_of(made)
        if self.max_size is not None and made_size > self.max_size:
            return made
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.total_size -= self._size_of(old)
            self._items[key] = made
            self.total_size += made_size
            while len(self._items) > self.max_items or (
                self.max_size is not None and self.total_size > self.max_size
            ):
                _, dropped = self._items.popitem(last=False)
                self.total_size -= self._size_of(dropped)
        return made
