"""IIIF Content Search answers, 2.0 and 1.0, from the hits the store found (pure).

A document's search service answers with one page of hits: each hit is an annotation
on the canvas of its page whose body is the whole line and whose target is the box of
the words it matched (the line's box when the page text had no word boxes). 2.0 adds,
in ``annotations``, a ``highlighting`` annotation per hit whose ``TextQuoteSelector``
gives the words before and after the match on the line; 1.0 gives the same as ``hits``
with ``before``/``after``. Pages link ``next``/``prev`` and name the whole result
(``partOf``, 1.0 ``within``) with its ``first`` and ``last`` page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from manifests.presentation import urls
from manifests.presentation.pagetext import body, xywh

CONTEXT2 = "http://iiif.io/api/search/2/context.json"
CONTEXT1 = "http://iiif.io/api/search/1/context.json"
PRESENTATION2 = "http://iiif.io/api/presentation/2/context.json"

# The motivation of the line annotations, as each version names it.
MOTIVATIONS2 = frozenset({"supplementing"})
MOTIVATIONS1 = frozenset({"supplementing", "non-painting", "sc:supplementing"})


class Hit(Protocol):
    @property
    def seq(self) -> int: ...  # page, from 0
    @property
    def line(self) -> int: ...  # line on the page, from 0
    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def box(self) -> tuple[int, int, int, int]: ...
    @property
    def exact(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def suffix(self) -> str: ...


class Term(Protocol):
    @property
    def term(self) -> str: ...
    @property
    def count(self) -> int: ...


class Canvas(Protocol):
    """What a hit needs of its page: the canvas number and size."""

    @property
    def width(self) -> int | None: ...
    @property
    def height(self) -> int | None: ...


def page_url(service: str, params: dict[str, str], page: int | None) -> str:
    """The URL of one page of a result (``page`` from 0, written from 1), or with
    ``page=None`` of the whole result."""
    query = dict(params)
    if page is not None:
        query["page"] = str(page + 1)
    return f"{service}?{urlencode(query)}" if query else service


def _canvas(base: str, key: str, hit: Hit) -> str:
    return urls.canvas(base, key, hit.seq + 1)


def _with_ids(base: str, key: str, version: int, hits: Sequence[Hit]) -> Iterator[tuple[Hit, str]]:
    """Each hit with its id: page, line, and which match on that line (1, 2 ...)."""
    service = urls.search(base, key, version)
    seen: dict[tuple[int, int], int] = {}
    for hit in hits:
        k = seen[(hit.seq, hit.line)] = seen.get((hit.seq, hit.line), 0) + 1
        yield hit, f"{service}/hit/{hit.seq + 1}/{hit.line + 1}/{k}"


def _target(base: str, key: str, hit: Hit, pages: Sequence[Canvas]) -> str:
    page = pages[hit.seq]
    width, height = page.width or 1, page.height or 1
    return xywh(_canvas(base, key, hit), hit.box, width, height)


def answer2(
    base: str,
    key: str,
    label: dict[str, list[str]],
    hits: Sequence[Hit],
    pages: Sequence[Canvas],
    *,
    params: dict[str, str],
    page: int,
    last: int,
    ignored: Sequence[str] = (),
    language: str | None = None,
) -> dict[str, Any]:
    """A Content Search 2.0 ``AnnotationPage``, with ``partOf`` and the highlighting page."""
    service = urls.search(base, key, 2)
    items = []
    highlights = []
    for hit, hit_id in _with_ids(base, key, 2, hits):
        items.append(
            {
                "id": hit_id,
                "type": "Annotation",
                "motivation": "supplementing",
                "body": body(hit.text, hit.language or language),
                "target": _target(base, key, hit, pages),
            }
        )
        selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": hit.exact}
        if hit.prefix:
            selector["prefix"] = hit.prefix
        if hit.suffix:
            selector["suffix"] = hit.suffix
        highlights.append(
            {
                "id": f"{hit_id}/highlight",
                "type": "Annotation",
                "motivation": "highlighting",
                "target": {"type": "SpecificResource", "source": hit_id, "selector": [selector]},
            }
        )
    document: dict[str, Any] = {
        "@context": CONTEXT2,
        "id": page_url(service, params, page),
        "type": "AnnotationPage",
        "partOf": {
            "id": page_url(service, params, None),
            "type": "AnnotationCollection",
            "label": label,
            "first": {"id": page_url(service, params, 0), "type": "AnnotationPage"},
            "last": {"id": page_url(service, params, last), "type": "AnnotationPage"},
        },
    }
    if page < last:
        document["next"] = {"id": page_url(service, params, page + 1), "type": "AnnotationPage"}
    if page > 0:
        document["prev"] = {"id": page_url(service, params, page - 1), "type": "AnnotationPage"}
    document["items"] = items
    if highlights:
        document["annotations"] = [
            {
                "id": page_url(service, params, page) + "#highlights",
                "type": "AnnotationPage",
                "items": highlights,
            }
        ]
    if ignored:
        document["ignored"] = list(ignored)
    return document


def answer1(
    base: str,
    key: str,
    hits: Sequence[Hit],
    pages: Sequence[Canvas],
    *,
    params: dict[str, str],
    page: int,
    last: int,
    ignored: Sequence[str] = (),
    language: str | None = None,
) -> dict[str, Any]:
    """A Content Search 1.0 ``sc:AnnotationList`` with ``hits`` (``before``/``after``)."""
    service = urls.search(base, key, 1)
    resources = []
    found = []
    for hit, hit_id in _with_ids(base, key, 1, hits):
        resource: dict[str, Any] = {"@type": "cnt:ContentAsText", "chars": hit.text}
        if hit.language or language:
            resource["language"] = hit.language or language
        resources.append(
            {
                "@id": hit_id,
                "@type": "oa:Annotation",
                "motivation": "sc:painting",
                "resource": resource,
                "on": _target(base, key, hit, pages),
            }
        )
        entry: dict[str, Any] = {"@type": "search:Hit", "annotations": [hit_id]}
        entry["match"] = hit.exact
        entry["before"] = hit.prefix
        entry["after"] = hit.suffix
        found.append(entry)
    document: dict[str, Any] = {
        "@context": [PRESENTATION2, CONTEXT1],
        "@id": page_url(service, params, page),
        "@type": "sc:AnnotationList",
        "within": {
            "@type": "sc:Layer",
            "first": page_url(service, params, 0),
            "last": page_url(service, params, last),
        },
    }
    if page < last:
        document["next"] = page_url(service, params, page + 1)
    if page > 0:
        document["prev"] = page_url(service, params, page - 1)
    document["resources"] = resources
    document["hits"] = found
    if ignored:
        document["within"]["ignored"] = list(ignored)
    return document


def terms2(
    base: str,
    key: str,
    found: Sequence[Term],
    *,
    ignored: Sequence[str] = (),
    request_url: str,
) -> dict[str, Any]:
    """A Content Search 2.0 ``TermPage``."""
    document: dict[str, Any] = {
        "@context": CONTEXT2,
        "id": request_url,
        "type": "TermPage",
        "items": [
            {
                "value": t.term,
                "total": t.count,
                "service": [
                    {
                        "id": page_url(urls.search(base, key, 2), {"q": t.term}, None),
                        "type": "SearchService2",
                    }
                ],
            }
            for t in found
        ],
    }
    if ignored:
        document["ignored"] = list(ignored)
    return document


def terms1(
    base: str,
    key: str,
    found: Sequence[Term],
    *,
    ignored: Sequence[str] = (),
    request_url: str,
) -> dict[str, Any]:
    """A Content Search 1.0 ``search:TermList``."""
    document: dict[str, Any] = {
        "@context": CONTEXT1,
        "@id": request_url,
        "@type": "search:TermList",
        "terms": [
            {
                "match": t.term,
                "url": page_url(urls.search(base, key, 1), {"q": t.term}, None),
                "count": t.count,
            }
            for t in found
        ],
    }
    if ignored:
        document["ignored"] = list(ignored)
    return document
