"""Web pages for people: home, search, a record or container, and the citation resolver.

Plain server-rendered HTML that works without JavaScript; only the page viewer
(Mirador, loaded from ``web.mirador_url``) needs it. Keys contain ``/`` and
percent-escapes (``%2F``, ``%C3%89``) and a decoded path cannot tell ``%2F`` from ``/``,
so ``/records/...`` is read from the raw path; a key spelled with other escapes
(lower-case hex, escaped letters) is redirected to its one canonical spelling.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web
from aiohttp.typedefs import Handler

from manifests.presentation import urls
from metadata.record import Record
from metadata.sets import container_info, containers
from repository.keys import PATH_MIDDLEWARES, SETTINGS, STORE
from repository.pages import i18n
from repository.pages.html import PAGES, Pages, container_name, respond, search_path
from repository.pages.resolve import resolve
from repository.pages.views import MAX_QUERY, breadcrumbs, facets, filter_label, record_view
from repository.settings import SettingsError
from repository.store import NotFound, Snapshot, StoreUnavailable, browse, search
from repository.store.search.query import FACETS, FILTERS

RECORDS = "/records/"
MIRADOR = "/mirador"  # where web.mirador_dir is served
MAX_KEY = 1000
SHOWN_FONDS = 12
CHILDREN_SHOWN = 2000
DOCUMENTS_PAGE = 100
OTHERS_SHOWN = 50
_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# Paths that answer machines, in their own formats: their errors are theirs.
MACHINES = ("/oai", "/iiif", "/api", "/ead", "/schemas", "/static", "/healthz", "/metrics", MIRADOR)
# Errors a reader gets as a page of the site, in their language.
ERRORS = (400, 404, 410, 500)
VARY = ("Accept-Language", "Cookie")
COOKIE_AGE = 365 * 24 * 3600
log = logging.getLogger("opis")


_MACHINE_ROOTS = frozenset(prefix.strip("/") for prefix in MACHINES)


def for_people(path: str) -> bool:
    return path.split("/", 2)[1] not in _MACHINE_ROOTS if path.startswith("/") else True


async def people(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The reader's language for every page (see ``i18n``), ``Vary`` and the ``lang``
    cookie on every answer, and errors as pages of the site rather than plain text; for
    the paths ``for_people`` (a path middleware: see ``repository.keys``)."""
    pages = request.app[PAGES]
    language, chosen = i18n.choose(
        request.query.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("Accept-Language", ""),
        pages.default_language or i18n.SOURCE,
    )
    token = i18n.use(language)
    try:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            if exc.status not in ERRORS:
                _mark(exc, language, chosen)
                raise
            response = error_page(request, exc.status)
        except (asyncio.CancelledError, StoreUnavailable):
            raise
        except Exception:
            log.exception("page %s failed", request.path)
            response = error_page(request, 500)
        _mark(response, language, chosen)
        return response
    finally:
        i18n.reset(token)


def _mark(response: web.StreamResponse, language: str, chosen: bool) -> None:
    """The answer depends on the language: say so, and remember a language chosen."""
    vary = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    response.headers["Vary"] = ", ".join(vary + [v for v in VARY if v not in vary])
    if chosen:
        response.set_cookie(i18n.COOKIE, language, path="/", samesite="Lax", max_age=COOKIE_AGE)
        if response.headers.get("Cache-Control", "").startswith("public"):
            response.headers["Cache-Control"] = "private, max-age=60"


def error_page(request: web.Request, status: int) -> web.Response:
    pages = request.app[PAGES]
    body = pages.html("error.html", request=request, status=status)
    cache = "no-store" if status >= 500 else "public, max-age=60"
    return respond(request, body, status=status, cache=cache)


async def home(request: web.Request) -> web.Response:
    async with request.app[STORE].snapshot() as conn:
        archives = await browse.children(conn)
        fonds = {a.prefix: await browse.children(conn, a.prefix) for a in archives}
        recent = await browse.recent(conn, 10)
    body = request.app[PAGES].html(
        "home.html",
        request=request,
        archives=archives,
        fonds=fonds,
        shown_fonds=SHOWN_FONDS,
        recent=recent,
        total=sum(a.count for a in archives),
    )
    return respond(request, body)


async def search_page(request: web.Request) -> web.Response:
    text = request.query.get("q", "").strip()
    filters = {name: request.query.get(name, "").strip() for name in FILTERS}
    page = _page_number(request)
    size = request.app[SETTINGS].web.page_size
    async with request.app[STORE].snapshot() as conn:
        result = await search.query(conn, text, filters, page, size)
    chosen = [
        (filter_label(name, value), search_path(text, page=1, **{**filters, name: ""}))
        for name, value in filters.items()
        if value and name not in FACETS
    ]
    body = request.app[PAGES].html(
        "search.html",
        request=request,
        text=text,
        result=result,
        filters=filters,
        facets=facets(result, text, filters),
        chosen=chosen,
        page_link=lambda n: search_path(text, page=n, **filters),
        offset=(result.page - 1) * result.page_size,
    )
    return respond(request, body)


async def record_page(request: web.Request) -> web.StreamResponse:
    raw = request.rel_url.raw_path
    key = raw[len(RECORDS) :]
    canonical = _canonical_escapes(key).rstrip("/")
    if canonical != key and canonical:
        target = urls.record_page(request.app[SETTINGS].base_url, canonical)
        raise web.HTTPMovedPermanently(
            target + (f"?{request.query_string}" if request.query_string else "")
        )
    pages = request.app[PAGES]
    if not key or len(key) > MAX_KEY:
        return respond(
            request,
            pages.html("not_found.html", request=request, key=key, ancestor=None),
            status=404,
        )
    try:
        stored = await request.app[STORE].get(key)
    except NotFound:
        stored = None
    if stored is not None and stored.deleted:
        body = pages.html(
            "gone.html", request=request, key=key, record=stored.record, crumbs=breadcrumbs(key)
        )
        return respond(request, body, status=410)
    if stored is not None:
        return await _record(request, key, stored.record)
    async with request.app[STORE].snapshot() as conn:
        if await browse.exists(conn, key):
            return await _container(request, conn, key)
        ancestor = await _nearest(conn, key)
    body = pages.html("not_found.html", request=request, key=key, ancestor=ancestor)
    return respond(request, body, status=404)


async def _record(request: web.Request, key: str, record: Record) -> web.Response:
    unit = _unit_of(key)
    async with request.app[STORE].snapshot() as conn:
        _, here = await browse.documents(conn, unit, 0, OTHERS_SHOWN + 1) if unit else (0, [])
        # A document cited above unit level (``GAPPOD/f.1/op.89``) can have units below it.
        below = await browse.children(conn, key) if key == unit else []
    others = [item for item in here if item.key != key][:OTHERS_SHOWN]
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    number = _number(request.query.get("page", ""))
    seq = number - 1 if number is not None and number <= len(record.pages) else None
    text_page = await request.app[STORE].reading_page(key, seq) if record.pages else None
    view = record_view(
        key,
        record,
        request.app[SETTINGS],
        others,
        text_page=text_page,
        canvas=seq + 1 if seq is not None else None,
        query=query,
    )
    body = request.app[PAGES].html(
        "record.html", request=request, view=view, unit=unit, children=below
    )
    return respond(request, body, kind="record")


async def _container(request: web.Request, conn: Snapshot, prefix: str) -> web.Response:
    page = _page_number(request)
    kids = await browse.children(conn, prefix)
    count, docs = await browse.documents(conn, prefix, (page - 1) * DOCUMENTS_PAGE, DOCUMENTS_PAGE)
    settings = request.app[SETTINGS]
    info = container_info(prefix)
    body = request.app[PAGES].html(
        "container.html",
        request=request,
        prefix=prefix,
        info=info,
        name=container_name(prefix),
        crumbs=breadcrumbs(prefix),
        children=kids[:CHILDREN_SHOWN],
        more_children=max(0, len(kids) - CHILDREN_SHOWN),
        total=sum(k.count for k in kids) + count,
        documents=docs,
        count=count,
        page=page,
        pages=max(1, -(-count // DOCUMENTS_PAGE)),
        collection=urls.collection(settings.base_url, prefix),
        oai_set=urls.oai_set(settings.base_url, info.spec),
        finding_aid=f"{settings.base_url}/ead/{prefix}.xml" if "/" in prefix else None,
    )
    return respond(request, body)


async def viewer_page(request: web.Request) -> web.Response:
    """Mirador on one of this repository's manifests, in a document of its own.

    The record page frames it: Mirador brings its own landmarks, headings and global
    styles, which would otherwise land inside the record page.
    """
    manifest = request.query.get("manifest", "")
    ours = f"{request.app[SETTINGS].base_url}/{urls.PRESENTATION}/"
    if not (manifest.startswith(ours) and manifest.endswith("/manifest")):
        raise web.HTTPNotFound()
    number = _number(request.query.get("canvas", ""))
    key = manifest[len(ours) : -len("/manifest")]
    canvas = urls.canvas(request.app[SETTINGS].base_url, key, number) if number else ""
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    pages = request.app[PAGES]
    body = pages.html("viewer.html", request=request, manifest=manifest, canvas=canvas, query=query)
    return respond(request, body, kind="viewer")


async def to_home(request: web.Request) -> web.Response:
    """``/records/`` alone: the tree of everything is on the home page."""
    raise web.HTTPMovedPermanently(request.app[SETTINGS].base_url + "/")


async def _nearest(conn: Snapshot, key: str) -> str | None:
    """The deepest existing container above a key that is not there."""
    parts = key.split("/")
    for n in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:n])
        if await browse.exists(conn, prefix):
            return prefix
    return None


def _unit_of(key: str) -> str | None:
    found = containers(key)
    return found[-1] if found else None


def _number(value: str) -> int | None:
    """A page or canvas number from a query string (from 1); None when it is none."""
    return int(value) if _NUMBER.fullmatch(value) else None


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), search.MAX_PAGE))
    except ValueError:
        return 1


def _canonical_escapes(raw: str) -> str:
    """RFC 3986 normalisation: upper-case hex, unreserved characters unescaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, raw)


def setup(app: web.Application) -> None:
    app[PAGES] = Pages(app[SETTINGS])
    app[PATH_MIDDLEWARES].append((for_people, people))
    mirador = app[SETTINGS].web.mirador_dir
    if mirador:
        try:
            app.router.add_static(MIRADOR, mirador, append_version=False)
        except ValueError as exc:
            raise SettingsError(f"web.mirador_dir: {exc}") from exc
    app.router.add_get("/", home)
    app.router.add_get("/search", search_page)
    app.router.add_get("/resolve", resolve)
    app.router.add_get("/viewer", viewer_page)
    app.router.add_get(RECORDS + "{key:.+}", record_page)
    app.router.add_get("/records", to_home)
    app.router.add_get(RECORDS, to_home)
