"""Search on SQLite: one FTS5 table holding each live record's words by field, and its tags.

Text arrives folded (search_text), so the ``unicode61`` tokenizer only splits it into
words; its own diacritic removal changes nothing further. Tags are single tokens made
of a private-use character, the tag kind and the value in hex: the tokenizer keeps them
whole, no folded word can equal one, and matching a tag is a posting-list lookup like
matching a word. ``detail=full`` keeps positions, which phrases need.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from repository.store import bodies
from repository.store.engine import Writer
from repository.store.search.document import Document, tally
from repository.store.search.query import Query, Term, required_tags
from repository.store.search.tables import search_docs

TAG = "\ue000"
COLUMNS = ("title", "meta", "refs", "body", "pages", "tags")
# bm25 weights, in COLUMNS order: a title match counts most; tags never score.
WEIGHTS = "10.0, 4.0, 4.0, 1.0, 1.0, 0.0"
# Contentless (``content=''``): the index alone, not a second copy of every record's text
# (about 2 KB a record; snippets are made from the records). Such a table deletes a row
# only when given the values it indexed, so ``search_docs.words`` keeps them, compressed.
CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    + ", ".join(COLUMNS)
    + ", content = '', tokenize = 'unicode61 remove_diacritics 2', detail = full)"
)
WORDS = "search"  # the format name search_docs.words are compressed under (bodies.py)

# Counting walks posting lists only, so totals are always exact; past RANK_LIMIT,
# title matches come first (a second count finds where they end).
EXACT_COUNT = True
TITLE_FIRST = True
ROW_COST = 1  # a facet pass reads each match's search_docs row by rowid
COUNT = "SELECT count(*) FROM search_fts WHERE {where}"
NEWEST = (
    "SELECT rowid FROM search_fts WHERE {where} ORDER BY rowid DESC LIMIT :limit OFFSET :offset"
)
NEWEST_FEW = NEWEST  # FTS5 walks posting lists backwards, whatever their length
RANKED = (
    f"SELECT rowid FROM search_fts WHERE {{where}} ORDER BY bm25(search_fts, {WEIGHTS}), "
    "rowid DESC LIMIT :limit OFFSET :offset"
)
FACETS_FROM = "search_fts JOIN search_docs AS d ON d.record_id = search_fts.rowid"
COMBINATIONS = (
    f"SELECT d.archive, d.decade, d.languages, d.types, count(*) FROM {FACETS_FROM} "
    "WHERE {where} GROUP BY 1, 2, 3, 4"
)


async def facets(
    conn: AsyncConnection, where: str, params: dict[str, str]
) -> dict[str, Counter[str]]:
    """Archive, decade, language and type counts, in one pass over the matches."""
    return tally(await conn.execute(text(COMBINATIONS.format(where=where)), params))


async def group(
    conn: AsyncConnection, where: str, params: dict[str, str], column: str
) -> Counter[str]:
    """Counts by one more column (``fond`` or ``year``), when the page will show them."""
    statement = f"SELECT d.{column}, count(*) FROM {FACETS_FROM} WHERE {where} GROUP BY 1"
    return Counter(dict((await conn.execute(text(statement), params)).all()))


async def create(conn: AsyncConnection) -> None:
    await conn.exec_driver_sql(CREATE)


async def drop(conn: AsyncConnection) -> None:
    await conn.exec_driver_sql("DROP TABLE IF EXISTS search_fts")


def tsv(doc: Document) -> None:
    """SQLite keeps words in ``search_fts``, not in ``search_docs``."""
    return None


_VALUES = ", ".join("?" for _ in COLUMNS)
_INSERT = f"INSERT INTO search_fts (rowid, {', '.join(COLUMNS)}) VALUES (?, {_VALUES})"
_DELETE = (
    f"INSERT INTO search_fts (search_fts, rowid, {', '.join(COLUMNS)}) "
    f"VALUES ('delete', ?, {_VALUES})"
)


async def write(conn: Writer, docs: Sequence[Document]) -> dict[int, bytes]:
    """Index ``docs``; returns each one's indexed values, packed, for ``search_docs.words``."""
    rows = [
        (
            d.record_id,
            d.title,
            d.meta,
            d.refs,
            d.body,
            d.pages,
            " ".join(tag(k, v) for k, v in d.tags),
        )
        for d in docs
    ]
    if not rows:
        return {}
    await conn.exec_driver_sql(_INSERT, rows)
    kept: list[dict[str, Any]] = [
        {"format": WORDS, "body": json.dumps(row[1:], ensure_ascii=False).encode()} for row in rows
    ]
    await bodies.pack(conn, kept)
    return {row[0]: k["body"] for row, k in zip(rows, kept, strict=True)}


async def remove(conn: Writer, record_ids: Sequence[int]) -> None:
    """Take records out of the index, giving it back the values it indexed."""
    if not record_ids:
        return
    found = (
        await conn.execute(
            select(search_docs.c.record_id, search_docs.c.words).where(
                search_docs.c.record_id.in_(record_ids), search_docs.c.words.is_not(None)
            )
        )
    ).all()
    values = await bodies.loads(conn, [row.words for row in found])
    rows = [(row.record_id, *v) for row, v in zip(found, values, strict=True)]
    if rows:
        await conn.exec_driver_sql(_DELETE, rows)


def tag(kind: str, value: str) -> str:
    return f"{TAG}{kind}{value.encode('utf-8').hex()}"


def condition(
    query: Query, *, title_only: bool | None = None, sample: int = 1
) -> tuple[str, dict[str, str]]:
    """(SQL condition, parameters) selecting the query's records.

    ``title_only`` True keeps records whose title holds the words, False those whose
    title does not; None keeps both.
    """
    parts = []
    words = " AND ".join(_term(t) for t in query.terms)
    if words:
        parts.append(f"{{title}}: ({words})" if title_only else f"({words})")
    either, every = required_tags(query, sample)
    if either:
        parts.append("(" + " OR ".join(_quote(tag(k, v)) for k, v in either) + ")")
    parts += [_quote(tag(k, v)) for k, v in every]
    expression = " AND ".join(parts)
    if title_only is False and words:
        expression = f"({expression}) NOT ({{title}}: ({words}))"
    return "search_fts MATCH :match", {"match": expression}


def _term(term: Term) -> str:
    phrase = _quote(" ".join(term.words))
    return f"{phrase} *" if term.prefix else phrase


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'
