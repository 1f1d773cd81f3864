"""Record -> MODS 3.7 (``mods``), the rich format aggregators and digital libraries take.

MODS can say what Dublin Core cannot: roles (MARC relators), the archival hierarchy as
nested ``relatedItem type="host"`` (delo inside opis inside fond), the shelf mark, and
which link is the record page and which is the IIIF manifest.
"""

from __future__ import annotations

from functools import lru_cache

from metadata import languages
from metadata.record import Record

from . import _fields
from ._xml import (
    attribute,
    element,
    elements,
    enclosed,
    escape,
    escaped,
    open_root,
    text,
    unique,
    wrap,
)
from .context import CrosswalkContext

PREFIX = "mods"
NAMESPACE = "http://www.loc.gov/mods/v3"
SCHEMA = "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"

_OPEN = open_root("mods", f' xmlns="{NAMESPACE}"', NAMESPACE, SCHEMA, ' version="3.7"')
# (start, end) around each value of a repeated related item
_COLLECTION = (
    '<relatedItem type="host" displayLabel="Collection"><titleInfo><title>',
    "</title></titleInfo></relatedItem>",
)
_COLLECTION_URL = (
    '<relatedItem type="host" displayLabel="Collection"><location><url>',
    "</url></location></relatedItem>",
)
_COPY = (
    '<relatedItem type="otherVersion" displayLabel="Copy"><identifier type="local">',
    "</identifier></relatedItem>",
)
_RECORD_ORIGIN = "Converted from the Opis record by the Opis MODS crosswalk."


@lru_cache(maxsize=256)
def _lang(value: str | None) -> str:
    """`` lang="..."``: MODS ``lang`` wants ISO 639-2/B (left out when there is none);
    cached, as records repeat a few languages."""
    return attribute("lang", languages.to_bibliographic(value) if value else None)


def _names(mods: list[str], record: Record) -> None:
    """Creators (the first is primary) and contributors with marcrelator terms and codes."""
    for index, name in enumerate(_fields.names(record)):
        primary = ' usage="primary"' if index == 0 and record.creators else ""
        kind = "corporate" if name.corporate else "personal"
        code = name.role.code
        if code:
            terms = (
                f'<roleTerm authority="marcrelator" type="text">{escape(name.role.term)}</roleTerm>'
                f'<roleTerm authority="marcrelator" type="code">{escape(code)}</roleTerm>'
            )
        else:
            terms = f'<roleTerm type="text">{escape(name.role.term)}</roleTerm>'
        mods.append(
            f'<name type="{kind}"{primary}><namePart>{escape(name.name)}</namePart>'
            f"<role>{terms}</role></name>"
        )


def _origin(mods: list[str], record: Record, ctx: CrosswalkContext) -> None:
    """Creation date of the original (W3CDTF, key date) and publishers of the digital copy."""
    dates = _fields.read_date(record.date)
    if dates is not None:
        if dates.start is None:
            created = f'<dateCreated keyDate="yes">{escape(dates.text)}</dateCreated>'
        elif dates.end is None:
            created = (
                f'<dateCreated encoding="w3cdtf" keyDate="yes">{escape(dates.start)}</dateCreated>'
            )
        else:
            created = (
                '<dateCreated encoding="w3cdtf" keyDate="yes" point="start">'
                f"{escape(dates.start)}</dateCreated>"
                f'<dateCreated encoding="w3cdtf" point="end">{escape(dates.end)}</dateCreated>'
            )
        mods.append(f'<originInfo eventType="production">{created}</originInfo>')
    publishers = elements("publisher", [record.publisher, ctx.repository_name])
    if publishers:  # an empty originInfo is invalid
        mods.append('<originInfo eventType="publication" displayLabel="Digital copy">')
        mods.append(publishers)
        mods.append("</originInfo>")


def _physical(mods: list[str], record: Record, ctx: CrosswalkContext) -> None:
    """Extent of the original (sheets in the unit) and how the images came about."""
    leaves = _fields.sheets(ctx)
    extent = escape(f"1 item ({leaves})" if leaves else "1 item")
    origin = "<digitalOrigin>reformatted digital</digitalOrigin>" if record.pages else ""
    mods.append(f"<physicalDescription><extent>{extent}</extent>{origin}</physicalDescription>")


def _host(levels: tuple[tuple[str, str], ...], ctx: CrosswalkContext) -> str:
    """Nested hosts: the delo, inside it the opis, inside that the fond (innermost first)."""
    inner = ""
    archive = escaped(ctx.archive_name or ctx.archive_code)
    # built from the outermost (the fond) in, each level wrapping the one above it
    for depth in reversed(range(len(levels))):
        label, value = levels[len(levels) - 1 - depth]
        parts = [f"<titleInfo>{element('title', f'{label} {value}'.strip())}</titleInfo>"]
        if depth == 0:
            canonical = escaped(ctx.reference_canonical)
            if canonical:
                parts.append(f'<identifier type="local">{canonical}</identifier>')
            leaves = escaped(ctx.sheets)
            if leaves:
                parts.append(f'<part><extent unit="leaves"><list>{leaves}</list></extent></part>')
        if depth == len(levels) - 1 and archive:
            parts.append(f"<location><physicalLocation>{archive}</physicalLocation></location>")
        parts.append(inner)
        attributes = ' type="host"' + attribute("displayLabel", label or None)
        inner = wrap("relatedItem", "".join(parts), attributes)
    return inner


def _related(mods: list[str], record: Record, ctx: CrosswalkContext) -> None:
    """Archival hierarchy, collections, copies elsewhere, the source description."""
    levels = _fields.hierarchy(ctx)
    if levels:
        mods.append(_host(levels, ctx))
    mods.append(enclosed(record.collections, *_COLLECTION))
    mods.append(enclosed(ctx.collection_urls, *_COLLECTION_URL))
    mods.append(enclosed(ctx.alternates, *_COPY))
    source_id, source_url = escaped(record.source.id), escaped(record.source.url)
    if source_url or source_id:
        mods.append('<relatedItem type="otherVersion" displayLabel="Source description">')
        if source_id:
            mods.append(f'<identifier type="local">{source_id}</identifier>')
        if source_url:
            mods.append(f"<location><url>{source_url}</url></location>")
        mods.append("</relatedItem>")


def _location(mods: list[str], ctx: CrosswalkContext) -> None:
    """Where the original is kept (archive, shelf mark) and where it is online."""
    archive = escaped(ctx.archive_name or ctx.archive_code)
    canonical = escaped(ctx.reference_canonical)
    if archive or canonical:
        mods.append("<location>")
        if archive:
            mods.append(f"<physicalLocation>{archive}</physicalLocation>")
        if canonical:
            mods.append(f"<shelfLocator>{canonical}</shelfLocator>")
        mods.append("</location>")
    record_url, manifest_url = escaped(ctx.record_url), escaped(ctx.manifest_url)
    if not (record_url or manifest_url):
        return
    mods.append("<location>")
    if record_url:
        mods.append(
            '<url displayLabel="Record page" access="object in context" '
            f'usage="primary display">{record_url}</url>'
        )
    if manifest_url:
        mods.append(
            '<url displayLabel="IIIF manifest" '
            'note="IIIF Presentation API 3.0 manifest (application/ld+json)">'
            f"{manifest_url}</url>"
        )
    mods.append("</location>")


@lru_cache(maxsize=256)
def _languages(values: tuple[str, ...]) -> str:
    """ISO 639-2/B codes, else the RFC 5646 tag as given; cached, as records repeat a few
    combinations of languages."""
    written = []
    for code in unique(values):
        bibliographic = languages.to_bibliographic(code)
        if bibliographic:
            term = f'<languageTerm authority="iso639-2b" type="code">{escape(bibliographic)}'
        else:
            term = f'<languageTerm authority="rfc5646" type="code">{escape(code)}'
        written.append(f"<language>{term}</languageTerm></language>")
    return "".join(written)


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<mods>`` element for ``record``, UTF-8, no XML declaration."""
    mods = [_OPEN]
    title = escape(_fields.title(record))
    mods.append(f"<titleInfo{_lang(record.title_language)}><title>{title}</title></titleInfo>")
    _names(mods, record)
    mods.append('<typeOfResource manuscript="yes">text</typeOfResource>')
    mods.append(elements("genre", record.types))
    _origin(mods, record, ctx)
    mods.append(_languages(tuple(record.language)))
    _physical(mods, record, ctx)
    for description in record.description:
        value = escaped(description.value)
        if value:
            mods.append(f"<abstract{_lang(description.language)}>{value}</abstract>")
    citation = _fields.citation(record, ctx)
    if citation:
        mods.append(f'<note type="preferred citation">{escape(citation)}</note>')
    note = _fields.full_text_note(record)
    if note:
        mods.append(f'<note displayLabel="Full text">{escape(note)}</note>')
    for funding in _fields.funding_notes(record):
        mods.append(f'<note type="funding">{escape(funding)}</note>')
    mods.append(enclosed(record.subjects, "<subject><topic>", "</topic></subject>"))
    mods.append(enclosed(record.places, "<subject><geographic>", "</geographic></subject>"))
    _related(mods, record, ctx)
    canonical = escaped(ctx.reference_canonical)
    if canonical:
        mods.append(f'<identifier type="local">{canonical}</identifier>')
    _location(mods, ctx)
    rights = escaped(record.rights)
    if rights:
        mods.append(f'<accessCondition type="use and reproduction">{rights}</accessCondition>')
    mods.append(
        f"<recordInfo>{element('recordContentSource', text(ctx.repository_name))}"
        f'<recordIdentifier source="oai">{escaped(ctx.oai_identifier)}</recordIdentifier>'
        f"<recordOrigin>{_RECORD_ORIGIN}</recordOrigin></recordInfo></mods>"
    )
    return "".join(mods).encode()
