"""Reads for IIIF: stored manifests, and the collection tree from set memberships.

Every query is an index lookup or an index range: a manifest by ``records.key``
(unique), a container's documents and a subtree's version by
``ix_memberships_spec_datestamp`` (a set's rows are one range of it). Only equality is
compared on text columns, so the answers do not depend on the database's collation.

Finding-aid units are told apart by their identity, ``src:`` and their source id, which
the EAD reader begins with ``ead:`` (metadata/identity.py, metadata/readers/ead.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.readers.ead import SOURCE_PREFIX
from repository.store import bodies
from repository.store.engine import Reader
from repository.store.schema import memberships, records, renditions, sets

MANIFEST = "iiif:manifest"
LINKS = "iiif:links"  # a unit's IIIF manifests elsewhere (repository/records/renditions.py)
_UNIT_IDENTITY = f"src:{SOURCE_PREFIX}"


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


async def has_members(conn: AsyncConnection, spec: str) -> bool:
    query = select(exists().where(_with_manifest(spec)))
    return bool((await conn.execute(query)).scalar())


def _is_unit() -> ColumnElement[bool]:
    return func.substr(records.c.identity, 1, len(_UNIT_IDENTITY)) == _UNIT_IDENTITY


async def tree_members(conn: AsyncConnection, spec: str) -> list[tuple[str, bool, bool, bool]]:
    """(key, has a manifest, is a finding-aid unit, links IIIF manifests elsewhere) of
    every live record in a set, descendants included, that the collection tree may list:
    documents with a stored manifest and finding-aid units (images or not)."""
    manifest = renditions.alias("manifest")
    links = renditions.alias("links")
    has_manifest = manifest.c.record_id.is_not(None)
    unit = _is_unit()
    joined = (
        memberships.join(records, records.c.id == memberships.c.record_id)
        .outerjoin(
            manifest, and_(manifest.c.record_id == records.c.id, manifest.c.format == MANIFEST)
        )
        .outerjoin(links, and_(links.c.record_id == records.c.id, links.c.format == LINKS))
    )
    query = (
        select(records.c.key, has_manifest, unit, links.c.record_id.is_not(None))
        .select_from(joined)
        .where(memberships.c.spec == spec, memberships.c.member, ~records.c.deleted)
        .where(or_(has_manifest, unit))
    )
    rows = await conn.execute(query)
    return [(key, bool(m), bool(u), bool(x)) for key, m, u, x in rows]


async def has_units(conn: AsyncConnection, spec: str) -> bool:
    """Whether a set holds a live finding-aid unit (descendants included)."""
    query = select(
        exists().where(
            memberships.c.spec == spec,
            memberships.c.member,
            records.c.id == memberships.c.record_id,
            ~records.c.deleted,
            _is_unit(),
        )
    )
    return bool((await conn.execute(query)).scalar())


async def archive_specs(conn: AsyncConnection) -> tuple[list[str], list[str]]:
    """Set specs of archives (one segment): those holding a live document with a
    manifest, and the others holding a live finding-aid unit (their collections may yet
    be empty: the caller looks)."""
    specs = (await conn.execute(select(sets.c.spec))).scalars()
    archives = [s for s in specs if ":" not in s and s.upper() == s]
    with_manifests: list[str] = []
    with_units: list[str] = []
    for spec in archives:
        if await has_members(conn, spec):
            with_manifests.append(spec)
        elif await has_units(conn, spec):
            with_units.append(spec)
    return with_manifests, with_units
