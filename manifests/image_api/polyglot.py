"""Files that are an image *and* something else (a ZIP, a PDF, a script) are refused.

Opis never serves the uploaded bytes (pages are re-encoded into pyramids), so a
polyglot could not reach a browser through it; it is refused all the same, because an
archive keeps what it is given and should not keep a disguised payload. The check
finds where the image really ends by walking its structure, and refuses what follows:

* PNG ends with its IEND chunk (chunks are skipped by their lengths);
* JPEG with the EOI marker after the entropy-coded scans (thumbnails inside APP
  segments are skipped by their lengths, not mistaken for it; a scan is skipped with
  one regular-expression search for the next marker, never a Python loop over bytes);
* WebP where its RIFF chunk says;
* TIFF at the last byte anything in it points at: every directory (the page chain,
  and the EXIF, GPS and sub-IFDs hanging off it), the values stored outside them, and
  the strips or tiles of every page. The same walk lists the pages with their sizes, so
  a multi-page TIFF is read once, whatever its page count. A page directory outside the
  file means a truncated file, and is an error.

When the structure cannot be followed to its end, the answer is "cannot tell" (no
trailing bytes): refusing a real image is worse than missing a payload that would never
be served anyway.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

# A little trailing padding (zeros, a newline) is common and harmless.
ALLOWED_TRAILER = 64

# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or an RSTn marker;
# anything else is the next marker (0xFF 0xFF being fill before it).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")

# TIFF field types: their size in bytes (types 1-12 are TIFF 6, 13 is IFD, 16-18 BigTIFF).
_TIFF_TYPE_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
    16: 8,
    17: 8,
    18: 8,
}
# struct codes of the unsigned integer types that can hold offsets and counts.
_TIFF_INTEGERS = {1: "B", 3: "H", 4: "I", 13: "I", 16: "Q", 18: "Q"}
_WIDTH, _HEIGHT, _ORIENTATION = 256, 257, 274
# (offsets, byte counts) of a page's pixel data: strips, tiles, an old-style JPEG stream.
_DATA_TAGS = ((273, 279), (324, 325), (513, 514))
# Tags whose values are offsets of further directories.
_SUB_DIRECTORIES = frozenset({330, 34665, 34853, 40965})
# The tags whose values the walk reads.
_READ = frozenset(
    {_WIDTH, _HEIGHT, _ORIENTATION, *(t for pair in _DATA_TAGS for t in pair), *_SUB_DIRECTORIES}
)
# Bounds that keep a hostile file from making the walk expensive: directory entries read
# in all (a real 1000-page TIFF has some 20000 to 50000), values read from one tag, nesting.
_MAX_ENTRIES = 250_000
_MAX_VALUES = 1 << 20
_MAX_DEPTH = 4


class TiffStructureError(ValueError):
    """A TIFF whose header or page directories cannot be read."""


@dataclass(frozen=True)
class TiffPage:
    """One page (one directory of the main chain) as its tags describe it."""

    width: int | None
    height: int | None
    orientation: int
    directory: int  # where its directory starts
    link: int  # where its directory keeps the offset of the next one


@dataclass(frozen=True)
class TiffLayout:
    """The pages of a TIFF, and where its last byte is (None: cannot tell)."""

    pages: tuple[TiffPage, ...]
    end: int | None
    big: bool  # BigTIFF: offsets are 8 bytes, not 4
    little: bool  # byte order


def trailing_bytes(data: bytes, fmt: str) -> int:
    """How many bytes follow the end of the image (0 when it cannot tell)."""
    return bytes_after(data, image_end(data, fmt))


def bytes_after(data: bytes, end: int | None) -> int:
    """How many bytes follow ``end`` once trailing padding is ignored (0 for None)."""
    if end is None or end >= len(data):
        return 0
    return len(data[end:].rstrip(b"\x00\r\n \t"))


def image_end(data: bytes, fmt: str) -> int | None:
    """The offset just past the image's last byte, or None when it cannot tell."""
    if fmt == "png":
        return _png_end(data)
    if fmt == "jpeg":
        return _jpeg_end(data)
    if fmt == "webp":
        return _webp_end(data)
    if fmt == "tiff":
        try:
            return tiff_layout(data).end
        except TiffStructureError:
            return None
    return None


def _png_end(data: bytes) -> int | None:
    position = 8
    while position + 8 <= len(data):
        length: int
        kind: bytes
        length, kind = struct.unpack_from(">I4s", data, position)
        position += 12 + length
        if kind == b"IEND":
            return min(position, len(data))
    return None


def _jpeg_end(data: bytes) -> int | None:
    position = 2  # after SOI
    size = len(data)
    while position + 2 <= size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        if position + 4 > size:
            return None
        (length,) = struct.unpack_from(">H", data, position + 2)
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            found = _JPEG_MARKER.search(data, position)
            if found is None:
                return None
            position = found.start()
    return None


def _webp_end(data: bytes) -> int | None:
    if len(data) < 12:
        return None
    size: int = struct.unpack_from("<I", data, 4)[0]
    return 8 + size + (size & 1)  # RIFF chunks are padded to an even length


def tiff_layout(data: bytes, *, max_pages: int | None = None) -> TiffLayout:
    """Walk a TIFF's directories once: its pages (main chain) and where it ends.

    Only struct reads at the offsets the file gives, each directory once (a loop in the
    chain ends it), so the cost grows with the number of directories and tags, never
    with the size of the pixel data. The walk stops after ``max_pages + 1`` pages (the
    caller refuses the file then; its end is not known). Raises TiffStructureError when
    the header or a page directory is out of the file (a truncated file, usually).
    """
    return _TiffWalk(data).run(max_pages)


class _TiffWalk:
    def __init__(self, data: bytes) -> None:
        self.data = data
        order = data[:2]
        if order not in (b"II", b"MM") or len(data) < 8:
            raise TiffStructureError("not a TIFF header")
        self.order = "<" if order == b"II" else ">"
        (magic,) = self._unpack("H", 2)
        if magic == 42:
            self.big = False
            (self.first,) = self._unpack("I", 4)
            self.header_end = 8
        elif magic == 43 and len(data) >= 16:
            self.big = True
            self.first = self._unpack("Q", 8)[0]
            self.header_end = 16
        else:
            raise TiffStructureError("not a TIFF header")
        self.seen: set[int] = set()
        self.entries = 0
        self.end: int | None = self.header_end
        self.size = len(data)

    def _unpack(self, codes: str, offset: int) -> tuple[int, ...]:
        try:
            return struct.unpack_from(self.order + codes, self.data, offset)
        except struct.error:
            raise TiffStructureError(f"a field at byte {offset} is past the end") from None

    def _reach(self, end: int) -> None:
        if self.end is not None:
            self.end = max(self.end, end)

    def run(self, max_pages: int | None) -> TiffLayout:
        pages: list[TiffPage] = []
        offset = self.first
        while offset:
            if offset in self.seen:
                break  # a loop in the chain: libtiff stops there too
            if max_pages is not None and len(pages) > max_pages:
                self.end = None
                break
            directory = offset
            tags, link, offset = self._directory(offset, depth=0)
            pages.append(
                TiffPage(
                    width=_first(tags.get(_WIDTH)),
                    height=_first(tags.get(_HEIGHT)),
                    orientation=_first(tags.get(_ORIENTATION)) or 1,
                    directory=directory,
                    link=link,
                )
            )
        if not pages:
            raise TiffStructureError("no page directory")
        return TiffLayout(tuple(pages), self.end, big=self.big, little=self.order == "<")

    def _directory(self, offset: int, *, depth: int) -> tuple[dict[int, tuple[int, ...]], int, int]:
        """Read one directory: its integer tags (the first of duplicates, as libtiff
        keeps), where it links to the next one, and that next one's offset."""
        self.seen.add(offset)
        if offset < self.header_end or offset >= self.size:
            raise TiffStructureError(
                f"a directory at byte {offset} is outside the file's {self.size} bytes "
                "(a truncated file?)"
            )
        if self.big:
            (count,) = self._unpack("Q", offset)
            entry_size, inline, start = 20, 8, offset + 8
            entry_codes, next_code = "HHQQ", "Q"
        else:
            (count,) = self._unpack("H", offset)
            entry_size, inline, start = 12, 4, offset + 2
            entry_codes, next_code = "HHII", "I"
        table_end = start + count * entry_size
        if table_end + inline > self.size:
            raise TiffStructureError(
                f"the directory at byte {offset} runs past the end of the file (a truncated file?)"
            )
        self.entries += count
        if self.entries > _MAX_ENTRIES:
            raise TiffStructureError(f"more than {_MAX_ENTRIES} directory entries")
        self._reach(table_end + inline)
        tags: dict[int, tuple[int, ...]] = {}
        for entry in range(count):
            at = start + entry * entry_size
            tag, kind, n, value = self._unpack(entry_codes, at)
            width = _TIFF_TYPE_SIZES.get(kind)
            if width is None:
                continue  # an unknown type, skipped by libtiff too; its value is not reached
            length = width * n
            where = (at + 4 + inline) if length <= inline else value
            if length > inline:
                self._reach(where + length)
            code = _TIFF_INTEGERS.get(kind)
            if tag not in _READ or code is None or tag in tags:
                continue
            if n > _MAX_VALUES or where + length > self.size:
                self.end = None  # not read, so where its data ends is not known
                continue
            tags[tag] = self._unpack(f"{n}{code}", where)
        (following,) = self._unpack(next_code, table_end)
        self._pixel_data(tags)
        if depth < _MAX_DEPTH:
            for tag in _SUB_DIRECTORIES & tags.keys():
                for sub in tags[tag]:
                    self._chain(sub, depth + 1)
        return tags, table_end, following

    def _chain(self, offset: int, depth: int) -> None:
        """A sub-directory and whatever follows it (only its extent matters)."""
        try:
            while offset and offset not in self.seen:
                _, _, offset = self._directory(offset, depth=depth)
        except TiffStructureError:
            self.end = None  # a broken EXIF block does not spoil the page: just cannot tell

    def _pixel_data(self, tags: dict[int, tuple[int, ...]]) -> None:
        for offsets_tag, counts_tag in _DATA_TAGS:
            offsets = tags.get(offsets_tag)
            if offsets is None:
                continue
            counts = tags.get(counts_tag)
            if counts is None or len(counts) != len(offsets):
                self.end = None  # libtiff guesses the sizes; so cannot we
                continue
            if offsets:
                self._reach(max(o + c for o, c in zip(offsets, counts, strict=True)))


def _first(values: tuple[int, ...] | None) -> int | None:
    return values[0] if values else None


def single_page_patches(layout: TiffLayout, index: int) -> tuple[tuple[int, bytes], ...]:
    """The writes that make a TIFF read as its page ``index`` alone: the header points at
    that page's directory, and that directory links to no other. Every other offset in
    the file stays valid, since no byte moves.
    """
    page = layout.pages[index]
    code = ("<" if layout.little else ">") + ("Q" if layout.big else "I")
    first = 8 if layout.big else 4
    return (
        (first, struct.pack(code, page.directory)),
        (page.link, struct.pack(code, 0)),
    )
