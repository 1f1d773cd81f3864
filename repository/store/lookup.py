"""Finding records by identity: how a harvested deletion finds the key its document has.

A deleted record arrives as a bare OAI header, so the only handle on the document is
the identity its source id gives it (metadata/identity.py); the key it was stored
under depends on what else held its locator when it was first written.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from repository.store import Store
from repository.store.schema import records


async def keys_by_identity(store: Store, identities: Iterable[str]) -> dict[str, str]:
    """identity -> key for the identities the store holds (tombstones included)."""
    wanted = list(dict.fromkeys(identities))
    if not wanted:
        return {}
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(records.c.identity, records.c.key).where(records.c.identity.in_(wanted))
        )
        return {row.identity: row.key for row in rows}
