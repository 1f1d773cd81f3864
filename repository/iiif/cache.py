"""A small LRU of response bodies, bounded by bytes, for IIIF documents and images.

Tiles, thumbnails and manifests are asked for again and again by every viewer that
opens a document; serving them from memory skips the database, the disk and the
pixel work. Entries carry a validity token (e.g. the record's datestamp) so a stale
entry is never served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    """A response body with what the HTTP layer needs to answer from it."""

    body: bytes
    etag: str  # strong entity tag of ``body`` (quoted)
    gzipped: bytes | None = None  # the gzip-encoded body, when it was worth compressing
    token: Hashable = None  # what the entry was valid for
    last_modified: float | None = None  # seconds since the epoch

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class ByteLRU:
    """Least-recently-used entries up to ``max_bytes`` in total; larger items are not kept."""

    def __init__(self, max_bytes: int, max_item: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_item = max_item if max_item is not None else max_bytes // 8
        self._items: OrderedDict[Hashable, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, token: Hashable = None) -> Cached | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry.token != token:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def peek(self, key: Hashable) -> Cached | None:
        """The entry whatever its token (the caller decides whether it is still valid)."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Hashable, entry: Cached) -> None:
        if entry.size > self.max_item:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._items)
