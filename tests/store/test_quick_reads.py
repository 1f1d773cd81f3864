"""GetRecord's one read (Store.header) goes around SQLAlchemy on both databases: it
must still turn a lost connection into StoreUnavailable (a 503) and recover, and on
SQLite share a snapshot without ever hiding a write."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import select

from repository.store import Store, StoreUnavailable, bodies, engine
from repository.store.engine import SHARED_SNAPSHOT_S
from repository.store.schema import records, renditions
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.live import ingest, make_settings, numbered_records


def test_header_reads_the_same_on_both_paths(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data")
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 3)])

    async def read():
        store = await Store(database_url).open()
        try:
            await store.stamp()
            found = await store.header("RGANI/f.5/op.30/d.1", "oai_dc")
            missing = await store.header("RGANI/f.5/op.30/d.99", "oai_dc")
            no_format = await store.header("RGANI/f.5/op.30/d.1", "nonesuch")
            return found, missing, no_format
        finally:
            await store.close()

    found, missing, no_format = asyncio.run(read())
    assert found is not None and found.body is not None and b"<oai_dc:dc" in found.body
    assert found.datestamp and not found.deleted and "RGANI:f.5" in found.sets
    assert missing is None
    assert no_format is not None and no_format.body is None


def test_a_postgresql_connection_killed_under_the_read_is_a_503_then_recovers(tmp_path):
    url = create_postgres_database()
    try:
        settings = make_settings(url, tmp_path / "data")
        ingest(settings, [numbered_records(tmp_path / "r.jsonl", 3)])

        async def scenario():
            store = await Store(url, pool_size=1).open()
            try:
                assert await store.header("RGANI/f.5/op.30/d.1", "oai_dc") is not None
                async with store.single_statement() as conn:  # the same pooled connection
                    from sqlalchemy import text

                    pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar()
                killer = await Store(url).open()
                try:
                    async with killer.single_statement() as conn:
                        await conn.execute(text(f"SELECT pg_terminate_backend({int(pid)})"))
                finally:
                    await killer.close()
                with pytest.raises(StoreUnavailable):
                    await store.header("RGANI/f.5/op.30/d.1", "oai_dc")
                again = await store.header("RGANI/f.5/op.30/d.1", "oai_dc")
                assert again is not None and again.body is not None
            finally:
                await store.close()

        asyncio.run(scenario())
    finally:
        drop_postgres_database(url)


def test_a_body_packed_with_a_dictionary_is_read_by_a_process_that_never_saw_it(
    database_url, tmp_path
):
    """A server started after the ingest has none of the store's dictionaries in memory:
    its first GetRecord of each format reads the one the body names from the store."""
    settings = make_settings(database_url, tmp_path / "data")
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", bodies.TRAIN_AT + 44)])

    async def read(forget: bool) -> list[bytes | None]:
        store = await Store(database_url).open()
        try:
            await store.stamp()
            if forget:
                bodies._dictionaries.clear()
                vars(bodies._local).clear()
            found = [await store.header(f"RGANI/f.5/op.30/d.{n}", "mods") for n in (1, 299)]
            return [h.body if h is not None else None for h in found]
        finally:
            await store.close()

    async def stored_frame(key: str) -> bytes:
        store = await Store(database_url).open()
        try:
            async with store.engine.connect() as conn:
                query = (
                    select(renditions.c.body)
                    .join(records, records.c.id == renditions.c.record_id)
                    .where(records.c.key == key, renditions.c.format == "mods")
                )
                return (await conn.execute(query)).scalar_one()
        finally:
            await store.close()

    for n in (1, 299):  # each body read below was packed with a dictionary
        assert bodies.dictionary_id(asyncio.run(stored_frame(f"RGANI/f.5/op.30/d.{n}"))) != 0
    read_fresh = asyncio.run(read(forget=True))
    assert read_fresh == asyncio.run(read(forget=False))
    assert all(body is not None and body.startswith(b"<mods") for body in read_fresh)


def test_sqlite_reads_share_a_snapshot_briefly_and_never_miss_this_process_s_writes(
    tmp_path, monkeypatch
):
    """On SQLite, GetRecord's reads share one read transaction for a few milliseconds
    (engine.SHARED_SNAPSHOT_S). A write this process commits is read back at once;
    another process's commit within that time; and an idle reader holds no snapshot."""
    url = f"sqlite:///{tmp_path}/data/opis.db"
    settings = make_settings(url, tmp_path / "data")
    ingest(settings, [numbered_records(tmp_path / "r.jsonl", 3)])
    key = "RGANI/f.5/op.30/d.1"

    async def scenario() -> None:
        store = await Store(url).open()
        assert store.quick is not None
        try:
            await store.stamp()
            with monkeypatch.context() as patch:  # however slow the write below
                patch.setattr(engine, "SHARED_SNAPSHOT_S", 60)
                found = await store.header(key, "oai_dc")
                assert found is not None and not found.deleted
                assert store.quick._connection().in_transaction  # the snapshot is shared

                await store.delete(key)  # this process's write
                found = await store.header(key, "oai_dc")
                assert found is not None and found.deleted, "a write was not read back at once"
                store.quick.release()

            assert await store.header(key, "oai_dc") is not None  # a new shared snapshot
            assert store.quick._connection().in_transaction
            # another process's commit (a connection SQLAlchemy knows nothing of)
            other = sqlite3.connect(f"{tmp_path}/data/opis.db", isolation_level=None)
            other.execute("UPDATE records SET datestamp = 1 WHERE key = ?", (key,))
            other.close()
            await asyncio.sleep(SHARED_SNAPSHOT_S * 3)
            assert not store.quick._connection().in_transaction, "an idle reader held it"
            found = await store.header(key, "oai_dc")
            assert found is not None and found.datestamp == 1
        finally:
            await store.close()

    asyncio.run(scenario())
