"""IIIF Change Discovery API 1.0: ``/iiif/discovery/collection.json`` and its pages.

The stream lists Create, Update and Delete activities of manifests, oldest first, each
with ``endTime`` equal to the record's OAI datestamp at that change. Page ``n`` holds
positions ``[n*size, (n+1)*size)``; positions are given in the order changes became
visible, so a full page never changes again and is served as immutable. Only the last
page grows.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from manifests.presentation import urls
from repository.http.conditional import etag_for, not_modified
from repository.iiif.responses import EXPOSE, preflight
from repository.keys import SETTINGS, STORE
from repository.store import activities
from repository.store.clock import format_us

CONTEXT = "http://iiif.io/api/discovery/1/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'


def collection_url(base: str) -> str:
    """The stream's entry point, where an aggregator starts."""
    return f"{base}/iiif/discovery/collection.json"


def page_url(base: str, number: int) -> str:
    """Page ``number`` of the stream, counted from 0."""
    return f"{base}/iiif/discovery/page/{number}.json"


def _page_ref(base: str, number: int) -> dict[str, str]:
    return {"id": page_url(base, number), "type": "OrderedCollectionPage"}


async def collection(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    size = settings.iiif.discovery_page_size
    async with request.app[STORE].snapshot() as conn:
        total = await activities.count(conn)
    base = settings.base_url
    last = max(0, (total - 1) // size)
    doc = {
        "@context": CONTEXT,
        "id": collection_url(base),
        "type": "OrderedCollection",
        "totalItems": total,
        "first": _page_ref(base, 0),
        "last": _page_ref(base, last),
    }
    return _respond(request, doc, immutable=False)


async def page(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    size = settings.iiif.discovery_page_size
    try:
        number = int(request.match_info["number"])
    except ValueError:
        raise web.HTTPNotFound(text="no such page\n") from None
    async with request.app[STORE].snapshot() as conn:
        total = await activities.count(conn)
        items = await activities.page(conn, number * size, size)
    last = max(0, (total - 1) // size)
    if number < 0 or number > last:
        raise web.HTTPNotFound(text=f"no such page: the stream has pages 0 to {last}\n")
    base = settings.base_url
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_url(base, number),
        "type": "OrderedCollectionPage",
        "startIndex": number * size,
        "partOf": {"id": collection_url(base), "type": "OrderedCollection"},
    }
    if number > 0:
        doc["prev"] = _page_ref(base, number - 1)
    if number < last:
        doc["next"] = _page_ref(base, number + 1)
    doc["orderedItems"] = [
        {
            "type": kind,
            "object": {"id": urls.manifest(base, key), "type": "Manifest"},
            "endTime": format_us(datestamp),
        }
        for _, kind, key, datestamp in items
    ]
    return _respond(request, doc, immutable=len(items) == size)


def _respond(request: web.Request, doc: dict[str, Any], *, immutable: bool) -> web.StreamResponse:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    cache = (
        "public, max-age=31536000, immutable" if immutable else "public, max-age=0, must-revalidate"
    )
    headers = {
        "ETag": etag_for(body),
        "Cache-Control": cache,
        "Vary": "Accept, Accept-Encoding",  # the media type follows Accept
        # like every IIIF response, so a page on another origin can read the ETag (CORS)
        "Access-Control-Expose-Headers": EXPOSE,
    }
    unchanged = not_modified(request, headers)
    if unchanged is not None:
        return unchanged
    accept = request.headers.get("Accept", "")
    media = (
        "application/json"
        if "application/json" in accept and "ld+json" not in accept
        else MEDIA_TYPE
    )
    response = web.Response(body=body, headers={**headers, "Content-Type": media})
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression(web.ContentCoding.gzip)
    return response


async def options(request: web.Request) -> web.Response:
    """CORS preflight, for a page elsewhere that revalidates with If-None-Match."""
    return preflight(request)


def setup(app: web.Application) -> None:
    for path, handler in (
        ("/iiif/discovery/collection.json", collection),
        ("/iiif/discovery/page/{number}.json", page),
    ):
        app.router.add_get(path, handler)
        app.router.add_route("OPTIONS", path, options)
