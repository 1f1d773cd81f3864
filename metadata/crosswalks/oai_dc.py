"""Record -> unqualified Dublin Core (``oai_dc``), the format every OAI-PMH harvester takes.

Aggregators link to the first URL in ``dc:identifier``, so the record page comes first,
then the IIIF manifest. The archival reference is a *source* (the unit the document is
kept in), not an identifier of this document: containers are shared by many documents.
Names stay plain (no roles) because aggregators match and facet on them.
"""

from __future__ import annotations

from metadata.record import Record

from . import _fields
from ._xml import escape, lang, open_root, text, unique
from .context import CrosswalkContext

PREFIX = "oai_dc"
NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC = "http://purl.org/dc/elements/1.1/"

# DCMI Type Vocabulary term for every Opis record: archival documents are texts.
DCMI_TYPE = "Text"

_OPEN = open_root("oai_dc:dc", f' xmlns:oai_dc="{NAMESPACE}" xmlns:dc="{DC}"', NAMESPACE, SCHEMA)


def _dc(out: list[str], name: str, value: str | None, language: str | None = None) -> None:
    """One ``dc:name`` element, skipped when the value is empty after cleaning."""
    cleaned = text(value)
    if cleaned:
        out.append(f"<dc:{name}{lang(language)}>{escape(cleaned)}</dc:{name}>")


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<oai_dc:dc>`` element for ``record``, UTF-8, no XML declaration."""
    dc = [_OPEN]
    _dc(dc, "title", _fields.title(record), record.title_language)
    for name in unique(record.creators):
        _dc(dc, "creator", name)
    for subject in unique(record.subjects):
        _dc(dc, "subject", subject)
    for description in record.description:
        _dc(dc, "description", description.value, description.language)
    _dc(dc, "description", _fields.full_text_note(record), "en")
    for note in _fields.funding_notes(record):
        _dc(dc, "description", note, "en")
    for publisher in _fields.publishers(record, ctx):
        _dc(dc, "publisher", publisher)
    for name in unique([agent.name for agent in record.contributors]):
        _dc(dc, "contributor", name)
    _dc(dc, "date", record.date)
    for kind in unique([DCMI_TYPE, *record.types]):
        _dc(dc, "type", kind)
    for identifier in unique([ctx.record_url, ctx.manifest_url]):
        _dc(dc, "identifier", identifier)
    for source in unique(
        [
            _fields.citation(record, ctx),
            ctx.reference_canonical,
            ctx.archive_name,
            record.source.url,
        ]
    ):
        _dc(dc, "source", source)
    for code in unique(record.language):
        _dc(dc, "language", code)
    for relation in unique([*ctx.alternates, *record.collections, *ctx.collection_urls]):
        _dc(dc, "relation", relation)
    for place in unique(record.places):
        _dc(dc, "coverage", place)
    _dc(dc, "rights", record.rights)
    dc.append("</oai_dc:dc>")
    return "".join(dc).encode()
