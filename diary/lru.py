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
    than that alone is made but not kept). A key not yet kept is made by one thread at a
    time: the others asking for it wait and take the kept value (other keys are made
    meanwhile)."""

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
        # key -> [its making lock (re-entrant: a make may ask for its own key), threads
        # holding or awaiting it]
        self._making: dict[Hashable, list] = {}

    def __len__(self) -> int:
        return len(self._items)

    def _size_of(self, value: V) -> int:
        return self.size(value) if self.size is not None else 0

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value kept under ``key``, else ``make()``'s, kept. ``make`` runs outside the
        map's lock, under the key's own: a worker's threads asking for one new chart at
        once each drew it (four figures at a time: +9 MB at a worker's peak, issue 23), for
        the same bytes and the GIL's one core."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, [threading.RLock(), 0])
            making[1] += 1
        try:
            with making[0]:
                with self._lock:  # made by another thread while this one waited
                    if key in self._items:
                        self._items.move_to_end(key)
                        return self._items[key]
                return self._keep(key, make())
        finally:
            with self._lock:
                making[1] -= 1
                if not making[1]:
                    del self._making[key]

    def _keep(self, key: Hashable, made: V) -> V:
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
