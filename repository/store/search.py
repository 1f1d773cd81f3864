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


async def index(conn: AsyncConnection, record_id: int, record: Record) -> None:
    """(Re)index one live record."""


async def remove(conn: AsyncConnection, record_id: int) -> None:
    """Take a record out of the index (it was deleted)."""
