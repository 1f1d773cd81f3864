"""On SQLite a batch write runs in a thread of its own, in one hand-off from the event
loop (``write_in_thread``): the event loop stays free while it runs, and the reads that
run in the store's threads (a list's first page) do not queue behind writes."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

from metadata.record import Record
from repository.records.prepare import prepare
from repository.records.renditions import Renderer
from repository.settings import load
from repository.store import Store, reads
from repository.store.engine import (
    CACHE_KB,
    CHECKPOINT_PAGES,
    WRITER_CACHE_KB,
    write_in_thread,
)
from repository.store.writes import Outcome, Prepared

HOLD = 0.6  # seconds each write keeps its thread (in ``check``, before its commit)


def _prepared(n: int) -> Prepared:
    settings = load(environ={})
    renderer = Renderer(replace(settings, server=replace(settings.server, public_url="http://x")))
    record = Record.from_json(
        {"citation": f"RGANI, f. 5, op. 30, d. {n}", "title": f"R {n}", "source": {"id": f"{n}"}}
    )
    return prepare(record, renderer)[0]


def test_batch_writes_leave_the_event_loop_and_the_readers_free(sqlite_url):
    async def run() -> None:
        store = await Store(sqlite_url).open()
        loop_thread = threading.get_ident()
        written_in: list[int] = []

        def hold(outcomes: list[Outcome]) -> None:
            written_in.append(threading.get_ident())
            time.sleep(HOLD)

        try:
            writes = [
                asyncio.ensure_future(store.write([_prepared(n)], check=hold)) for n in (1, 2)
            ]
            await asyncio.sleep(0.1)  # both writes have reached their thread
            started = time.perf_counter()
            ticks = 0
            while time.perf_counter() - started < 0.2:  # the event loop is not blocked
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks >= 10
            began = time.perf_counter()
            await store.read_in_thread(reads.first_key)
            assert time.perf_counter() - began < HOLD / 2, "a read waited for the writes"
            outcomes = await asyncio.gather(*writes)
            assert [o.status for batch in outcomes for o in batch] == ["added", "added"]
            assert written_in and loop_thread not in written_in
        finally:
            await store.close()

    asyncio.run(run())


def test_commits_leave_checkpoints_to_a_larger_log(sqlite_url):
    """Every connection that may commit (the async engine's, the batch writer's) copies
    the log back only past ``CHECKPOINT_PAGES``, not at SQLite's 1,000 pages."""

    async def run() -> list[int]:
        store = await Store(sqlite_url).open()

        async def setting(conn) -> int:
            return (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar()

        try:
            async with store.engine.connect() as conn:
                on_the_loop = await setting(conn)
            return [on_the_loop, await store.read_in_thread(setting)]
        finally:
            await store.close()

    assert asyncio.run(run()) == [CHECKPOINT_PAGES, CHECKPOINT_PAGES]


def test_the_writer_keeps_a_large_page_cache_and_the_readers_a_small_one(sqlite_url):
    """A batch dirties index pages all over a large store, and the next batch the same
    ones: the one connection that writes keeps ``WRITER_CACHE_KB`` of them, so SQLite
    need not write them to the log twice nor read them back; the readers' connections,
    of which a busy server opens many, keep ``CACHE_KB``, so its memory stays flat."""

    async def cache_kb(conn) -> int:
        return -(await conn.exec_driver_sql("PRAGMA cache_size")).scalar()

    async def run() -> tuple[list[int], list[int], list[int]]:
        store = await Store(sqlite_url).open()
        assert store.inline_writer is not None
        pool = store.inline_writer.pool
        in_use: list[int] = []  # the writer's connections checked out while a batch writes
        try:
            await store.write([_prepared(1)], check=lambda _: in_use.append(pool.checkedout()))
            writers = [
                await write_in_thread(store.engine, store.inline_writer, store._threads(), cache_kb)
                for _ in range(2)
            ]
            readers = [await store.read_in_thread(cache_kb) for _ in range(2)]
            return in_use, writers, readers
        finally:
            await store.close()

    in_use, writers, readers = asyncio.run(run())
    assert in_use == [1]
    assert writers == [WRITER_CACHE_KB] * 2
    assert readers == [CACHE_KB] * 2
    assert WRITER_CACHE_KB > CACHE_KB
