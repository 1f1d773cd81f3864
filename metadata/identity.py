"""Who a document is, and where it sits in the archival tree: identity, token, locator.

The *locator* is the key a document asks for: its archival unit path plus the sheets
(``GAPPOD/f.1/op.89/d.90/ll.9-15``). The *identity* recognises the same document when it
is ingested again; the *token* tells apart two documents with the same locator
(``.../doc.123125``). A document with no citation gets a locator in the ``UNCITED``
branch, from its source record id or else its date and title, so it is still stable.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from urllib.parse import urlsplit

from metadata.record import Record
from metadata.references import document_key

UNCITED = "UNCITED"
_PLAIN = re.compile(r"^[A-Za-z0-9-]{1,40}$")


def identity(record: Record) -> str:
    """A string equal for two descriptions of the same document, and only for those."""
    if record.source.id:
        host = urlsplit(record.source.url).hostname if record.source.url else None
        return f"src:{host}:{record.source.id}" if host else f"src:{record.source.id}"
    if record.source.url:
        parts = urlsplit(record.source.url.strip())
        return f"url:{(parts.hostname or '').lower()}{parts.path.rstrip('/')}"
    basis = [_fold(record.title), record.date or "", _fold(record.citation or "")]
    return "doc:" + hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:32]


def token(record: Record) -> str:
    """The ``doc.`` segment's value: the source id when plain, else a short hash."""
    if record.source.id and _PLAIN.match(record.source.id):
        return record.source.id
    return hashlib.sha256(identity(record).encode()).hexdigest()[:12]


def locator(record: Record) -> str:
    """The key this document asks for (``UNCITED/doc.<...>`` when it has no citation)."""
    if record.reference is not None and record.reference.archive:
        key = document_key(record.reference)
        if key:
            return key
    if record.source.id and _PLAIN.match(record.source.id):
        return f"{UNCITED}/doc.{record.source.id}"
    slug = _slug(record.title)[:60].strip("-") or "untitled"
    stem = f"{record.date}-{slug}" if record.date else slug
    return f"{UNCITED}/doc.{stem}-{token(record)[:6]}"


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower())
