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

from metadata.record import Record

from . import _fields
from ._xml import XML_LANG, Element, add, root, serialize, text, unique, xml_lang
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
EDM = f"{{{NAMESPACE}}}"
ABOUT, RESOURCE = f"{{{RDF}}}about", f"{{{RDF}}}resource"

NOT_EVALUATED = "http://rightsstatements.org/vocab/CNE/1.0/"
_RIGHTS = re.compile(
    r"https?://(rightsstatements\.org/vocab/[A-Za-z-]+/1\.0/?"
    r"|creativecommons\.org/(licenses|publicdomain)/[a-z0-9./-]+)"
)


def rights_uri(value: str | None) -> str:
    """A rights statement Europeana accepts: the record's, when it is one, else CNE."""
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


def _literal(parent: Element, tag: str, value: str | None, lang: str | None = None) -> None:
    cleaned = text(value)
    if cleaned:
        add(parent, tag, cleaned, **{XML_LANG: xml_lang(lang)})


def _resource(parent: Element, tag: str, uri: str) -> None:
    add(parent, tag, **{RESOURCE: uri})


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<rdf:RDF>`` element for ``record``, UTF-8, no XML declaration."""
    nsmap: dict[str | None, str] = {
        "rdf": RDF,
        "dc": DC,
        "dcterms": DCTERMS,
        "edm": NAMESPACE,
        "ore": ORE,
        "svcs": SVCS,
        "doap": DOAP,
    }
    rdf = root(f"{{{RDF}}}RDF", nsmap, NAMESPACE, SCHEMA)
    key = record.key or ""
    base = base_url(ctx, key)
    cho_id, aggregation_id = f"{ctx.record_url}#cho", f"{ctx.record_url}#aggregation"
    cho = add(rdf, f"{EDM}ProvidedCHO", **{ABOUT: cho_id})
    _literal(cho, f"{{{DC}}}title", _fields.title(record), record.title_language)
    for name in unique([*record.creators, *record.origination]):
        _literal(cho, f"{{{DC}}}creator", name)
    for name in unique([agent.name for agent in record.contributors]):
        _literal(cho, f"{{{DC}}}contributor", name)
    _literal(cho, f"{{{DC}}}date", record.date)
    for description in record.description:
        _literal(cho, f"{{{DC}}}description", description.value, description.language)
    for note in [_fields.full_text_note(record), *_fields.funding_notes(record)]:
        _literal(cho, f"{{{DC}}}description", note, "en")
    for identifier in unique([_fields.citation(record, ctx), ctx.reference_canonical]):
        _literal(cho, f"{{{DC}}}identifier", identifier)
    for code in unique(list(record.language)) or ["und"]:
        _literal(cho, f"{{{DC}}}language", code)
    for subject in unique(list(record.subjects)):
        _literal(cho, f"{{{DC}}}subject", subject)
    for kind in unique(["Text", record.level, *record.types]):
        _literal(cho, f"{{{DC}}}type", kind)
    _literal(cho, f"{{{DC}}}source", ctx.archive_name)
    for note in unique([*record.access, *record.use]):
        _literal(cho, f"{{{DC}}}rights", note)
    for extent in unique(list(record.extent)):
        _literal(cho, f"{{{DCTERMS}}}extent", extent)
    for link in unique(list(record.daos)):  # digital objects the finding aid links to
        _resource(cho, f"{{{DCTERMS}}}hasFormat", link)
    if record.parent:
        _resource(cho, f"{{{DCTERMS}}}isPartOf", urls.record_page(base, record.parent))
    for location in unique(list(record.location)):
        _literal(cho, f"{{{DCTERMS}}}provenance", location)
    for place in unique(list(record.places)):
        _literal(cho, f"{{{DCTERMS}}}spatial", place)
    add(cho, f"{EDM}type", "TEXT")

    images = [p.image for p in record.pages if p.image]
    views = [urls.image_full(base, image) for image in images]
    manifest = ctx.manifest_url
    for image, view in zip(images, views, strict=True):
        resource = add(rdf, f"{EDM}WebResource", **{ABOUT: view})
        if manifest:
            _resource(resource, f"{{{DCTERMS}}}isReferencedBy", manifest)
        _resource(resource, f"{{{SVCS}}}has_service", urls.image_service(base, image))

    aggregation = add(rdf, f"{{{ORE}}}Aggregation", **{ABOUT: aggregation_id})
    _resource(aggregation, f"{EDM}aggregatedCHO", cho_id)
    _literal(aggregation, f"{EDM}dataProvider", ctx.archive_name or ctx.archive_code)
    if not aggregation.findall(f"{EDM}dataProvider"):
        _literal(aggregation, f"{EDM}dataProvider", ctx.repository_name or "Opis")
    for view in views[1:]:
        _resource(aggregation, f"{EDM}hasView", view)
    _resource(aggregation, f"{EDM}isShownAt", ctx.record_url)
    if views:
        _resource(aggregation, f"{EDM}isShownBy", views[0])
    if views:
        _resource(aggregation, f"{EDM}object", views[0])
    _literal(aggregation, f"{EDM}provider", ctx.repository_name or "Opis")
    _resource(aggregation, f"{EDM}rights", rights_uri(record.rights))

    for image in images:
        service = add(rdf, f"{{{SVCS}}}Service", **{ABOUT: urls.image_service(base, image)})
        _resource(service, f"{{{DCTERMS}}}conformsTo", "http://iiif.io/api/image")
        _resource(service, f"{{{DOAP}}}implements", "http://iiif.io/api/image/3/level2.json")
    return serialize(rdf)
