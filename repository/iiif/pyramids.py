"""Stored pyramidal TIFFs: their levels for the pixel pipeline, and their tiles as stored.

Each level is opened on its own (``page=i``) with random access, so a request decodes
only the few TIFF tiles it touches on the smallest level that is big enough. Opened
levels are kept per rendering thread (a render process has one): re-opening a TIFF
costs more than a small tile, and two threads reading through one opened image wait on
each other inside libvips (measured: 2 threads on one shared image render fewer tiles
per second than one thread alone; with an image each they scale).

A request that is exactly one tile of one level as stored (the usual request: viewers
ask for the grid that info.json announces, and the pyramid is cut on that grid) is
answered with that tile's JPEG data, read from the file and wrapped into a JPEG file (the
file's shared tables in front): nothing is decoded or encoded. ``TileIndex`` knows where
each tile is; it reads the TIFF's directories once, a bounded read of each. Anything
else is rendered (``repository.records.page_images.render_page``, which the pre-rendered
sizes come from too); thumbnails decode a pre-rendered size rather than a level.
"""

from __future__ import annotations

import functools
import math
import os
import struct
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyvips

from manifests.image_api import Plan
from repository.records.page_images import PYRAMID_FILE, render_page, size_file


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
    """One stored image's pyramid, and what is stored beside it (``StoredParts``): its
    tiles as stored (with a ``TileIndex``) and its pre-rendered sizes (with
    ``size_path``). ``levels`` and ``sizes`` come from the images table (no file read).
    """

    def __init__(
        self,
        path: Path,
        levels: Sequence[tuple[int, int]],
        opened: LevelCache,
        tiles: TileIndex | None = None,
        *,
        sizes: Iterable[tuple[int, int]] = (),
        size_path: Callable[[int, int], Path] | None = None,
    ) -> None:
        self.path = path
        self.levels: Sequence[tuple[int, int]] = list(levels)
        self.width, self.height = self.levels[0]
        self._opened = opened
        self._tiles = tiles
        self._sizes = tuple(sizes) if size_path is not None else ()
        self._size_path = size_path

    def level(self, index: int) -> pyvips.Image:
        if not 0 <= index < len(self.levels):
            raise IndexError(f"pyramid level {index} does not exist")
        return self._opened.get(self.path, index)

    def tile(self, index: int, box: tuple[int, int, int, int]) -> bytes | None:
        if self._tiles is None:
            return None
        return self._tiles.jpeg(self.path, self.levels, index, box)

    def sizes(self) -> Sequence[tuple[int, int]]:
        return self._sizes

    def size(self, width: int, height: int) -> bytes | None:
        if self._size_path is None:
            return None
        try:
            return self._size_path(width, height).read_bytes()
        except FileNotFoundError:
            return None


@dataclass(frozen=True)
class PyramidFiles:
    """Where one stored image's files are, and its sizes: all a render process is sent."""

    folder: Path
    levels: tuple[tuple[int, int], ...]
    sizes: tuple[tuple[int, int], ...]

    @property
    def pyramid(self) -> Path:
        return self.folder / PYRAMID_FILE

    def open(self, opened: LevelCache, tiles: TileIndex | None = None) -> DiskPyramid:
        return DiskPyramid(
            self.pyramid,
            self.levels,
            opened,
            tiles,
            sizes=self.sizes,
            size_path=functools.partial(size_file, self.folder),
        )


def render(plan: Plan, source: DiskPyramid) -> bytes:
    """The encoded image the plan describes, from what is stored when it can be."""
    return render_page(plan, source, stored=source)


# -- stored tiles ----------------------------------------------------------------------

# A JFIF header (version 1.1, aspect ratio 1:1): with it every decoder reads the three
# components as YCbCr, as the TIFF says they are.
_JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
_TIFF_JPEG = 7
_YCBCR, _MIN_IS_BLACK = 6, 1
# Bounds on what is read from a file: directory entries, the JPEG tables, one tile.
_MAX_ENTRIES = 1024
_MAX_TABLES = 1 << 16
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 16: 8}
_INTEGERS = {1: "B", 3: "H", 4: "I", 16: "Q"}


class TiffError(ValueError):
    """A pyramid whose tiles cannot be served as stored (it is rendered instead)."""


@dataclass(frozen=True)
class StoredLevel:
    """Where one level's tiles are, and the JPEG tables they share (SOI/EOI stripped)."""

    width: int
    height: int
    tile_width: int
    tile_height: int
    offsets: array[int]  # 8 bytes a tile, so that a big pyramid's index stays small
    counts: array[int]
    tables: bytes
    max_tile: int  # no tile of this level is read if it claims more bytes than this


class TileIndex:
    """The stored tiles of recently served pyramids, read from their TIFF directories.

    Shared by the rendering threads; a pyramid whose tiles cannot be served as stored
    (not JPEG tiles, colours a bare JPEG cannot say, sizes other than its images row) is
    remembered as such and always rendered.
    """

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._known: OrderedDict[Path, tuple[StoredLevel, ...] | None] = OrderedDict()

    def levels(
        self, path: Path, sizes: Sequence[tuple[int, int]]
    ) -> tuple[StoredLevel, ...] | None:
        with self._lock:
            if path in self._known:
                self._known.move_to_end(path)
                return self._known[path]
        try:
            found: tuple[StoredLevel, ...] | None = read_levels(path, sizes)
        except TiffError:
            found = None
        with self._lock:
            self._known[path] = found
            while len(self._known) > self.capacity:
                self._known.popitem(last=False)
        return found

    def jpeg(
        self,
        path: Path,
        sizes: Sequence[tuple[int, int]],
        index: int,
        box: tuple[int, int, int, int],
    ) -> bytes | None:
        """The JPEG file of the stored tile that is exactly ``box``, or None."""
        levels = self.levels(path, sizes)
        if levels is None or not 0 <= index < len(levels):
            return None
        level = levels[index]
        left, top, width, height = box
        if (
            (width, height) != (level.tile_width, level.tile_height)
            or left % width
            or top % height
            or left + width > level.width  # an edge tile is padded in the file: cut it
            or top + height > level.height
        ):
            return None
        number = (top // height) * math.ceil(level.width / width) + left // width
        offset, count = level.offsets[number], level.counts[number]
        if not 4 <= count <= level.max_tile:
            return None
        with open(path, "rb") as handle:
            data = os.pread(handle.fileno(), count, offset)
        if len(data) != count or not data.startswith(_SOI) or not data.endswith(_EOI):
            return None
        return b"".join((_SOI, _JFIF, level.tables, data[2:]))


def read_levels(path: Path, sizes: Sequence[tuple[int, int]]) -> tuple[StoredLevel, ...]:
    """The first ``len(sizes)`` directories of a tiled TIFF, each checked against its size.

    Raises TiffError unless every level is JPEG-compressed 8-bit YCbCr (or grey) tiles of
    the expected size: those are the tiles a browser can be sent as they are.
    """
    with open(path, "rb") as handle:
        reader = _Reader(handle.fileno())
        return tuple(reader.level(width, height) for width, height in sizes)


class _Reader:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        header = self._read(0, 16)
        if header[:2] not in (b"II", b"MM"):
            raise TiffError("not a TIFF")
        self.order = "<" if header[:2] == b"II" else ">"
        (magic,) = struct.unpack_from(self.order + "H", header, 2)
        if magic == 42:
            self.big = False
            (self.next,) = struct.unpack_from(self.order + "I", header, 4)
        elif magic == 43:
            self.big = True
            (self.next,) = struct.unpack_from(self.order + "Q", header, 8)
        else:
            raise TiffError("not a TIFF")

    def _read(self, offset: int, size: int) -> bytes:
        data = os.pread(self.fd, size, offset)
        if len(data) != size:
            raise TiffError(f"{size} bytes at {offset} are past the end of the file")
        return data

    def level(self, width: int, height: int) -> StoredLevel:
        """The next directory of the chain, as a level of ``width`` x ``height``."""
        if not self.next:
            raise TiffError("fewer directories than levels")
        tags = self._directory(self.next)
        if _one(tags, 256) != width or _one(tags, 257) != height:
            raise TiffError(f"a directory is not {width}x{height}")
        bands = _one(tags, 277, 1)
        photometric = _one(tags, 262)
        if (
            _one(tags, 259) != _TIFF_JPEG
            or set(tags.get(258, (8,))) != {8}
            or _one(tags, 284, 1) != 1
            or (bands, photometric) not in ((3, _YCBCR), (1, _MIN_IS_BLACK))
        ):
            raise TiffError("not 8-bit YCbCr or grey JPEG tiles")
        tile_w, tile_h = _one(tags, 322), _one(tags, 323)
        count = math.ceil(width / tile_w) * math.ceil(height / tile_h) if tile_w and tile_h else 0
        offsets, counts = tags.get(324, ()), tags.get(325, ())
        if not count or len(offsets) != count or len(counts) != count:
            raise TiffError("tiles missing")
        tables = tags.get(347)
        if not isinstance(tables, bytes) or not (tables.startswith(_SOI) and tables.endswith(_EOI)):
            raise TiffError("no JPEG tables")
        return StoredLevel(
            width,
            height,
            tile_w,
            tile_h,
            array("Q", offsets),
            array("Q", counts),
            tables[2:-2],
            max_tile=2 * tile_w * tile_h * bands + 4096,
        )

    def _directory(self, offset: int) -> dict[int, tuple[int, ...] | bytes]:
        """One directory's entries (those that matter here) and where the next one is."""
        order = self.order
        if self.big:
            (entries,) = struct.unpack(order + "Q", self._read(offset, 8))
            size, inline, codes, link = 20, 8, "HHQ", "Q"
        else:
            (entries,) = struct.unpack(order + "H", self._read(offset, 2))
            size, inline, codes, link = 12, 4, "HHI", "I"
        if entries > _MAX_ENTRIES:
            raise TiffError("too many directory entries")
        start = offset + (8 if self.big else 2)
        table = self._read(start, entries * size + inline)
        (self.next,) = struct.unpack_from(order + link, table, entries * size)
        tags: dict[int, tuple[int, ...] | bytes] = {}
        for n in range(entries):
            at = n * size
            tag, kind, number = struct.unpack_from(order + codes, table, at)
            wanted = tag in (256, 257, 258, 259, 262, 277, 284, 322, 323, 324, 325, 347)
            if not wanted or tag in tags or kind not in _TYPE_SIZES:
                continue
            length = _TYPE_SIZES[kind] * number
            if length <= inline:
                value = table[at + size - inline : at + size - inline + length]
            else:
                if tag == 347 and length > _MAX_TABLES:
                    raise TiffError("JPEG tables too long")
                if tag in (324, 325) and number > 1 << 22:
                    raise TiffError("too many tiles")
                (where,) = struct.unpack_from(order + codes[-1], table, at + size - inline)
                value = self._read(where, length)
            if tag == 347:
                tags[tag] = value
            elif kind in _INTEGERS:
                tags[tag] = struct.unpack(f"{order}{number}{_INTEGERS[kind]}", value)
        return tags


def _one(tags: dict[int, tuple[int, ...] | bytes], tag: int, default: int | None = None) -> int:
    value = tags.get(tag)
    if isinstance(value, tuple) and value:
        return int(value[0])
    if default is None:
        raise TiffError(f"tag {tag} missing")
    return default
