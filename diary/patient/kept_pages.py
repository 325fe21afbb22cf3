"""The diary page kept whole, per diary and per everything else it is drawn from, with only
what differs per request (the CSRF token, the phone's entry id) put in when it is sent.

Drawing the page (its form, 19 labels, 10 addresses, the dates, 5 includes) cost about
three times the least such a request must do; a diary is viewed again and again between
its changes. What makes a kept page safe to send:

- Its key (``page_key``) holds the diary's link token, every column of its block and its
  clinic (a clinic's new name, safety text or time zone, a block's new levels or link
  expiry is a new key, whatever the change bumped), the page's language, the local day,
  and all the page says is due (services/progress.py's DueNotice: due now, next due, the
  window over, the count done), worked out from the clock on each request, so a clock
  passing a due time is a new key. The block is read from the database on each request,
  so a score another worker saved (which bumps the block's change time) is a new key too.
  The template is given nothing else that varies (tests/test_kept_diary_pages.py checks
  what its templates read).
- Only the plain view is kept: a page with flashed messages or a form's errors is drawn
  as before and never kept.
- The per-request values are found in the drawn page by their exact text, each exactly
  once and in order, else the page is not kept: nothing a patient or clinic typed can be
  taken for one, and no marker is stored.
- At most ``max_items`` pages and ``max_chars`` characters (bytes, for pages kept encoded),
  least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import date, datetime
from typing import AnyStr

from sqlalchemy import inspect
from sqlalchemy.orm import Mapper

# Columns the page never shows and that change only with the diary's entries (whose change
# time is in the key): the clinic's summary of the block. Reading them would cost more
# than the key's other parts together.
NOT_ON_THE_PAGE = frozenset({"summary", "summary_key"})


def _columns(model: type) -> tuple[str, ...]:
    names = _COLUMNS.get(model)
    if names is None:
        mapper: Mapper = inspect(model)
        keys = [attribute.key for attribute in mapper.column_attrs]
        names = _COLUMNS[model] = tuple(key for key in keys if key not in NOT_ON_THE_PAGE)
    return names


_COLUMNS: dict[type, tuple[str, ...]] = {}


# Column values as they are: hashable, and equal only where the values are.
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None), datetime, date})


def frozen(value):
    """``value`` as a hashable equal to another only where the value is (JSON's lists and
    dicts as tuples)."""
    kind = type(value)
    if kind in _AS_THEY_ARE:
        return value
    if isinstance(value, list | tuple):
        return tuple(map(frozen, value))
    if isinstance(value, dict):
        return tuple((key, frozen(item)) for key, item in value.items())
    try:
        hash(value)  # an enum's member
    except TypeError:
        return object()  # equal to nothing: a key holding it is never found again
    return value


def row_values(row) -> tuple:
    """Every column of an ORM ``row`` that the page may show, frozen."""
    loaded = row.__dict__
    return tuple(
        frozen(loaded[name] if name in loaded else getattr(row, name))
        for name in _columns(type(row))
    )


def page_key(block, *inputs: Hashable) -> tuple:
    """The kept page's key: the diary's token first (a page is never another diary's), its
    block's and its clinic's columns, then the request's ``inputs`` (language, local day,
    progress, …)."""
    return (block.diary_token, row_values(block), row_values(block.clinic), *inputs)


def split_page(page: str, values: Sequence[str]) -> tuple[str, ...] | None:
    """``page`` cut at each of ``values`` (its per-request parts, as written in it), or
    None when one is not there exactly once or they are out of order."""
    parts = []
    rest = page
    for value in values:
        if not value or page.count(value) != 1:
            return None
        before, found, rest = rest.partition(value)
        if not found:
            return None
        parts.append(before)
    parts.append(rest)
    return tuple(parts)


def filled(parts: Sequence[AnyStr], values: Sequence[AnyStr]) -> AnyStr:
    """The page again from ``split_page``'s parts (or their encoding), with this request's
    ``values`` (encoded alike)."""
    if len(parts) != len(values) + 1:
        raise ValueError("a kept page takes as many values as it was cut at")
    pieces = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        pieces += (value, part)
    return parts[0][:0].join(pieces)


class KeptPages:
    """Pages cut by ``split_page``, under ``page_key``'s key. Thread-safe."""

    def __init__(self, max_items: int = 256, max_chars: int = 2_000_000):
        self.max_items = max_items
        self.max_chars = max_chars
        self.chars = 0
        self._items: OrderedDict[Hashable, tuple[str | bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> tuple[str | bytes, ...] | None:
        with self._lock:
            parts = self._items.get(key)
            if parts is not None:
                self._items.move_to_end(key)
            return parts

    def keep(self, key: Hashable, parts: tuple[str | bytes, ...]) -> None:
        size = sum(map(len, parts))
        if size > self.max_chars:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.chars -= sum(map(len, old))
            self._items[key] = parts
            self.chars += size
            while len(self._items) > self.max_items or self.chars > self.max_chars:
                _, dropped = self._items.popitem(last=False)
                self.chars -= sum(map(len, dropped))
