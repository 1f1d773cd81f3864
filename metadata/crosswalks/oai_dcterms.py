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

from functools import lru_cache

from metadata import languages
from metadata.record import Record

from . import _fields
from ._xml import elements, escaped, lang, open_root, unique
from .context import CrosswalkContext

PREFIX = "oai_dcterms"
NAMESPACE = "urn:opis:oai_dcterms"
SCHEMA = "/schemas/oai_dcterms.xsd"  # on this server: ListMetadataFormats makes it absolute
DCTERMS = "http://purl.org/dc/terms/"
_EN = lang("en")
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
    written = escaped(value)
    if written:
        scheme = f' xsi:type="dcterms:{kind}"' if kind else ""
        out.append(f"<dcterms:{name}{lang(language)}{scheme}>{written}</dcterms:{name}>")


@lru_cache(maxsize=256)
def _languages(values: tuple[str, ...]) -> str:
    """ISO 639-2 codes, else the value as given; cached, as records repeat a few
    combinations of languages."""
    out: list[str] = []
    for code in unique(values):
        bibliographic = languages.to_bibliographic(code)
        if bibliographic:
            _term(out, "language", bibliographic, kind="ISO639-2")
        else:
            _term(out, "language", code)
    return "".join(out)


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<oai_dcterms:dcterms>`` element for ``record``, UTF-8, no XML declaration."""
    out = [open_root("oai_dcterms:dcterms", _NAMESPACES, NAMESPACE, schema_url(ctx))]
    _term(out, "title", _fields.title(record), language=record.title_language)
    out.append(elements("dcterms:creator", [*record.creators, *record.origination]))
    out.append(elements("dcterms:contributor", [agent.name for agent in record.contributors]))
    out.append(elements("dcterms:subject", record.subjects))
    for description in record.description:
        _term(out, "abstract", description.value, language=description.language)
    _term(out, "description", _fields.full_text_note(record), language="en")
    out.append(elements("dcterms:description", _fields.funding_notes(record), _EN))
    out.append(elements("dcterms:publisher", [record.publisher, ctx.repository_name]))
    dates = _fields.read_date(record.date)
    if dates is not None and dates.start and not dates.end:
        _term(out, "created", dates.start, kind="W3CDTF")
    elif dates is not None and dates.start and dates.end:
        _term(out, "created", f"{dates.start}/{dates.end}")
    else:
        _term(out, "created", record.date)
    out.append('<dcterms:type xsi:type="dcterms:DCMIType">Text</dcterms:type>')
    out.append(elements("dcterms:type", [record.level, *record.types]))
    out.append(elements("dcterms:extent", record.extent))
    identifiers = [ctx.record_url, ctx.manifest_url]
    out.append(elements("dcterms:identifier", identifiers, ' xsi:type="dcterms:URI"'))
    _term(out, "bibliographicCitation", _fields.citation(record, ctx))
    sources = [ctx.reference_canonical, ctx.archive_name, *record.location]
    out.append(elements("dcterms:source", sources))
    out.append(_languages(tuple(record.language)))
    if record.parent:
        parent_url = ctx.record_url.partition("/records/")[0] + f"/records/{record.parent}"
        _term(out, "isPartOf", parent_url, kind="URI")
    out.append(elements("dcterms:isPartOf", record.collections))
    out.append(elements("dcterms:hasFormat", record.daos, ' xsi:type="dcterms:URI"'))
    out.append(elements("dcterms:spatial", record.places))
    out.append(elements("dcterms:accessRights", record.access))
    out.append(elements("dcterms:rights", [*record.use, record.rights]))
    out.append("</oai_dcterms:dcterms>")
    return "".join(out).encode()
