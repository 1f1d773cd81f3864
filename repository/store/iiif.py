"""Reads for IIIF: stored manifests, and the collection tree from set memberships.

Every query is an index lookup or an index range: a manifest by ``records.key``
(unique), a container's documents by ``memberships`` primary key ``(spec, record_id)``,
a subtree's version by ``ix_memberships_spec_datestamp``. Only equality is compared on
text columns, so the answers do not depend on the database's collation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.record import Record
from repository.store import bodies
from repository.store.engine import Reader
from repository.store.schema import memberships, records, renditions, sets

MANIFEST = "iiif:manifest"
_CHUNK = 500


@dataclass(frozen=True)
class RecordState:
    """What decides whether a cached manifest is still current."""

    id: int
    datestamp: int | None
    deleted: bool


async def record_state(conn: Reader, key: str) -> RecordState | None:
    row = (
        await conn.execute(
            select(records.c.id, records.c.datestamp, records.c.deleted).where(records.c.key == key)
        )
    ).first()
    return RecordState(row.id, row.datestamp, bool(row.deleted)) if row else None


async def manifest_body(conn: Reader, record_id: int) -> bytes | None:
    """The stored manifest of a record; None when it has none (no page images)."""
    stored = (
        await conn.execute(
            select(renditions.c.body).where(
                renditions.c.record_id == record_id, renditions.c.format == MANIFEST
            )
        )
    ).scalar()
    return (await bodies.unpack(conn, [stored]))[0]


async def subtree_version(conn: AsyncConnection, spec: str | None) -> tuple[int, bool]:
    """(newest datestamp, any change pending) under a set, or over everything (None).

    Every change to a document rewrites the datestamps of all its memberships (and
    leaving a set does too), so this pair changes whenever anything listed below the
    container could have changed; a pending (unstamped) change means "do not cache".
    """
    if spec is None:
        newest = select(func.max(records.c.datestamp))
        pending = exists().where(records.c.datestamp.is_(None))
    else:
        newest = select(func.max(memberships.c.datestamp)).where(memberships.c.spec == spec)
        pending = exists().where(memberships.c.spec == spec, memberships.c.datestamp.is_(None))
    value = (await conn.execute(newest)).scalar()
    waiting = bool((await conn.execute(select(pending))).scalar())
    return int(value or 0), waiting


def _with_manifest(spec: str) -> ColumnElement[bool]:
    """Live documents in a set (descendants included) that have a stored manifest."""
    return and_(
        memberships.c.spec == spec,
        memberships.c.member,
        records.c.id == memberships.c.record_id,
        ~records.c.deleted,
        renditions.c.record_id == records.c.id,
        renditions.c.format == MANIFEST,
    )


async def member_keys(conn: AsyncConnection, spec: str) -> list[str]:
    """Keys of every document with a manifest in a set, descendants included."""
    query = select(records.c.key).select_from(memberships, records, renditions)
    rows = await conn.execute(query.where(_with_manifest(spec)))
    return list(rows.scalars())


async def has_members(conn: AsyncConnection, spec: str) -> bool:
    query = select(exists().where(_with_manifest(spec)))
    return bool((await conn.execute(query)).scalar())


async def archive_specs(conn: AsyncConnection) -> list[str]:
    """Set specs of archives (one segment) that hold at least one live document."""
    specs = (await conn.execute(select(sets.c.spec))).scalars()
    archives = [s for s in specs if ":" not in s and s.upper() == s]
    return [s for s in archives if await has_members(conn, s)]


async def records_by_key(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, Record]:
    """The stored records of some keys (live or not; the caller chose them)."""
    found: dict[str, Record] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        query = select(records.c.key, records.c.data).where(records.c.key.in_(chunk))
        rows = (await conn.execute(query)).all()
        datas = await bodies.loads(conn, [r.data for r in rows])
        for row, data in zip(rows, datas, strict=True):
            found[row.key] = Record.from_json(data)
    return found
