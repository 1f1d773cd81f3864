"""One manifest per document: its pages as canvases, its text as supplementing annotations.

Built from the stored record alone (page ids and pixel sizes are in it since ingest), so
it is rendered once when the record is written and served as stored bytes. Canvas
width/height are the stored image's pixel size, so ``xywh`` targets are image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from iiif_prezi3 import (
    Annotation,
    AnnotationBody,
    AnnotationPage,
    Canvas,
    Manifest,
    ServiceV3,
    TextualBody,
)

from manifests.image_api import parse
from metadata import languages
from metadata.pagetext import PageText
from metadata.record import Page, Record

from . import describe, images, pagetext, search_service, urls
from .collection import container_label
from .context import PresentationContext
from .exact import ExactUrls
from .language import NONE, en, plain, tag, text_map
from .markup import safe_label
from .provider import provider
from .rights import rights_uri
from .tree import parent_container

# Part of the renderer's fingerprint: change it whenever the manifest output changes,
# so stored manifests are rendered again.
VERSION = "3"  # 2: record text made safe from HTML (markup.py); 3: page text, search


def build_manifest(
    record: Record, ctx: PresentationContext, texts: Sequence[PageText | None] = ()
) -> dict[str, Any]:
    """The Manifest document as JSON data (``@context`` first), ids exactly as served.

    Needs a keyed record whose pages are stored images (id, width, height). ``texts``:
    each page's text (ALTO, PAGE XML) in the record's page order, None for a page
    without; pages with text get their lines as annotations, and the manifest declares
    the Content Search services (2.0 and 1.0) that search them.
    """
    if not record.key:
        raise ValueError("a manifest needs the record's key")
    pages = [p for p in record.pages if p.width and p.height]
    if not pages:
        raise ValueError(f"{record.key}: no stored page images, so no manifest")
    exact = ExactUrls()
    key, base = record.key, ctx.base
    canvases = [_canvas(ctx, exact, key, n, page) for n, page in enumerate(pages, 1)]
    if record.text:
        first = urls.canvas(base, key, 1)
        canvases[0].annotations = [_text_page(exact, record, first)]
    parent = parent_container(key)
    fields: dict[str, Any] = {
        "id": exact(urls.manifest(base, key)),
        "label": describe.label(record),
        "metadata": describe.metadata_pairs(record) or None,
        "summary": describe.summary(record),
        "requiredStatement": describe.required_statement(record, ctx.repository_name),
        "rights": exact(rights_uri(record.rights, ctx.rights_map, ctx.default_rights)),
        "provider": [provider(ctx, exact)],
        "homepage": [
            {
                "id": exact(urls.record_page(base, key)),
                "type": "Text",
                "label": describe.label(record),
                "format": "text/html",
            }
        ],
        "seeAlso": [
            {
                "id": exact(urls.oai_record(base, ctx.oai_namespace, key, prefix)),
                "type": "Dataset",
                "label": en(f"OAI-PMH record ({prefix})"),
                "format": "text/xml",
                "profile": schema,
            }
            for prefix, schema in ctx.oai_formats
        ]
        + [_elsewhere(exact, url) for url in record.iiif_manifests],
        "partOf": [
            {
                "id": exact(urls.collection(base, parent)),
                "type": "Collection",
                "label": container_label(parent),
            }
        ],
        "thumbnail": _thumbnail(ctx, exact, pages[0]),
        "navDate": _nav_date(record.date),
        "items": canvases,
    }
    document = exact.dump(Manifest(**{k: v for k, v in fields.items() if v is not None}))
    return _with_page_text(document, record, ctx, texts)


def _elsewhere(exact: ExactUrls, url: str) -> dict[str, Any]:
    """A IIIF manifest of the same unit published elsewhere (a finding aid's ``<dao>``).

    Its Presentation version is not known, hence the API's own address as ``profile``.
    """
    return {
        "id": exact(url),
        "type": "Dataset",
        "label": en("IIIF manifest of this unit elsewhere"),
        "format": "application/ld+json",
        "profile": "https://iiif.io/api/presentation/",
    }


def _with_page_text(
    document: dict[str, Any],
    record: Record,
    ctx: PresentationContext,
    texts: Sequence[PageText | None],
) -> dict[str, Any]:
    """Line annotations on each canvas with text, and the search services.

    Written as plain JSON rather than through iiif-prezi3: a page holds hundreds of
    lines, and a document hundreds of pages.
    """
    if not any(t is not None for t in texts):
        return document
    assert record.key
    numbered = [n for n, p in enumerate(record.pages) if p.width and p.height]
    default = next((lang for lang in record.language if tag(lang) != NONE), None)
    for canvas, page_index in zip(document["items"], numbered, strict=True):
        text = texts[page_index] if page_index < len(texts) else None
        if text is None or not text.lines:
            continue
        canvas.setdefault("annotations", []).append(
            pagetext.annotation_page(canvas["id"], canvas["width"], canvas["height"], text, default)
        )
    document["service"] = search_service.blocks(ctx.base, record.key)
    return document


def manifest_thumbnail(ctx: PresentationContext, record: Record) -> dict[str, Any] | None:
    """The thumbnail a collection shows for this document (the manifest's own)."""
    pages = [p for p in record.pages if p.width and p.height]
    if not pages:
        return None
    found = _thumbnail(ctx, ExactUrls(), pages[0])
    return found[0] if found else None


def _thumbnail(
    ctx: PresentationContext, exact: ExactUrls, page: Page
) -> list[dict[str, Any]] | None:
    assert page.width and page.height
    found = images.thumbnail(ctx, page.image, page.width, page.height)
    return [exact.register(found)] if found else None


def _nav_date(value: str | None) -> datetime | None:
    text = describe.nav_date(value)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) if text else None


def _canvas(ctx: PresentationContext, exact: ExactUrls, key: str, n: int, page: Page) -> Canvas:
    assert page.width and page.height
    canvas_id = exact(urls.canvas(ctx.base, key, n))
    width, height = _full_size(ctx, page.width, page.height)
    body = AnnotationBody(
        id=exact(urls.image_full(ctx.base, page.image)),
        type="Image",
        format="image/jpeg",
        width=width,
        height=height,
        service=[
            ServiceV3(
                **exact.register(images.service_block(ctx, page.image, page.width, page.height))
            )
        ],
    )
    painting = Annotation(
        id=exact(f"{canvas_id}/annotation/1"),
        type="Annotation",
        motivation="painting",
        body=body,
        target=canvas_id,
    )
    return Canvas(
        id=canvas_id,
        label=safe_label(text_map(page.label)) if page.label else plain(str(n)),
        width=page.width,
        height=page.height,
        items=[AnnotationPage(id=exact(f"{canvas_id}/page/1"), items=[painting])],
    )


def _full_size(ctx: PresentationContext, width: int, height: int) -> tuple[int, int]:
    """What ``full/max`` really returns: the image, or the largest size the limits allow."""
    plan = parse("-", "full", "max", "0", "default.jpg").resolve(width, height, ctx.limits)
    return plan.size


def _text_page(exact: ExactUrls, record: Record, canvas_id: str) -> AnnotationPage:
    """The transcription and translations, on the first canvas (P3 §5.3 ``supplementing``)."""
    page_id = exact(f"{canvas_id}/text")
    items = []
    for i, body in enumerate(record.text, 1):
        kind = body.kind.capitalize() if body.kind else "Text"
        language = languages.name(body.language) if body.language else None
        # text/plain: viewers show the transcription as text, whatever characters it has
        textual: dict[str, Any] = {"value": body.content, "format": "text/plain"}
        if tag(body.language) != NONE:  # a BCP 47 tag, never other text
            textual["language"] = body.language
        items.append(
            Annotation(
                id=exact(f"{page_id}/{i}"),
                type="Annotation",
                motivation="supplementing",
                label=safe_label(en(f"{kind} ({language})" if language else kind)),
                body=TextualBody(**textual),
                target=canvas_id,
            )
        )
    return AnnotationPage(id=page_id, items=items)
