"""Stored pyramidal TIFFs as ``PyramidSource``s for the pixel pipeline.

Each level is opened on its own (``page=i``) with random access, so a tile request
decodes only the few TIFF tiles it touches on the smallest level that is big enough.
Opened levels are kept per rendering thread: re-opening a TIFF costs more than a small
tile, and two threads reading through one opened image wait on each other inside
libvips (measured: 2 threads on one shared image render fewer tiles per second than
one thread alone; with an image each they scale).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import pyvips


class LevelCache:
    """A small LRU of opened pyramid levels for each thread that renders."""

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._local = threading.local()

    def get(self, path: Path, index: int) -> pyvips.Image:
        opened: OrderedDict[tuple[Path, int], pyvips.Image] | None
        opened = getattr(self._local, "opened", None)
        if opened is None:
            opened = self._local.opened = OrderedDict()
        key = (path, index)
        image = opened.get(key)
        if image is None:
            image = pyvips.Image.new_from_file(str(path), page=index, access="random")
            opened[key] = image
            while len(opened) > self.capacity:
                opened.popitem(last=False)
        else:
            opened.move_to_end(key)
        return image


class DiskPyramid:
    """One stored image's pyramid; ``levels`` come from the images table (no file read)."""

    def __init__(self, path: Path, levels: Sequence[tuple[int, int]], opened: LevelCache) -> None:
        self.path = path
        self.levels: Sequence[tuple[int, int]] = list(levels)
        self.width, self.height = self.levels[0]
        self._opened = opened

    def level(self, index: int) -> pyvips.Image:
        if not 0 <= index < len(self.levels):
            raise IndexError(f"pyramid level {index} does not exist")
        return self._opened.get(self.path, index)
