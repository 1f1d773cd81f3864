"""Search on PostgreSQL: a tsvector per live record in ``search_docs``, under a GIN index.

The tsvector is written out here, word by word, rather than by ``to_tsvector``: the words
are folded and split in Python exactly as for SQLite (and as the query is), so no text
search configuration, locale or extension decides what matches. Each word carries its
positions (phrases) and a weight for its field: A title, B description, names and
citation, D text. Tags are lexemes ``kind:value``; no word has a colon, so none can
collide with one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from repository.store.engine import Writer
from repository.store.search.document import Document, tally
from repository.store.search.query import Query, Term, required_tags
from repository.store.search.text import words

MAX_POSITION = 16383  # PostgreSQL's limit; later words share it
MAX_POSITIONS = 256  # positions kept per word
GAP = 8  # between fields, so that a phrase never spans two of them
# A tsvector holds at most 1 MB: each lexeme costs its bytes and an entry (with room for
# alignment and its position count), each position two bytes.
MAX_BYTES = 1_000_000
_ENTRY = 8
_POSITION = 2

# Counting visits every matching row (a GIN index cannot count on its own), so past
# EXACT_LIMIT matches the total is estimated from the facet sample; and past RANK_LIMIT
# results come newest first, which a backward scan of the primary key gives at once.
EXACT_COUNT = False
TITLE_FIRST = False
ROW_COST = 4  # a facet pass visits each match's row in the table: about four times dearer
COUNT = "SELECT count(*) FROM search_docs AS d WHERE {where}"
NEWEST = (
    "SELECT d.record_id FROM search_docs AS d WHERE {where} "
    "ORDER BY d.record_id DESC LIMIT :limit OFFSET :offset"
)
# For few matches, order by an expression: the planner then collects them through the GIN
# index and sorts them, rather than walking the primary key backwards hoping to meet
# them (which it may choose, and pay a full scan for, before statistics exist).
NEWEST_FEW = (
    "SELECT d.record_id FROM search_docs AS d WHERE {where} "
    "ORDER BY d.record_id + 0 DESC LIMIT :limit OFFSET :offset"
)
RANKED = (
    "SELECT d.record_id FROM search_docs AS d WHERE {where} "
    "ORDER BY ts_rank(d.tsv, CAST(:rank AS tsquery)) DESC, d.record_id DESC "
    "LIMIT :limit OFFSET :offset"
)
FACETS_FROM = "search_docs AS d"
# Every facet in one pass over the matches: one grouping set per kind of count.
FACET_PASS = (
    "SELECT d.archive, d.decade, d.languages, d.types, d.fond, d.year, count(*), "
    "GROUPING(d.fond, d.year) FROM search_docs AS d WHERE {where} "
    "GROUP BY GROUPING SETS ((d.archive, d.decade, d.languages, d.types), (d.fond), (d.year))"
)
_COMBINATIONS, _FONDS, _YEARS = 3, 1, 2  # GROUPING(fond, year) of each set


async def facets(
    conn: AsyncConnection, where: str, params: dict[str, str]
) -> dict[str, Counter[str]]:
    """Every facet's counts, fonds and years included, in one pass over the matches."""
    rows = (await conn.execute(text(FACET_PASS.format(where=where)), params)).all()
    counts = tally((*r[:4], r[6]) for r in rows if r[7] == _COMBINATIONS)
    counts["fond"] = Counter({r[4]: r[6] for r in rows if r[7] == _FONDS})
    counts["year"] = Counter({r[5]: r[6] for r in rows if r[7] == _YEARS})
    return counts


async def group(
    conn: AsyncConnection, where: str, params: dict[str, str], column: str
) -> Counter[str]:
    """Never needed: ``facets`` counts every column."""
    raise AssertionError(f"{column} is counted by facets()")


async def create(conn: AsyncConnection) -> None:
    """Nothing beyond ``search_docs`` and its GIN indexes, which the table metadata makes."""


async def drop(conn: AsyncConnection) -> None:
    """Nothing of its own: the words live in ``search_docs``."""


async def write(conn: Writer, docs: Sequence[Document]) -> dict[int, bytes]:
    """The words go in with ``search_docs`` (``tsv``): nothing to keep besides."""
    return {}


async def remove(conn: Writer, record_ids: Sequence[int]) -> None:
    """Removing the ``search_docs`` rows removed the words."""


def tsv(doc: Document) -> str:
    """The tsvector of a document, in PostgreSQL's input syntax."""
    tags = [_lexeme(t) for kind, value in doc.tags if _fits(t := tag(kind, value))]
    fields = (
        ("A", doc.title),
        ("B", doc.meta),
        ("B", doc.refs),
        ("D", doc.body),
        ("D", doc.pages),
    )
    budget = MAX_BYTES - sum(len(t.encode()) + _ENTRY for t in tags)
    return " ".join([*_lexemes(fields, budget), *tags])


def _fits(word: str) -> bool:
    """PostgreSQL refuses lexemes over 2047 bytes; like its own parser, leave them out."""
    return len(word.encode()) < 2048


def _lexemes(fields: Sequence[tuple[str, str]], budget: int) -> list[str]:
    """Each word with its positions, fields in order, within ``budget`` bytes of
    tsvector: a document with hundreds of pages of text would pass PostgreSQL's 1 MB
    limit, and then its words past the budget are left out rather than the record."""
    positions: dict[str, list[str]] = {}
    at = 1
    for weight, field in fields:
        for word in words(field):
            kept = positions.get(word)
            cost = _POSITION if kept is not None else len(word.encode()) + _ENTRY + _POSITION
            if not _fits(word) or cost > budget:
                at += 1
                continue
            if kept is None:
                kept = positions[word] = []
            if len(kept) < MAX_POSITIONS:
                kept.append(f"{min(at, MAX_POSITION)}{weight}")
                budget -= cost
            at += 1
        at += GAP
    return [f"{_lexeme(w)}:{','.join(p)}" for w, p in positions.items()]


def tag(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def condition(
    query: Query, *, title_only: bool | None = None, sample: int = 1
) -> tuple[str, dict[str, str]]:
    """(SQL condition, parameters) selecting the query's records; see search_sqlite."""
    parts = []
    words_all = " & ".join(_term(t) for t in query.terms)
    if words_all:
        parts.append(f"({words_all})")
    either, every = required_tags(query, sample)
    if either:
        parts.append("(" + " | ".join(_lexeme(tag(k, v)) for k, v in either) + ")")
    parts += [_lexeme(tag(k, v)) for k, v in every]
    expression = " & ".join(parts)
    if title_only is not None and words_all:  # weight A: the title (unused: TITLE_FIRST)
        in_title = " & ".join(_term(t, ":A") for t in query.terms)
        expression += f" & ({in_title})" if title_only else f" & !({in_title})"
    return "d.tsv @@ CAST(:match AS tsquery)", {"match": expression, "rank": words_all}


def _term(term: Term, weight: str = "") -> str:
    last = len(term.words) - 1
    pieces = [
        _lexeme(word) + (":*" + weight[1:] if term.prefix and n == last else weight)
        for n, word in enumerate(term.words)
    ]
    return pieces[0] if len(pieces) == 1 else "(" + " <-> ".join(pieces) + ")"


def _lexeme(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
