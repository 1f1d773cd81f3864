"""Record -> MODS 3.7 (``mods``), the rich format aggregators and digital libraries take.

MODS can say what Dublin Core cannot: roles (MARC relators), the archival hierarchy as
nested ``relatedItem type="host"`` (delo inside opis inside fond), the shelf mark, and
which link is the record page and which is the IIIF manifest.
"""

from __future__ import annotations

from metadata import languages
from metadata.record import Record

from . import _fields
from ._xml import Element, add, root, serialize, text, unique
from .context import CrosswalkContext

PREFIX = "mods"
NAMESPACE = "http://www.loc.gov/mods/v3"
SCHEMA = "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"
# Element names in Clark notation: MODS_ + "titleInfo" is {http://www.loc.gov/mods/v3}titleInfo
MODS_ = f"{{{NAMESPACE}}}"


def _lang(value: str | None) -> str | None:
    """MODS ``lang`` wants ISO 639-2/B."""
    return languages.to_bibliographic(value) if value else None


def _names(mods: Element, record: Record) -> None:
    """Creators (the first is primary) and contributors with marcrelator terms and codes."""
    for index, name in enumerate(_fields.names(record)):
        primary = "primary" if index == 0 and record.creators else None
        kind = "corporate" if name.corporate else "personal"
        element = add(mods, MODS_ + "name", type=kind, usage=primary)
        add(element, MODS_ + "namePart", name.name)
        role = add(element, MODS_ + "role")
        authority = "marcrelator" if name.role.code else None
        add(role, MODS_ + "roleTerm", name.role.term, authority=authority, type="text")
        if name.role.code:
            add(role, MODS_ + "roleTerm", name.role.code, authority="marcrelator", type="code")


def _origin(mods: Element, record: Record, ctx: CrosswalkContext) -> None:
    """Creation date of the original (W3CDTF, key date) and publishers of the digital copy."""
    dates = _fields.read_date(record.date)
    if dates is not None:
        origin = add(mods, MODS_ + "originInfo", eventType="production")
        if dates.start is None:
            add(origin, MODS_ + "dateCreated", dates.text, keyDate="yes")
        elif dates.end is None:
            add(origin, MODS_ + "dateCreated", dates.start, encoding="w3cdtf", keyDate="yes")
        else:
            start, end = dates.start, dates.end
            add(
                origin,
                MODS_ + "dateCreated",
                start,
                encoding="w3cdtf",
                keyDate="yes",
                point="start",
            )
            add(origin, MODS_ + "dateCreated", end, encoding="w3cdtf", point="end")
    publishers = _fields.publishers(record, ctx)
    if publishers:  # an empty originInfo is invalid
        origin = add(
            mods, MODS_ + "originInfo", eventType="publication", displayLabel="Digital copy"
        )
        for publisher in publishers:
            add(origin, MODS_ + "publisher", publisher)


def _physical(mods: Element, record: Record, ctx: CrosswalkContext) -> None:
    """Extent of the original (sheets in the unit) and how the images came about."""
    physical = add(mods, MODS_ + "physicalDescription")
    leaves = _fields.sheets(ctx)
    add(physical, MODS_ + "extent", f"1 item ({leaves})" if leaves else "1 item")
    if record.pages:
        add(physical, MODS_ + "digitalOrigin", "reformatted digital")


def _host(parent: Element, levels: list[tuple[str, str]], ctx: CrosswalkContext) -> None:
    """Nested hosts: the delo, inside it the opis, inside that the fond (innermost first)."""
    for depth, (label, value) in enumerate(reversed(levels)):
        parent = add(parent, MODS_ + "relatedItem", type="host", displayLabel=label or None)
        add(add(parent, MODS_ + "titleInfo"), MODS_ + "title", f"{label} {value}".strip())
        if depth == 0:
            if text(ctx.reference_canonical):
                add(parent, MODS_ + "identifier", text(ctx.reference_canonical), type="local")
            leaves = text(ctx.sheets)
            if leaves:
                extent = add(add(parent, MODS_ + "part"), MODS_ + "extent", unit="leaves")
                add(extent, MODS_ + "list", leaves)
        if depth == len(levels) - 1 and text(ctx.archive_name or ctx.archive_code):
            location = add(parent, MODS_ + "location")
            add(location, MODS_ + "physicalLocation", text(ctx.archive_name or ctx.archive_code))


def _related(mods: Element, record: Record, ctx: CrosswalkContext) -> None:
    """Archival hierarchy, collections, copies elsewhere, the source description."""
    levels = _fields.hierarchy(ctx)
    if levels:
        _host(mods, levels, ctx)
    for collection in unique(record.collections):
        related = add(mods, MODS_ + "relatedItem", type="host", displayLabel="Collection")
        add(add(related, MODS_ + "titleInfo"), MODS_ + "title", collection)
    for url in unique(ctx.collection_urls):
        related = add(mods, MODS_ + "relatedItem", type="host", displayLabel="Collection")
        add(add(related, MODS_ + "location"), MODS_ + "url", url)
    for alternate in unique(ctx.alternates):
        related = add(mods, MODS_ + "relatedItem", type="otherVersion", displayLabel="Copy")
        add(related, MODS_ + "identifier", alternate, type="local")
    if text(record.source.url) or text(record.source.id):
        related = add(
            mods, MODS_ + "relatedItem", type="otherVersion", displayLabel="Source description"
        )
        if text(record.source.id):
            add(related, MODS_ + "identifier", text(record.source.id), type="local")
        if text(record.source.url):
            add(add(related, MODS_ + "location"), MODS_ + "url", text(record.source.url))


def _location(mods: Element, ctx: CrosswalkContext) -> None:
    """Where the original is kept (archive, shelf mark) and where it is online."""
    archive = text(ctx.archive_name or ctx.archive_code)
    canonical = text(ctx.reference_canonical)
    if archive or canonical:
        shelf = add(mods, MODS_ + "location")
        if archive:
            add(shelf, MODS_ + "physicalLocation", archive)
        if canonical:
            add(shelf, MODS_ + "shelfLocator", canonical)
    links = [url for url in (ctx.record_url, ctx.manifest_url) if text(url)]
    if not links:
        return
    online = add(mods, MODS_ + "location")
    if text(ctx.record_url):
        add(
            online,
            MODS_ + "url",
            text(ctx.record_url),
            displayLabel="Record page",
            access="object in context",
            usage="primary display",
        )
    if text(ctx.manifest_url):
        add(
            online,
            MODS_ + "url",
            text(ctx.manifest_url),
            displayLabel="IIIF manifest",
            note="IIIF Presentation API 3.0 manifest (application/ld+json)",
        )


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<mods>`` element for ``record``, UTF-8, no XML declaration."""
    mods = root(MODS_ + "mods", {None: NAMESPACE}, NAMESPACE, SCHEMA)
    mods.set("version", "3.7")
    title_info = add(mods, MODS_ + "titleInfo", lang=_lang(record.title_language))
    add(title_info, MODS_ + "title", _fields.title(record))
    _names(mods, record)
    add(mods, MODS_ + "typeOfResource", "text", manuscript="yes")
    for kind in unique(record.types):
        add(mods, MODS_ + "genre", kind)
    _origin(mods, record, ctx)
    for code in unique(record.language):
        bibliographic = languages.to_bibliographic(code)
        language = add(mods, MODS_ + "language")
        if bibliographic:
            add(language, MODS_ + "languageTerm", bibliographic, authority="iso639-2b", type="code")
        else:
            add(language, MODS_ + "languageTerm", code, authority="rfc5646", type="code")
    _physical(mods, record, ctx)
    for description in record.description:
        if text(description.value):
            add(mods, MODS_ + "abstract", text(description.value), lang=_lang(description.language))
    citation = _fields.citation(record, ctx)
    if citation:
        add(mods, MODS_ + "note", citation, type="preferred citation")
    note = _fields.full_text_note(record)
    if note:
        add(mods, MODS_ + "note", note, displayLabel="Full text")
    for funding in _fields.funding_notes(record):
        add(mods, MODS_ + "note", funding, type="funding")
    for subject in unique(record.subjects):
        add(add(mods, MODS_ + "subject"), MODS_ + "topic", subject)
    for place in unique(record.places):
        add(add(mods, MODS_ + "subject"), MODS_ + "geographic", place)
    _related(mods, record, ctx)
    if text(ctx.reference_canonical):
        add(mods, MODS_ + "identifier", text(ctx.reference_canonical), type="local")
    _location(mods, ctx)
    if text(record.rights):
        add(mods, MODS_ + "accessCondition", text(record.rights), type="use and reproduction")
    info = add(mods, MODS_ + "recordInfo")
    add(info, MODS_ + "recordContentSource", text(ctx.repository_name))
    add(info, MODS_ + "recordIdentifier", text(ctx.oai_identifier), source="oai")
    add(info, MODS_ + "recordOrigin", "Converted from the Opis record by the Opis MODS crosswalk.")
    return serialize(mods)
