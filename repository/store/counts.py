"""How many rows ``records`` has, and ``memberships`` for each set: kept as rows are
inserted (no row of either is ever deleted), so the size of a whole list is known
without counting it.

A list's ``completeListSize`` is the number of records (or set members) stamped within
its window, in the snapshot of its first page. Counting that walks the index over the
whole window: 45 ms at a million records on SQLite, more on PostgreSQL, and paid by
every harvester that starts. A list from the beginning up to the snapshot's clock
(a full harvest; every datestamp is at most the clock, see clock.py) holds every
stamped row, which is every row but the pending ones: the kept number less a count
over the small partial index of pending rows. Lists starting later (incremental
harvests) are counted over their own, usually short, range.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from repository.store.engine import Reader, Writer
from repository.store.schema import memberships, records, row_counts

RECORDS = ""  # the name records' own count is kept under (no set spec is empty)
_UPSERT = (
    "INSERT INTO row_counts (name, rows) VALUES ({0}, {1}) "
    "ON CONFLICT (name) DO UPDATE SET rows = row_counts.rows + excluded.rows"
)
UPSERT = {"sqlite": _UPSERT.format("?", "?"), "postgresql": _UPSERT.format("$1", "$2")}


async def add(conn: Writer, inserted: Mapping[str, int]) -> None:
    """Count rows just inserted (inside their transaction): ``RECORDS`` or set specs."""
    changes = sorted((name, n) for name, n in inserted.items() if n)
    if not changes:
        return
    # One upsert, the same SQL on both databases (in name order: concurrent writers on
    # PostgreSQL then lock the rows they share in the same order, never in a cycle).
    await conn.exec_driver_sql(UPSERT[conn.dialect.name], changes)


def by_spec(rows: Sequence[Mapping[str, Any]]) -> Counter[str]:
    return Counter(str(row["spec"]) for row in rows)


async def stamped(conn: Reader, spec: str | None) -> int:
    """How many records (or members of ``spec``, current or former) are stamped."""
    name = RECORDS if spec is None else spec
    kept = (await conn.execute(select(row_counts.c.rows).where(row_counts.c.name == name))).scalar()
    if spec is None:
        waiting = select(func.count()).select_from(records).where(records.c.datestamp.is_(None))
    else:
        waiting = select(func.count()).where(
            memberships.c.datestamp.is_(None), memberships.c.spec == spec
        )
    return int(kept or 0) - int((await conn.execute(waiting)).scalar_one())


async def recount(conn: Writer) -> None:
    """Count everything again (after rows were copied in wholesale)."""
    await conn.execute(row_counts.delete())
    total = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
    specs = await conn.execute(
        select(memberships.c.spec, func.count()).group_by(memberships.c.spec)
    )
    await add(conn, {RECORDS: int(total), **{spec: int(n) for spec, n in specs}})
