"""Image API 3.0 image information (info.json) and the pyramid layout it advertises.

What info.json promises must really work, so the lists of formats, qualities and
features come from the same tables the parser and pipeline use, and the ``sizes`` and
``tiles`` are checked against the limits (IMG §5.2: they MUST be within them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from .formats import LEVEL2_FORMATS, supported_formats
from .request import Limits

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROTOCOL = "http://iiif.io/api/image"
PROFILE = "level2"
# For the HTTP layer's ``Link: <...>;rel="profile"`` header.
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"

# Qualities beyond ``default`` (IMG §4.4: they MUST be listed, whatever the level).
EXTRA_QUALITIES = ("color", "gray", "bitonal")
# Pixel features this package implements that level 2 does not already include.
PIXEL_FEATURES = ("mirroring", "rotationArbitrary")
# HTTP features beyond level 2 (which already has baseUriRedirect, cors, jsonldMediaType).
# The repository's HTTP layer sends both Link headers; pass http_features=() if it stops.
DEFAULT_HTTP_FEATURES = ("canonicalLinkHeader", "profileLinkHeader")
_HTTP_FEATURES = frozenset(
    {"baseUriRedirect", "canonicalLinkHeader", "cors", "jsonldMediaType", "profileLinkHeader"}
)
_LEVEL2_FEATURES = frozenset({"baseUriRedirect", "cors", "jsonldMediaType"})
# Rights URIs must be the http:// forms (P3 §3.1; the official validator rejects https).
_RIGHTS_PREFIXES = ("http://creativecommons.org/", "http://rightsstatements.org/")

MIN_SIZE = 64


def pyramid_layout(
    width: int, height: int, tile_size: int = 512, *, min_size: int = MIN_SIZE
) -> tuple[list[int], list[tuple[int, int]]]:
    """Scale factors for ``tiles`` and the full-image ``sizes`` worth pre-rendering.

    Scale factors double from 1 until one tile covers the whole image (the set
    OpenSeadragon walks). ``sizes`` are the whole image at scale factors 2, 4, 8, ...
    (``ceil(W/s) x ceil(H/s)``, as viewers compute them) down to the last one whose longer
    side is at least ``min_size``, smallest first; an image smaller than that is listed at
    full size so there is always one size a viewer can fetch without info.json.
    """
    if width < 1 or height < 1 or tile_size < 1:
        raise ValueError("width, height and tile_size must be positive")
    factors = [1]
    while math.ceil(width / factors[-1]) > tile_size or math.ceil(height / factors[-1]) > tile_size:
        factors.append(factors[-1] * 2)
    sizes: list[tuple[int, int]] = []
    factor = 2
    while True:
        size = (math.ceil(width / factor), math.ceil(height / factor))
        if max(size) < min_size:
            break
        sizes.append(size)
        factor *= 2
    if not sizes:
        sizes.append((width, height))
    return factors, sorted(sizes)


def halfway_sizes(sizes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """A size halfway, by area, below each of ``sizes`` but the smallest: ``sizes`` halve
    each step, so with these a thumbnail can always be resized from a size with at most
    twice its pixels rather than four times. Not listed in info.json (viewers need not
    know them); a size has its aspect ratio to within a pixel.
    """
    ordered = sorted(sizes)
    return [(round(w / math.sqrt(2)), round(h / math.sqrt(2))) for w, h in ordered[1:]]


def info_json(
    service_id: str,
    width: int,
    height: int,
    *,
    tile_size: int,
    scale_factors: Sequence[int],
    sizes: Iterable[tuple[int, int]],
    limits: Limits,
    rights: str | None = None,
    http_features: Sequence[str] = DEFAULT_HTTP_FEATURES,
) -> dict[str, Any]:
    """The info.json document for one image service.

    ``service_id`` must be the exact base URI the service answers at (no trailing slash):
    it is not rewritten here, because a silently changed id breaks id == URL. Sizes that
    exceed the image or the limits are dropped; tiles over the limits are an error.
    """
    _check_service_id(service_id)
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if not limits.allows(tile_size, tile_size):
        raise ValueError(f"tile size {tile_size} is over the limits ({limits.describe()})")
    factors = sorted(set(scale_factors))
    if not factors or factors[0] < 1:
        raise ValueError(f"scale factors must be positive integers, got {scale_factors!r}")
    unknown = set(http_features) - _HTTP_FEATURES
    if unknown:
        raise ValueError(f"unknown HTTP features: {sorted(unknown)}")
    if rights is not None and not rights.startswith(_RIGHTS_PREFIXES):
        raise ValueError(
            f"rights {rights!r} must be a Creative Commons or RightsStatements.org URI "
            "in its http:// form"
        )

    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": PROTOCOL,
        "profile": PROFILE,
        "width": width,
        "height": height,
    }
    if limits.max_width is not None:
        doc["maxWidth"] = limits.max_width
    if limits.max_height is not None:
        doc["maxHeight"] = limits.max_height
    if limits.max_area is not None:
        doc["maxArea"] = limits.max_area
    usable = sorted(
        {(w, h) for w, h in sizes if 1 <= w <= width and 1 <= h <= height and limits.allows(w, h)}
    )
    if usable:
        doc["sizes"] = [{"width": w, "height": h} for w, h in usable]
    doc["tiles"] = [{"width": tile_size, "height": tile_size, "scaleFactors": factors}]
    if rights is not None:
        doc["rights"] = rights
    extra_formats = [fmt for fmt in supported_formats() if fmt not in LEVEL2_FORMATS]
    if extra_formats:
        doc["extraFormats"] = extra_formats
    doc["extraQualities"] = list(EXTRA_QUALITIES)
    features = list(PIXEL_FEATURES)
    if limits.upscaling_enabled:
        features.append("sizeUpscaling")
    features += [f for f in http_features if f not in _LEVEL2_FEATURES and f not in features]
    doc["extraFeatures"] = features
    return doc


def _check_service_id(service_id: str) -> None:
    parts = urlsplit(service_id)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"service id {service_id!r} must be an absolute http(s) URI")
    if parts.query or parts.fragment:
        raise ValueError(f"service id {service_id!r} must not have a query or fragment")
    if service_id.endswith("/"):
        raise ValueError(f"service id {service_id!r} must not end with a slash (IMG §5.2)")
