"""Record -> unqualified Dublin Core (``oai_dc``), the format every OAI-PMH harvester takes.

Aggregators link to the first URL in ``dc:identifier``, so the record page comes first,
then the IIIF manifest. The archival reference is a *source* (the unit the document is
kept in), not an identifier of this document: containers are shared by many documents.
Names stay plain (no roles) because aggregators match and facet on them.
"""

from __future__ import annotations

from metadata.record import Record

from . import _fields
from ._xml import elements, escaped, lang, open_root
from .context import CrosswalkContext

PREFIX = "oai_dc"
NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC = "http://purl.org/dc/elements/1.1/"

# DCMI Type Vocabulary term for every Opis record: archival documents are texts.
DCMI_TYPE = "Text"

_EN = lang("en")
_OPEN = open_root("oai_dc:dc", f' xmlns:oai_dc="{NAMESPACE}" xmlns:dc="{DC}"', NAMESPACE, SCHEMA)


def _dc(out: list[str], name: str, value: str | None, language: str | None = None) -> None:
    """One ``dc:name`` element, skipped when the value is empty after cleaning."""
    written = escaped(value)
    if written:
        out.append(f"<dc:{name}{lang(language)}>{written}</dc:{name}>")


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<oai_dc:dc>`` element for ``record``, UTF-8, no XML declaration."""
    dc = [_OPEN]
    _dc(dc, "title", _fields.title(record), record.title_language)
    dc.append(elements("dc:creator", record.creators))
    dc.append(elements("dc:subject", record.subjects))
    for description in record.description:
        _dc(dc, "description", description.value, description.language)
    _dc(dc, "description", _fields.full_text_note(record), "en")
    dc.append(elements("dc:description", _fields.funding_notes(record), _EN))
    dc.append(elements("dc:publisher", [record.publisher, ctx.repository_name]))
    dc.append(elements("dc:contributor", [agent.name for agent in record.contributors]))
    _dc(dc, "date", record.date)
    dc.append(elements("dc:type", [DCMI_TYPE, *record.types]))
    dc.append(elements("dc:identifier", [ctx.record_url, ctx.manifest_url]))
    sources = [
        _fields.citation(record, ctx),
        ctx.reference_canonical,
        ctx.archive_name,
        record.source.url,
    ]
    dc.append(elements("dc:source", sources))
    dc.append(elements("dc:language", record.language))
    relations = [*ctx.alternates, *record.collections, *ctx.collection_urls]
    dc.append(elements("dc:relation", relations))
    dc.append(elements("dc:coverage", record.places))
    _dc(dc, "rights", record.rights)
    dc.append("</oai_dc:dc>")
    return "".join(dc).encode()
