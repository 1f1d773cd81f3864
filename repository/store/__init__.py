"""The store: records, sets, renditions and images in SQLite or PostgreSQL.

``Store`` is the one object the rest of ``repository`` talks to; the modules beside it
hold the SQL (``writes`` for transactions that change things, ``reads`` for OAI scans,
``clock`` for datestamps).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.record import Record
from repository.http.coalesce import Coalesce
from repository.store import bases, bodies, clock, lookup, migrate, page_text, reads, search, writes
from repository.store.engine import (
    Reader,
    Writer,
    brief_snapshot,
    checkpoint,
    connect,
    create_engine,
    create_inline_engine,
    driver_row,
    insert_missing,
    quick_reader,
    read_in_thread,
    read_snapshot,
    single_statement,
    translated,
    write_in_thread,
    write_transaction,
)
from repository.store.errors import Conflict, NotFound, StoreError, StoreUnavailable
from repository.store.schema import images, meta, pages, records

T = TypeVar("T")
# What ``Store.snapshot()`` hands out: a connection the store's read functions take.
# Callers pass it on and never run SQL on it themselves.
Snapshot = AsyncConnection
# Records written by one run of ingest or harvest after which PostgreSQL is vacuumed.
TIDY_AFTER = 1_000

__all__ = [
    "Conflict",
    "NotFound",
    "Snapshot",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredRecord",
]


@dataclass(frozen=True)
class StoredRecord:
    id: int
    key: str
    datestamp: int | None
    deleted: bool
    record: Record


class Store:
    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.inline = create_inline_engine(url)
        self.inline_writer = create_inline_engine(url, writer=True)
        self.quick = quick_reader(self.inline)
        # Threads for long reads and stamps, apart from the default executor's file and
        # image work.
        self._readers: ThreadPoolExecutor | None = None
        # One thread for batch writes (SQLite takes one writer at a time anyway), apart
        # from the readers', so that a long batch never holds up a list's first page.
        self._writer: ThreadPoolExecutor | None = None
        self._secret: bytes | None = None
        # Answers computed from stamped state, valid until the next visible change.
        self.memo = Memo(16 << 20)
        # Answers being computed, shared with identical requests that arrive meanwhile.
        self.in_flight = Coalesce()
        self._stamping = asyncio.Lock()
        self.clock_seen = 0
        self.changed = -1
        self._rendition_base: str | None = None

    async def open(self) -> Store:
        """Create missing tables (migrations keep existing ones current)."""
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        try:
            async with write_transaction(self.engine) as conn:
                if self.engine.dialect.name == "postgresql":  # one opener at a time
                    await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(915)")
                await migrate.ensure(conn)
                await search.create(conn)
        except (OperationalError, OSError, DBAPIError) as exc:
            raise StoreUnavailable(f"cannot open the database {self.url}: {exc}") from exc
        return self

    async def close(self) -> None:
        await self.engine.dispose()
        for pool in (self._readers, self._writer):
            if pool is not None:
                pool.shutdown(wait=False)
        self._readers = self._writer = None
        for inline in (self.inline, self.inline_writer):
            if inline is not None:
                inline.dispose()
        if self.quick is not None:
            self.quick.close()

    # -- small named values -------------------------------------------------------

    async def get_meta(self, name: str) -> str | None:
        async with connect(self.engine) as conn:
            return (await conn.execute(select(meta.c.value).where(meta.c.name == name))).scalar()

    async def set_meta(self, name: str, value: str) -> None:
        async with write_transaction(self.engine) as conn:
            await _put_meta(conn, name, value)

    async def rendition_base(self) -> str | None:
        """The base URL stored renditions are written with (see bases.py); None until the
        store is first written. Kept once known: only ``rebase`` changes it, and bodies
        served through the old value stay right for a server configured with the new one.
        """
        if self._rendition_base is None:
            async with self.single_statement() as conn:
                self._rendition_base = await bases.read(conn)
        return self._rendition_base

    async def rebase(self, base: str) -> int:
        """Rewrite every stored rendition to ``base`` and make it the rendition base;
        returns how many bodies changed. Moves no datestamp: served bytes stay the same
        for a server whose public URL is ``base``. (Other running servers keep replacing
        the old base, which no longer occurs, until restarted.)"""
        base = base.rstrip("/")
        async with write_transaction(self.engine) as conn:
            changed = await writes.rebase_renditions(conn, base)
        self._rendition_base = base
        self.memo.clear()
        return changed

    async def secret(self, configured: str = "") -> bytes:
        """The key that signs resumption tokens: configured, else one kept in the database."""
        if configured:
            return configured.encode()
        if self._secret is None:
            async with write_transaction(self.engine) as conn:
                value = (
                    await conn.execute(select(meta.c.value).where(meta.c.name == "secret"))
                ).scalar()
                if value is None:
                    value = secrets.token_hex(32)
                    await conn.execute(meta.insert().values(name="secret", value=value))
            self._secret = value.encode()
        return self._secret

    # -- writing ------------------------------------------------------------------

    async def write(
        self,
        batch: Sequence[writes.Prepared],
        *,
        check: Callable[[list[writes.Outcome]], None] | None = None,
    ) -> list[writes.Outcome]:
        """Store a batch in one transaction: every record in it, or none.

        ``check`` sees the outcomes before the commit; whatever it raises rolls the
        batch back and goes up to the caller. On SQLite the batch runs in a thread of its
        own, in one hand-off (``write_in_thread``): with one per statement, the writes
        waited for an event loop busy reading the next records (measured: ingest some 9%
        faster).
        """

        async def write(conn: Writer) -> list[writes.Outcome]:
            outcomes = await writes.write_batch(conn, batch)
            if check is not None:
                check(outcomes)
            return outcomes

        return await write_in_thread(self.engine, self.inline_writer, self._write_thread(), write)

    async def dictionaries(self, have: bodies.Chosen | None = None) -> bodies.Chosen:
        """The dictionaries to pack bodies with before they are written (``Prepared``'s
        ``packed``), from the store's committed state; ``have``: the previous answer."""
        async with connect(self.engine) as conn:
            return await bodies.newest(conn, have)

    async def rerender(
        self,
        version: str,
        render: writes.Render,
        batch: int = 500,
        *,
        base: str = "",
    ) -> int:
        """Render again every live record rendered by another version; returns how many.

        ``render`` renders with the public URL ``base``; the store keeps the bodies in its
        rendition base. Their datestamps go back to pending, so the next stamp moves them
        and incremental harvests pick them up; each changed manifest gets an activity in
        the Change Discovery log, stamped with them.
        """
        done = 0
        while True:
            async with write_transaction(self.engine) as conn:
                count = await writes.rerender_batch(conn, version, render, batch, base)
            if not count:
                return done
            done += count
            await self.stamp()

    async def delete(self, key: str) -> writes.Outcome | None:
        async with write_transaction(self.engine) as conn:
            return await writes.mark_deleted(conn, key)

    async def add_images(self, rows: Sequence[dict[str, Any]]) -> None:
        """Register stored image files (idempotent: an id already known is left alone)."""
        if not rows:
            return
        async with write_transaction(self.engine) as conn:
            await insert_missing(conn, images, list({r["id"]: r for r in rows}.values()))

    async def stamp(self) -> int:
        """Make committed changes visible to OAI (see clock.py); returns the clock."""
        t, changed = await write_in_thread(
            self.engine, self.inline_writer, self._threads(), clock.stamp
        )
        self.clock_seen = max(self.clock_seen, t)
        self._observe(changed)
        return t

    async def tidy(self, written: int) -> None:
        """After a bulk write, leave the database as quick to read as before it.

        On SQLite, the log is copied into the database and emptied: a bulk write lets it
        grow long (engine.CHECKPOINT_PAGES), and while a server holds the store open the
        log would stay until that server's own writes filled it, every read looking
        through it first. On PostgreSQL, the row versions that stamping left are cleared:
        every record is written and then stamped (clock.py), so each write leaves a dead
        row version in ``records`` and ``memberships`` until a vacuum. Until then the
        count of pending rows that every list's first page makes walks all of them: 250
        ms at a million records, against 5 ms after. Autovacuum, where it is on, gets
        there in its own time; a bulk ingest does not leave harvesters waiting for it.
        """
        if written < TIDY_AFTER:
            return
        if self.inline_writer is not None:
            loop = asyncio.get_running_loop()
            with translated():
                await loop.run_in_executor(self._write_thread(), checkpoint, self.inline_writer)
            return
        if self.engine.dialect.name != "postgresql":
            return
        async with self.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM (ANALYZE) records, memberships")

    async def tick(self) -> None:
        """The server's once-a-second duty: stamp what is pending, and notice others' stamps.

        Nothing pending, nothing written: an idle server leaves the database alone, and
        a stamp's few milliseconds of Python in its thread do not hold up the event loop
        every second (each read that lets go of the GIL waited for them: under GetRecord
        load, one read took 8-11 ms once a second, and those requests made the p99). A
        list's first page brings a stale clock up to date itself (``fresh_clock``).
        """
        async with self.brief_snapshot() as conn:
            waiting = await clock.pending(conn)
            changed = await clock.read_changed(conn)
            now = await clock.read_clock(conn)
        self.clock_seen = max(self.clock_seen, now)
        if waiting:
            await self.stamp()
        else:
            self._observe(changed)

    async def fresh_clock(self, max_age_us: int) -> None:
        """Stamp if the clock is older than ``max_age_us``; concurrent callers share one stamp.

        A clock this process saw recently is proof enough (clocks only move forward), so
        the common case costs no query at all.
        """
        if clock.now_us() - self.clock_seen <= max_age_us:
            return
        async with self._stamping:
            if clock.now_us() - self.clock_seen <= max_age_us:
                return
            async with self.single_statement() as conn:
                self.clock_seen = max(self.clock_seen, await clock.read_clock(conn))
            if clock.now_us() - self.clock_seen > max_age_us:
                await self.stamp()

    def _observe(self, changed: int) -> None:
        if changed != self.changed:
            self.changed = changed
            self.memo.clear()

    # -- reading ------------------------------------------------------------------

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        async with read_snapshot(self.engine) as conn:
            yield conn

    @asynccontextmanager
    async def brief_snapshot(self) -> AsyncIterator[Reader]:
        """A snapshot for a few indexed reads; on SQLite it skips aiosqlite's threads."""
        async with brief_snapshot(self.engine, self.inline) as conn:
            yield conn

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[Reader]:
        """A connection for one read statement (a GetRecord): the cheapest on each backend."""
        async with single_statement(self.engine, self.inline) as conn:
            yield conn

    async def header(self, key: str, fmt: str) -> reads.Header | None:
        """One record's header with its body in ``fmt`` (None when the record is deleted
        or lacks the format): a GetRecord's one read, the cheapest way on each backend."""
        if self.quick is not None:
            row = self.quick.one(reads.ONE_HEADER_QMARK, (key, fmt))
            if row is None:
                return None
            body = reads.stored_body(row)
            if body is not None:
                body = bodies.unpack_quick(self.quick.all, body)
        else:
            async with connect(self.engine) as conn:
                row = await driver_row(conn, reads.ONE_HEADER, key, fmt)
                if row is None:
                    return None
                body = reads.stored_body(row)
                if body is not None:
                    body = (await bodies.unpack(conn, [body]))[0]
        return reads.one_header(row, body)

    async def read_in_thread(self, read: Callable[[Reader], Coroutine[Any, Any, T]]) -> T:
        """``read(conn)`` in one snapshot, off the event loop (see engine.read_in_thread)."""
        return await read_in_thread(self.engine, self.inline, self._threads(), read)

    def _threads(self) -> ThreadPoolExecutor:
        if self._readers is None:
            self._readers = ThreadPoolExecutor(2, thread_name_prefix="opis-store")
        return self._readers

    def _write_thread(self) -> ThreadPoolExecutor:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="opis-writer")
        return self._writer

    async def page_text_search(
        self, key: str, folded: Sequence[str], page: int, page_size: int
    ) -> page_text.HitPage | None:
        """One page of the hits of a phrase in a live record's page text; None: no record."""
        sqlite = self.engine.dialect.name == "sqlite"

        async def read(conn: Reader) -> page_text.HitPage | None:
            record_id = await _live_id(conn, key)
            if record_id is None:
                return None
            return await page_text.search(conn, record_id, folded, page, page_size, sqlite=sqlite)

        return await self.read_in_thread(read)

    async def page_text_terms(
        self, key: str, prefix: str, minimum: int, limit: int
    ) -> list[page_text.Term] | None:
        """Words of a live record's page text beginning with ``prefix``; None: no record."""
        sqlite = self.engine.dialect.name == "sqlite"

        async def read(conn: Reader) -> list[page_text.Term] | None:
            record_id = await _live_id(conn, key)
            if record_id is None:
                return None
            return await page_text.terms(conn, record_id, prefix, minimum, limit, sqlite=sqlite)

        return await self.read_in_thread(read)

    async def reading_page(self, key: str, seq: int | None) -> page_text.PageLines | None:
        """One page of a live record's page text, for reading (``page_text.reading_page``)."""

        async def read(conn: Reader) -> page_text.PageLines | None:
            record_id = await _live_id(conn, key)
            if record_id is None:
                return None
            return await page_text.reading_page(conn, record_id, seq)

        return await self.read_in_thread(read)

    async def get(self, key: str) -> StoredRecord:
        async with connect(self.engine) as conn:
            row = (
                await conn.execute(
                    select(
                        records.c.id,
                        records.c.key,
                        records.c.datestamp,
                        records.c.deleted,
                        records.c.data,
                    ).where(records.c.key == key)
                )
            ).first()
            if row is None:
                raise NotFound(key)
            return StoredRecord(
                row.id,
                row.key,
                row.datestamp,
                bool(row.deleted),
                Record.from_json((await bodies.loads(conn, [row.data]))[0]),
            )

    async def image(self, image_id: str) -> dict[str, Any] | None:
        async with self.single_statement() as conn:
            row = (await conn.execute(select(images).where(images.c.id == image_id))).first()
        return dict(row._mapping) if row is not None else None

    async def keys_by_identity(self, identities: Iterable[str]) -> dict[str, str]:
        """identity -> key for the identities this store holds (tombstones included)."""
        return await lookup.keys_by_identity(self.engine, identities)

    async def stored_images(self, ids: Sequence[str]) -> set[str]:
        """Which of these image ids the images table holds (one snapshot, chunked)."""
        found: set[str] = set()
        async with self.snapshot() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                rows = await conn.execute(select(images.c.id).where(images.c.id.in_(chunk)))
                found.update(row.id for row in rows)
        return found

    async def counts(self) -> dict[str, int]:
        async with connect(self.engine) as conn:
            rows = await conn.execute(
                select(records.c.deleted, func.count()).group_by(records.c.deleted)
            )
            by_state = {bool(d): n for d, n in rows}
            n_images = (await conn.execute(select(func.count()).select_from(images))).scalar_one()
            n_pages = (await conn.execute(select(func.count()).select_from(pages))).scalar_one()
        return {
            "live": by_state.get(False, 0),
            "deleted": by_state.get(True, 0),
            "images": n_images,
            "pages": n_pages,
        }

    async def ping(self) -> None:
        try:
            async with connect(self.engine) as conn:
                await conn.execute(select(1))
        except OSError as exc:
            raise StoreUnavailable(str(exc)) from exc


class Memo(OrderedDict[Hashable, Any]):
    """A least-recently-used mapping bounded by the bytes of its values.

    Its values are whatever the callers memoise (the store does not know their types).
    ``generation`` counts the times it was emptied: a value computed while the store
    changed is put with the generation it started from, and dropped. ``hits`` counts the
    values ``get`` found, ``misses`` the values ``put`` after ``get`` lacked them: a
    look-up for a value no caller memoises (a list page) is neither, so that together
    they say how often a memoisable answer (a GetRecord) came from memory, where it
    costs a fraction of one from the store (shown by /metrics).
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.bytes = 0
        self.generation = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        if key in self:
            self.hits += 1
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key: Hashable, value: object, generation: int) -> None:
        self.misses += 1
        size = _size(value)
        if size > self.max_bytes // 16 or generation != self.generation:
            return
        if key in self:
            self.bytes -= _size(self.pop(key))
        self[key] = value
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, old = self.popitem(last=False)
            self.bytes -= _size(old)

    def clear(self) -> None:
        super().clear()
        self.bytes = 0
        self.generation += 1


def _size(value: object) -> int:
    return len(value) + 100 if isinstance(value, bytes) else 1000


async def _live_id(conn: Reader, key: str) -> int | None:
    found = await conn.execute(select(records.c.id).where(records.c.key == key, ~records.c.deleted))
    value = found.scalar()
    return int(value) if value is not None else None


async def _put_meta(conn: AsyncConnection, name: str, value: str) -> None:
    try:
        async with conn.begin_nested():
            await conn.execute(meta.insert().values(name=name, value=value))
    except IntegrityError:
        await conn.execute(meta.update().where(meta.c.name == name).values(value=value))
