"""Image API 3.0 image requests: parse the URL segments, then resolve them against an image.

Everything here is arithmetic on integers and exact fractions: no pixel is touched, so a
request that is malformed, outside the image, upscaling without ``^`` or over the server
limits is refused before any decoding starts.

Status codes (IMG §4, §7.3):

* 400 — bad syntax; unknown or unsupported quality or format (IMG §4.4, §4.5 say 400 even
  for a format the spec defines, such as ``jp2``); rotation out of range; region of zero
  size or entirely outside the image; a size that scales to less than one pixel; a size
  without ``^`` that would upscale (this includes ``!w,h`` whose box is larger than the
  region, as the IIIF validator's ``size_noup`` test and the reference server expect);
  an output over ``maxWidth``/``maxHeight``/``maxArea`` (IMG §4.2 says 400; §7.3's 404
  wording is the older rule and is not used).
* 501 — a valid ``^`` request that needs upscaling while upscaling is disabled (IMG §4.2).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal
from urllib.parse import quote

from .formats import IIIF_FORMATS, media_type, supported_formats

QUALITIES = ("default", "color", "gray", "bitonal")

# Longer segments are refused outright: nothing valid is this long, and it bounds the work.
MAX_SEGMENT_LENGTH = 256

# ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic digits that int() parses.
_INT = r"[0-9]{1,10}"
# IMG §4.7: decimal digits and "." only. Leading-zero and trailing-zero rules are SHOULDs
# for clients, so "0.50" and ".5" are accepted and canonicalised.
_NUM = r"[0-9]{1,10}(?:\.[0-9]{0,12})?|\.[0-9]{1,12}"

_REGION_PX = re.compile(rf"({_INT}),({_INT}),({_INT}),({_INT})")
_REGION_PCT = re.compile(rf"pct:({_NUM}),({_NUM}),({_NUM}),({_NUM})")
_SIZE_PCT = re.compile(rf"pct:({_NUM})")
_SIZE_WH = re.compile(rf"(!)?({_INT})?,({_INT})?")
_ROTATION = re.compile(rf"(!)?({_NUM})")

# RFC 3986 sub-delims and ":" stay literal; IMG §9's to-encode set and non-ASCII do not.
_IDENTIFIER_SAFE = "!$&'()*+,;=:"

_SIZE_FORMS = "max, w,, ,h, pct:n, w,h or !w,h, each optionally prefixed by ^"


class ImageRequestError(Exception):
    """A request the server refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"ImageRequestError({self.status}, {self.message!r})"


def _bad(message: str) -> ImageRequestError:
    return ImageRequestError(400, message)


@dataclass(frozen=True)
class Limits:
    """Server-imposed output limits (info.json ``maxWidth``/``maxHeight``/``maxArea``).

    ``None`` means no limit. As IMG §5.2 tells clients to assume ``maxHeight = maxWidth``
    when only ``maxWidth`` is given, the server enforces the same. Upscaling (``^``) is
    only offered when ``allow_upscaling`` is set AND ``max_width`` or ``max_area`` bounds
    it (IMG §5.7: a server with ``sizeUpscaling`` MUST declare one of them); otherwise a
    ``^`` request that needs upscaling gets 501.
    """

    max_width: int | None = None
    max_height: int | None = None
    max_area: int | None = None
    allow_upscaling: bool = True

    def __post_init__(self) -> None:
        for name in ("max_width", "max_height", "max_area"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if self.max_height is not None and self.max_width is None:
            raise ValueError("max_height needs max_width (IMG §5.2: maxWidth MUST be given)")

    @property
    def effective_max_height(self) -> int | None:
        """The height limit clients infer: ``max_height``, else ``max_width``."""
        return self.max_height if self.max_height is not None else self.max_width

    @property
    def upscaling_enabled(self) -> bool:
        """Whether ``^`` sizes may really enlarge the region."""
        return self.allow_upscaling and (self.max_width is not None or self.max_area is not None)

    def allows(self, width: int, height: int) -> bool:
        """True when an output of ``width`` x ``height`` is within every limit."""
        max_height = self.effective_max_height
        return not (
            (self.max_width is not None and width > self.max_width)
            or (max_height is not None and height > max_height)
            or (self.max_area is not None and width * height > self.max_area)
        )

    def describe(self) -> str:
        """The limits as they appear in info.json, for error messages."""
        parts = [
            f"{key}={value}"
            for key, value in (
                ("maxWidth", self.max_width),
                ("maxHeight", self.effective_max_height),
                ("maxArea", self.max_area),
            )
            if value is not None
        ]
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class Region:
    """The parsed region parameter; ``values`` are x, y, w, h (pixels or percent)."""

    kind: Literal["full", "square", "px", "pct"]
    values: tuple[Fraction, ...] = ()


@dataclass(frozen=True)
class Size:
    """The parsed size parameter."""

    kind: Literal["max", "w", "h", "wh", "confined", "pct"]
    upscale: bool = False
    width: int | None = None
    height: int | None = None
    percent: Fraction | None = None


@dataclass(frozen=True)
class Plan:
    """A resolved request: exactly what to cut, how big to make it, and how to encode it.

    ``region`` is (x, y, w, h) in full-image pixels, already clipped to the image;
    ``size`` is the scaled region (before rotation, which may enlarge the bounding box).
    """

    identifier: str
    image_size: tuple[int, int]
    region: tuple[int, int, int, int]
    size: tuple[int, int]
    mirror: bool
    rotation: Decimal
    quality: str
    format: str
    canonical_size: str = field(repr=False)

    @property
    def media_type(self) -> str:
        """The Content-Type of the encoded image."""
        return media_type(self.format)

    @property
    def full_region(self) -> bool:
        """True when the region is the whole image."""
        return self.region == (0, 0, *self.image_size)

    @property
    def upscaled(self) -> bool:
        """True when the output is larger than the region in either dimension."""
        return self.size[0] > self.region[2] or self.size[1] > self.region[3]

    def canonical_params(self) -> str:
        """``{region}/{size}/{rotation}/{quality}.{format}`` in canonical form (IMG §4.8)."""
        region = "full" if self.full_region else ",".join(str(v) for v in self.region)
        rotation = ("!" if self.mirror else "") + _decimal_text(self.rotation)
        return f"{region}/{self.canonical_size}/{rotation}/{self.quality}.{self.format}"

    def canonical_path(self) -> str:
        """``{identifier}/{params}``: append to the service prefix for ``Link: rel=canonical``.

        The identifier is percent-encoded as IMG §9 asks (``/ ? # [ ] @ %`` and non-ASCII),
        leaving ``:`` and ``,`` alone as the spec's examples do.
        """
        return f"{quote(self.identifier, safe=_IDENTIFIER_SAFE)}/{self.canonical_params()}"


@dataclass(frozen=True)
class ImageRequest:
    """A syntactically valid image request, not yet checked against any image."""

    identifier: str
    region: Region
    size: Size
    mirror: bool
    rotation: Decimal
    quality: str
    format: str

    def resolve(self, width: int, height: int, limits: Limits) -> Plan:
        """Compute the crop box and output size for a ``width`` x ``height`` image.

        Raises ImageRequestError for a region outside the image, a scaled size under one
        pixel, upscaling without ``^`` (400) or with upscaling disabled (501), and any
        output over ``limits`` (400).
        """
        if width < 1 or height < 1:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        box = _region_box(self.region, width, height)
        out = _scaled_size(self.size, box[2], box[3], limits)
        return Plan(
            identifier=self.identifier,
            image_size=(width, height),
            region=box,
            size=out,
            mirror=self.mirror,
            rotation=self.rotation,
            quality=self.quality,
            format=self.format,
            canonical_size=_canonical_size(out, box[2], box[3], limits),
        )


def parse(
    identifier: str, region: str, size: str, rotation: str, quality_format: str
) -> ImageRequest:
    """Parse the five path segments of an image request (already percent-decoded).

    Raises ImageRequestError(400) for anything that is not Image API 3.0 syntax or names
    a quality or format this server does not offer.
    """
    if not identifier:
        raise _bad("the identifier is empty")
    for name, value in (
        ("identifier", identifier),
        ("region", region),
        ("size", size),
        ("rotation", rotation),
        ("quality.format", quality_format),
    ):
        if len(value) > MAX_SEGMENT_LENGTH:
            raise _bad(f"the {name} segment is longer than {MAX_SEGMENT_LENGTH} characters")
    mirror, degrees = _parse_rotation(rotation)
    quality, fmt = _parse_quality_format(quality_format)
    return ImageRequest(
        identifier=identifier,
        region=_parse_region(region),
        size=_parse_size(size),
        mirror=mirror,
        rotation=degrees,
        quality=quality,
        format=fmt,
    )


def _number(text: str) -> Fraction:
    return Fraction(Decimal(text))


def _parse_region(text: str) -> Region:
    if text in ("full", "square"):
        return Region(text)  # type: ignore[arg-type]
    match = _REGION_PX.fullmatch(text)
    kind: Literal["px", "pct"] = "px"
    if match is None:
        match = _REGION_PCT.fullmatch(text)
        kind = "pct"
    if match is None:
        raise _bad(
            f"region {text!r} is not valid Image API 3.0 syntax "
            "(expected full, square, x,y,w,h or pct:x,y,w,h)"
        )
    values = tuple(_number(v) for v in match.groups())
    if values[2] == 0 or values[3] == 0:
        raise _bad(f"region {text!r} has zero width or height")
    return Region(kind, values)


def _parse_size(text: str) -> Size:
    upscale = text.startswith("^")
    body = text[1:] if upscale else text
    if body == "max":
        return Size("max", upscale)
    if body == "full" and not upscale:
        raise _bad("size 'full' was removed in Image API 3.0; use 'max'")
    match = _SIZE_PCT.fullmatch(body)
    if match:
        percent = _number(match.group(1))
        if percent == 0:
            raise _bad(f"size {text!r} scales to zero pixels")
        if percent > 100 and not upscale:
            raise _bad(f"size {text!r} is over 100%; use ^pct:n to request upscaling")
        return Size("pct", upscale, percent=percent)
    match = _SIZE_WH.fullmatch(body)
    if match is None:
        raise _bad(f"size {text!r} is not valid Image API 3.0 syntax (expected {_SIZE_FORMS})")
    bang, w_text, h_text = match.groups()
    width = int(w_text) if w_text else None
    height = int(h_text) if h_text else None
    if width == 0 or height == 0:
        raise _bad(f"size {text!r} has a zero dimension")
    if bang:
        if width is None or height is None:
            raise _bad(f"size {text!r}: the !w,h form needs both a width and a height")
        return Size("confined", upscale, width, height)
    if width is not None and height is not None:
        return Size("wh", upscale, width, height)
    if width is not None:
        return Size("w", upscale, width=width)
    if height is not None:
        return Size("h", upscale, height=height)
    raise _bad(f"size {text!r} gives neither a width nor a height (expected {_SIZE_FORMS})")


def _parse_rotation(text: str) -> tuple[bool, Decimal]:
    match = _ROTATION.fullmatch(text)
    if match is None:
        raise _bad(
            f"rotation {text!r} is not valid: expected degrees from 0 to 360 "
            "(digits and '.'), optionally prefixed by ! for mirroring"
        )
    degrees = Decimal(match.group(2))
    if degrees > 360:
        raise _bad(f"rotation {text!r} is out of range: degrees must be from 0 to 360")
    if degrees == 360:
        degrees = Decimal(0)  # the same image as 0; one canonical URI for both
    return bool(match.group(1)), Decimal(_decimal_text(degrees))


def _parse_quality_format(text: str) -> tuple[str, str]:
    quality, dot, fmt = text.rpartition(".")
    if not dot:
        raise _bad(f"{text!r} has no format extension (expected e.g. default.jpg)")
    if quality not in QUALITIES:
        raise _bad(f"quality {quality!r} is not offered (offered: {', '.join(QUALITIES)})")
    offered = supported_formats()
    if fmt not in offered:
        known = "is not offered by this server" if fmt in IIIF_FORMATS else "is unknown"
        raise _bad(f"format {fmt!r} {known} (offered: {', '.join(offered)})")
    return quality, fmt


def _round(value: Fraction) -> int:
    """Round half up: the same answer on every platform, no banker's rounding."""
    return math.floor(value + Fraction(1, 2))


def _region_box(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    if region.kind == "full":
        return 0, 0, width, height
    if region.kind == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    x, y, w, h = region.values
    if region.kind == "pct":
        if x >= 100 or y >= 100:
            raise _bad(f"region starts outside the {width}x{height} image")
        # Both edges are rounded the same way so adjacent pct: tiles share their edges.
        left = min(_round(x * width / 100), width - 1)
        top = min(_round(y * height / 100), height - 1)
        right = min(width, max(left + 1, _round((x + w) * width / 100)))
        bottom = min(height, max(top + 1, _round((y + h) * height / 100)))
        return left, top, right - left, bottom - top
    left, top = int(x), int(y)
    if left >= width or top >= height:
        raise _bad(f"region {left},{top},{int(w)},{int(h)} lies outside the {width}x{height} image")
    return left, top, min(int(w), width - left), min(int(h), height - top)


def _fit(
    width: int,
    height: int,
    box_width: int | None,
    box_height: int | None,
    area: int | None,
    *,
    allow_up: bool,
) -> tuple[int, int]:
    """The largest size with the region's aspect ratio inside a box and an area."""
    scales = []
    if box_width is not None:
        scales.append(Fraction(box_width, width))
    if box_height is not None:
        scales.append(Fraction(box_height, height))
    if not allow_up:
        scales.append(Fraction(1))
    if area is not None:
        # sqrt is irrational in general: approximate, then correct exactly below.
        scales.append(Fraction(math.sqrt(area / (width * height))))
    if not scales:
        return width, height
    scale = min(scales)
    out_w = max(1, _round(width * scale))
    out_h = max(1, _round(height * scale))
    if box_width is not None:
        out_w = min(out_w, box_width)
    if box_height is not None:
        out_h = min(out_h, box_height)
    if area is not None:
        while out_w * out_h > area:
            # shrink whichever side is relatively larger, keeping the ratio closest
            if out_w * height >= out_h * width and out_w > 1:
                out_w -= 1
            elif out_h > 1:
                out_h -= 1
            else:
                out_w -= 1
    return out_w, out_h


def _limit_fit(width: int, height: int, limits: Limits, *, allow_up: bool) -> tuple[int, int]:
    return _fit(
        width,
        height,
        limits.max_width,
        limits.effective_max_height,
        limits.max_area,
        allow_up=allow_up,
    )


def _scaled_size(size: Size, width: int, height: int, limits: Limits) -> tuple[int, int]:
    """Output size for a width x height region; every refusal happens here."""
    if size.kind == "max":
        out = _limit_fit(width, height, limits, allow_up=size.upscale)
    elif size.kind == "w":
        assert size.width is not None
        out = (size.width, _round(Fraction(height * size.width, width)))
    elif size.kind == "h":
        assert size.height is not None
        out = (_round(Fraction(width * size.height, height)), size.height)
    elif size.kind == "pct":
        assert size.percent is not None
        out = (_round(width * size.percent / 100), _round(height * size.percent / 100))
    elif size.kind == "wh":
        assert size.width is not None and size.height is not None
        out = (size.width, size.height)
    else:  # confined: !w,h
        assert size.width is not None and size.height is not None
        out = _fit(width, height, size.width, size.height, None, allow_up=True)
        if not limits.allows(*out):
            # IMG §4.2: "as large as possible but not larger than ... server-imposed limits"
            out = _fit(
                width,
                height,
                min(size.width, limits.max_width or size.width),
                min(size.height, limits.effective_max_height or size.height),
                limits.max_area,
                allow_up=True,
            )
    out_w, out_h = out
    if out_w < 1 or out_h < 1:
        raise _bad(f"the {width}x{height} region scales to less than one pixel ({out_w}x{out_h})")
    if out_w > width or out_h > height:
        if not size.upscale:
            raise _bad(
                f"size {out_w}x{out_h} is larger than the {width}x{height} region; "
                "Image API 3.0 upscales only with the ^ prefix"
            )
        if not limits.upscaling_enabled:
            raise ImageRequestError(501, "upscaling (^) is not supported by this server")
    if not limits.allows(out_w, out_h):
        raise _bad(f"size {out_w}x{out_h} is over the server limits ({limits.describe()})")
    return out_w, out_h


def _canonical_size(out: tuple[int, int], width: int, height: int, limits: Limits) -> str:
    if out[0] > width or out[1] > height:
        if out == _limit_fit(width, height, limits, allow_up=True):
            return "^max"
        return f"^{out[0]},{out[1]}"
    if out == _limit_fit(width, height, limits, allow_up=False):
        return "max"
    return f"{out[0]},{out[1]}"


def _decimal_text(value: Decimal) -> str:
    """An integer if possible, else the shortest decimal without trailing zeros."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")
