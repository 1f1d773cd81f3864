"""Reading for OAI-PMH: ordered, keyset-paged scans over datestamps, and single records.

Lists are ordered by (datestamp, id) and resumed strictly after the last pair seen,
never by offset, so records inserted or changed elsewhere in the list can neither
shift a page nor be skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, FromClause, Select, and_, bindparam, func, or_, select

from repository.store import bodies, counts
from repository.store.engine import Reader
from repository.store.schema import memberships, records, renditions, sets


class Header(NamedTuple):
    """A record's header, and its body in one format (None: deleted, or not asked for).

    A named tuple: lists make a hundred a page, and a frozen dataclass costs three
    times as much to make."""

    id: int
    key: str
    datestamp: int
    deleted: bool
    body: bytes | None = None
    sets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """Which records a list covers: datestamps in [start, end], optionally one set."""

    start: int
    end: int
    set_spec: str | None = None


async def count(conn: Reader, window: Window, clock: int) -> int:
    """The stamped records (or set members) in ``window`` of a snapshot whose clock is
    ``clock``: from the kept counts when the window holds all of them (counts.py)."""
    if window.end >= clock and (
        window.start == 0 or window.start <= await _earliest(conn, window.set_spec)
    ):
        return await counts.stamped(conn, window.set_spec)
    if window.set_spec is None:
        query = select(func.count()).where(records.c.datestamp.between(window.start, window.end))
    else:
        query = select(func.count()).where(
            memberships.c.spec == window.set_spec,
            memberships.c.datestamp.between(window.start, window.end),
        )
    return int((await conn.execute(query)).scalar_one())


async def page(
    conn: Reader,
    window: Window,
    after: tuple[int, int] | None,
    limit: int,
    fmt: str | None,
    *,
    inclusive: bool = False,
) -> list[Header]:
    """Up to ``limit`` headers after ``after`` (from it, when ``inclusive``).

    The position is written as one datestamp range plus a tie-break on the id, not as a
    row-value comparison next to the window's own lower bound: that way both databases
    seek straight to it in the (datestamp, id) index, and the last page of a million
    records costs what the first does.
    """
    start = window.start if after is None else max(window.start, after[0])
    stamp: ColumnElement[Any]
    rid: ColumnElement[Any]
    deleted: ColumnElement[Any]
    source: FromClause
    conditions: list[ColumnElement[bool]]
    if window.set_spec is None:
        stamp, rid, deleted = records.c.datestamp, records.c.id, records.c.deleted
        source = records
        conditions = [stamp.between(start, window.end)]
    else:
        stamp, rid = memberships.c.datestamp, memberships.c.record_id
        deleted = records.c.deleted | ~memberships.c.member
        source = memberships.join(records, records.c.id == memberships.c.record_id)
        conditions = [memberships.c.spec == window.set_spec, stamp.between(start, window.end)]
    if after is not None:
        tie = rid >= after[1] if inclusive else rid > after[1]
        conditions.append(or_(stamp > after[0], tie))
    columns: list[ColumnElement[Any]] = [
        rid.label("id"),
        records.c.key,
        stamp.label("datestamp"),
        deleted.label("deleted"),
        records.c.set_specs,
    ]
    if fmt is not None:
        source = source.outerjoin(
            renditions, and_(renditions.c.record_id == rid, renditions.c.format == fmt)
        )
        columns.append(renditions.c.body)
    query = (
        select(*columns).select_from(source).where(*conditions).order_by(stamp, rid).limit(limit)
    )
    rows = (await conn.execute(query)).all()
    stored = [r.body if fmt is not None and not r.deleted else None for r in rows]
    return [
        Header(
            id=r.id,
            key=r.key,
            datestamp=r.datestamp,
            deleted=bool(r.deleted),
            body=body,
            sets=tuple(r.set_specs.split()),
        )
        for r, body in zip(rows, await bodies.unpack(conn, stored), strict=True)
    ]


def _by_key(with_body: bool) -> Select[*tuple[Any, ...]]:
    columns = [records.c.id, records.c.key, records.c.datestamp, records.c.deleted]
    columns.append(records.c.set_specs)
    source: FromClause = records
    if with_body:
        source = records.outerjoin(
            renditions,
            and_(renditions.c.record_id == records.c.id, renditions.c.format == bindparam("fmt")),
        )
        columns.append(renditions.c.body)
    return select(*columns).select_from(source).where(records.c.key == bindparam("key"))


# Built once: GetRecord is the hottest single-record read, and building a statement
# costs more than running it.
_BY_KEY = {True: _by_key(True), False: _by_key(False)}


async def header_by_key(conn: Reader, key: str, fmt: str | None) -> Header | None:
    query = _BY_KEY[fmt is not None]
    row = (await conn.execute(query, {"key": key, "fmt": fmt})).first()
    if row is None:
        return None
    stored = row.body if fmt is not None and not row.deleted else None
    return Header(
        id=row.id,
        key=row.key,
        datestamp=row.datestamp,
        deleted=bool(row.deleted),
        body=(await bodies.unpack(conn, [stored]))[0] if stored is not None else None,
        sets=tuple(row.set_specs.split()),
    )


# One record's header and its body in one format: GetRecord's one read, run without
# SQLAlchemy (Store.header), as written for asyncpg and with sqlite3's numbered marks.
ONE_HEADER = (
    "SELECT r.id, r.key, r.datestamp, r.deleted, r.set_specs, b.body FROM records AS r "
    "LEFT JOIN renditions AS b ON b.record_id = r.id AND b.format = $2 WHERE r.key = $1"
)
ONE_HEADER_QMARK = ONE_HEADER.replace("$2", "?2").replace("$1", "?1")  # sqlite3


def stored_body(row: Sequence[Any]) -> bytes | None:
    """The stored (packed) body of a row of ``ONE_HEADER``; None for a deleted record."""
    body = row[5]
    return None if row[3] or body is None else bytes(body)


def one_header(row: Sequence[Any], body: bytes | None) -> Header:
    """A row of ``ONE_HEADER`` as a header, with its body as served (unpacked)."""
    rid, key, datestamp, deleted, set_specs, _ = row
    return Header(rid, key, datestamp, bool(deleted), body, tuple(set_specs.split()))


async def formats_of(conn: Reader, record_id: int) -> list[str]:
    rows = await conn.execute(
        select(renditions.c.format).where(renditions.c.record_id == record_id)
    )
    return list(rows.scalars())


async def first_key(conn: Reader) -> str | None:
    """The first record's key, for Identify's sample identifier."""
    return (await conn.execute(select(records.c.key).order_by(records.c.id).limit(1))).scalar()


async def _earliest(conn: Reader, spec: str | None) -> int:
    if spec is None:
        found = await earliest(conn)
    else:
        query = select(func.min(memberships.c.datestamp)).where(memberships.c.spec == spec)
        found = (await conn.execute(query)).scalar()
    return 0 if found is None else int(found)


async def earliest(conn: Reader) -> int | None:
    return (await conn.execute(select(func.min(records.c.datestamp)))).scalar()


async def set_count(conn: Reader) -> int:
    return int((await conn.execute(select(func.count()).select_from(sets))).scalar_one())


async def set_page(
    conn: Reader, after: str | None, limit: int, *, inclusive: bool = False
) -> list[tuple[str, str, str]]:
    query = select(sets.c.spec, sets.c.name, sets.c.description).order_by(sets.c.spec).limit(limit)
    if after is not None:
        query = query.where(sets.c.spec >= after if inclusive else sets.c.spec > after)
    return [tuple(r) for r in await conn.execute(query)]


async def set_exists(conn: Reader, spec: str) -> bool:
    row = (await conn.execute(select(sets.c.spec).where(sets.c.spec == spec))).first()
    return row is not None


# A record changed after the list was frozen, and not stamped yet.
PENDING = Header(0, "", 0, False)


async def current(
    conn: Reader, record_id: int | None, set_spec: str | None, fmt: str | None
) -> Header | None:
    """The record a resumed page starts at, as it is now (PENDING if not stamped yet)."""
    if record_id is None:
        return None
    row = (
        await conn.execute(
            select(
                records.c.id,
                records.c.key,
                records.c.datestamp,
                records.c.deleted,
                records.c.set_specs,
            ).where(records.c.id == record_id)
        )
    ).first()
    if row is None:
        return None
    if row.datestamp is None:
        return PENDING
    deleted = bool(row.deleted)
    if set_spec is not None:
        member = (
            await conn.execute(
                select(memberships.c.member).where(
                    memberships.c.record_id == record_id, memberships.c.spec == set_spec
                )
            )
        ).scalar()
        deleted = deleted or not member
    body = None
    if fmt is not None and not deleted:
        body = (
            await conn.execute(
                select(renditions.c.body).where(
                    renditions.c.record_id == record_id, renditions.c.format == fmt
                )
            )
        ).scalar()
    sets = tuple(row.set_specs.split())
    if body is not None:
        body = (await bodies.unpack(conn, [body]))[0]
    return Header(row.id, row.key, row.datestamp, deleted, body, sets)
