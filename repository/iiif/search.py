"""IIIF Content Search 2.0 and 1.0 inside one document, with autocomplete of each.

``/iiif/3/<key>/search/2``, ``/search/1``, ``/autocomplete/2``, ``/autocomplete/1``: the
services a manifest declares when its document has page text. Answers come from the
store's page-text index (``repository/store/page_text.py``), never from the manifest.

Parameters: ``q`` (a word or several, matched as a phrase inside a line; quotes are
optional), ``motivation`` (space-separated; only the line annotations' own motivation
finds anything), ``page`` (from 1), autocomplete's ``min``. ``date`` and ``user`` are
not implemented and are listed in ``ignored``. A malformed request is a 400 with a JSON
body; a word that is not there is an empty page.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from manifests import search as answers
from manifests.presentation import describe
from manifests.presentation.language import NONE, tag
from repository.iiif import responses
from repository.keys import SETTINGS, STORE
from repository.store import NotFound, page_text

PAGE_SIZE = 100  # matching lines per page
TERMS = 20  # autocomplete suggestions
MAX_KEY = 1000
MAX_Q = 500
SEARCH_CACHE = "public, max-age=60"
SEARCH_CONTEXT = {2: answers.CONTEXT2, 1: answers.CONTEXT1}
IGNORED = ("date", "user")

_PATH = re.compile(r"^/iiif/3/(?P<key>.+)/(?P<kind>search|autocomplete)/(?P<version>[12])$")


class BadRequest(Exception):
    pass


def _single(request: web.Request, name: str) -> str | None:
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise BadRequest(f"{name} given {len(values)} times")
    return values[0] if values else None


def _number(request: web.Request, name: str, default: int, largest: int) -> int:
    value = _single(request, name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= largest:
        raise BadRequest(f"{name} must be a whole number from 1 to {largest}")
    return int(value)


def _query(request: web.Request, required: bool) -> str:
    q = _single(request, "q")
    if q is None or not q.strip():
        if required:
            raise BadRequest("q is required")
        raise BadRequest("q is required: the words to search for")
    if len(q) > MAX_Q:
        raise BadRequest(f"q is longer than {MAX_Q} characters")
    return q.strip().strip('"').strip()


def _motivation_matches(request: web.Request, version: int) -> bool:
    value = _single(request, "motivation")
    if value is None:
        return True
    wanted = set(value.split())
    if not wanted:
        raise BadRequest("motivation is empty")
    return bool(wanted & (answers.MOTIVATIONS2 if version == 2 else answers.MOTIVATIONS1))


def _ignored(request: web.Request) -> list[str]:
    return [name for name in IGNORED if name in request.query]


def _json(request: web.Request, document: dict[str, Any], version: int) -> web.Response:
    try:
        content_type = responses.json_type(
            request.headers.get("Accept", ""), SEARCH_CONTEXT[version]
        )
    except responses.NotAcceptable as exc:
        return responses.json_error(406, str(exc))
    body = json.dumps(document, ensure_ascii=False).encode()
    entry = responses.entity(body, compress=True)
    return responses.respond(request, entry, content_type, cache_control=SEARCH_CACHE)


async def search_or_autocomplete(request: web.Request) -> web.StreamResponse:
    if request.method == "OPTIONS":
        return responses.preflight(request)
    if request.method not in ("GET", "HEAD"):
        return responses.not_allowed()
    raw = request.rel_url.raw_path
    match = _PATH.match(raw)
    if match is None or len(raw) > MAX_KEY:
        return responses.json_error(404, "no such search service")
    key, kind, version = match["key"], match["kind"], int(match["version"])
    store = request.app[STORE]
    try:
        stored = await store.get(key)
    except NotFound:
        return responses.json_error(404, "no such document")
    if stored.deleted or not any(p.width and p.height for p in stored.record.pages):
        return responses.json_error(404, "no such document")
    base = request.app[SETTINGS].base_url
    try:
        if kind == "autocomplete":
            return await _autocomplete(request, base, key, version)
        return await _search(request, base, key, version, stored.record)
    except (BadRequest, page_text.QueryError) as exc:
        return responses.json_error(400, str(exc))


async def _search(
    request: web.Request, base: str, key: str, version: int, record: Any
) -> web.Response:
    q = _query(request, required=True)
    folded = page_text.phrase(q, max_length=MAX_Q)
    wanted = _motivation_matches(request, version)
    page = _number(request, "page", 1, 1_000_000) - 1
    params = {"q": q}
    motivation = _single(request, "motivation")
    if motivation is not None:
        params["motivation"] = motivation
    store = request.app[STORE]
    if wanted:
        found = await store.page_text_search(key, folded, page, PAGE_SIZE)
        if found is None:
            return responses.json_error(404, "no such document")
        hits, last = found.hits, found.pages - 1
    else:
        hits, last = (), 0
    if page > last:
        raise BadRequest(f"page must be from 1 to {last + 1} for this query")
    pages = [p for p in record.pages if p.width and p.height]
    ignored = _ignored(request)
    language = next((lang for lang in record.language if tag(lang) != NONE), None)
    if version == 2:
        document = answers.answer2(
            base,
            key,
            describe.label(record),
            hits,
            pages,
            params=params,
            page=page,
            last=last,
            ignored=ignored,
            language=language,
        )
    else:
        document = answers.answer1(
            base,
            key,
            hits,
            pages,
            params=params,
            page=page,
            last=last,
            ignored=ignored,
            language=language,
        )
    return _json(request, document, version)


async def _autocomplete(request: web.Request, base: str, key: str, version: int) -> web.Response:
    q = _query(request, required=True)
    minimum = _number(request, "min", 1, 1_000_000_000)
    _motivation_matches(request, version)  # checked for form; every term is a line's
    words = page_text.phrase(q, max_length=MAX_Q)
    store = request.app[STORE]
    found = await store.page_text_terms(key, words[-1], minimum, TERMS)
    if found is None:
        return responses.json_error(404, "no such document")
    lead = " ".join(words[:-1])
    if lead:
        found = [page_text.Term(f"{lead} {t.term}", t.count) for t in found]
    url = str(request.app[SETTINGS].base_url) + request.rel_url.raw_path_qs
    if version == 2:
        document = answers.terms2(base, key, found, ignored=_ignored(request), request_url=url)
    else:
        document = answers.terms1(base, key, found, ignored=_ignored(request), request_url=url)
    return _json(request, document, version)


ROUTES = (
    (r"/iiif/3/{key:.+}/search/{version:[12]}", search_or_autocomplete),
    (r"/iiif/3/{key:.+}/autocomplete/{version:[12]}", search_or_autocomplete),
)
