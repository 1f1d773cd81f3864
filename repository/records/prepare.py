"""From a record as a reader gives it to a record ready to store (``Prepared``).

Everything that does not need the final key happens here, outside the write
transaction: parsing the citation, identity and locator, the set tree, a content hash
(so unchanged input is recognised and leaves the datestamp alone), and rendering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from metadata import identity as ident
from metadata.pagetext import PageText
from metadata.record import Page, Record
from metadata.references import parse
from metadata.sets import set_infos
from repository.records.renditions import Renderer
from repository.store.search.document import unnumbered
from repository.store.writes import Prepared, SetRow, record_json


def with_reference(record: Record) -> tuple[Record, list[str]]:
    """Parse the citation into the primary reference and alternates."""
    warnings: list[str] = []
    if record.reference is not None or not record.citation:
        return record, warnings
    citation = parse(record.citation)
    if not citation.references:
        warnings.append(f"citation {record.citation!r} not understood ({citation.error})")
        return record, warnings
    if citation.inferred_archive:
        warnings.append(
            f"citation {record.citation!r} names no archive; {citation.references[0].archive} "
            "inferred from its style"
        )
    references = citation.references
    return record.copy_with(reference=references[0], alternates=references[1:]), warnings


# The hash's JSON: keys sorted, so it does not depend on the order of the fields
_HASHED = json.JSONEncoder(ensure_ascii=False, sort_keys=True, check_circular=False)


def content_hash(doc: dict[str, Any], texts: Sequence[PageText | None] = ()) -> str:
    """The record's content (``doc``: its ``to_json()``, the key left out), and its page
    text when it has any (so new page text for the same record is a change, and the same
    page text again is none)."""
    if "key" in doc:
        doc = dict(doc)
        del doc["key"]
    body = _HASHED.encode(doc)
    if any(t is not None for t in texts):
        pages = [(t.digest or t.to_json()) if t is not None else None for t in texts]
        body += "\n" + _HASHED.encode(pages)
    return hashlib.sha256(body.encode()).hexdigest()


def prepare(
    record: Record,
    renderer: Renderer,
    *,
    locator: str | None = None,
    page_texts: Sequence[PageText | None] = (),
) -> tuple[Prepared, list[str]]:
    """``locator``: the key to ask for when the caller knows it better than the citation
    does (a record harvested from another Opis keeps the key it has there).
    ``page_texts``: each page's text (ALTO, PAGE XML) in page order, None for a page
    without; empty when the record has none."""
    texts = tuple(page_texts) if page_texts and any(t is not None for t in page_texts) else ()
    record, warnings = with_reference(record)
    if locator is None and (record.reference is None or not record.reference.archive):
        warnings.append(
            "no archival citation: stored in the UNCITED branch under a key made from "
            + ("its source record id" if record.source.id else "its date and title")
        )
    locator = locator or ident.locator(record)
    infos = set_infos(record, locator)
    keyed = record.with_key(locator)
    doc = keyed.to_json()  # made once: the stored JSON and the content hash read it
    prepared = Prepared(
        record=record,
        identity=ident.identity(record),
        token=ident.token(record),
        locator=locator,
        content_hash=content_hash(doc, texts),
        render_version=renderer.version,
        set_specs=tuple([i.spec for i in infos]),
        set_rows=tuple([SetRow(i.spec, i.name, i.description, i.named) for i in infos]),
        rerender=renderer.renditions,
        renditions=renderer.renditions(keyed, texts),
        data=record_json(keyed, doc),
        pages=tuple([(p.image, p.label) for p in record.pages]),
        page_texts=texts,
        render_base=renderer.base,
        search=unnumbered(keyed),
        archive=record.reference.archive if record.reference is not None else None,
    )
    return prepared, warnings


def with_pages(record: Record, stored: list[Page]) -> Record:
    return replace(record, pages=tuple(stored))
