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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, literal, select, tuple_, update

from metadata.pagetext import PageText
from metadata.record import Record
from repository.store import activities, bases, bodies, counts, page_text, search
from repository.store.clock import now_us
from repository.store.engine import Writer, insert_many, insert_missing
from repository.store.iiif import MANIFEST
from repository.store.schema import memberships, meta, pages, records, renditions, sets
from repository.store.search.document import Document

ADDED, UPDATED, UNCHANGED, DELETED = "added", "updated", "unchanged", "deleted"

# Renders a record, given its pages' text (in page order), into every stored form.
Render = Callable[[Record, Sequence[PageText | None]], dict[str, bytes]]


@dataclass(frozen=True)
class SetRow:
    spec: str
    name: str
    description: str = ""
    # Named by the record written under the set's own key (a finding-aid unit): this
    # name replaces the set's, where other rows only name a set that has no name yet.
    named: bool = False


@dataclass
class Prepared:
    """A record ready to store: everything that does not depend on the final key is done.

    Sent from the process that prepared it, it travels without ``record``, which ``data``
    holds (``__getstate__``): rebuilding its objects was half the CPU of the thread that
    receives prepared records in ingest's main process, the one that writes every batch.
    The rare record written under another key than ``locator`` has it read back
    (``restore``).
    """

    record: Record | None
    identity: str
    token: str
    locator: str
    content_hash: str
    render_version: str
    set_specs: tuple[str, ...]
    set_rows: tuple[SetRow, ...]
    rerender: Render | None
    renditions: dict[str, bytes] = field(default_factory=dict)
    pages: tuple[tuple[str, str | None], ...] = ()
    # Each page's text (ALTO, PAGE XML) in page order, None for a page without.
    page_texts: tuple[PageText | None, ...] = ()
    # The public URL ``renditions`` and ``rerender`` render with: the store turns it
    # into its rendition base as it stores them (see bases.py). "" = already that base.
    render_base: str = ""
    # The record's JSON with the key ``locator`` (record_json), made where it is
    # prepared; written as it is when the record gets that key.
    data: bytes = b""
    # Formats (bodies.RECORD for ``data``) whose bytes above were packed where they were
    # prepared (bodies.pack_ahead), with the id of the dictionary each was packed with.
    packed: dict[str, int] = field(default_factory=dict)
    # The search index's document for the record with the key ``locator``, made where it
    # is prepared; the write numbers it (search.document.unnumbered).
    search: Document | None = None
    # The archive code the record's citation names, if any.
    archive: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self.data:
            state["record"] = None
        return state

    def keyed(self, key: str) -> Record:
        """The record under ``key`` (after ``restore``, for one that came without it)."""
        if self.record is None:
            raise RuntimeError(f"{self.locator}: its record was not restored from its data")
        return self.record.with_key(key)


async def restore(conn: Writer, items: Iterable[tuple[Prepared, str]]) -> None:
    """Give back their record to those sent without it (``Prepared.__getstate__``) that
    are written under another key than their locator: only those need it (``keyed``)."""
    wanted = [p for p, key in items if p.record is None and key != p.locator]
    for p, doc in zip(wanted, await bodies.loads(conn, [p.data for p in wanted]), strict=True):
        p.record = Record.from_json(doc)


def pack_ahead(p: Prepared, chosen: bodies.Chosen) -> None:
    """Compress ``p``'s renditions and JSON where it is prepared (a worker process), with
    the dictionaries the store had then: the write that follows has that much less to do
    in its transaction."""
    if not chosen:
        return
    for fmt, body in p.renditions.items():
        p.renditions[fmt], p.packed[fmt] = bodies.pack_ahead(chosen, fmt, body)
    if p.data:
        p.data, p.packed[bodies.RECORD] = bodies.pack_ahead(chosen, bodies.RECORD, p.data)


@dataclass(frozen=True)
class Outcome:
    key: str
    status: str


async def write_batch(conn: Writer, batch: Sequence[Prepared]) -> list[Outcome]:
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

    await restore(conn, [*inserts, *[(p, key) for p, _, key in updates]])
    now = now_us()
    # Before anything is locked for writing: the rendition base, held until the commit.
    to_stored = await _to_stored_base(conn, [p.render_base for p, *_ in inserts + updates])
    await _upsert_sets(conn, [s for p, *_ in inserts + updates for s in p.set_rows])
    own = [p for p in seen.values() if key_of[p.identity] == p.locator]
    await _rename_sets(conn, [s for p in own for s in p.set_rows if s.named])
    written: list[tuple[Prepared, int, str]] = []
    if inserts:
        # A plain executemany and one query for the new ids: several times faster than
        # INSERT ... RETURNING in parameter order, on both backends.
        await insert_many(conn, records, await _rows(conn, inserts, now))
        await counts.add(conn, {counts.RECORDS: len(inserts)})
        keys = [key for _, key in inserts]
        found = await conn.execute(
            select(records.c.key, records.c.id).where(records.c.key.in_(keys))
        )
        ids = {key: record_id for key, record_id in found}
        written += [(p, ids[key], key) for p, key in inserts]
    changed = await _rows(conn, [(p, key) for p, _, key in updates], now)
    for (_, record_id, _), values in zip(updates, changed, strict=True):
        del values["created"], values["key"], values["identity"]
        await conn.execute(update(records).where(records.c.id == record_id).values(**values))
    was_deleted = {row.id for row in existing.values() if row.deleted}
    await _write_parts(conn, written, updates, was_deleted, to_stored)
    if later:
        again = await write_batch(conn, [batch[n] for n in later])
        for n, outcome in zip(later, again, strict=True):
            outcomes[n] = outcome
    return outcomes


def record_json(record: Record, doc: dict[str, Any] | None = None) -> bytes:
    """What ``records.data`` holds, before compression; ``doc``: ``record.to_json()`` when
    the caller has made it already (prepare hashes the same dict)."""
    # check_circular=False: a record's JSON is a tree, and the check costs a lookup per part
    data = record.to_json() if doc is None else doc
    return json.dumps(data, ensure_ascii=False, check_circular=False).encode()


async def _rows(
    conn: Writer, items: Sequence[tuple[Prepared, str]], now: int
) -> list[dict[str, Any]]:
    """Records rows, their data compressed (store/bodies.py)."""
    rows = [_row(p, key, now) for p, key in items]
    data = [
        {
            "format": bodies.RECORD,
            "body": row["data"],
            "packed": p.packed.get(bodies.RECORD, 0) if key == p.locator else 0,
        }
        for row, (p, key) in zip(rows, items, strict=True)
    ]
    await bodies.pack(conn, data)
    for row, packed in zip(rows, data, strict=True):
        row["data"] = packed["body"]
    return rows


def _row(p: Prepared, key: str, now: int) -> dict[str, Any]:
    return {
        "key": key,
        "locator": p.locator,
        "identity": p.identity,
        "datestamp": None,
        "deleted": False,
        "content_hash": p.content_hash,
        "render_version": p.render_version,
        "data": p.data if (p.data and key == p.locator) else record_json(p.keyed(key)),
        "created": now,
        "set_specs": " ".join(sorted(set(p.set_specs))),
    }


async def _write_parts(
    conn: Writer,
    inserted: list[tuple[Prepared, int, str]],
    updated: list[tuple[Prepared, int, str]],
    was_deleted: set[int],
    to_stored: dict[str, bases.Rebase],
) -> None:
    """Renditions, pages, set memberships, search index and manifest activities.

    ``to_stored`` turns bodies rendered with another base into the rendition base.
    """
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
    rows: list[dict[str, Any]] = []
    page_rows = []
    for p, record_id, key in every:
        rendered = p.renditions if (p.renditions and key == p.locator) else None
        packed = p.packed if rendered is not None else {}
        if rendered is None:
            if p.rerender is None:  # ingest binds its renderer before anything is written
                raise TypeError(f"{key}: a prepared record with no renderer to render it again")
            rendered = p.rerender(p.keyed(key), p.page_texts)
        translate = to_stored.get(p.render_base)
        for fmt, body in rendered.items():
            ident = packed.get(fmt, 0)
            if translate is not None:
                body = translate.body(fmt, bodies.unpack_known(body) if ident else body)
                ident = 0
            rows.append({"record_id": record_id, "format": fmt, "body": body, "packed": ident})
        page_rows += [
            {"record_id": record_id, "seq": i, "image_id": image, "label": label}
            for i, (image, label) in enumerate(p.pages)
        ]
    if rows:
        await bodies.pack(conn, rows)
        await insert_many(conn, renditions, rows)
    if page_rows:
        await insert_many(conn, pages, page_rows)
    await page_text.remove(conn, [record_id for _, record_id, _ in updated])
    for p, record_id, _ in every:
        if any(t is not None for t in p.page_texts):
            await page_text.write(conn, record_id, p.page_texts)
    fresh = [
        {"spec": spec, "record_id": record_id, "member": True, "datestamp": None}
        for p, record_id, _ in inserted
        for spec in sorted(set(p.set_specs))
    ]
    if fresh:
        await insert_many(conn, memberships, fresh)
        await counts.add(conn, counts.by_spec(fresh))
    for p, record_id, _ in updated:
        await _set_memberships(conn, record_id, p.set_specs)
    await search.index(
        conn,
        [
            (
                record_id,
                p.search if p.search is not None and key == p.locator else p.keyed(key),
            )
            for p, record_id, key in every
        ],
    )


async def _to_stored_base(conn: Writer, render_bases: Sequence[str]) -> dict[str, bases.Rebase]:
    """For each base the bodies were rendered with, what turns them into the store's
    rendition base (none when they already are); the first write sets that base."""
    given = sorted({b for b in render_bases if b})
    if not given:
        return {}
    stored = await bases.for_writing(conn, given[0])
    return {b: found for b in given if (found := bases.rebase(b, stored)) is not None}


async def _set_memberships(conn: Writer, record_id: int, specs: Sequence[str]) -> None:
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
        joined = [
            {"spec": s, "record_id": record_id, "member": True, "datestamp": None}
            for s in sorted(wanted)
        ]
        await insert_many(conn, memberships, joined)
        await counts.add(conn, counts.by_spec(joined))


async def _upsert_sets(conn: Writer, rows: Sequence[SetRow]) -> None:
    unique = {r.spec: r for r in sorted(rows, key=lambda r: (r.spec, r.named))}
    await insert_missing(
        conn,
        sets,
        [{"spec": r.spec, "name": r.name, "description": r.description} for r in unique.values()],
    )


async def _rename_sets(conn: Writer, rows: Sequence[SetRow]) -> None:
    """Give named sets their record's name and description where they differ (unchanged
    records too, so sets written before a unit named its set get the name)."""
    wanted = {r.spec: r for r in rows}
    if not wanted:
        return
    query = select(sets.c.spec, sets.c.name, sets.c.description).where(sets.c.spec.in_(wanted))
    for spec, name, description in (await conn.execute(query)).all():
        row = wanted[spec]
        if (name, description) != (row.name, row.description):
            await conn.execute(
                update(sets)
                .where(sets.c.spec == spec)
                .values(name=row.name, description=row.description)
            )


async def mark_deleted(conn: Writer, key: str) -> Outcome | None:
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
    await page_text.remove(conn, [row.id])
    await search.remove(conn, [row.id])
    has_pages = (
        await conn.execute(select(pages.c.record_id).where(pages.c.record_id == row.id).limit(1))
    ).first()
    if has_pages:
        await activities.record(conn, [(row.id, activities.DELETE)])
    return Outcome(key, DELETED)


async def rerender_batch(
    conn: Writer,
    version: str,
    render: Render,
    limit: int,
    base: str = "",
) -> int:
    """Render up to ``limit`` live records of another render version again; how many.

    ``render`` renders with the public URL ``base`` ("" = the rendition base itself).
    A re-rendered manifest is a changed manifest: it gets an Update activity (Create or
    Delete when the record gains or loses its manifest), stamped with the record.
    """
    rows = (
        await conn.execute(
            select(records.c.id, records.c.data)
            .where(records.c.render_version != version, ~records.c.deleted)
            .order_by(records.c.id)
            .limit(limit)
            # PostgreSQL: a second re-renderer (another server starting) waits, then skips
            # what this one did, instead of rendering it again or colliding with it.
            .with_for_update()
        )
    ).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    translate = (await _to_stored_base(conn, [base])).get(base)
    had_manifest = set(
        (
            await conn.execute(
                select(renditions.c.record_id).where(
                    renditions.c.record_id.in_(ids), renditions.c.format == MANIFEST
                )
            )
        ).scalars()
    )
    stored: list[dict[str, Any]] = []
    changes = []
    texts = await page_text.load(conn, ids)
    datas = await bodies.loads(conn, [r.data for r in rows])
    for r, data in zip(rows, datas, strict=True):
        rendered = render(Record.from_json(data), texts.get(r.id, ()))
        for fmt, body in rendered.items():
            if translate is not None:
                body = translate.body(fmt, body)
            stored.append({"record_id": r.id, "format": fmt, "body": body})
        if MANIFEST in rendered:
            changes.append((r.id, activities.UPDATE if r.id in had_manifest else activities.CREATE))
        elif r.id in had_manifest:
            changes.append((r.id, activities.DELETE))
    await conn.execute(delete(renditions).where(renditions.c.record_id.in_(ids)))
    await bodies.pack(conn, stored)
    await insert_many(conn, renditions, stored)
    await conn.execute(
        update(records).where(records.c.id.in_(ids)).values(render_version=version, datestamp=None)
    )
    await conn.execute(
        update(memberships).where(memberships.c.record_id.in_(ids)).values(datestamp=None)
    )
    await activities.record(conn, changes)
    return len(rows)


async def rebase_renditions(conn: Writer, base: str, chunk: int = 1000) -> int:
    """Rewrite every stored rendition to the rendition base ``base`` and keep it as the
    store's; how many bodies changed. No datestamp moves: what is served is the same.

    Runs in one write transaction that holds the base exclusively, so no writer stores
    bodies in the old base meanwhile.
    """
    query = select(meta.c.value).where(meta.c.name == bases.RENDITION_BASE).with_for_update()
    old = (await conn.execute(query)).scalar()
    if old is None:
        await insert_missing(conn, meta, [{"name": bases.RENDITION_BASE, "value": base}])
        old = (await conn.execute(query)).scalar()
    translate = bases.rebase(old, base)
    if translate is None:
        return 0
    changed = 0
    after: tuple[int, str] = (-1, "")
    while True:
        found = (
            await conn.execute(
                select(renditions.c.record_id, renditions.c.format, renditions.c.body)
                .where(
                    tuple_(renditions.c.record_id, renditions.c.format)
                    > tuple_(*map(literal, after))
                )
                .order_by(renditions.c.record_id, renditions.c.format)
                .limit(chunk)
            )
        ).all()
        if not found:
            break
        after = (found[-1].record_id, found[-1].format)
        plain = await bodies.unpack(conn, [bytes(r.body) for r in found])
        changes = [
            {"rid": r.record_id, "format": r.format, "body": new}
            for r, body in zip(found, plain, strict=True)
            if body is not None and (new := translate.body(r.format, body)) != body
        ]
        await bodies.pack(conn, changes)
        rewritten = [{"rid": c["rid"], "fmt": c["format"], "new": c["body"]} for c in changes]
        if rewritten:
            await conn.execute(
                update(renditions)
                .where(
                    renditions.c.record_id == bindparam("rid"),
                    renditions.c.format == bindparam("fmt"),
                )
                .values(body=bindparam("new")),
                rewritten,
            )
        changed += len(rewritten)
    await conn.execute(update(meta).where(meta.c.name == bases.RENDITION_BASE).values(value=base))
    return changed
