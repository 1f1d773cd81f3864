"""Every URL the IIIF documents contain, from one place.

Each ``id`` must equal the URL its resource is served at (P3 §3.2), so the HTTP layer
routes exactly these shapes. Keys are already URL-safe (percent-encoded values, ``/``
between levels), so they are inserted as they are, never re-encoded.
"""

from __future__ import annotations

from urllib.parse import quote

PRESENTATION = "iiif/3"
IMAGE = "iiif/image/3"


def manifest(base: str, key: str) -> str:
    return f"{base}/{PRESENTATION}/{key}/manifest"


def canvas(base: str, key: str, number: int) -> str:
    """Canvases are numbered from 1 in reading order."""
    return f"{base}/{PRESENTATION}/{key}/canvas/{number}"


def collection(base: str, prefix: str | None = None, part: int | None = None) -> str:
    """The top collection (no prefix), a container's, or one part of a large container's."""
    if prefix is None:
        return f"{base}/{PRESENTATION}/collection"
    tail = f"/{part}" if part is not None else ""
    return f"{base}/{PRESENTATION}/{prefix}/collection{tail}"


def image_service(base: str, image_id: str) -> str:
    """The Image API base URI of a stored image (no trailing slash, IMG §5.2)."""
    return f"{base}/{IMAGE}/{image_id}"


def image_info(base: str, image_id: str) -> str:
    """The image information document; the service's base URI redirects here (IMG §2.1)."""
    return f"{image_service(base, image_id)}/info.json"


def image_size(base: str, image_id: str, width: int, height: int) -> str:
    """A pre-rendered size, in the canonical form the image service answers straight from disk."""
    return f"{image_service(base, image_id)}/full/{width},{height}/0/default.jpg"


def image_region(base: str, image_id: str, x: int, y: int, w: int, h: int) -> str:
    """A region of the image at its own size (a line of page text, say)."""
    return f"{image_service(base, image_id)}/{x},{y},{w},{h}/max/0/default.jpg"


def image_full(base: str, image_id: str) -> str:
    return f"{image_service(base, image_id)}/full/max/0/default.jpg"


def record_page(base: str, key: str) -> str:
    return f"{base}/records/{key}"


def oai_set(base: str, spec: str, prefix: str = "oai_dc") -> str:
    """ListRecords of one set, for a container page's "harvest this" link."""
    return f"{base}/oai?verb=ListRecords&metadataPrefix={prefix}&set={quote(spec, safe=':')}"


def oai_record(base: str, namespace: str, key: str, prefix: str) -> str:
    """GetRecord for one format; ``%`` in the key is escaped so the server decodes it back."""
    identifier = quote(f"oai:{namespace}:{key}", safe=":/")
    return f"{base}/oai?verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}"


def search(base: str, key: str, version: int) -> str:
    """A document's IIIF Content Search service, version 2 or 1."""
    return f"{base}/{PRESENTATION}/{key}/search/{version}"


def autocomplete(base: str, key: str, version: int) -> str:
    return f"{base}/{PRESENTATION}/{key}/autocomplete/{version}"
