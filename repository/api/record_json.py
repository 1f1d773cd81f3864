"""How the API names records and shows them: keys from raw paths, records as JSON.

Keys hold ``/`` and percent-escapes (``cty.%C3%89-Korea``, ``tet.2%2Fb``), and a decoded
path cannot tell ``%2F`` from ``/``, so the key is read from the raw path. Escapes are
brought to the one spelling keys use (upper-case hex, unreserved characters bare), so
``%c3%89`` and ``%C3%89`` name the same record.

A record is shown in the JSON record format that ``PUT`` and ``opis ingest`` read
(docs/json-records.md), with each page's ``image`` being its stored image id, so a
client can GET a record, change a field and PUT it back.
"""

from __future__ import annotations

import re
from typing import Any

from metadata.record import Record
from repository.store import StoredRecord
from repository.store.clock import format_us

PREFIX = "/api/records/"
MAX_KEY = 1000
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def key_from_path(raw_path: str) -> str | None:
    """The record key a raw request path names, or None when it names none."""
    if not raw_path.startswith(PREFIX):
        return None
    key = _ESCAPE.sub(_canonical_escape, raw_path[len(PREFIX) :])
    if not key or len(key) > MAX_KEY:
        return None
    return key


def _canonical_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else f"%{match.group(1).upper()}"


def public_record(record: Record) -> dict[str, Any]:
    """The record in the input format: ``reference`` is the citation as written."""
    out: dict[str, Any] = {}
    if record.citation:
        out["reference"] = record.citation
    out["title"] = record.title
    if record.date:
        out["date"] = record.date
    if record.description:
        out["description"] = [
            _drop_none(value=d.value, language=d.language) for d in record.description
        ]
    lists = {
        "creators": record.creators,
        "contributors": [_drop_none(name=a.name, role=a.role) for a in record.contributors],
        "language": record.language,
        "subjects": record.subjects,
        "places": record.places,
        "collections": record.collections,
        "types": record.types,
    }
    out.update({name: list(values) for name, values in lists.items() if values})
    for name in ("publisher", "rights"):
        if getattr(record, name):
            out[name] = getattr(record, name)
    if record.funders:
        out["funders"] = list(record.funders)
    if record.text:
        out["text"] = [
            _drop_none(language=t.language, kind=t.kind, content=t.content) for t in record.text
        ]
    source = _drop_none(id=record.source.id, url=record.source.url)
    if source:
        out["source"] = source
    if record.pages:
        out["pages"] = [_drop_none(image=p.image, label=p.label) for p in record.pages]
    return out


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def datestamp(stored: StoredRecord) -> str | None:
    """The OAI datestamp, or None while the change is still pending (not yet stamped)."""
    return format_us(stored.datestamp) if stored.datestamp is not None else None


def record_body(
    stored: StoredRecord, status: str, warnings: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": stored.key,
        "status": status,
        "deleted": stored.deleted,
        "datestamp": datestamp(stored),
        "record": public_record(stored.record),
    }
    if warnings is not None:
        body["warnings"] = warnings
    return body
