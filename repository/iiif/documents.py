"""Manifests and collections as response entities, cached until their data changes.

A manifest is the bytes rendered when its record was written (with the store's
rendition base replaced by the configured public URL when the two differ, once per
cached entry; its ETag is that of the bytes served); a collection is built from the set
memberships on demand, with the configured base: documents with manifests, and
finding-aid units, whose records give the names of their collections and whose IIIF
links are listed (``manifests/presentation/tree.py``). Both are kept in memory with
what they were built from: the record's (id, datestamp), or the newest datestamp under
the container and that of the record above it (whose name ``partOf`` shows). Every
change reaches readers through a stamp (``store/clock.py``), and a stamp that makes a
change visible moves the store's ``changed`` value; while it stands
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
    parent_container,
    part_count,
    sort_key,
)
from manifests.presentation.tree import Entry, Member, branches, parent_of_container
from metadata.record import Record
from metadata.references import key_to_set_spec
from metadata.sets import SetInfo, unit_info
from repository.iiif.cache import ByteLRU, Cached
from repository.iiif.responses import datestamp_seconds, entity
from repository.records.iiif_settings import to_bytes
from repository.store import Snapshot, Store
from repository.store import iiif as queries
from repository.store.bases import Rebase, rebase
from repository.store.clock import read_changed
from repository.store.lookup import records_by_key

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
            above = parent_of_container(prefix) if prefix is not None else None
            parent = await queries.record_state(conn, above) if above is not None else None
            version = (newest, parent.datestamp if parent is not None else None)
            if (
                cached is not None
                and isinstance(cached.token, tuple)
                and not pending
                and cached.token[1] == version
            ):
                return self._keep(name, replace(cached, token=(clock, version)))
            page = await self._page(conn, prefix, spec, part)
        entry = entity(
            to_bytes(build_collection(self.context, page)),
            compress=True,
            token=(clock, version),
            last_modified=datestamp_seconds(max(newest, version[1] or 0)),
        )
        return entry if pending else self._keep(name, entry)

    async def _rebase(self) -> Rebase | None:
        """How stored manifests become served ones: None when the store's rendition base
        is the configured base (stored bytes are served as they are)."""
        return rebase(await self.store.rendition_base(), self.context.base)

    def _keep(self, name: tuple[str | int | None, ...], entry: Cached) -> Cached:
        self.cache.put(name, entry)
        return entry

    async def _page(
        self, conn: Snapshot, prefix: str | None, spec: str | None, part: int | None
    ) -> CollectionPage:
        if prefix is None:
            if part is not None:
                raise Missing(404, "the top collection has no parts")
            archives, with_units = await queries.archive_specs(conn)
            for archive in with_units:  # listed when its tree has something to show
                if (await _listing(conn, archive, archive)).entries:
                    archives.append(archive)
            return CollectionPage(None, [ContainerItem(a) for a in sorted(archives, key=sort_key)])
        assert spec is not None
        found = await _listing(conn, prefix, spec)
        listing = found.entries
        if not listing and not found.is_unit_collection:
            raise Missing(
                404, f"no collection {prefix}: nothing with page images or a IIIF manifest in it"
            )
        parts = part_count(len(listing), self.page_size)
        if part is None and parts > 1:
            index = [self._part(prefix, listing, n) for n in range(1, parts + 1)]
            return CollectionPage(prefix, index, units=found.units)
        if part is not None and (parts == 1 or not 1 <= part <= parts):
            raise Missing(404, f"the collection {prefix} has no part {part}")
        chosen = listing
        this_part = None
        if part is not None:
            chosen = listing[(part - 1) * self.page_size : part * self.page_size]
            this_part = self._part(prefix, listing, part)
        keys = [e.key for e in chosen if e.kind != "Collection"]
        documents = await records_by_key(conn, keys)
        items: list[ContainerItem | ManifestItem] = []
        for e in chosen:
            if e.kind == "Collection":
                items.append(ContainerItem(e.key))
            elif e.kind == "Linked":
                items += _linked(documents[e.key], e.key) if e.key in documents else []
            elif e.key in documents:
                record = documents[e.key]
                thumbnail = manifest_thumbnail(self.context, record)
                items.append(ManifestItem(e.key, document_label(record), thumbnail))
        return CollectionPage(prefix, items, part, this_part, units=found.units)

    def _part(self, prefix: str, listing: list[Entry], n: int) -> PartItem:
        chunk = listing[(n - 1) * self.page_size : n * self.page_size]
        return PartItem(
            prefix, n, chunk[0].key, chunk[-1].key, (n - 1) * self.page_size + 1, len(chunk)
        )


@dataclass(frozen=True)
class _Listing:
    """A container's items, and the finding-aid units they were worked out from."""

    entries: list[Entry]
    units: dict[str, SetInfo]  # the sets those of them that are units name, by key
    is_unit_collection: bool  # the container is a unit with units below: images or not


async def _listing(conn: Snapshot, prefix: str, spec: str) -> _Listing:
    """The entries of ``prefix``'s collection: documents with manifests, and the units
    of finding aids; the records of the units it names are read for their names."""
    members = [Member(*row) for row in await queries.tree_members(conn, spec)]
    below = branches(members)
    above = parent_of_container(prefix)
    named = {prefix, *(k for k in below if parent_container(k) == prefix)}
    records = await records_by_key(conn, sorted(named) + ([above] if above else []))
    manifests = [m.key for m in members if m.manifest]
    linked = [m.key for m in members if m.linked and not m.manifest]
    units = {k: unit_info(r, k) for k, r in records.items() if r.level}
    listing = entries(prefix, manifests, below, linked)
    return _Listing(listing, units, prefix in below)


def _linked(record: Record, key: str) -> list[ManifestItem]:
    """A unit's IIIF manifests published elsewhere, each labelled with the unit's title."""
    label = document_label(record)
    return [
        ManifestItem(key, label if n == 1 else _numbered(label, n), url=url)
        for n, url in enumerate(record.iiif_manifests, 1)
    ]


def _numbered(label: dict[str, list[str]], n: int) -> dict[str, list[str]]:
    return {language: [f"{text} ({n})" for text in texts] for language, texts in label.items()}


def _spec(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    try:
        return key_to_set_spec(prefix)
    except ValueError:
        raise Missing(404, f"{prefix} is not a container key") from None
