"""IIIF settings as the pure builders take them, derived from ``Settings`` in one place.

The renderer (manifests, at write time), the collection handler and the image service
(at request time) all use these, so a manifest's embedded service block, the collection
thumbnails and info.json can never disagree about sizes, tiles or limits.
"""

from __future__ import annotations

import json
from typing import Any

from manifests.image_api import Limits
from manifests.presentation import VERSION, PresentationContext
from repository.settings import Settings


def image_limits(settings: Settings) -> Limits:
    images = settings.images
    return Limits(
        max_width=images.max_width, max_height=images.max_height, max_area=images.max_area
    )


def presentation_context(settings: Settings) -> PresentationContext:
    return PresentationContext(
        base=settings.base_url,
        repository_name=settings.repository.name,
        oai_namespace=settings.repository.identifier,
        default_rights=settings.iiif.default_rights,
        rights_map=tuple(settings.iiif.rights_map.items()),
        tile_size=settings.images.tile_size,
        limits=image_limits(settings),
    )


def fingerprint(ctx: PresentationContext) -> str:
    """Everything a stored manifest depends on besides the record and the base URL, as one
    string. The base is left out: the store keeps manifests in its rendition base and
    serving puts the configured one in (``repository/store/bases.py``), so a new public
    URL re-renders nothing."""
    return json.dumps(
        [
            VERSION,
            ctx.repository_name,
            ctx.oai_namespace,
            ctx.default_rights,
            list(ctx.rights_map),
            ctx.tile_size,
            [ctx.limits.max_width, ctx.limits.max_height, ctx.limits.max_area],
            list(ctx.oai_formats),
        ]
    )


def to_bytes(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: what is stored and served (gzip takes care of the rest)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
