"""Kept row counts (store/counts.py) always equal what counting finds, so a list's
completeListSize read from them is exact: after ingests, updates that move records
between sets, deletes, and a copy to another database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import func, select

from repository.store import Store, counts
from repository.store.copy import copy
from repository.store.schema import memberships, records
from tests.live import LiveServer, ingest, make_settings
from tests.oai_client import call


def _items(fonds: int, files: int, title: str = "Report") -> list[dict]:
    return [
        {
            "reference": f"GARF, f. {f}, op. 1, d. {d}",
            "title": f"{title} {f}/{d}",
            "source": {"id": f"r{f}-{d}"},
        }
        for f in range(1, fonds + 1)
        for d in range(1, files + 1)
    ]


def _write(folder: Path, name: str, items: list[dict]) -> Path:
    path = folder / name
    path.write_text("\n".join(json.dumps(i) for i in items))
    return path


async def _compare(url: str) -> dict[str | None, int]:
    """{spec or None: stamped count}, asserting that kept counts agree with counting."""
    store = await Store(url).open()
    try:
        await store.stamp()
        found: dict[str | None, int] = {}
        async with store.snapshot() as conn:
            specs = [s for (s,) in await conn.execute(select(memberships.c.spec).distinct())]
            for spec in [None, *specs]:
                if spec is None:
                    query = select(func.count()).where(records.c.datestamp.is_not(None))
                else:
                    query = select(func.count()).where(
                        memberships.c.spec == spec, memberships.c.datestamp.is_not(None)
                    )
                counted = (await conn.execute(query)).scalar_one()
                assert await counts.stamped(conn, spec) == counted, spec
                found[spec] = counted
        return found
    finally:
        await store.close()


def test_kept_counts_follow_ingests_moves_and_deletes(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data", oai={"page_size": 2})
    ingest(settings, [_write(tmp_path, "a.jsonl", _items(3, 4))])
    before = asyncio.run(_compare(database_url))
    assert before[None] == 12 and before["GARF:f.1"] == 4
    # The same documents (same source ids) now filed in another fond: they join new
    # sets and stay in their old ones as former members.
    moved = [
        {**item, "reference": item["reference"].replace("f. 1,", "f. 9,")}
        for item in _items(1, 4, "Moved")
    ]
    ingest(settings, [_write(tmp_path, "b.jsonl", moved + _items(4, 1, "More"))])

    async def delete_two() -> None:
        store = await Store(database_url).open()
        try:
            await store.delete("GARF/f.2/op.1/d.1")
            await store.delete("GARF/f.3/op.1/d.2")
        finally:
            await store.close()

    asyncio.run(delete_two())
    after = asyncio.run(_compare(database_url))
    assert after[None] == 13  # one new record (f.4 d.1), deletes leave tombstones
    assert after["GARF:f.1"] == 4 and after["GARF:f.9"] == 4

    with LiveServer(settings) as server:
        for query in ({}, {"set": "GARF:f.1"}, {"set": "GARF:f.9"}):
            reply = call(
                server.url("/oai"),
                {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **query},
            )
            headers = reply.tree.findall(".//{*}header")
            token = reply.tree.find(".//{*}resumptionToken")
            assert len(headers) == 2 and token is not None
            assert int(token.get("completeListSize")) == after[query.get("set")], query


def test_a_copy_keeps_the_counts(tmp_path):
    source = f"sqlite:///{tmp_path}/a.db"
    target = f"sqlite:///{tmp_path}/b.db"
    ingest(make_settings(source, tmp_path / "data"), [_write(tmp_path, "a.jsonl", _items(2, 3))])
    asyncio.run(copy(source, target, lambda table, done: None))
    assert asyncio.run(_compare(target)) == asyncio.run(_compare(source))
