"""``/resolve?ref=``: from a citation in any written form to the page (or manifest) it names.

A catalogue or a footnote cites ``ГАППОД, ф. 1, оп. 89, д. 112, л. 5`` or
``GAPPOD f.1 op.89 d.112``; the resolver answers with a redirect (303) to the record
page, or to the IIIF manifest when the client asks for JSON. A citation of a fond or an
opis goes to that container's page (its IIIF collection for JSON). A unit holding
several documents answers 300 with the list, and a citation nothing matches 404 with
search suggestions. Keys and OAI identifiers are accepted as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from manifests.presentation import urls
from metadata.record import Reference
from metadata.references import document_key, parse, unit_key
from repository.http.negotiation import ranges
from repository.keys import SETTINGS, STORE
from repository.pages.html import PAGES, respond
from repository.store import NotFound, Store, browse, search
from repository.store.search import SearchResult

CHOICES = 50
MAX_KEY = 1000
_JSON = ("application/json", "application/ld+json")
_HTML = ("text/html", "application/xhtml+xml", "text/*", "*/*")


@dataclass(frozen=True)
class Target:
    key: str
    manifest: bool = False  # the record has page images, so a manifest
    container: bool = False


@dataclass(frozen=True)
class Resolution:
    target: Target | None = None
    choices: SearchResult | None = None  # several documents
    suggestions: SearchResult | None = None  # nothing matched: what a search finds
    citation: str | None = None


async def resolve(request: web.Request) -> web.StreamResponse:
    ref = request.query.get("ref", "").strip()
    pages = request.app[PAGES]
    if not ref:
        return respond(
            request, pages.html("resolve.html", request=request, ref="", found=Resolution())
        )
    prefix = request.app[SETTINGS].repository.oai_prefix
    found = await find(request.app[STORE], ref.removeprefix(prefix))
    vary = {"Vary": "Accept"}
    if found.target is not None:
        return see_other(request, found.target)
    if found.choices is not None:
        body = pages.html("choices.html", request=request, ref=ref, result=found.choices)
        return respond(request, body, status=300, headers=vary)
    body = pages.html("resolve.html", request=request, ref=ref, found=found)
    return respond(request, body, status=404, headers=vary)


async def find(store: Store, text: str) -> Resolution:
    """What ``text`` names: a key as it stands, the exact document a citation with sheets
    names, a container above unit level, the one document of a unit, or several."""
    exact = await _record(store, text)
    if exact is not None:
        return Resolution(exact)
    primary = next((r for r in parse(text).references if r.archive), None)
    wanted = _key(document_key, primary)
    unit = _key(unit_key, primary)
    if wanted and wanted != unit:
        exact = await _record(store, wanted)
        if exact is not None:
            return Resolution(exact)
    async with store.snapshot() as conn:
        result = await search.query(conn, text, page_size=CHOICES)
        if not result.query.units:
            return Resolution(suggestions=result)
        if unit and await browse.children(conn, unit):
            return Resolution(Target(unit, container=True))
        if result.total == 1:
            return Resolution(await _record(store, result.hits[0].key))
        if result.total > 1:
            return Resolution(choices=result)
        if unit and await browse.exists(conn, unit):
            return Resolution(Target(unit, container=True))
    return Resolution(citation=result.query.citation)


def see_other(request: web.Request, target: Target) -> web.Response:
    base = request.app[SETTINGS].base_url
    json_wanted = prefers_json(request.headers.get("Accept", ""))
    if json_wanted and target.manifest:
        location = urls.manifest(base, target.key)
    elif json_wanted and target.container:
        location = urls.collection(base, target.key)
    else:
        location = urls.record_page(base, target.key)
    return web.Response(
        status=303,
        text=f"See {location}\n",
        headers={"Location": location, "Cache-Control": "public, max-age=60", "Vary": "Accept"},
    )


def prefers_json(accept: str) -> bool:
    """Whether the client ranks JSON (or JSON-LD) above HTML in its Accept header."""
    best = {"json": 0.0, "html": 0.0}
    for media, _params, q, _position in ranges(accept):
        if media in _JSON:
            best["json"] = max(best["json"], q)
        elif media in _HTML:
            best["html"] = max(best["html"], q)
    return best["json"] > best["html"]


async def _record(store: Store, key: str | None) -> Target | None:
    if not key or len(key) > MAX_KEY:
        return None
    try:
        stored = await store.get(key)
    except NotFound:
        return None
    pages = stored.record.pages
    return Target(key, manifest=not stored.deleted and any(p.width and p.height for p in pages))


def _key(function: Callable[[Reference], str | None], ref: Reference | None) -> str | None:
    if ref is None:
        return None
    try:
        return function(ref)
    except ValueError:
        return None
