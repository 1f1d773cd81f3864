"""Record -> qualified Dublin Core (``oai_dcterms``): DCMI terms with encoding schemes.

DCMI publishes the ``dcterms`` element schema but no container element for a record,
so the payload root is Opis's own ``<oai_dcterms:dcterms>``, of DCMI's
``dcterms:elementOrRefinementContainer`` type (the container DCMI provides "for schema
authors who need to define a root"). Opis serves that one-element schema at
``/schemas/oai_dcterms.xsd``; it imports DCMI's ``dcterms.xsd`` (2008-02-11).

Every property is a ``dcterms:`` term; encoding schemes are given with ``xsi:type``:
``dcterms:W3CDTF`` (dates), ``dcterms:ISO639-2`` (languages), ``dcterms:DCMIType``
(``Text``), ``dcterms:URI`` (links).
"""

from __future__ import annotations

from metadata import languages
from metadata.record import Record

from . import _fields
from ._xml import escape, lang, open_root, text, unique
from .context import CrosswalkContext

PREFIX = "oai_dcterms"
NAMESPACE = "urn:opis:oai_dcterms"
SCHEMA = "/schemas/oai_dcterms.xsd"  # on this server: ListMetadataFormats makes it absolute
DCTERMS = "http://purl.org/dc/terms/"
_NAMESPACES = f' xmlns:oai_dcterms="{NAMESPACE}" xmlns:dcterms="{DCTERMS}"'


def schema_url(ctx: CrosswalkContext) -> str:
    """The schema's absolute URL on the server that rendered the record."""
    return ctx.record_url.partition("/records/")[0] + SCHEMA


def _term(
    out: list[str],
    name: str,
    value: str | None,
    *,
    language: str | None = None,
    kind: str | None = None,
) -> None:
    """One ``dcterms:name``, skipped when the value is empty after cleaning.

    ``kind``: the encoding scheme (``W3CDTF``), a constant of this module.
    """
    cleaned = text(value)
    if cleaned:
        scheme = f' xsi:type="dcterms:{kind}"' if kind else ""
        out.append(f"<dcterms:{name}{lang(language)}{scheme}>{escape(cleaned)}</dcterms:{name}>")


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<oai_dcterms:dcterms>`` element for ``record``, UTF-8, no XML declaration."""
    out = [open_root("oai_dcterms:dcterms", _NAMESPACES, NAMESPACE, schema_url(ctx))]
    _term(out, "title", _fields.title(record), language=record.title_language)
    for name in unique([*record.creators, *record.origination]):
        _term(out, "creator", name)
    for name in unique([agent.name for agent in record.contributors]):
        _term(out, "contributor", name)
    for subject in unique(list(record.subjects)):
        _term(out, "subject", subject)
    for description in record.description:
        _term(out, "abstract", description.value, language=description.language)
    for note in [_fields.full_text_note(record), *_fields.funding_notes(record)]:
        _term(out, "description", note, language="en")
    for publisher in _fields.publishers(record, ctx):
        _term(out, "publisher", publisher)
    dates = _fields.read_date(record.date)
    if dates is not None and dates.start and not dates.end:
        _term(out, "created", dates.start, kind="W3CDTF")
    elif dates is not None and dates.start and dates.end:
        _term(out, "created", f"{dates.start}/{dates.end}")
    else:
        _term(out, "created", record.date)
    _term(out, "type", "Text", kind="DCMIType")
    for kind in unique([record.level, *record.types]):
        _term(out, "type", kind)
    for extent in unique(list(record.extent)):
        _term(out, "extent", extent)
    for identifier in unique([ctx.record_url, ctx.manifest_url]):
        _term(out, "identifier", identifier, kind="URI")
    _term(out, "bibliographicCitation", _fields.citation(record, ctx))
    for source in unique([ctx.reference_canonical, ctx.archive_name, *record.location]):
        _term(out, "source", source)
    for code in unique(list(record.language)):
        bibliographic = languages.to_bibliographic(code)
        if bibliographic:
            _term(out, "language", bibliographic, kind="ISO639-2")
        else:
            _term(out, "language", code)
    if record.parent:
        parent_url = ctx.record_url.partition("/records/")[0] + f"/records/{record.parent}"
        _term(out, "isPartOf", parent_url, kind="URI")
    for collection in unique(list(record.collections)):
        _term(out, "isPartOf", collection)
    for link in unique(list(record.daos)):
        _term(out, "hasFormat", link, kind="URI")
    for place in unique(list(record.places)):
        _term(out, "spatial", place)
    for condition in unique(list(record.access)):
        _term(out, "accessRights", condition)
    for condition in unique([*record.use, record.rights]):
        _term(out, "rights", condition)
    out.append("</oai_dcterms:dcterms>")
    return "".join(out).encode()
