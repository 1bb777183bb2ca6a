"""Every cache Handoff keeps, in one store bounded in bytes.

A server process keeps query results, each SLA policy's verdicts per database file, parsed policy
files, judged windows and the names behind the attribution touch keys. They all live here, in one
least-recently-used store of at most `HANDOFF_CACHE_MB` (384 MB): when a new entry would pass the
bound, the entries used longest ago go first, whichever cache they belong to. A `Cache` is a named
part of the store (its keys are its own) that may also cap its number of entries.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

MAX_BYTES = int(float(os.environ.get("HANDOFF_CACHE_MB", "384")) * 1e6)


class _Store:
    """The one LRU every Cache shares: (cache name, key) → (value, bytes)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.lock = threading.RLock()
        self.items: OrderedDict[tuple[str, Hashable], tuple[Any, int]] = OrderedDict()
        self.bytes = 0
        self.counts: dict[str, int] = {}

    def get(self, name: str, key: Hashable) -> Any:
        with self.lock:
            entry = self.items.get((name, key))
            if entry is None:
                return None
            self.items.move_to_end((name, key))
            return entry[0]

    def put(self, name: str, key: Hashable, value: Any, size: int, max_items: int | None) -> None:
        with self.lock:
            self.pop(name, key)
            if size > self.max_bytes // 2:  # one entry may not push out everything else
                return
            self.items[(name, key)] = (value, size)
            self.bytes += size
            self.counts[name] = self.counts.get(name, 0) + 1
            if max_items is not None and self.counts[name] > max_items:
                oldest = next(k for k in self.items if k[0] == name)
                self.pop(*oldest)
            while self.bytes > self.max_bytes and self.items:
                self.pop(*next(iter(self.items)))

    def pop(self, name: str, key: Hashable) -> None:
        with self.lock:
            entry = self.items.pop((name, key), None)
            if entry is not None:
                self.bytes -= entry[1]
                self.counts[name] -= 1

    def clear(self, name: str | None = None) -> None:
        with self.lock:
            for key in [k for k in self.items if name is None or k[0] == name]:
                self.pop(*key)


STORE = _Store(MAX_BYTES)


class Cache:
    """A named part of the shared store: get/put by key, an optional cap on its entries."""

    def __init__(self, name: str, *, max_items: int | None = None, sizer: Callable[[Any], int] | None = None):
        self.name = name
        self.max_items = max_items
        self._sizer = sizer or sizeof

    def get(self, key: Hashable) -> Any:
        """The value kept for `key`, or None."""
        return STORE.get(self.name, key)

    def put(self, key: Hashable, value: Any) -> Any:
        """Keep `value` for `key` (unless it alone is over half the store); return it."""
        STORE.put(self.name, key, value, self._sizer(value), self.max_items)
        return value

    def clear(self) -> None:
        """Forget everything this cache keeps."""
        STORE.clear(self.name)

    def __len__(self) -> int:
        return STORE.counts.get(self.name, 0)


def clear_all() -> None:
    """Forget everything every cache keeps (a cold start, in the benchmark and the tests)."""
    STORE.clear()


def frame_bytes(frame: pd.DataFrame) -> int:
    """About how many bytes `frame` holds, cheaply: its arrays' own sizes, and for Python-object
    columns the deep size of a sample scaled up (a full deep count costs milliseconds a column)."""
    total = 0
    for _, column in frame.items():
        if column.dtype == object and len(column) > 1000:
            total += int(column.iloc[:1000].memory_usage(deep=True, index=False) * len(column) / 1000)
        elif column.dtype == object:
            total += int(column.memory_usage(deep=True, index=False))
        else:
            total += int(column.array.nbytes)
    return total + int(frame.index.nbytes)


def sizeof(value: Any, _depth: int = 0) -> int:
    """About how many bytes `value` holds: frames, series and arrays by their buffers, containers and
    dataclasses by their contents (four levels deep), anything else by sys.getsizeof."""
    if isinstance(value, pd.DataFrame):
        return frame_bytes(value)
    if isinstance(value, pd.Series):
        return frame_bytes(value.to_frame())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if _depth > 4:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(
            sizeof(k, _depth + 1) + sizeof(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(sizeof(v, _depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(
            sizeof(getattr(value, f.name), _depth + 1) for f in dataclasses.fields(value)
        )
    return sys.getsizeof(value)
