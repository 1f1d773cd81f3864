"""The IIIF Change Discovery log: Create, Update and Delete of manifests.

Writers append activities in the record's own transaction; the stamp transaction gives
pending ones consecutive positions and the same datestamp as the records it stamps, so
an activity's ``endTime`` is the record's OAI datestamp and positions only ever grow.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select, update

from repository.store.engine import Reader, Writer
from repository.store.schema import activities, records

CREATE, UPDATE, DELETE = "Create", "Update", "Delete"
NEXT = "activity_position"


async def record(conn: Writer, items: Sequence[tuple[int, str]]) -> None:
    """Append (record id, kind) activities."""
    if items:
        await conn.execute(
            activities.insert(), [{"record_id": i, "kind": kind} for i, kind in items]
        )


async def stamp(conn: Reader, t: int, start: int) -> int:
    """Give pending activities positions from ``start``; returns the next free position."""
    ids = list(
        (
            await conn.execute(
                select(activities.c.id)
                .where(activities.c.position.is_(None))
                .order_by(activities.c.id)
            )
        ).scalars()
    )
    if ids:
        await conn.execute(
            update(activities)
            .where(activities.c.id == bindparam("activity"))
            .values(position=bindparam("pos"), datestamp=t),
            [{"activity": i, "pos": n} for n, i in enumerate(ids, start)],
        )
    return start + len(ids)


async def count(conn: Reader) -> int:
    found = await conn.execute(select(func.max(activities.c.position)))
    top = found.scalar()
    return 0 if top is None else top + 1


async def page(conn: Reader, first: int, size: int) -> list[tuple[int, str, str, int]]:
    """(position, kind, key, datestamp) for positions [first, first + size)."""
    rows = await conn.execute(
        select(activities.c.position, activities.c.kind, records.c.key, activities.c.datestamp)
        .join(records, records.c.id == activities.c.record_id)
        .where(activities.c.position >= first, activities.c.position < first + size)
        .order_by(activities.c.position)
    )
    return [tuple(r) for r in rows]
