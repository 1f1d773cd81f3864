"""Finding stored records: by identity (how a harvested deletion finds the key its
document has) and by id, in a given order (search hits, browse lists).

A deleted record arrives as a bare OAI header, so the only handle on the document is
the identity its source id gives it (metadata/identity.py); the key it was stored
under depends on what else held its locator when it was first written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from metadata.record import Record
from repository.store import bodies
from repository.store.engine import connect
from repository.store.schema import records

CHUNK = 500  # keys in one IN (...) list


async def keys_by_identity(engine: AsyncEngine, identities: Iterable[str]) -> dict[str, str]:
    """identity -> key for the identities the store holds (tombstones included)."""
    wanted = list(dict.fromkeys(identities))
    if not wanted:
        return {}
    async with connect(engine) as conn:
        rows = await conn.execute(
            select(records.c.identity, records.c.key).where(records.c.identity.in_(wanted))
        )
        return {row.identity: row.key for row in rows}


async def records_in_order(conn: AsyncConnection, ids: list[int]) -> list[tuple[int, str, Record]]:
    """(id, key, record) for these ids, in this order; ids not found are left out."""
    if not ids:
        return []
    rows = await conn.execute(
        select(records.c.id, records.c.key, records.c.data).where(records.c.id.in_(ids))
    )
    by_id = {row.id: row for row in rows}
    found = [i for i in ids if i in by_id]
    datas = await bodies.loads(conn, [by_id[i].data for i in found])
    return [(i, by_id[i].key, Record.from_json(d)) for i, d in zip(found, datas, strict=True)]


async def records_by_key(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, Record]:
    """The stored records of some keys (live or not; the caller chose them)."""
    found: dict[str, Record] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        query = select(records.c.key, records.c.data).where(records.c.key.in_(chunk))
        rows = (await conn.execute(query)).all()
        datas = await bodies.loads(conn, [r.data for r in rows])
        for row, data in zip(rows, datas, strict=True):
            found[row.key] = Record.from_json(data)
    return found
