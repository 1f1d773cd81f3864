"""The rendition base: the public URL that stored renditions are written with.

Renditions (the OAI records in every format, the manifests) hold absolute URLs. They
are stored with the store's *rendition base*, a value kept in ``meta``: set to the
configured public URL when the store is first written, and not changed when
``server.public_url`` changes later. So serving the same database under another port
or URL re-renders nothing and moves no datestamp. Instead, when the configured base
differs, each stored body is served with the rendition base replaced by the configured
one (``Rebase``), once per body; when they are equal, stored bytes are served as they
are. ``Store.rebase`` rewrites the stored bodies to another base, when that replacing
is no longer wanted.

A writer renders with its own configured base and the store translates the bodies to
the rendition base in the write transaction, so every process (a server, ``opis
ingest`` and its worker processes, a harvest) stores the same bytes whatever its
settings. Writers read the base with a shared row lock (PostgreSQL), which
``Store.rebase`` takes exclusively, so no write lands half in one base and half in the
other.

A base is replaced where it starts a URL (followed by ``/``: every URL Opis writes is
``<base>/...``) and as it is serialised: in XML text and attributes (``&`` is
``&amp;``, ``"`` is ``&quot;``...) and in JSON strings (``"`` is ``\\"``...). In XML the
new base is always written in its attribute form, which is also correct in text, so a
base that is escaped differently in the two still gives well-formed, equal XML.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable

from sqlalchemy import select

from metadata.xmlchars import escape_attr, escape_text
from repository.store.engine import Reader, Writer, insert_missing
from repository.store.schema import meta

RENDITION_BASE = "rendition_base"
# Stored as JSON; every other rendition is XML (the OAI formats).
JSON_FORMATS = frozenset({"iiif:manifest"})


def _json(url: str) -> str:
    return json.dumps(url, ensure_ascii=False)[1:-1]


class Rebase:
    """Bodies stored with base ``old`` as they read with base ``new``."""

    def __init__(self, old: str, new: str) -> None:
        if not old or old == new:
            raise ValueError("a rebase needs two different bases")
        self.old, self.new = old, new
        self._xml = _replacer(
            {
                escape_text(old + "/"): escape_attr(new + "/"),
                escape_attr(old + "/"): escape_attr(new + "/"),
            }
        )
        self._json = _replacer({_json(old + "/"): _json(new + "/")})

    def body(self, fmt: str, body: bytes) -> bytes:
        """A stored rendition of format ``fmt`` with the base replaced."""
        return self._json(body) if fmt in JSON_FORMATS else self._xml(body)

    def xml(self, body: bytes) -> bytes:
        return self._xml(body)

    def json(self, body: bytes) -> bytes:
        return self._json(body)


@functools.lru_cache(maxsize=16)
def rebase(old: str | None, new: str) -> Rebase | None:
    """What turns bodies stored with ``old`` into bodies for ``new``; None when nothing
    needs replacing (the same base, or no base stored yet). Made once per pair: readers
    ask for it on every request, and a Rebase holds nothing that changes."""
    return Rebase(old, new) if old and old != new else None


def _replacer(pairs: dict[str, str]) -> Callable[[bytes], bytes]:
    found = {old.encode(): new.encode() for old, new in pairs.items()}
    if len(found) == 1:
        ((old, new),) = found.items()
        return lambda body: body.replace(old, new)
    # One pass over the body for every spelling, so no replacement is replaced again.
    pattern = re.compile(b"|".join(re.escape(o) for o in sorted(found, key=len, reverse=True)))
    return lambda body: pattern.sub(lambda m: found[m.group()], body)


async def read(conn: Reader) -> str | None:
    """The rendition base (None until the store is first written)."""
    found = await conn.execute(select(meta.c.value).where(meta.c.name == RENDITION_BASE))
    value: str | None = found.scalar()
    return value


async def for_writing(conn: Writer, configured: str) -> str:
    """The rendition base, inside a write transaction that stores renditions; the first
    write sets it to ``configured``. Held with a shared lock until the transaction ends."""
    query = select(meta.c.value).where(meta.c.name == RENDITION_BASE).with_for_update(read=True)
    value: str | None = (await conn.execute(query)).scalar()
    if value is None and configured:
        await insert_missing(conn, meta, [{"name": RENDITION_BASE, "value": configured}])
        value = (await conn.execute(query)).scalar()
    return value or configured
