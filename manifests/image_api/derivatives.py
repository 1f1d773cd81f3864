"""Ingest-time image work: vet an upload, build its pyramid, pre-render its sizes.

``probe`` reads headers only, so a decompression bomb (a small file whose header claims
billions of pixels) is refused before any pixel is decoded. ``build_pyramid`` decodes
strictly (``fail_on="error"``), so a truncated JPEG is rejected instead of becoming a page
with a grey lower half. The format is sniffed from the bytes: the file name's extension
is not trusted either way, and only the loaders named here are ever used (no SVG, HEIF,
or whatever else libvips might auto-detect).

An ``Upload`` is probed once (format, polyglot check, every page's size) and each of its
pages is then decoded once. A multi-page TIFF's pages are listed by one walk of its
directories and each is opened as if it were the file's only page, so the work grows
linearly with the page count (see ``Upload``). TIFF pages opened that way use libvips's
TIFF loader on an in-memory source, the same loader as for any other TIFF.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pyvips

from .formats import has_operation
from .pipeline import PyramidBuffer, normalise, render
from .polyglot import (
    ALLOWED_TRAILER,
    TiffLayout,
    TiffStructureError,
    bytes_after,
    image_end,
    single_page_patches,
    tiff_layout,
)
from .request import ImageRequestError, Limits, parse

PYRAMID_QUALITY = 88
DEFAULT_MAX_PAGES = 1000
# TIFF tiles are multiples of 16 pixels on each side.
TIFF_TILE_STEP = 16
# An image that fits in one tile is saved at this quality or better: below 90 libvips
# subsamples the colour 2x2 and pads the tile's edge with black, so the last row and
# column lose colour; a 1x1 red seal would come out grey. It costs a few kilobytes.
SMALL_IMAGE_QUALITY = 90

# Accepted master formats and the one libvips loader each may use.
_LOADERS: dict[str, str] = {
    "jpeg": "jpegload_buffer",
    "png": "pngload_buffer",
    "tiff": "tiffload_buffer",
    "webp": "webpload_buffer",
}
# Recognised but refused, with the reason given to the uploader.
_REFUSED: dict[str, str] = {
    "pdf": "PDF is not accepted: this libvips build has no PDF loader; "
    "upload the pages as TIFF or JPEG",
    "gif": "GIF is not accepted as a master image; upload TIFF, PNG or JPEG",
    "jp2": "JPEG 2000 is not accepted: this libvips build has no JPEG 2000 loader; "
    "upload TIFF or JPEG",
    "heif": "HEIF/AVIF is not accepted as a master image; upload TIFF, PNG or JPEG",
    "bmp": "BMP is not accepted; upload TIFF, PNG or JPEG",
}
# EXIF/TIFF orientations that swap width and height once applied.
_TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})


class ImageRejected(Exception):
    """An upload that will not become a page image; ``message`` says why, for the uploader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PageProbe:
    """One page of an upload as its header describes it (orientation already applied)."""

    index: int
    width: int
    height: int
    format: str  # sniffed from the bytes: jpeg, png, tiff or webp


def sniff(data: bytes) -> str | None:
    """The format the bytes really are, from their magic number; None if unrecognised."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return "jp2"
    if data[4:8] == b"ftyp":
        return "heif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def _describe_unknown(data: bytes) -> str:
    if not data:
        return "the file is empty"
    # 512 bytes may end inside a UTF-8 sequence: allow one replacement character
    text = data[:512].decode("utf-8", errors="replace")
    if text.count("\ufffd") <= 1 and all(
        c.isprintable() or c.isspace() for c in text.replace("\ufffd", "")
    ):
        return "the file is text, not an image"
    return f"the bytes match no image format (they start with {data[:8].hex(' ')})"


def _format_of(data: bytes) -> str:
    fmt = sniff(data)
    if fmt is None:
        raise ImageRejected(f"not an image: {_describe_unknown(data)}")
    if fmt in _REFUSED:
        raise ImageRejected(_REFUSED[fmt])
    if not has_operation(_LOADERS[fmt]):
        raise ImageRejected(f"{fmt.upper()} is not accepted: this libvips build cannot read it")
    return fmt


def _load(data: bytes, fmt: str, page: int, **options: object) -> pyvips.Image:
    """Open one page with the sniffed format's own loader (lazy: header only until used)."""
    if fmt == "tiff":
        options["page"] = page
    elif page != 0:
        raise ImageRejected(f"page {page + 1} does not exist: a {fmt} image has one page")
    loader = getattr(pyvips.Image, _LOADERS[fmt])
    return loader(data, **options)


def _first_line(error: pyvips.Error) -> str:
    detail = (error.detail or error.message or "").strip()
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    return lines[0] if lines else "unreadable"


def _orientation(image: pyvips.Image) -> int:
    return image.get("orientation") if image.get_typeof("orientation") else 1


class Upload:
    """An uploaded file, probed once; ``pyramid(n)`` then decodes page ``n`` once.

    libvips takes longer to open a page of a multi-page TIFF the more pages the file
    has (measured: opening each page of a 300-page TIFF in turn took 4 s, of a 75-page
    one 0.2 s), so pages are opened from a view of the file in which that page is the
    only one: a private copy of the bytes, patched in two places
    (``single_page_patches``) while the page is decoded and restored after. The work
    then grows linearly with the pages, and the file is copied once, not once per page.
    """

    def __init__(self, data: bytes, *, max_pixels: int, max_pages: int = DEFAULT_MAX_PAGES):
        self.data = data
        self.format = _format_of(data)
        self._layout: TiffLayout | None = None
        self._view: bytearray | None = None
        self._lock = threading.Lock()
        self.pages = self._probe(max_pixels, max_pages)

    def _probe(self, max_pixels: int, max_pages: int) -> list[PageProbe]:
        fmt, data = self.format, self.data
        if fmt == "tiff":
            try:
                layout = tiff_layout(data, max_pages=max_pages)
            except TiffStructureError as error:
                raise ImageRejected(f"corrupt tiff header: {error}") from None
            if len(layout.pages) > max_pages:
                raise ImageRejected(
                    f"the TIFF has more than {max_pages} pages; at most {max_pages} are accepted"
                )
            if len(layout.pages) > 1:
                self._layout = layout
            end = layout.end
        else:
            end = image_end(data, fmt)
        extra = bytes_after(data, end)
        if extra > ALLOWED_TRAILER:
            raise ImageRejected(
                f"the file holds {extra} bytes after the end of its {fmt.upper()} image "
                "(another file appended to it, a polyglot?): upload the image alone"
            )
        if self._layout is None:
            try:
                sizes = [_size(_load(data, fmt, 0))]
            except pyvips.Error as error:
                raise ImageRejected(f"corrupt {fmt} header: {_first_line(error)}") from None
        else:
            sizes = self._tiff_sizes(self._layout)
        result = []
        for index, (width, height) in enumerate(sizes):
            if width * height > max_pixels:
                raise ImageRejected(
                    f"page {index + 1} claims {width}x{height} = {width * height} pixels, "
                    f"over the limit of {max_pixels} (possible decompression bomb); "
                    "refused before decoding"
                )
            result.append(PageProbe(index, width, height, fmt))
        return result

    def _tiff_sizes(self, layout: TiffLayout) -> list[tuple[int, int]]:
        """Every page's size from the directory walk; libvips reads the first header too."""
        sizes = []
        for index, page in enumerate(layout.pages):
            if page.width is None or page.height is None:
                raise ImageRejected(f"corrupt tiff header: page {index + 1} gives no size")
            width, height = page.width, page.height
            if page.orientation in _TRANSPOSING_ORIENTATIONS:
                width, height = height, width
            sizes.append((width, height))
        try:
            with self._page(0) as open_page:
                first = _size(open_page())
        except pyvips.Error as error:
            raise ImageRejected(f"corrupt tiff header: {_first_line(error)}") from None
        if first != sizes[0]:
            raise ImageRejected("corrupt tiff header: the first page's size is ambiguous")
        return sizes

    @contextlib.contextmanager
    def _page(self, page: int) -> Iterator[Callable[..., pyvips.Image]]:
        """A function that opens one page (lazily), valid inside this block only."""
        layout = self._layout
        if layout is None:
            yield functools.partial(_load, self.data, self.format, page)
            return
        with self._lock:
            if self._view is None:
                self._view = bytearray(self.data)
            view = self._view
            patches = single_page_patches(layout, page)
            saved = [(at, bytes(view[at : at + len(new)])) for at, new in patches]
            for at, new in patches:
                view[at : at + len(new)] = new
            try:
                yield functools.partial(_load_view, view)
            finally:
                for at, old in saved:
                    view[at : at + len(old)] = old

    def pyramid(
        self, page: int = 0, *, tile_size: int = 512, quality: int = PYRAMID_QUALITY
    ) -> bytes:
        """A tiled, JPEG-compressed pyramidal TIFF of one page, in sRGB, orientation applied.

        Raises ImageRejected if the page does not exist or does not decode cleanly. An
        image smaller than a tile gets tiles just big enough for it (libvips refuses to
        read back a TIFF whose tiles are far larger than its pages), and keeps its colours
        whole (``SMALL_IMAGE_QUALITY``).
        """
        if not 0 <= page < len(self.pages):
            raise ImageRejected(
                f"page {page + 1} does not exist: the image has {len(self.pages)} page(s)"
            )
        probed = self.pages[page]
        try:
            with self._page(page) as open_page:
                image = open_page(access="sequential", fail_on="error")
                if _size(image) != (probed.width, probed.height):
                    raise ImageRejected(
                        f"corrupt {self.format} header: page {page + 1} does not read as "
                        "it was checked"
                    )
                if _orientation(image) != 1:
                    # rotating needs random access; the page is within max_pixels, so it fits
                    image = open_page(access="random", fail_on="error").autorot()
                image = normalise(image, keep_alpha=False)
                if image.width <= tile_size and image.height <= tile_size:
                    quality = max(quality, SMALL_IMAGE_QUALITY)
                pyramid: bytes = image.tiffsave_buffer(
                    tile=True,
                    tile_width=_tile_side(tile_size, image.width),
                    tile_height=_tile_side(tile_size, image.height),
                    pyramid=True,
                    compression="jpeg",
                    Q=quality,
                    bigtiff=image.width * image.height * image.bands > 2**31,
                    keep=pyvips.enums.ForeignKeep.NONE,
                )
        except pyvips.Error as error:
            raise ImageRejected(f"truncated or corrupt image: {_first_line(error)}") from None
        return pyramid


def _load_view(view: bytearray, **options: object) -> pyvips.Image:
    """Open the page a patched multi-page TIFF shows, reading the bytes in place."""
    return pyvips.Image.tiffload_source(pyvips.Source.new_from_memory(view), **options)


def probe(data: bytes, *, max_pixels: int, max_pages: int = DEFAULT_MAX_PAGES) -> list[PageProbe]:
    """Width, height and real format of every page, from the headers alone.

    Raises ImageRejected for unknown or refused formats, an unreadable header, more than
    ``max_pages`` pages, any page over ``max_pixels`` (checked before decoding), or bytes
    after the image's end (a polyglot). To build pages as well, use ``Upload``, which
    keeps what the probe found.
    """
    return Upload(data, max_pixels=max_pixels, max_pages=max_pages).pages


def _size(image: pyvips.Image) -> tuple[int, int]:
    """A page's width and height once its orientation is applied."""
    width, height = image.width, image.height
    if _orientation(image) in _TRANSPOSING_ORIENTATIONS:
        width, height = height, width
    return width, height


def build_pyramid(
    data: bytes,
    page: int = 0,
    *,
    tile_size: int = 512,
    max_pixels: int,
    quality: int = PYRAMID_QUALITY,
) -> bytes:
    """One page's pyramid (see ``Upload.pyramid``), probing the upload first.

    Raises ImageRejected if the upload fails ``probe`` or does not decode cleanly. To
    build several pages of one upload, make one ``Upload`` and call its ``pyramid``.
    """
    return Upload(data, max_pixels=max_pixels).pyramid(page, tile_size=tile_size, quality=quality)


def _tile_side(tile_size: int, side: int) -> int:
    """The tile size, or less for a smaller image: its side rounded up to a multiple of 16."""
    step = TIFF_TILE_STEP
    return max(step, min(tile_size, -(-side // step) * step))


def open_pyramid_buffer(data: bytes) -> PyramidBuffer:
    """A PyramidSource over pyramidal TIFF bytes (what ``build_pyramid`` returns)."""
    return PyramidBuffer(data)


def render_sizes(
    pyramid: bytes, sizes: Iterable[tuple[int, int]], *, fmt: str = "jpg"
) -> dict[tuple[int, int], bytes]:
    """Pre-render ``full/{w},{h}/0/default.{fmt}`` for each size, through the same pipeline
    that serves dynamic requests, so the stored files equal what would be rendered live.
    """
    source = open_pyramid_buffer(pyramid)
    rendered = {}
    for width, height in sizes:
        try:
            plan = parse("-", "full", f"{width},{height}", "0", f"default.{fmt}").resolve(
                source.width, source.height, Limits()
            )
        except ImageRequestError as error:
            raise ValueError(f"cannot pre-render {width}x{height}: {error.message}") from None
        rendered[(width, height)] = render(plan, source)
    return rendered
