"""``opis db copy``: move a repository between databases (SQLite <-> PostgreSQL).

Everything that makes the repository what it is travels: keys, ids, datestamps and the
clock (so harvesters' incremental harvests continue across the move), tombstones, set
memberships (including sets a record left), renditions with their compression dictionaries,
image rows and pages, page text, and the
token secret (so resumption tokens issued before the move stay valid). The search index
is rebuilt in the destination's own form. Image files stay in ``storage.data_dir``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, text

from repository.store import Store, page_text, search
from repository.store.counts import recount
from repository.store.engine import write_transaction
from repository.store.errors import StoreError
from repository.store.schema import (
    dictionaries,
    images,
    memberships,
    meta,
    page_lines,
    page_terms,
    pages,
    records,
    renditions,
    sets,
)

ORDER = [
    (meta, meta.c.name),
    (sets, sets.c.spec),
    (dictionaries, dictionaries.c.id),  # before the records and renditions they unpack
    (records, records.c.id),
    (memberships, (memberships.c.record_id, memberships.c.spec)),
    (renditions, (renditions.c.record_id, renditions.c.format)),
    (images, images.c.id),
    (pages, (pages.c.record_id, pages.c.seq)),
    # page text: SQLite's FTS5 index fills from its triggers, PostgreSQL's GIN by itself
    (page_lines, page_lines.c.id),
    (page_terms, (page_terms.c.record_id, page_terms.c.term)),
]
BATCH = 1000


async def copy(
    source_url: str, target_url: str, progress: Callable[[str, int], None]
) -> dict[str, int]:
    source = await Store(source_url).open()
    target = await Store(target_url).open()
    try:
        async with target.engine.connect() as conn:
            if (await conn.execute(select(func.count()).select_from(records))).scalar():
                raise StoreError(f"{target_url} already holds records: copy into an empty one")
        counts: dict[str, int] = {}
        async with source.snapshot() as reader, write_transaction(target.engine) as writer:
            await writer.execute(meta.delete())
            for table, order in ORDER:
                keys = order if isinstance(order, tuple) else (order,)
                done = 0
                result = await reader.stream(select(table).order_by(*keys))
                async for chunk in result.partitions(BATCH):
                    rows = [dict(row._mapping) for row in chunk]
                    await writer.execute(table.insert(), rows)
                    done += len(rows)
                    progress(table.name, done)
                counts[table.name] = done
            await recount(writer)
            await search.index_all(writer)  # once the page text is there too
            if target.engine.dialect.name == "sqlite":
                await writer.execute(text(page_text.REINDEX_LINES))
            else:
                await page_text.fill_tsv(writer)  # rows from SQLite have no tsvector
                for name in ("records", "page_lines"):
                    await writer.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                        )
                    )
        return counts
    finally:
        await source.close()
        await target.close()
