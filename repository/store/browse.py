"""What the web pages list: the archival tree with counts, a container's documents, recent
additions.

Every query is an index range over the search index's own tables (``search_tree``,
``search_docs``), which hold live records only, so counts never include deleted
documents and nothing has to join ``records`` to filter them out. Text is compared
for equality only, so the answers do not depend on the database's collation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.references import canonical, key_to_set_spec
from repository.store.lookup import records_in_order
from repository.store.schema import records, sets
from repository.store.search.document import HERE, ROOT
from repository.store.search.tables import search_docs, search_tree

# Up to this many documents in one container are listed in key order (sorted here);
# beyond it, in the order they were added, which the index gives without sorting.
SORT_LIMIT = 2_000
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Child:
    """A container below another one, with the number of live documents under it."""

    prefix: str
    count: int


@dataclass(frozen=True)
class Listed:
    """A document as lists show it."""

    key: str
    title: str
    date: str | None
    citation: str | None
    pages: int


def natural(key: str) -> list[int | str]:
    """Sort key that puts ``f.2`` before ``f.10``."""
    return [int(part) if part.isdigit() else part for part in _NUMBER.split(key)]


async def children(conn: AsyncConnection, prefix: str | None = None) -> list[Child]:
    """The containers directly below ``prefix`` (archives when None), in natural order."""
    rows = await conn.execute(
        select(search_tree.c.child, func.count())
        .where(search_tree.c.parent == (prefix or ROOT), search_tree.c.child != HERE)
        .group_by(search_tree.c.child)
    )
    found = [Child(child, int(n)) for child, n in rows]
    return sorted(found, key=lambda c: natural(c.prefix))


async def total(conn: AsyncConnection) -> int:
    """Live documents in the repository."""
    return int((await conn.execute(select(func.count()).select_from(search_docs))).scalar_one())


async def exists(conn: AsyncConnection, prefix: str) -> bool:
    """Whether ``prefix`` is a container: it holds live documents, or once did."""
    parent = prefix.rsplit("/", 1)[0] if "/" in prefix else ROOT
    held = await conn.execute(
        select(search_tree.c.record_id)
        .where(search_tree.c.parent == parent, search_tree.c.child == prefix)
        .limit(1)
    )
    if held.first() is not None:
        return True
    try:
        spec = key_to_set_spec(prefix)
    except ValueError:
        return False
    known = await conn.execute(select(sets.c.spec).where(sets.c.spec == spec))
    return known.first() is not None


async def documents(
    conn: AsyncConnection, prefix: str, offset: int = 0, limit: int = 100
) -> tuple[int, list[Listed]]:
    """(how many, one page of) the live documents filed directly in ``prefix``."""
    where = (search_tree.c.parent == prefix, search_tree.c.child == HERE)
    count = int(
        (
            await conn.execute(select(func.count()).select_from(search_tree).where(*where))
        ).scalar_one()
    )
    if count == 0:
        return 0, []
    if count <= SORT_LIMIT:
        rows = await conn.execute(
            select(records.c.id, records.c.key)
            .join(search_tree, search_tree.c.record_id == records.c.id)
            .where(*where)
        )
        ordered = sorted(rows, key=lambda r: natural(r.key))[offset : offset + limit]
        ids = [r.id for r in ordered]
    else:
        ids = list(
            (
                await conn.execute(
                    select(search_tree.c.record_id)
                    .where(*where)
                    .order_by(search_tree.c.record_id)
                    .offset(offset)
                    .limit(limit)
                )
            ).scalars()
        )
    return count, await listed(conn, ids)


async def recent(conn: AsyncConnection, limit: int = 10) -> list[Listed]:
    """The documents added last, newest first."""
    ids = (
        await conn.execute(
            select(search_docs.c.record_id)
            .order_by(search_docs.c.created.desc(), search_docs.c.record_id.desc())
            .limit(limit)
        )
    ).scalars()
    return await listed(conn, list(ids))


async def listed(conn: AsyncConnection, ids: list[int]) -> list[Listed]:
    """The documents with these ids, in this order (ids not found are left out)."""
    return [
        Listed(
            key=key,
            title=record.title,
            date=record.date,
            citation=canonical(record.reference) if record.reference else record.citation,
            pages=len(record.pages),
        )
        for _, key, record in await records_in_order(conn, ids)
    ]
