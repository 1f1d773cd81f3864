"""Manifests and collections as response entities, cached until their data changes.

A manifest is the bytes rendered when its record was written (with the store's
rendition base replaced by the configured public URL when the two differ, once per
cached entry; its ETag is that of the bytes served); a collection is built from the set
memberships on demand, with the configured base. Both are kept in memory with what they
were built from: the record's (id, datestamp), or the newest datestamp under the
container. Every change reaches readers through a stamp (``store/clock.py``), and a
stamp that makes a change visible moves the store's ``changed`` value; while it stands
still, a cached entry is current without asking the database anything. It is read at
most every CLOCK_TTL seconds, so a change is served at most that long after it was
stamped (OAI-PMH shows it only once stamped, too).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace

from manifests.presentation import (
    CollectionPage,
    ContainerItem,
    ManifestItem,
    PartItem,
    PresentationContext,
    build_collection,
    document_label,
    entries,
    manifest_thumbnail,
    part_count,
    sort_key,
)
from manifests.presentation.tree import Entry
from metadata.references import key_to_set_spec
from repository.iiif.cache import ByteLRU, Cached
from repository.iiif.responses import datestamp_seconds, entity
from repository.records.iiif_settings import to_bytes
from repository.store import Snapshot, Store
from repository.store import iiif as queries
from repository.store.bases import Rebase, rebase
from repository.store.clock import read_changed

CLOCK_TTL = 0.25


class Missing(Exception):
    """No such document: ``status`` is 404, or 410 for a deleted record."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Documents:
    store: Store
    context: PresentationContext
    page_size: int
    cache: ByteLRU
    _clock: int = field(default=-1, init=False)
    _clock_read: float = field(default=float("-inf"), init=False)
    _clock_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _rebase_for: tuple[str | None, Rebase | None] | None = field(default=None, init=False)

    async def clock(self) -> int:
        """When a change last became visible, read again once older than CLOCK_TTL."""
        if time.monotonic() - self._clock_read < CLOCK_TTL:
            return self._clock
        async with self._clock_lock:
            if time.monotonic() - self._clock_read >= CLOCK_TTL:
                async with self.store.single_statement() as conn:
                    self._clock = await read_changed(conn)
                self._clock_read = time.monotonic()
        return self._clock

    async def manifest(self, key: str) -> Cached:
        clock = await self.clock()
        name = ("manifest", key)
        cached = self.cache.peek(name)
        if cached is not None and isinstance(cached.token, tuple) and cached.token[0] == clock:
            return cached
        async with self.store.brief_snapshot() as conn:
            state = await queries.record_state(conn, key)
            if state is None:
                raise Missing(404, f"no document with key {key}")
            if state.deleted:
                raise Missing(410, f"the document {key} was deleted")
            made_from = (state.id, state.datestamp)
            if (
                cached is not None
                and isinstance(cached.token, tuple)
                and state.datestamp is not None
                and cached.token[1] == made_from
            ):
                return self._keep(name, replace(cached, token=(clock, made_from)))
            body = await queries.manifest_body(conn, state.id)
        if body is None:
            raise Missing(404, f"the document {key} has no page images, so no manifest")
        rebase = await self._rebase()
        served = rebase.json(bytes(body)) if rebase is not None else bytes(body)
        entry = entity(
            served,
            compress=True,
            token=(clock, made_from),
            last_modified=datestamp_seconds(state.datestamp),
        )
        return self._keep(name, entry) if state.datestamp is not None else entry

    async def collection(self, prefix: str | None, part: int | None = None) -> Cached:
        spec = _spec(prefix)
        clock = await self.clock()
        name = ("collection", prefix, part)
        cached = self.cache.peek(name)
        if cached is not None and isinstance(cached.token, tuple) and cached.token[0] == clock:
            return cached
        async with self.store.snapshot() as conn:
            newest, pending = await queries.subtree_version(conn, spec)
            if (
                cached is not None
                and isinstance(cached.token, tuple)
                and not pending
                and cached.token[1] == newest
            ):
                return self._keep(name, replace(cached, token=(clock, newest)))
            page = await self._page(conn, prefix, spec, part)
        entry = entity(
            to_bytes(build_collection(self.context, page)),
            compress=True,
            token=(clock, newest),
            last_modified=datestamp_seconds(newest),
        )
        return entry if pending else self._keep(name, entry)

    async def _rebase(self) -> Rebase | None:
        """How stored manifests become served ones: None when the store's rendition base
        is the configured base (stored bytes are served as they are)."""
        stored = await self.store.rendition_base()
        if self._rebase_for is None or self._rebase_for[0] != stored:
            self._rebase_for = (stored, rebase(stored, self.context.base))
        return self._rebase_for[1]

    def _keep(self, name: tuple[str | int | None, ...], entry: Cached) -> Cached:
        self.cache.put(name, entry)
        return entry

    async def _page(
        self, conn: Snapshot, prefix: str | None, spec: str | None, part: int | None
    ) -> CollectionPage:
        if prefix is None:
            if part is not None:
                raise Missing(404, "the top collection has no parts")
            archives = await queries.archive_specs(conn)
            items: list[ContainerItem | ManifestItem] = [
                ContainerItem(a) for a in sorted(archives, key=sort_key)
            ]
            return CollectionPage(None, items)
        assert spec is not None
        listing = entries(prefix, await queries.member_keys(conn, spec))
        if not listing:
            raise Missing(404, f"no collection {prefix}: no document with page images in it")
        parts = part_count(len(listing), self.page_size)
        if part is None and parts > 1:
            index = [self._part(prefix, listing, n) for n in range(1, parts + 1)]
            return CollectionPage(prefix, index)
        if part is not None and (parts == 1 or not 1 <= part <= parts):
            raise Missing(404, f"the collection {prefix} has no part {part}")
        chosen = listing
        this_part = None
        if part is not None:
            chosen = listing[(part - 1) * self.page_size : part * self.page_size]
            this_part = self._part(prefix, listing, part)
        keys = [e.key for e in chosen if e.kind == "Manifest"]
        found = await queries.records_by_key(conn, keys)
        items = [
            ContainerItem(e.key)
            if e.kind == "Collection"
            else ManifestItem(
                e.key,
                document_label(found[e.key]),
                manifest_thumbnail(self.context, found[e.key]),
            )
            for e in chosen
            if e.kind == "Collection" or e.key in found
        ]
        return CollectionPage(prefix, items, part, this_part)

    def _part(self, prefix: str, listing: list[Entry], n: int) -> PartItem:
        chunk = listing[(n - 1) * self.page_size : n * self.page_size]
        return PartItem(
            prefix, n, chunk[0].key, chunk[-1].key, (n - 1) * self.page_size + 1, len(chunk)
        )


def _spec(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    try:
        return key_to_set_spec(prefix)
    except ValueError:
        raise Missing(404, f"{prefix} is not a container key") from None
