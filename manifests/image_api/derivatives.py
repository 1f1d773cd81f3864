"""Ingest-time image work: vet an upload, build its pyramid, pre-render its sizes.

``probe`` reads headers only, so a decompression bomb (a small file whose header claims
billions of pixels) is refused before any pixel is decoded. ``build_pyramid`` decodes
strictly (``fail_on="error"``), so a truncated JPEG is rejected instead of becoming a page
with a grey lower half. The format is sniffed from the bytes: the file name's extension
is not trusted either way, and only the loaders named here are ever used (no SVG, HEIF,
or whatever else libvips might auto-detect).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyvips

from .formats import has_operation
from .pipeline import PyramidBuffer, normalise, render
from .polyglot import ALLOWED_TRAILER, trailing_bytes
from .request import ImageRequestError, Limits, parse

PYRAMID_QUALITY = 88
DEFAULT_MAX_PAGES = 1000

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


def probe(data: bytes, *, max_pixels: int, max_pages: int = DEFAULT_MAX_PAGES) -> list[PageProbe]:
    """Width, height and real format of every page, from the headers alone.

    Raises ImageRejected for unknown or refused formats, an unreadable header, more than
    ``max_pages`` pages, or any page over ``max_pixels`` (checked before decoding).
    """
    fmt = _format_of(data)
    extra = trailing_bytes(data, fmt)
    if extra > ALLOWED_TRAILER:
        raise ImageRejected(
            f"the file holds {extra} bytes after the end of its {fmt.upper()} image "
            "(another file appended to it, a polyglot?): upload the image alone"
        )
    try:
        first = _load(data, fmt, 0)
        pages = first.get("n-pages") if fmt == "tiff" and first.get_typeof("n-pages") else 1
        if pages > max_pages:
            raise ImageRejected(f"the TIFF has {pages} pages; at most {max_pages} are accepted")
        result = []
        for index in range(pages):
            image = first if index == 0 else _load(data, fmt, index)
            width, height = image.width, image.height
            if _orientation(image) in _TRANSPOSING_ORIENTATIONS:
                width, height = height, width
            if width * height > max_pixels:
                raise ImageRejected(
                    f"page {index + 1} claims {width}x{height} = {width * height} pixels, "
                    f"over the limit of {max_pixels} (possible decompression bomb); "
                    "refused before decoding"
                )
            result.append(PageProbe(index, width, height, fmt))
    except pyvips.Error as error:
        raise ImageRejected(f"corrupt {fmt} header: {_first_line(error)}") from None
    return result


def build_pyramid(
    data: bytes,
    page: int = 0,
    *,
    tile_size: int = 512,
    max_pixels: int,
    quality: int = PYRAMID_QUALITY,
) -> bytes:
    """A tiled, JPEG-compressed pyramidal TIFF of one page, in sRGB, orientation applied.

    Raises ImageRejected if the upload fails ``probe`` or does not decode cleanly.
    """
    pages = probe(data, max_pixels=max_pixels)
    if not 0 <= page < len(pages):
        raise ImageRejected(f"page {page + 1} does not exist: the image has {len(pages)} page(s)")
    fmt = pages[page].format
    try:
        image = _load(data, fmt, page, access="sequential", fail_on="error")
        if _orientation(image) != 1:
            # rotating needs random access; the page is within max_pixels, so it fits
            image = _load(data, fmt, page, access="random", fail_on="error").autorot()
        image = normalise(image, keep_alpha=False)
        pyramid: bytes = image.tiffsave_buffer(
            tile=True,
            tile_width=tile_size,
            tile_height=tile_size,
            pyramid=True,
            compression="jpeg",
            Q=quality,
            bigtiff=image.width * image.height * image.bands > 2**31,
            keep=pyvips.enums.ForeignKeep.NONE,
        )
    except pyvips.Error as error:
        raise ImageRejected(f"truncated or corrupt image: {_first_line(error)}") from None
    return pyramid


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
