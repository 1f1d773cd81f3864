"""IIIF Change Discovery API 1.0: ``/iiif/discovery/collection.json`` and its pages.

The stream lists Create, Update and Delete activities of manifests, oldest first, each
with ``endTime`` equal to the record's OAI datestamp at that change. Page ``n`` holds
positions ``[n*size, (n+1)*size)``; positions are given in the order changes became
visible, so a full page never changes again and is served as immutable. Only the last
page grows.
"""

from __future__ import annotations

import hashlib
import json

from aiohttp import web

from repository.keys import SETTINGS, STORE
from repository.store import activities
from repository.store.clock import format_us

CONTEXT = "http://iiif.io/api/discovery/1/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'


async def collection(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    size = settings.iiif.discovery_page_size
    async with request.app[STORE].snapshot() as conn:
        total = await activities.count(conn)
    base = f"{settings.base_url}/iiif/discovery"
    last = max(0, (total - 1) // size)
    doc = {
        "@context": CONTEXT,
        "id": f"{base}/collection.json",
        "type": "OrderedCollection",
        "totalItems": total,
        "first": {"id": f"{base}/page/0.json", "type": "OrderedCollectionPage"},
        "last": {"id": f"{base}/page/{last}.json", "type": "OrderedCollectionPage"},
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
    base = f"{settings.base_url}/iiif/discovery"
    doc: dict = {
        "@context": CONTEXT,
        "id": f"{base}/page/{number}.json",
        "type": "OrderedCollectionPage",
        "startIndex": number * size,
        "partOf": {"id": f"{base}/collection.json", "type": "OrderedCollection"},
    }
    if number > 0:
        doc["prev"] = {"id": f"{base}/page/{number - 1}.json", "type": "OrderedCollectionPage"}
    if number < last:
        doc["next"] = {"id": f"{base}/page/{number + 1}.json", "type": "OrderedCollectionPage"}
    doc["orderedItems"] = [
        {
            "type": kind,
            "object": {"id": f"{settings.base_url}/iiif/3/{key}/manifest", "type": "Manifest"},
            "endTime": format_us(datestamp),
        }
        for _, kind, key, datestamp in items
    ]
    return _respond(request, doc, immutable=len(items) == size)


def _respond(request: web.Request, doc: dict, *, immutable: bool) -> web.StreamResponse:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    cache = (
        "public, max-age=31536000, immutable" if immutable else "public, max-age=0, must-revalidate"
    )
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
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


def setup(app: web.Application) -> None:
    app.router.add_get("/iiif/discovery/collection.json", collection)
    app.router.add_get("/iiif/discovery/page/{number}.json", page)
