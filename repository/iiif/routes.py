"""The IIIF endpoints: Presentation 3.0 manifests and collections, Image API 3.0.

Keys contain ``/`` and percent-escapes (``tet.2%2Fb``, ``cty.%C3%89-Korea``), and a
decoded path cannot tell ``%2F`` from ``/``, so every handler reads its parameters
from the raw path. The routes below only pick the handler (and name it in metrics).
CORS: ``ops.middleware.guard`` puts ``Access-Control-Allow-Origin: *`` on every response
under /iiif, errors and 304s included; OPTIONS answers preflights here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from manifests.image_api import ImageRequestError
from manifests.presentation import urls
from repository.iiif import responses, search
from repository.iiif.cache import ByteLRU, Cached
from repository.iiif.documents import Documents, Missing
from repository.iiif.image_service import ImageInfo, ImageService, canonical_link, profile_link
from repository.keys import IMAGES, SETTINGS, STORE
from repository.records.iiif_settings import presentation_context

DOCUMENTS = web.AppKey("iiif_documents", Documents)
IMAGE_SERVICE = web.AppKey("iiif_images", ImageService)

PRESENTATION_CACHE = "public, max-age=60"
INFO_CACHE = "public, max-age=86400"
IMAGE_CACHE = "public, max-age=31536000, immutable"
MAX_KEY = 1000

_COLLECTION = re.compile(r"^/iiif/3/(?P<prefix>.+)/collection(?:/(?P<part>[1-9][0-9]{0,8}))?$")
_MANIFEST = re.compile(r"^/iiif/3/(?P<key>.+)/manifest$")
_IMAGE = re.compile(r"^/iiif/image/3/(?P<id>[^/]*)(?P<rest>/.*)?$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _canonical_escapes(raw: str) -> str:
    """RFC 3986 normalisation: upper-case hex, unreserved characters unescaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, raw)


def _method_check(request: web.Request) -> web.Response | None:
    if request.method == "OPTIONS":
        return responses.preflight(request)
    if request.method not in ("GET", "HEAD"):
        return responses.not_allowed()
    return None


def _redirect_if_spelled_differently(request: web.Request, raw: str) -> None:
    canonical = _canonical_escapes(raw)
    if canonical != raw:
        raise web.HTTPMovedPermanently(request.app[SETTINGS].base_url + canonical)


def _presentation(request: web.Request, entry: Cached) -> web.Response:
    try:
        content_type = responses.json_type(
            request.headers.get("Accept", ""), responses.PRESENTATION_CONTEXT
        )
    except responses.NotAcceptable as exc:
        return responses.json_error(406, str(exc))
    return responses.respond(request, entry, content_type, cache_control=PRESENTATION_CACHE)


async def top_collection(request: web.Request) -> web.StreamResponse:
    early = _method_check(request)
    if early is not None:
        return early
    try:
        entry = await request.app[DOCUMENTS].collection(None)
    except Missing as exc:
        return responses.json_error(exc.status, exc.message)
    return _presentation(request, entry)


async def collection(request: web.Request) -> web.StreamResponse:
    documents = request.app[DOCUMENTS]
    return await _document(
        request,
        _COLLECTION,
        "collection",
        lambda m: documents.collection(m["prefix"], int(m["part"]) if m["part"] else None),
    )


async def manifest(request: web.Request) -> web.StreamResponse:
    documents = request.app[DOCUMENTS]
    return await _document(request, _MANIFEST, "manifest", lambda m: documents.manifest(m["key"]))


async def _document(
    request: web.Request,
    path: re.Pattern[str],
    kind: str,
    fetch: Callable[[re.Match[str]], Awaitable[Cached]],
) -> web.StreamResponse:
    """A collection or manifest named by the raw path (keys are percent-encoded there)."""
    early = _method_check(request)
    if early is not None:
        return early
    raw = request.rel_url.raw_path
    match = path.match(raw)
    if match is None or len(raw) > MAX_KEY:
        return responses.json_error(404, f"no such {kind}")
    _redirect_if_spelled_differently(request, raw)
    try:
        entry = await fetch(match)
    except Missing as exc:
        return responses.json_error(exc.status, exc.message)
    return _presentation(request, entry)


async def image(request: web.Request) -> web.StreamResponse:
    """Base URI (303 to info.json), info.json, or an image request, by the raw path."""
    early = _method_check(request)
    if early is not None:
        return early
    match = _IMAGE.match(request.rel_url.raw_path)
    service: ImageService = request.app[IMAGE_SERVICE]
    found = await service.lookup(match["id"]) if match else None
    rest = match["rest"] if match else None
    if found is None:
        if rest in (None, "/", "/info.json"):  # viewers parse this body as JSON
            return responses.json_error(404, "no such image")
        return responses.text_error(404, "no such image")
    root = request.app[SETTINGS].base_url
    if rest is None or rest == "/":
        raise web.HTTPSeeOther(urls.image_info(root, found.id))
    if rest == "/info.json":
        return _info(request, service, found)
    params = [unquote(p) for p in rest[1:].split("/")]
    if len(params) != 4:
        return responses.text_error(
            400, "expected {region}/{size}/{rotation}/{quality}.{format} after the identifier"
        )
    try:
        plan = service.plan(found, *params)
    except ImageRequestError as exc:
        return responses.text_error(exc.status, exc.message)
    rendered = await service.image(found, plan)
    base = urls.image_service(root, found.id)
    links = f"{profile_link()}, {canonical_link(base, rendered.canonical)}"
    return responses.respond(
        request,
        rendered.entry,
        rendered.media_type,
        cache_control=IMAGE_CACHE,
        headers={"Link": links},
        vary=None,  # one representation: no negotiation, no compression of JPEG/PNG
    )


def _info(request: web.Request, service: ImageService, found: ImageInfo) -> web.Response:
    try:
        content_type = responses.json_type(
            request.headers.get("Accept", ""), responses.IMAGE_CONTEXT
        )
    except responses.NotAcceptable as exc:
        return responses.json_error(406, str(exc))
    return responses.respond(
        request,
        service.info(found),
        content_type,
        cache_control=INFO_CACHE,
        headers={"Link": profile_link()},
    )


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    context = presentation_context(settings)
    app[DOCUMENTS] = Documents(
        app[STORE], context, settings.iiif.collection_page_size, ByteLRU(32 << 20, 4 << 20)
    )
    app[IMAGE_SERVICE] = ImageService(
        app[STORE],
        app[IMAGES],
        context,
        workers=settings.images.workers,
        cache=ByteLRU(64 << 20, 2 << 20),
    )
    routes = (
        ("/iiif/3/collection", top_collection),
        (r"/iiif/3/{prefix:.+}/collection", collection),
        (r"/iiif/3/{prefix:.+}/collection/{part:[0-9]+}", collection),
        (r"/iiif/3/{key:.+}/manifest", manifest),
        ("/iiif/image/3/{id}", image),
        ("/iiif/image/3/{id}/info.json", image),
        ("/iiif/image/3/{id}/{region}/{size}/{rotation}/{quality_format}", image),
        ("/iiif/image/3/{id}/{malformed:.+}", image),  # answered 400, not the router's 404
    )
    for path, handler in (*routes, *search.ROUTES):
        app.router.add_route("*", path, handler)

    async def close(app: web.Application) -> None:
        app[IMAGE_SERVICE].close()

    app.on_cleanup.append(close)
