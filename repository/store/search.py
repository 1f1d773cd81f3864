"""Full-text search over records: SQLite FTS5 on the embedded default, PostgreSQL's own
full-text search on PostgreSQL, behind one interface.

Indexing happens in the record's write transaction (``index``/``remove``), so the
index never disagrees with the records.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.record import Record


async def create(conn: AsyncConnection) -> None:
    """Create the index structures if they are missing."""


async def index(conn: AsyncConnection, items: list[tuple[int, Record]]) -> None:
    """(Re)index live records, given as (record id, record)."""


async def remove(conn: AsyncConnection, record_ids: list[int]) -> None:
    """Take records out of the index (they were deleted)."""
