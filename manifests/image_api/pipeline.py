"""The pixel pipeline: turn a resolved Plan into encoded image bytes.

Order of operations is the spec's (IMG §4.6): region, size, mirror then rotation,
quality, format. The source is a pyramid; the smallest level that still has enough
pixels for the output is used, so a thumbnail of a 100-megapixel scan decodes a few
tiles of a small level, never the full-resolution image. This module opens no files:
the caller hands in a PyramidSource whose levels it opened itself.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

import pyvips

from .request import Plan

JPEG_QUALITY = 85
WEBP_QUALITY = 85
# Formats that can carry an alpha channel: arbitrary rotation leaves their corners
# transparent (IMG §4.3 recommends it); JPEG corners are white.
ALPHA_FORMATS = frozenset({"png", "webp", "gif", "tif"})
# A level may be this much smaller than the output and still be used: pyramid levels are
# floor-halved, so a level is often a fraction of a pixel short of an exact power of two.
LEVEL_SLACK = Fraction(101, 100)
BITONAL_THRESHOLD = 128

_KEEP_NONE = pyvips.enums.ForeignKeep.NONE


class PyramidSource(Protocol):
    """An image at several resolutions; level 0 is full size, each next one smaller."""

    width: int
    height: int
    levels: Sequence[tuple[int, int]]

    def level(self, index: int) -> pyvips.Image:
        """The image of one level (opened by the caller, ideally with random access)."""
        ...


class BufferSource:
    """A single in-memory image with no pyramid (tests, and masters without one)."""

    def __init__(self, image: pyvips.Image) -> None:
        self.image = image
        self.width = image.width
        self.height = image.height
        self.levels: Sequence[tuple[int, int]] = [(image.width, image.height)]

    @classmethod
    def from_bytes(cls, data: bytes) -> BufferSource:
        """Wrap encoded image bytes (any format libvips sniffs)."""
        return cls(pyvips.Image.new_from_buffer(data, "", access="random"))

    def level(self, index: int) -> pyvips.Image:
        if index != 0:
            raise IndexError(f"a BufferSource has only level 0, not {index}")
        return self.image


class PyramidBuffer:
    """A pyramidal TIFF held in memory: each TIFF page is one level (as tiffsave writes it)."""

    def __init__(self, data: bytes) -> None:
        self._data = data  # libvips reads lazily from this buffer; keep it alive
        first = pyvips.Image.new_from_buffer(data, "", access="random")
        pages = first.get("n-pages") if first.get_typeof("n-pages") else 1
        levels = [(first.width, first.height)]
        for index in range(1, pages):
            page = self._open(index)
            if page.width >= levels[-1][0] or page.height >= levels[-1][1]:
                break  # not a reduced level: the pyramid ends here
            levels.append((page.width, page.height))
        self.width, self.height = levels[0]
        self.levels: Sequence[tuple[int, int]] = levels

    def _open(self, index: int) -> pyvips.Image:
        return pyvips.Image.new_from_buffer(self._data, "", page=index, access="random")

    def level(self, index: int) -> pyvips.Image:
        if not 0 <= index < len(self.levels):
            raise IndexError(f"pyramid level {index} does not exist")
        return self._open(index)


def choose_level(plan: Plan, width: int, height: int, levels: Sequence[tuple[int, int]]) -> int:
    """Index of the smallest level whose copy of the region still covers the output size."""
    _, _, region_w, region_h = plan.region
    out_w, out_h = plan.size
    for index in range(len(levels) - 1, 0, -1):
        level_w, level_h = levels[index]
        if (
            Fraction(region_w * level_w, width) * LEVEL_SLACK >= out_w
            and Fraction(region_h * level_h, height) * LEVEL_SLACK >= out_h
        ):
            return index
    return 0


def render(plan: Plan, source: PyramidSource) -> bytes:
    """Encode the image the plan describes, reading as little of the source as possible."""
    if (source.width, source.height) != plan.image_size:
        raise ValueError(
            f"plan was resolved for {plan.image_size}, source is {source.width}x{source.height}"
        )
    index = choose_level(plan, source.width, source.height, source.levels)
    image = _crop(source.level(index), plan, source.levels[index])
    image = normalise(image)
    image = _resize(image, *plan.size)
    if plan.mirror:
        image = image.flip("horizontal")
    image = _rotate(image, float(plan.rotation), transparent=plan.format in ALPHA_FORMATS)
    image = _quality(image, plan.quality)
    return _encode(image, plan.format, bitonal=plan.quality == "bitonal")


def normalise(image: pyvips.Image, *, keep_alpha: bool = True) -> pyvips.Image:
    """8-bit sRGB (or 8-bit grey) with at most one alpha band: what every encoder takes.

    Embedded ICC profiles and CMYK are converted to sRGB, so browsers (which mostly
    assume sRGB for untagged images) show the colours the scanner recorded.
    """
    if image.bands > 4:
        image = image.extract_band(0, n=3 if image.bands >= 3 else 1)
    colour = image.bands >= 3
    if image.interpretation == "cmyk" or (colour and image.get_typeof("icc-profile-data")):
        try:
            image = image.icc_transform(
                "srgb",
                embedded=True,
                input_profile="cmyk" if image.interpretation == "cmyk" else "srgb",
            )
        except pyvips.Error:
            image = image.colourspace("srgb")
    target = "srgb" if image.bands >= 3 else "b-w"
    if image.interpretation != target or image.format != "uchar":
        # an unusual interpretation may not convert: the cast below still gives 8 bits
        with contextlib.suppress(pyvips.Error):
            image = image.colourspace(target)
    if image.format != "uchar":
        image = image.cast("uchar")
    if not keep_alpha and image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1)).cast("uchar")
    return image


def _crop(image: pyvips.Image, plan: Plan, level_size: tuple[int, int]) -> pyvips.Image:
    """Cut the region out of one level, mapping full-size coordinates onto it."""
    full_w, full_h = plan.image_size
    level_w, level_h = level_size
    x, y, w, h = plan.region
    if level_size == plan.image_size:
        left, top, right, bottom = x, y, x + w, y + h
    else:
        left = math.floor(Fraction(x * level_w, full_w))
        top = math.floor(Fraction(y * level_h, full_h))
        right = min(level_w, math.ceil(Fraction((x + w) * level_w, full_w)))
        bottom = min(level_h, math.ceil(Fraction((y + h) * level_h, full_h)))
        left, top = min(left, level_w - 1), min(top, level_h - 1)
        right, bottom = max(right, left + 1), max(bottom, top + 1)
    if (left, top, right, bottom) == (0, 0, image.width, image.height):
        return image
    return image.crop(left, top, right - left, bottom - top)


def _resize(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    """Scale to exactly width x height with Lanczos, premultiplied if there is alpha."""
    if (image.width, image.height) == (width, height):
        return image
    alpha = image.hasalpha()
    if alpha:
        image = image.premultiply()
    image = image.resize(width / image.width, vscale=height / image.height, kernel="lanczos3")
    if alpha:
        image = image.unpremultiply()
    image = image.cast("uchar")
    if (image.width, image.height) != (width, height):
        # float rounding left libvips a pixel off: trim, or repeat the edge pixel
        image = image.crop(0, 0, min(width, image.width), min(height, image.height))
        image = image.embed(0, 0, width, height, extend="copy")
    return image


def _rotate(image: pyvips.Image, degrees: float, *, transparent: bool) -> pyvips.Image:
    """Clockwise rotation; the result is the bounding box of the rotated image."""
    if degrees == 0:
        return image
    if degrees in (90.0, 180.0, 270.0):
        return image.rot(f"d{int(degrees)}")
    interpolate = pyvips.Interpolate.new("bicubic")
    if not transparent:
        background = [255] * image.bands
        return image.rotate(degrees, background=background, interpolate=interpolate)
    if not image.hasalpha():
        image = image.bandjoin_const([255])
    rotated = image.premultiply().rotate(
        degrees, background=[0] * image.bands, interpolate=interpolate
    )
    return rotated.unpremultiply().cast("uchar")


def _quality(image: pyvips.Image, quality: str) -> pyvips.Image:
    if quality in ("default", "color"):
        return image
    if image.interpretation != "b-w":
        image = image.colourspace("b-w")  # keeps an alpha band
    if quality == "gray":
        return image
    # bitonal: every pixel black or white
    grey, alpha = (image[0], image[1]) if image.hasalpha() else (image, None)
    bitonal = (grey >= BITONAL_THRESHOLD).cast("uchar")
    return bitonal if alpha is None else bitonal.bandjoin(alpha)


def _encode(image: pyvips.Image, fmt: str, *, bitonal: bool) -> bytes:
    encoded: bytes
    if fmt == "jpg":
        if image.hasalpha():
            image = image.flatten(background=[255] * (image.bands - 1)).cast("uchar")
        encoded = image.jpegsave_buffer(Q=JPEG_QUALITY, optimize_coding=True, keep=_KEEP_NONE)
    elif fmt == "png":
        bitdepth = 1 if bitonal and image.bands == 1 else 8
        encoded = image.pngsave_buffer(compression=6, bitdepth=bitdepth, keep=_KEEP_NONE)
    elif fmt == "webp":
        encoded = image.webpsave_buffer(Q=WEBP_QUALITY, keep=_KEEP_NONE)
    elif fmt == "gif":
        encoded = image.gifsave_buffer(keep=_KEEP_NONE)
    elif fmt == "tif":
        encoded = image.tiffsave_buffer(compression="deflate", keep=_KEEP_NONE)
    else:
        raise ValueError(f"no encoder for format {fmt!r}")
    return encoded
