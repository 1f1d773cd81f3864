"""Writing records: a batch of documents goes in as one transaction, whole or not at all.

Keys are assigned here, because only here is it known which keys are taken. A key,
once published, never changes (it is an OAI identifier and a IIIF URL). A document is
recognised by its *identity* (the source's record id, else its URL, else its title,
date and citation), so re-ingesting it, in any order, finds it under the key it
already has. A new document takes its archival locator as key; if a *different*
document already holds that locator, it gets the locator plus ``/doc.<token>``, the
token derived from its own identity, never from a counter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.record import Record
from repository.store import activities, search
from repository.store.clock import now_us
from repository.store.engine import insert_missing
from repository.store.schema import memberships, pages, records, renditions, sets

ADDED, UPDATED, UNCHANGED, DELETED = "added", "updated", "unchanged", "deleted"


@dataclass(frozen=True)
class SetRow:
    spec: str
    name: str
    description: str = ""


@dataclass
class Prepared:
    """A record ready to store: everything that does not depend on the final key is done."""

    record: Record
    identity: str
    token: str
    locator: str
    content_hash: str
    render_version: str
    set_specs: tuple[str, ...]
    set_rows: tuple[SetRow, ...]
    rerender: Callable[[Record], dict[str, bytes]] | None
    renditions: dict[str, bytes] = field(default_factory=dict)
    pages: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Outcome:
    key: str
    status: str


async def write_batch(conn: AsyncConnection, batch: Sequence[Prepared]) -> list[Outcome]:
    """Store each prepared record (inside the caller's write transaction)."""
    identities = [p.identity for p in batch]
    existing = {
        row.identity: row
        for row in await conn.execute(
            select(
                records.c.id,
                records.c.key,
                records.c.identity,
                records.c.content_hash,
                records.c.render_version,
                records.c.deleted,
            ).where(records.c.identity.in_(identities))
        )
    }
    candidates = {p.locator for p in batch} | {f"{p.locator}/doc.{p.token}" for p in batch}
    taken = set(
        (await conn.execute(select(records.c.key).where(records.c.key.in_(candidates)))).scalars()
    )

    outcomes: list[Outcome] = []
    key_of: dict[str, str] = {}
    inserts: list[tuple[Prepared, str]] = []
    updates: list[tuple[Prepared, int, str]] = []
    seen: dict[str, Prepared] = {}
    later: list[int] = []  # the same document again, changed: written after the others
    for n, p in enumerate(batch):
        if p.identity in seen:
            if seen[p.identity].content_hash == p.content_hash:
                outcomes.append(Outcome(key_of[p.identity], UNCHANGED))
            else:
                outcomes.append(Outcome("", UPDATED))
                later.append(n)
            continue
        row = existing.get(p.identity)
        if row is not None:
            key = row.key
            if (
                not row.deleted
                and row.content_hash == p.content_hash
                and row.render_version == p.render_version
            ):
                outcomes.append(Outcome(key, UNCHANGED))
            else:
                updates.append((p, row.id, key))
                outcomes.append(Outcome(key, UPDATED))
        else:
            key = p.locator
            if key in taken:
                key = f"{p.locator}/doc.{p.token}"
                if key in taken:
                    key = f"{p.locator}/doc.{hashlib.sha256(p.identity.encode()).hexdigest()[:20]}"
            taken.add(key)
            inserts.append((p, key))
            outcomes.append(Outcome(key, ADDED))
        seen[p.identity] = p
        key_of[p.identity] = key

    now = now_us()
    await _upsert_sets(conn, [s for p, *_ in inserts + updates for s in p.set_rows])
    written: list[tuple[Prepared, int, str]] = []
    if inserts:
        # A plain executemany and one query for the new ids: several times faster than
        # INSERT ... RETURNING in parameter order, on both backends.
        await conn.execute(records.insert(), [_row(p, key, now) for p, key in inserts])
        keys = [key for _, key in inserts]
        found = await conn.execute(
            select(records.c.key, records.c.id).where(records.c.key.in_(keys))
        )
        ids = {key: record_id for key, record_id in found}
        written += [(p, ids[key], key) for p, key in inserts]
    for p, record_id, key in updates:
        values = _row(p, key, now)
        del values["created"], values["key"], values["identity"]
        await conn.execute(update(records).where(records.c.id == record_id).values(**values))
    was_deleted = {row.id for row in existing.values() if row.deleted}
    await _write_parts(conn, written, updates, was_deleted)
    if later:
        again = await write_batch(conn, [batch[n] for n in later])
        for n, outcome in zip(later, again, strict=True):
            outcomes[n] = outcome
    return outcomes


def _row(p: Prepared, key: str, now: int) -> dict[str, Any]:
    return {
        "key": key,
        "locator": p.locator,
        "identity": p.identity,
        "datestamp": None,
        "deleted": False,
        "content_hash": p.content_hash,
        "render_version": p.render_version,
        "data": json.dumps(p.record.with_key(key).to_json(), ensure_ascii=False),
        "created": now,
        "set_specs": " ".join(sorted(set(p.set_specs))),
    }


async def _write_parts(
    conn: AsyncConnection,
    inserted: list[tuple[Prepared, int, str]],
    updated: list[tuple[Prepared, int, str]],
    was_deleted: set[int],
) -> None:
    """Renditions, pages, set memberships, search index and manifest activities."""
    had_manifest: set[int] = set()
    if updated:
        ids = [record_id for _, record_id, _ in updated]
        had_manifest = {
            i
            for i in (
                await conn.execute(select(pages.c.record_id).where(pages.c.record_id.in_(ids)))
            ).scalars()
            if i not in was_deleted
        }
        await conn.execute(delete(renditions).where(renditions.c.record_id.in_(ids)))
        await conn.execute(delete(pages).where(pages.c.record_id.in_(ids)))
    changes = [(i, activities.CREATE) for p, i, _ in inserted if p.pages]
    for p, record_id, _ in updated:
        if p.pages:
            kind = activities.UPDATE if record_id in had_manifest else activities.CREATE
            changes.append((record_id, kind))
        elif record_id in had_manifest:
            changes.append((record_id, activities.DELETE))
    await activities.record(conn, changes)
    every = inserted + updated
    bodies = []
    page_rows = []
    for p, record_id, key in every:
        rendered = p.renditions if (p.renditions and key == p.locator) else None
        if rendered is None:
            if p.rerender is None:  # ingest binds its renderer before anything is written
                raise TypeError(f"{key}: a prepared record with no renderer to render it again")
            rendered = p.rerender(p.record.with_key(key))
        for fmt, body in rendered.items():
            bodies.append({"record_id": record_id, "format": fmt, "body": body})
        page_rows += [
            {"record_id": record_id, "seq": i, "image_id": image, "label": label}
            for i, (image, label) in enumerate(p.pages)
        ]
    if bodies:
        await conn.execute(renditions.insert(), bodies)
    if page_rows:
        await conn.execute(pages.insert(), page_rows)
    fresh = [
        {"spec": spec, "record_id": record_id, "member": True, "datestamp": None}
        for p, record_id, _ in inserted
        for spec in sorted(set(p.set_specs))
    ]
    if fresh:
        await conn.execute(memberships.insert(), fresh)
    for p, record_id, _ in updated:
        await _set_memberships(conn, record_id, p.set_specs)
    await search.index(conn, [(record_id, p.record.with_key(key)) for p, record_id, key in every])


async def _set_memberships(conn: AsyncConnection, record_id: int, specs: Sequence[str]) -> None:
    """Current sets become members; sets the record left stay, as non-members."""
    wanted = set(specs)
    old = set(
        (
            await conn.execute(
                select(memberships.c.spec).where(memberships.c.record_id == record_id)
            )
        ).scalars()
    )
    await conn.execute(
        update(memberships)
        .where(memberships.c.record_id == record_id)
        .values(member=memberships.c.spec.in_(wanted) if wanted else False, datestamp=None)
    )
    wanted -= old
    if wanted:
        await conn.execute(
            memberships.insert(),
            [
                {"spec": s, "record_id": record_id, "member": True, "datestamp": None}
                for s in sorted(wanted)
            ],
        )


async def _upsert_sets(conn: AsyncConnection, rows: Sequence[SetRow]) -> None:
    unique = {r.spec: r for r in sorted(rows, key=lambda r: r.spec)}
    await insert_missing(
        conn,
        sets,
        [{"spec": r.spec, "name": r.name, "description": r.description} for r in unique.values()],
    )


async def mark_deleted(conn: AsyncConnection, key: str) -> Outcome | None:
    """Turn a record into a tombstone; None when no such key. Idempotent."""
    row = (
        await conn.execute(select(records.c.id, records.c.deleted).where(records.c.key == key))
    ).first()
    if row is None:
        return None
    if row.deleted:
        return Outcome(key, UNCHANGED)
    await conn.execute(
        update(records).where(records.c.id == row.id).values(deleted=True, datestamp=None)
    )
    await conn.execute(
        update(memberships).where(memberships.c.record_id == row.id).values(datestamp=None)
    )
    await conn.execute(delete(renditions).where(renditions.c.record_id == row.id))
    await search.remove(conn, [row.id])
    has_pages = (
        await conn.execute(select(pages.c.record_id).where(pages.c.record_id == row.id).limit(1))
    ).first()
    if has_pages:
        await activities.record(conn, [(row.id, activities.DELETE)])
    return Outcome(key, DELETED)


async def rerender_batch(
    conn: AsyncConnection,
    version: str,
    render: Callable[[Record], dict[str, bytes]],
    limit: int,
) -> int:
    """Render up to ``limit`` live records of another render version again; how many."""
    rows = (
        await conn.execute(
            select(records.c.id, records.c.data)
            .where(records.c.render_version != version, ~records.c.deleted)
            .order_by(records.c.id)
            .limit(limit)
        )
    ).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    bodies = [
        {"record_id": r.id, "format": fmt, "body": body}
        for r in rows
        for fmt, body in render(Record.from_json(json.loads(r.data))).items()
    ]
    await conn.execute(delete(renditions).where(renditions.c.record_id.in_(ids)))
    await conn.execute(renditions.insert(), bodies)
    await conn.execute(
        update(records).where(records.c.id.in_(ids)).values(render_version=version, datestamp=None)
    )
    await conn.execute(
        update(memberships).where(memberships.c.record_id.in_(ids)).values(datestamp=None)
    )
    return len(rows)
