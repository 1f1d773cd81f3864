"""Image service blocks and thumbnails for a stored page image.

The block embedded in a manifest carries the same ``sizes`` and ``tiles`` as the image's
info.json (both come from ``info_json``), so viewers can choose a thumbnail without
fetching info.json, and every size they pick is one that was pre-rendered at ingest.
"""

from __future__ import annotations

from typing import Any

from manifests.image_api import info_json, pyramid_layout

from . import urls
from .context import PresentationContext

# A thumbnail's longer side should be at least this (Mirador asks for ~120 px boxes).
THUMBNAIL_MIN = 200


def service_block(
    ctx: PresentationContext, image_id: str, width: int, height: int
) -> dict[str, Any]:
    """``{id, type: ImageService3, profile, width, height, sizes, tiles}`` as info.json has it."""
    info = info_document(ctx, image_id, width, height)
    block: dict[str, Any] = {
        "id": info["id"],
        "type": info["type"],
        "profile": info["profile"],
        "width": width,
        "height": height,
    }
    if "sizes" in info:
        block["sizes"] = info["sizes"]
    block["tiles"] = info["tiles"]
    return block


def thumbnail_size(ctx: PresentationContext, width: int, height: int) -> tuple[int, int] | None:
    """The smallest pre-rendered size whose longer side reaches THUMBNAIL_MIN, else the largest."""
    _, sizes = pyramid_layout(width, height, ctx.tile_size)
    usable = [(w, h) for w, h in sizes if ctx.limits.allows(w, h)]
    if not usable:
        return None
    for w, h in usable:
        if max(w, h) >= THUMBNAIL_MIN:
            return w, h
    return usable[-1]


def thumbnail(
    ctx: PresentationContext, image_id: str, width: int, height: int
) -> dict[str, Any] | None:
    """A thumbnail resource at a pre-rendered size, with its image service attached."""
    size = thumbnail_size(ctx, width, height)
    if size is None:
        return None
    w, h = size
    return {
        "id": urls.image_size(ctx.base, image_id, w, h),
        "type": "Image",
        "format": "image/jpeg",
        "width": w,
        "height": h,
        "service": [service_block(ctx, image_id, width, height)],
    }


def info_document(
    ctx: PresentationContext, image_id: str, width: int, height: int
) -> dict[str, Any]:
    """The image's info.json: the image service serves exactly this, manifests embed part of it."""
    factors, sizes = pyramid_layout(width, height, ctx.tile_size)
    return info_json(
        urls.image_service(ctx.base, image_id),
        width,
        height,
        tile_size=ctx.tile_size,
        scale_factors=factors,
        sizes=sizes,
        limits=ctx.limits,
    )
