"""The server's once-a-second tick stamps what is pending and writes nothing otherwise.

An idle tick used to stamp anyway, to keep the clock under a second old; that write ran
in a thread whose Python held up every read of the event loop for its duration, once a
second. A list's first page now brings a stale clock up to date itself.
"""

from __future__ import annotations

import asyncio

from repository.store import Store
from repository.store.clock import read_clock
from repository.store.schema import records
from tests.live import ingest, make_settings, numbered_records


async def _clock(store: Store) -> int:
    async with store.brief_snapshot() as conn:
        return await read_clock(conn)


async def _datestamp(store: Store, key: str) -> int | None:
    async with store.brief_snapshot() as conn:
        found = await conn.execute(records.select().where(records.c.key == key))
        return found.one().datestamp


def test_an_idle_tick_writes_nothing_and_a_pending_change_is_stamped(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data")
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 3)])

    async def scenario() -> None:
        store = await Store(database_url).open()
        try:
            await store.stamp()
            before = await _clock(store)
            await asyncio.sleep(1.1)  # older than any freshness a tick once kept
            await store.tick()
            assert await _clock(store) == before, "an idle tick moved the clock"

            await store.delete("RGANI/f.5/op.30/d.1")  # committed, pending its datestamp
            assert await _datestamp(store, "RGANI/f.5/op.30/d.1") is None
            await store.tick()
            stamped = await _datestamp(store, "RGANI/f.5/op.30/d.1")
            assert stamped is not None and stamped > before
            assert await _clock(store) == stamped

            # what a list's first page does with a clock older than it accepts
            await asyncio.sleep(0.2)
            await store.fresh_clock(100_000)
            assert await _clock(store) > stamped
        finally:
            await store.close()

    asyncio.run(scenario())
