"""Datestamps that never lie to an incremental harvester.

The trap: a change gets its datestamp when it is written, but becomes visible when its
transaction commits. A harvest that runs in between does not see it, hands out a
``responseDate`` later than its datestamp, and the next harvest (``from`` that date)
skips it for ever.

So writers never choose a datestamp. They commit with ``datestamp`` NULL ("pending"),
and a *stamp* transaction, serialised against all other stamps, gives every pending
row the same time ``t = max(now, clock + 1µs)`` and stores ``t`` as the clock, in the
same transaction. The clock is therefore the newest datestamp that exists, and every
row stamped later gets a larger one. A reader takes the clock *from the same snapshot
as the records it lists* and uses it as its responseDate: whatever that snapshot does
not show (pending, or not yet committed) is stamped after the clock, so it has a
datestamp >= responseDate and the next harvest ``from=responseDate`` includes it.

The only cost: a change is visible to OAI once stamped, which the server does every
second (and any request finding the clock stale does at once).
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from repository.store import activities
from repository.store.engine import Reader, is_sqlite
from repository.store.schema import memberships, meta, records

CLOCK = "clock"
# The clock value of the last stamp that made some change visible: caches of OAI
# answers are valid exactly as long as it does not move.
CHANGED = "changed"
# Any constant works: all stampers of one PostgreSQL database take this advisory lock.
_PG_LOCK = 0x0_0915_C10C


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    return time.time_ns() // 1000


async def read_clock(conn: Reader) -> int:
    """The clock in this connection's snapshot (0 when nothing was ever stamped)."""
    value = (await conn.execute(select(meta.c.value).where(meta.c.name == CLOCK))).scalar()
    return int(value) if value is not None else 0


async def read_changed(conn: Reader) -> int:
    value = (await conn.execute(select(meta.c.value).where(meta.c.name == CHANGED))).scalar()
    return int(value) if value is not None else 0


async def pending(conn: Reader) -> bool:
    """Whether some committed change still waits for its datestamp."""
    found = await conn.execute(select(records.c.id).where(records.c.datestamp.is_(None)).limit(1))
    return found.first() is not None


async def stamp(conn: Reader) -> tuple[int, int]:
    """Stamp every pending change; returns (clock, changed). Safe from any process.

    ``conn`` is in a write transaction (one that holds SQLite's write lock).
    """
    if isinstance(conn, AsyncConnection) and not is_sqlite(conn.engine):
        await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    last = await read_clock(conn)
    t = max(now_us(), last + 1)
    stamped = await conn.execute(
        update(records).where(records.c.datestamp.is_(None)).values(datestamp=t)
    )
    await conn.execute(
        update(memberships).where(memberships.c.datestamp.is_(None)).values(datestamp=t)
    )
    await _put(conn, CLOCK, t, exists=bool(last))
    start = await _get(conn, activities.NEXT)
    end = await activities.stamp(conn, t, start or 0)
    if end != (start or 0):
        await _put(conn, activities.NEXT, end, exists=start is not None)
    changed = await read_changed(conn)
    if stamped.rowcount:
        await _put(conn, CHANGED, t, exists=bool(changed))
        changed = t
    return t, changed


async def _get(conn: Reader, name: str) -> int | None:
    value = (await conn.execute(select(meta.c.value).where(meta.c.name == name))).scalar()
    return None if value is None else int(value)


async def _put(conn: Reader, name: str, value: int, *, exists: bool) -> None:
    if exists:
        await conn.execute(update(meta).where(meta.c.name == name).values(value=str(value)))
    else:
        await conn.execute(meta.insert().values(name=name, value=str(value)))


def format_us(us: int) -> str:
    """A datestamp as the protocol writes it (truncated to the second, UTC)."""
    return _format_second(us // 1_000_000)


@functools.lru_cache(maxsize=4096)
def _format_second(second: int) -> str:
    # Cached by the second: every response of the same second shares its responseDate,
    # and records written together share datestamps.
    return (_EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
