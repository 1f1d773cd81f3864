"""Record -> Europeana Data Model (``edm``): one ``rdf:RDF`` per record, for Europeana.

One ``edm:ProvidedCHO`` (the document or archival unit; ``rdf:about`` is the record page
with ``#cho``) and one ``ore:Aggregation`` (``#aggregation``), as Europeana requires:

* CHO: ``dc:title``, descriptions, creators, dates, ``dc:identifier`` (the archival
  reference), ``dc:language`` (``und`` when the record names none, since Europeana
  requires a language for ``TEXT``), subjects, ``dc:type`` (``Text`` and the archival
  level), ``dcterms:extent``, ``dcterms:spatial``, ``dcterms:isPartOf`` (the parent
  unit's page), ``dcterms:hasFormat`` (the EAD ``dao`` links), ``dcterms:provenance``
  (containers), ``edm:type`` ``TEXT``.
* Aggregation: ``edm:aggregatedCHO``, ``edm:dataProvider`` (the archive),
  ``edm:provider`` (this repository), ``edm:isShownAt`` (the record page), the IIIF
  pattern when the record has page images: the first page's image request URL
  (``.../full/max/0/default.jpg``) as ``edm:isShownBy`` and ``edm:object``, further
  pages as ``edm:hasView``; ``edm:rights`` is the record's rights statement when it is a
  rightsstatements.org or Creative Commons URI, else *Copyright Not Evaluated*.
* Each image is an ``edm:WebResource`` with ``dcterms:isReferencedBy`` (the manifest)
  and ``svcs:has_service`` to an ``svcs:Service`` (the Image API base URI,
  ``dcterms:conformsTo`` ``http://iiif.io/api/image``, ``doap:implements`` level 2).

Valid against Europeana's ``EDM.xsd`` (metis-schema); the order of properties is the
schema's.

The URLs follow ``manifests.presentation.urls`` (record page, Image API base, full
image), which this layer may not import (manifests sits above metadata); the tests hold
the two to the same output.
"""

from __future__ import annotations

import re
from functools import lru_cache

from metadata.record import Record

from . import _fields
from ._xml import elements, escaped, lang, open_root, quote, text, unique
from .context import CrosswalkContext

PREFIX = "edm"
NAMESPACE = "http://www.europeana.eu/schemas/edm/"
SCHEMA = "http://www.europeana.eu/schemas/edm/EDM.xsd"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
ORE = "http://www.openarchives.org/ore/terms/"
SVCS = "http://rdfs.org/sioc/services#"
DOAP = "http://usefulinc.com/ns/doap#"
_OPEN = open_root(
    "rdf:RDF",
    f' xmlns:rdf="{RDF}" xmlns:dc="{DC}" xmlns:dcterms="{DCTERMS}" xmlns:edm="{NAMESPACE}"'
    f' xmlns:ore="{ORE}" xmlns:svcs="{SVCS}" xmlns:doap="{DOAP}"',
    NAMESPACE,
    SCHEMA,
)

_EN = lang("en")

NOT_EVALUATED = "http://rightsstatements.org/vocab/CNE/1.0/"
_RIGHTS = re.compile(
    r"https?://(rightsstatements\.org/vocab/[A-Za-z-]+/1\.0/?"
    r"|creativecommons\.org/(licenses|publicdomain)/[a-z0-9./-]+)"
)


@lru_cache(maxsize=256)
def rights_uri(value: str | None) -> str:
    """A rights statement Europeana accepts: the record's, when it is one, else CNE.

    Cached: records repeat a few rights statements.
    """
    cleaned = text(value)
    match = _RIGHTS.fullmatch(cleaned) or _RIGHTS.search(cleaned)
    if not match:
        return NOT_EVALUATED
    uri = "http://" + match.group(0).split("://", 1)[1]
    return uri if uri.endswith("/") else uri + "/"


class urls:
    IMAGE = "iiif/image/3"

    @staticmethod
    def record_page(base: str, key: str) -> str:
        return f"{base}/records/{key}"

    @staticmethod
    def image_service(base: str, image_id: str) -> str:
        return f"{base}/{urls.IMAGE}/{image_id}"

    @staticmethod
    def image_full(base: str, image_id: str) -> str:
        return f"{urls.image_service(base, image_id)}/full/max/0/default.jpg"


def base_url(ctx: CrosswalkContext, key: str) -> str:
    """The public base the context's URLs were built with (``<base>/records/<key>``)."""
    tail = f"/records/{key}"
    if key and ctx.record_url.endswith(tail):
        return ctx.record_url[: -len(tail)]
    return ctx.record_url.partition("/records/")[0]


def _literal(out: list[str], tag: str, value: str | None, language: str | None = None) -> bool:
    """A literal property, skipped when the value is empty after cleaning (then False)."""
    written = escaped(value)
    if written:
        out.append(f"<{tag}{lang(language)}>{written}</{tag}>")
    return bool(written)


def _resource(out: list[str], tag: str, uri: str) -> None:
    out.append(f'<{tag} rdf:resource="{quote(uri)}"/>')


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<rdf:RDF>`` element for ``record``, UTF-8, no XML declaration."""
    key = record.key or ""
    base = base_url(ctx, key)
    cho_id, aggregation_id = f"{ctx.record_url}#cho", f"{ctx.record_url}#aggregation"
    rdf = [_OPEN, f'<edm:ProvidedCHO rdf:about="{quote(cho_id)}">']
    _literal(rdf, "dc:title", _fields.title(record), record.title_language)
    rdf.append(elements("dc:creator", [*record.creators, *record.origination]))
    rdf.append(elements("dc:contributor", [agent.name for agent in record.contributors]))
    _literal(rdf, "dc:date", record.date)
    for description in record.description:
        _literal(rdf, "dc:description", description.value, description.language)
    _literal(rdf, "dc:description", _fields.full_text_note(record), "en")
    rdf.append(elements("dc:description", _fields.funding_notes(record), _EN))
    identifiers = [_fields.citation(record, ctx), ctx.reference_canonical]
    rdf.append(elements("dc:identifier", identifiers))
    rdf.append(elements("dc:language", record.language) or "<dc:language>und</dc:language>")
    rdf.append(elements("dc:subject", record.subjects))
    rdf.append(elements("dc:type", ["Text", record.level, *record.types]))
    _literal(rdf, "dc:source", ctx.archive_name)
    rdf.append(elements("dc:rights", [*record.access, *record.use]))
    rdf.append(elements("dcterms:extent", record.extent))
    for link in unique(record.daos):  # digital objects the finding aid links to
        _resource(rdf, "dcterms:hasFormat", link)
    if record.parent:
        _resource(rdf, "dcterms:isPartOf", urls.record_page(base, record.parent))
    rdf.append(elements("dcterms:provenance", record.location))
    rdf.append(elements("dcterms:spatial", record.places))
    rdf.append("<edm:type>TEXT</edm:type></edm:ProvidedCHO>")

    images = [p.image for p in record.pages if p.image]
    views = [urls.image_full(base, image) for image in images]
    manifest = ctx.manifest_url
    for image, view in zip(images, views, strict=True):
        rdf.append(f'<edm:WebResource rdf:about="{quote(view)}">')
        if manifest:
            _resource(rdf, "dcterms:isReferencedBy", manifest)
        _resource(rdf, "svcs:has_service", urls.image_service(base, image))
        rdf.append("</edm:WebResource>")

    rdf.append(f'<ore:Aggregation rdf:about="{quote(aggregation_id)}">')
    _resource(rdf, "edm:aggregatedCHO", cho_id)
    if not _literal(rdf, "edm:dataProvider", ctx.archive_name or ctx.archive_code):
        _literal(rdf, "edm:dataProvider", ctx.repository_name or "Opis")
    for view in views[1:]:
        _resource(rdf, "edm:hasView", view)
    _resource(rdf, "edm:isShownAt", ctx.record_url)
    if views:
        _resource(rdf, "edm:isShownBy", views[0])
        _resource(rdf, "edm:object", views[0])
    _literal(rdf, "edm:provider", ctx.repository_name or "Opis")
    _resource(rdf, "edm:rights", rights_uri(record.rights))
    rdf.append("</ore:Aggregation>")

    for image in images:
        service = quote(urls.image_service(base, image))
        rdf.append(
            f'<svcs:Service rdf:about="{service}">'
            '<dcterms:conformsTo rdf:resource="http://iiif.io/api/image"/>'
            '<doap:implements rdf:resource="http://iiif.io/api/image/3/level2.json"/>'
            "</svcs:Service>"
        )
    rdf.append("</rdf:RDF>")
    return "".join(rdf).encode()
