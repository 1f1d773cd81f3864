"""A bulk ingest leaves the database as quick to read as before it.

On SQLite, the writer lets the log grow long during a bulk write (a checkpoint copies a
page written by many batches once), so the ingest ends by copying the log into the
database and emptying it: otherwise a server holding the store open would read through
it until its own writes filled it again.

On PostgreSQL, a bulk ingest vacuums what stamping left behind.

Every record is written, then stamped, so each leaves a dead row version in ``records``
and ``memberships``. Left there (autovacuum off, or not yet round), they made every
list's first page slow: its count of pending rows walked them all (250 ms at a million
records, against 5 ms once vacuumed). ``opis ingest`` and ``opis harvest`` vacuum both
tables after writing ``TIDY_AFTER`` records or more.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import asyncpg

from repository.store import TIDY_AFTER
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.live import ingest, make_settings
from tests.synthetic import write_jsonl


async def _pending_entries(url: str) -> dict[str, int]:
    """{table: index entries a count of its pending rows reads}: dead row versions' entries
    stay in the indexes until a vacuum, and this count is what a first page makes."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        # a bitmap scan reports every entry the index gives, dead or alive
        await conn.execute("SET enable_seqscan = off")
        await conn.execute("SET enable_indexscan = off")
        await conn.execute("SET enable_indexonlyscan = off")
        found = {}
        for table in ("records", "memberships"):
            plan = await conn.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM {table} "
                "WHERE datestamp IS NULL"
            )
            found[table] = _index_rows(json.loads(plan)[0]["Plan"])
        return found
    finally:
        await conn.close()


def _index_rows(node: dict) -> int:
    if node["Node Type"] == "Bitmap Index Scan":
        return int(node["Actual Rows"])
    return sum(_index_rows(child) for child in node.get("Plans", []))


def test_a_bulk_ingest_on_postgresql_leaves_no_dead_row_versions(tmp_path):
    url = create_postgres_database()
    try:
        settings = make_settings(url, tmp_path / "data")
        small = ingest(settings, [write_jsonl(tmp_path / "small.jsonl", 50, start=0)])
        assert small.count("added") == 50
        before = asyncio.run(_pending_entries(url))
        assert before["records"] >= 50, before  # a small ingest leaves them to autovacuum

        bulk = write_jsonl(tmp_path / "bulk.jsonl", TIDY_AFTER, start=1_000)
        assert ingest(settings, [bulk]).count("added") == TIDY_AFTER
        assert asyncio.run(_pending_entries(url)) == {"records": 0, "memberships": 0}
    finally:
        drop_postgres_database(url)


def test_a_bulk_ingest_on_sqlite_empties_the_log_while_a_server_holds_the_store(tmp_path):
    database = tmp_path / "data" / "opis.db"
    settings = make_settings(f"sqlite:///{database}", tmp_path / "data")
    ingest(settings, [write_jsonl(tmp_path / "small.jsonl", 50, start=0)])
    log = database.with_name("opis.db-wal")
    held = sqlite3.connect(database)  # as a running server does: the log outlives the ingest
    try:
        held.execute("SELECT count(*) FROM records").fetchone()
        ingest(settings, [write_jsonl(tmp_path / "few.jsonl", 50, start=500)])
        assert log.stat().st_size > 0  # a small ingest leaves the log to later writes

        bulk = write_jsonl(tmp_path / "bulk.jsonl", TIDY_AFTER, start=1_000)
        assert ingest(settings, [bulk]).count("added") == TIDY_AFTER
        assert log.stat().st_size == 0
        assert held.execute("SELECT count(*) FROM records").fetchone() == (TIDY_AFTER + 100,)
    finally:
        held.close()
