"""Full-text search over records: SQLite FTS5 on the embedded default, PostgreSQL's own
full-text search on PostgreSQL, behind one interface.

Indexing happens in the record's write transaction (``index``/``remove``), so the
index never disagrees with the records. ``query`` answers a search box: words, a
citation in any written form, facet filters, one page of hits with snippets, the total,
and facet counts.

Costs are bounded so that one-word queries stay fast at 100,000 records even when a
word is in nearly every record. Ranking by relevance (bm25 / ts_rank) costs a few
microseconds per matching record, so it is used up to ``RANK_LIMIT`` matches; beyond
that, records whose title holds the words come first, newest first, then the rest. Facet
counts cost about a microsecond per matching record, so beyond ``EXACT_LIMIT`` matches
they are counted over a fixed sample (records whose id is divisible by 2, 4, 8 ...),
scaled up, and flagged as estimates. The total is always exact.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypedDict, Unpack

from sqlalchemy import delete, func, select, update
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncConnection

from metadata.record import Record
from metadata.references import canonical
from repository.store import bodies, page_text
from repository.store.engine import Writer, insert_many
from repository.store.lookup import records_in_order
from repository.store.schema import meta, page_lines, records
from repository.store.search import postgres, sqlite
from repository.store.search.document import SAMPLE_RATES, SEPARATOR, Document, document
from repository.store.search.query import FACETS, Query, read
from repository.store.search.snippet import Snippet, snippet
from repository.store.search.tables import search_docs, search_metadata, search_tree

__all__ = ["FACETS", "FacetValue", "Hit", "SearchResult", "create", "index", "query", "remove"]

log = logging.getLogger("opis")
# Change whenever what is indexed, or how, changes: opening the store then rebuilds it.
VERSION = "3"
VERSION_KEY = "search_version"
RANK_LIMIT = 2_000
EXACT_LIMIT = 10_000
MAX_PAGE = 500
_CHUNK = 500


@dataclass(frozen=True)
class Hit:
    key: str
    title: str
    date: str | None
    citation: str | None
    snippet: Snippet
    page: int | None = None  # the first page (from 1) whose text holds the query


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    query: Query
    total: int = 0
    hits: tuple[Hit, ...] = ()
    page: int = 1
    page_size: int = 20
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    estimated: bool = False  # facet counts come from a sample of the matches
    total_estimated: bool = False  # so does the total (PostgreSQL, many matches)
    # "relevance", or past RANK_LIMIT matches "title" (title matches first, then the
    # rest, newest first in each) or "newest"; "newest" also when only filters were given
    order: str = "relevance"
    words_ignored: bool = False  # a citation's extra words matched nothing, so dropped

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.page_size)))


class Backend(Protocol):
    """What each backend module (``sqlite``, ``postgres``) provides."""

    EXACT_COUNT: bool
    TITLE_FIRST: bool
    ROW_COST: int
    COUNT: str
    NEWEST: str
    NEWEST_FEW: str
    RANKED: str

    def condition(
        self, query: Query, *, title_only: bool | None = None, sample: int = 1
    ) -> tuple[str, dict[str, str]]: ...

    async def facets(
        self, conn: AsyncConnection, where: str, params: dict[str, str]
    ) -> dict[str, Counter[str]]: ...

    async def group(
        self, conn: AsyncConnection, where: str, params: dict[str, str], column: str
    ) -> Counter[str]: ...

    async def create(self, conn: AsyncConnection) -> None: ...

    async def drop(self, conn: AsyncConnection) -> None: ...

    def tsv(self, doc: Document) -> str | None: ...

    async def write(self, conn: Writer, docs: Sequence[Document]) -> dict[int, bytes]:
        """Index ``docs``; what ``search_docs.words`` keeps for each, if anything."""
        ...

    async def remove(self, conn: Writer, record_ids: Sequence[int]) -> None: ...


class _How(TypedDict, total=False):
    """Which of the matches a condition selects (see ``Backend.condition``)."""

    title_only: bool | None
    sample: int


def _backend(conn: Writer) -> Backend:
    return sqlite if conn.dialect.name == "sqlite" else postgres


# -- keeping the index --------------------------------------------------------------


async def create(conn: AsyncConnection) -> None:
    """Create the index if it is missing; rebuild it from the records on a new VERSION."""
    backend = _backend(conn)
    found = (await conn.execute(select(meta.c.value).where(meta.c.name == VERSION_KEY))).scalar()
    if found == VERSION:
        return
    waiting = (
        await conn.execute(select(func.count()).select_from(records).where(~records.c.deleted))
    ).scalar_one()
    if waiting:
        log.info("building the search index over %d records (index version %s)", waiting, VERSION)
    await backend.drop(conn)
    await conn.run_sync(search_metadata.drop_all)
    await conn.run_sync(search_metadata.create_all)
    await backend.create(conn)
    await index_all(conn)
    if found is None:
        await conn.execute(meta.insert().values(name=VERSION_KEY, value=VERSION))
    else:
        await conn.execute(update(meta).where(meta.c.name == VERSION_KEY).values(value=VERSION))


async def index_all(conn: AsyncConnection) -> None:
    """Index every live record, in chunks (the index is empty)."""
    last = 0
    while True:
        rows = (
            await conn.execute(
                select(records.c.id, records.c.key, records.c.data)
                .where(~records.c.deleted, records.c.id > last)
                .order_by(records.c.id)
                .limit(_CHUNK)
            )
        ).all()
        if not rows:
            break
        await index(
            conn,
            [
                (r.id, Record.from_json(data).with_key(r.key))
                for r, data in zip(
                    rows, await bodies.loads(conn, [r.data for r in rows]), strict=True
                )
            ],
        )
        last = rows[-1].id


async def index(conn: Writer, items: Sequence[tuple[int, Record | Document]]) -> None:
    """(Re)index live records, given as (record id, record), or as (record id, the
    record's ``unnumbered`` document) when that was built beforehand."""
    backend = _backend(conn)
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        ids = [record_id for record_id, _ in chunk]
        rows = await conn.execute(
            select(records.c.id, records.c.created).where(records.c.id.in_(ids))
        )
        created = dict(rows.all())
        texts = await _page_words(conn, ids)
        docs = [
            item.numbered(rid, texts.get(rid, ""))
            if isinstance(item, Document)
            else document(rid, item, texts.get(rid, ""))
            for rid, item in chunk
        ]
        await remove(conn, ids)
        kept = await backend.write(conn, docs)
        await insert_many(conn, search_docs, [_docs_row(d, created, backend, kept) for d in docs])
        await insert_many(
            conn,
            search_tree,
            [
                {"parent": parent, "child": child, "record_id": d.record_id}
                for d in docs
                for parent, child in d.tree
            ],
        )


async def _page_words(conn: Writer, ids: Sequence[int]) -> dict[int, str]:
    """The folded words on each record's pages, a line to a line (``page_text`` wrote
    them in the same transaction, just before)."""
    rows = await conn.execute(
        select(page_lines.c.record_id, page_lines.c.folded)
        .where(page_lines.c.record_id.in_(ids))
        .order_by(page_lines.c.record_id, page_lines.c.seq, page_lines.c.n)
    )
    out: dict[int, list[str]] = {}
    for record_id, folded in rows:
        out.setdefault(record_id, []).append(folded)
    return {record_id: "\n".join(lines) for record_id, lines in out.items()}


def _docs_row(
    doc: Document, created: Mapping[int, int], backend: Backend, kept: Mapping[int, bytes]
) -> dict[str, Any]:
    return {
        "record_id": doc.record_id,
        "created": created.get(doc.record_id, 0),
        "archive": doc.archive,
        "fond": doc.fond,
        "decade": doc.decade,
        "year": doc.year,
        "languages": SEPARATOR.join(doc.languages),
        "types": SEPARATOR.join(doc.types),
        "tsv": backend.tsv(doc),
        "words": kept.get(doc.record_id),
    }


async def remove(conn: Writer, record_ids: list[int]) -> None:
    """Take records out of the index (they were deleted)."""
    backend = _backend(conn)
    for start in range(0, len(record_ids), _CHUNK):
        ids = list(record_ids[start : start + _CHUNK])
        await backend.remove(conn, ids)
        await conn.execute(delete(search_docs).where(search_docs.c.record_id.in_(ids)))
        await conn.execute(delete(search_tree).where(search_tree.c.record_id.in_(ids)))


# -- answering ----------------------------------------------------------------------


async def query(
    conn: AsyncConnection,
    text: str,
    facets: Mapping[str, str] | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchResult:
    """One page of what matches ``text`` within the filters chosen (facet name -> value)."""
    found = read(text, facets)
    page = max(1, min(page, MAX_PAGE))
    if found.empty:
        return SearchResult(found, page=page, page_size=page_size)
    backend = _backend(conn)
    total, total_estimated, counts, rate = await _measure(conn, backend, found)
    words_ignored = False
    if total == 0 and found.units and found.terms:
        words_ignored = True
        found = replace(found, terms=())
        total, total_estimated, counts, rate = await _measure(conn, backend, found)
    if total == 0:
        return SearchResult(found, page=page, page_size=page_size, words_ignored=words_ignored)
    ids, order = await _page(conn, backend, found, total, (page - 1) * page_size, page_size)
    return SearchResult(
        query=found,
        total=total,
        hits=tuple(await _hits(conn, ids, found)),
        page=page,
        page_size=page_size,
        facets=counts,
        estimated=rate > 1,
        total_estimated=total_estimated,
        order=order,
        words_ignored=words_ignored,
    )


async def _measure(
    conn: AsyncConnection, backend: Backend, q: Query
) -> tuple[int, bool, dict[str, tuple[FacetValue, ...]], int]:
    """(total, whether it is an estimate, facet counts, their sample rate).

    Where counting is cheap (SQLite) the total is exact and picks the sample rate. Where
    it is not (PostgreSQL), a count over the smallest sample gives a rough size, which
    picks the rate; the facet pass then counts the matches (or the sample), and the
    total is what it counted, scaled up.
    """
    if backend.EXACT_COUNT:
        total = await _count(conn, backend, q)
        if total == 0:
            return 0, False, {}, 1
        rate = _rate(total, backend)
        counts, _ = await _facets(conn, backend, q, rate)
        return total, False, counts, rate
    smallest = SAMPLE_RATES[-1]
    rate = _rate(await _count(conn, backend, q, sample=smallest) * smallest, backend)
    counts, counted = await _facets(conn, backend, q, rate)
    if rate > 1 and counted == 0:  # an unlucky sample: count them all after all
        return await _count(conn, backend, q), False, counts, rate
    return counted * rate, rate > 1, counts, rate


def _rate(size: int, backend: Backend) -> int:
    """The sample rate that keeps facet counting within budget (1: count every match).

    The budget is EXACT_LIMIT records where counting one costs what it costs on SQLite,
    fewer where it costs more (``ROW_COST``: PostgreSQL visits each row in the table).
    """
    limit = max(1, EXACT_LIMIT // backend.ROW_COST)
    return next((r for r in (1, *SAMPLE_RATES) if size <= limit * r), SAMPLE_RATES[-1])


async def _count(conn: AsyncConnection, backend: Backend, q: Query, **how: Unpack[_How]) -> int:
    where, params = backend.condition(q, **how)
    return int((await conn.execute(sql(backend.COUNT.format(where=where)), params)).scalar_one())


async def _ids(
    conn: AsyncConnection,
    backend: Backend,
    statement: str,
    q: Query,
    offset: int,
    limit: int,
    **how: Unpack[_How],
) -> list[int]:
    where, params = backend.condition(q, **how)
    rows = await conn.execute(
        sql(statement.format(where=where)), {**params, "offset": offset, "limit": limit}
    )
    return [int(i) for i in rows.scalars()]


async def _page(
    conn: AsyncConnection, backend: Backend, q: Query, total: int, offset: int, limit: int
) -> tuple[list[int], str]:
    few = total <= RANK_LIMIT
    if q.terms and few:
        return await _ids(conn, backend, backend.RANKED, q, offset, limit), "relevance"
    if not q.terms or not backend.TITLE_FIRST:
        newest = backend.NEWEST_FEW if few else backend.NEWEST
        return await _ids(conn, backend, newest, q, offset, limit), "newest"
    in_title = await _count(conn, backend, q, title_only=True)
    ids: list[int] = []
    if offset < in_title:
        ids = await _ids(conn, backend, backend.NEWEST, q, offset, limit, title_only=True)
    if len(ids) < limit:
        rest = max(0, offset - in_title)
        ids += await _ids(
            conn, backend, backend.NEWEST, q, rest, limit - len(ids), title_only=False
        )
    return ids, "title"


async def _facets(
    conn: AsyncConnection, backend: Backend, q: Query, rate: int
) -> tuple[dict[str, tuple[FacetValue, ...]], int]:
    """Facet counts over the matches (or the sample at ``rate``), and how many were counted.

    A fond is shown once one archive is in play, a year once one decade is: chosen, or the
    only one among the matches.
    """
    where, params = backend.condition(q, sample=rate)
    counts = await backend.facets(conn, where, params)
    chosen = {name for name, _ in q.filters}
    for name, parent in (("fond", "archive"), ("year", "decade")):
        if parent in chosen or len([v for v in counts[parent] if v]) == 1:
            if name not in counts:
                counts[name] = await backend.group(conn, where, params, name)
        else:
            counts[name] = Counter()
    out = {
        name: tuple(
            FacetValue(value, n * rate)
            for value, n in sorted(counts[name].items(), key=_order(name))
            if value
        )
        for name in FACETS
    }
    return out, sum(counts["archive"].values())


def _order(name: str) -> Callable[[tuple[str, int]], str | tuple[int, str]]:
    if name in ("decade", "year"):
        return lambda item: item[0]
    return lambda item: (-item[1], item[0])


async def _hits(conn: AsyncConnection, ids: list[int], q: Query) -> Iterable[Hit]:
    out = []
    for record_id, key, record in await records_in_order(conn, ids):
        texts = [d.value for d in record.description] + [t.content for t in record.text]
        shown = snippet(texts, q.terms)
        on_page = await _on_page(conn, record_id, q)
        if on_page is not None and not any(marked for _, marked in shown):
            shown = snippet([on_page.text], q.terms)
        out.append(
            Hit(
                key=key,
                title=record.title,
                date=record.date,
                citation=canonical(record.reference) if record.reference else record.citation,
                snippet=shown,
                page=on_page.seq + 1 if on_page is not None else None,
            )
        )
    return out


async def _on_page(conn: AsyncConnection, record_id: int, q: Query) -> page_text.Hit | None:
    """Where on its pages a record first shows the query's first whole-word term."""
    term = next((t for t in q.terms if not t.prefix), None)
    if term is None:
        return None
    sqlite = conn.dialect.name == "sqlite"
    first = await page_text.search(conn, record_id, term.words, 0, 1, sqlite=sqlite)
    return first.hits[0] if first.hits else None
