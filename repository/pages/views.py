"""What each page shows, worked out before the template sees it.

The templates only lay things out; the decisions live here, where they can be read
and tested: which links a facet value carries, which texts go side by side, which
citation forms a record offers, and what the breadcrumbs are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from manifests.image_api import pyramid_layout
from manifests.presentation import PresentationContext, urls
from manifests.presentation.images import thumbnail_size
from metadata import crosswalks
from metadata.record import Page, Record, TextBody
from metadata.references import canonical, locator
from metadata.sets import containers
from repository.pages.html import (
    container_label,
    decade,
    page_text_path,
    record_path,
    search_path,
)
from repository.pages.i18n import N_, archive_name, display_date, gettext, language_name
from repository.records.iiif_settings import presentation_context
from repository.settings import Settings
from repository.store.browse import Listed
from repository.store.page_text import PageLines
from repository.store.search import FacetValue, SearchResult
from repository.store.search.query import FACETS, read
from repository.store.search.snippet import Snippet, snippet

HEADINGS = {
    "archive": N_("Archive"),
    "fond": N_("Fond"),
    "decade": N_("Decade"),
    "year": N_("Year"),
    "language": N_("Language"),
    "type": N_("Type"),
}
# The link that drops a facet's choice.
ANY = {
    "archive": N_("Any archive"),
    "fond": N_("Any fond"),
    "decade": N_("Any decade"),
    "year": N_("Any year"),
    "language": N_("Any language"),
    "type": N_("Any type"),
}
# Choosing a value of the first narrows within the second; dropping it drops the second.
NARROWER = {"archive": "fond", "decade": "year"}
SHOWN_VALUES = 12


@dataclass(frozen=True)
class Crumb:
    href: str
    label: str


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    href: str
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    heading: str
    values: tuple[FacetLink, ...]
    more: int  # values not shown
    clear: str | None  # link that drops this facet, when one of its values is chosen
    any_label: str = ""  # the words of that link


def breadcrumbs(key: str, *, include_self: bool = False) -> list[Crumb]:
    """Home, then each container above ``key`` (and ``key`` itself when asked)."""
    crumbs = [Crumb("/", gettext("Home"))]
    for prefix in containers(key):
        if prefix != key or include_self:
            crumbs.append(Crumb(record_path(prefix), container_label(prefix)))
    return crumbs


def facets(result: SearchResult, text: str, filters: dict[str, str]) -> list[Facet]:
    out = []
    for name in FACETS:
        values: tuple[FacetValue, ...] = result.facets.get(name, ())
        chosen = filters.get(name, "")
        if not values and not chosen:
            continue
        links = []
        for value in values[:SHOWN_VALUES]:
            wanted = {**filters, name: value.value}
            if name in NARROWER:
                wanted[NARROWER[name]] = ""
            links.append(
                FacetLink(
                    facet_label(name, value.value),
                    value.count,
                    search_path(text, page=1, **wanted),
                    value.value == chosen,
                )
            )
        clear = None
        if chosen:
            dropped = {**filters, name: ""}
            if name in NARROWER:
                dropped[NARROWER[name]] = ""
            clear = search_path(text, page=1, **dropped)
        out.append(
            Facet(
                name,
                gettext(HEADINGS[name]),
                tuple(links),
                max(0, len(values) - SHOWN_VALUES),
                clear,
                gettext(ANY[name]),
            )
        )
    return out


def facet_label(name: str, value: str) -> str:
    if name == "archive":
        full = archive_name(value)
        return f"{value} ({full})" if full else container_label(value)
    if name == "fond":
        return container_label(value)
    if name == "decade":
        return decade(value)
    if name == "language":
        return language_name(value)
    return value


def filter_label(name: str, value: str) -> str:
    if name == "within":
        return container_label(value)
    return facet_label(name, value)


@dataclass(frozen=True)
class PageImage:
    """One page as the record page shows it, viewer or not: a thumbnail linking to a
    larger image, both at sizes the image's info.json lists (pre-rendered at ingest)."""

    number: int  # in reading order, from 1
    label: str  # the canvas label: the page's label, else its number
    alt: str
    src: str
    width: int
    height: int
    srcset: str | None  # with the next size up, for screens with two pixels to a point
    large: str  # the largest listed size, or the whole image when none is larger


def page_images(ctx: PresentationContext, pages: Sequence[Page]) -> list[PageImage]:
    """The stored pages of a record (those with a pixel size), in reading order, numbered
    and labelled as the manifest's canvases are, so the list and the viewer agree."""
    out = []
    stored = [page for page in pages if page.width and page.height]
    for number, page in enumerate(stored, 1):
        width, height = page.width or 0, page.height or 0
        thumb = thumbnail_size(ctx, width, height)
        if thumb is None:  # no listed size is within the output limits
            continue
        _, listed = pyramid_layout(width, height, ctx.tile_size)
        larger = [size for size in listed if size[0] > thumb[0] and ctx.limits.allows(*size)]
        src = urls.image_size(ctx.base, page.image, *thumb)
        out.append(
            PageImage(
                number=number,
                label=page.label or str(number),
                alt=(
                    gettext("Page %(number)s: %(label)s") % {"number": number, "label": page.label}
                    if page.label
                    else gettext("Page %(number)s") % {"number": number}
                ),
                src=src,
                width=thumb[0],
                height=thumb[1],
                srcset=(
                    f"{src} 1x, {urls.image_size(ctx.base, page.image, *larger[0])} 2x"
                    if larger
                    else None
                ),
                large=(
                    urls.image_size(ctx.base, page.image, *larger[-1])
                    if larger
                    else urls.image_full(ctx.base, page.image)
                ),
            )
        )
    return out


@dataclass(frozen=True)
class RecordView:
    key: str
    record: Record
    crumbs: list[Crumb]
    locator: str | None  # the canonical reference with sheets
    full_citation: str
    alternates: list[str]
    bodies: list[TextBody]
    side_by_side: bool
    oai_links: list[tuple[str, str]]
    manifest: str | None
    viewer: str | None  # the framed page viewer on the manifest
    pages: list[PageImage]  # shown whether or not the viewer loads
    drag_link: str | None
    record_url: str
    source_url: str | None  # the source's page, when it is a web address
    others: list[Listed]  # other documents in the same unit
    digital_objects: list[str] = field(default_factory=list)  # a finding aid's <dao> links
    finding_aid: str | None = None  # this unit and those below it, as EAD
    reading: Reading | None = None  # one page of the text on the page images


@dataclass(frozen=True)
class ReadingLine:
    pieces: Snippet  # the line, with the words searched for marked
    image: str  # the line's region of the page image
    language: str | None


@dataclass(frozen=True)
class Reading:
    """One page of a document's page text, each line linked to its place on the image."""

    number: int  # the page, from 1, as the viewer numbers its canvases
    lines: list[ReadingLine]
    previous: str | None  # links to the nearest pages before and after that have text
    next: str | None


MAX_QUERY = 200  # characters of a search carried into a record page


def reading(
    key: str, record: Record, settings: Settings, found: PageLines, query: str
) -> Reading | None:
    """The page text as the record page shows it; None when the page has no image."""
    if found.seq >= len(record.pages):
        return None
    image = record.pages[found.seq].image
    terms = read(query).terms if query else ()
    base = settings.base_url
    return Reading(
        number=found.seq + 1,
        lines=[
            ReadingLine(
                snippet([line.text], terms, width=len(line.text) + 1)
                if terms
                else ((line.text, False),),
                urls.image_region(base, image, line.x, line.y, line.w, line.h),
                line.language,
            )
            for line in found.lines
        ],
        previous=(
            base + page_text_path(key, found.previous + 1, query)
            if found.previous is not None
            else None
        ),
        next=base + page_text_path(key, found.next + 1, query) if found.next is not None else None,
    )


def record_view(
    key: str,
    record: Record,
    settings: Settings,
    others: list[Listed],
    *,
    text_page: PageLines | None = None,
    canvas: int | None = None,
    query: str = "",
) -> RecordView:
    """``text_page``: the page of page text shown, ``canvas``: the page (from 1) the viewer
    opens on, ``query``: the words a search found there (the viewer searches for them)."""
    base = settings.base_url
    ref = record.reference
    found = locator(ref) if ref else None
    record_url = urls.record_page(base, key)
    parts = [f"“{record.title}”", display_date(record.date), found or record.citation]
    full = ", ".join(p for p in parts if p) + f". {settings.repository.name}, {record_url}"
    bodies = sorted(record.text, key=lambda b: (b.kind != "transcription", b.language or ""))
    kinds = {b.kind for b in bodies}
    namespace = settings.repository.identifier
    oai = [(prefix, urls.oai_record(base, namespace, key, prefix)) for prefix in crosswalks.FORMATS]
    manifest = None
    if any(page.width and page.height for page in record.pages):
        manifest = urls.manifest(base, key)
    viewing = [("manifest", manifest or "")]
    if canvas is not None:
        viewing.append(("canvas", str(canvas)))
    if query:
        viewing.append(("q", query))
    return RecordView(
        key=key,
        record=record,
        crumbs=breadcrumbs(key),
        locator=found,
        full_citation=full,
        alternates=[c for c in (locator(a) or canonical(a) for a in record.alternates) if c],
        bodies=bodies,
        side_by_side=len(bodies) == 2 and kinds == {"transcription", "translation"},
        oai_links=oai,
        manifest=manifest,
        viewer=f"{base}/viewer?{urlencode(viewing)}" if manifest else None,
        pages=page_images(presentation_context(settings), record.pages) if manifest else [],
        drag_link=f"{manifest}?manifest={manifest}" if manifest else None,
        record_url=record_url,
        source_url=web_address(record.source.url),
        others=others,
        digital_objects=[url for url in (web_address(d) for d in record.daos) if url],
        finding_aid=f"{base}/ead/{key}.xml" if record.level and "/" in key else None,
        reading=(
            reading(key, record, settings, text_page, query) if text_page is not None else None
        ),
    )


def web_address(url: str | None) -> str | None:
    """``url`` if it is http(s): ingested data never puts a ``javascript:`` link on a page."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None
