"""Page text in the store: lines with their boxes, searched inside one document.

Written in the record's write transaction (``write``), so the index never disagrees
with the record: on SQLite, ``write`` adds a record's lines to the FTS5 table
``search_page_fts`` in one statement and triggers take deleted lines out; PostgreSQL's
GIN index over ``tsv`` is kept by the database. Words are folded in Python
(``search.text``), the same way for lines and queries, so both backends match the same
lines: case- and accent-insensitive, in any script.

``search`` finds the lines of one document that hold a phrase (one or more words,
consecutive within a line), then locates each occurrence among the line's words, so a
hit covers the boxes of the words it matched (the line's box when the file had no
words), with the text before and after it on the line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy import text as sql

from metadata.pagetext import Line, PageText, Word
from repository.store.engine import Reader, Writer
from repository.store.schema import images, page_lines, page_terms, pages
from repository.store.search.text import word_spans, words

MAX_TERMS = 10  # words in one query
CONTEXT_WORDS = 6  # words of context before and after a hit


class QueryError(ValueError):
    """A query that cannot be answered (empty, too long, no words)."""


@dataclass(frozen=True, slots=True)
class Hit:
    seq: int  # page, from 0
    line: int  # line on the page, from 0
    text: str  # the whole line
    language: str | None
    box: tuple[int, int, int, int]  # the matched words' box (the line's without words)
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class HitPage:
    hits: tuple[Hit, ...]
    lines: int  # matching lines in the whole result
    page: int  # from 0
    pages: int


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    count: int


def phrase(q: str, *, max_length: int = 500) -> tuple[str, ...]:
    """The folded words of a query; quotes around it are optional."""
    if len(q) > max_length:
        raise QueryError(f"q is longer than {max_length} characters")
    found = tuple(words(q))
    if not found:
        raise QueryError("q holds no word to search for")
    if len(found) > MAX_TERMS:
        raise QueryError(f"q holds more than {MAX_TERMS} words")
    return found


# -- writing ------------------------------------------------------------------------


async def write(conn: Writer, record_id: int, texts: Sequence[PageText | None]) -> None:
    """Write the page text of one record (``texts`` in page order, None = no text); the
    caller removed what it had before."""
    sqlite = conn.dialect.name == "sqlite"
    rows = []
    terms: Counter[str] = Counter()
    for seq, page in enumerate(texts):
        if page is None:
            continue
        for n, line in enumerate(page.lines):
            folded = words(line.text)
            terms.update(folded)
            rows.append(
                {
                    "record_id": record_id,
                    "seq": seq,
                    "n": n,
                    "text": line.text,
                    "folded": " ".join(folded),
                    "box": f"{line.x},{line.y},{line.w},{line.h}",
                    "words": _words_json(line.words) if line.words else "",
                    "language": line.language,
                    "tsv": None if sqlite else tsv(record_id, folded),
                }
            )
    if rows:
        await conn.execute(page_lines.insert(), rows)
        if sqlite:
            await conn.execute(sql(_INDEX_LINES), {"record": record_id})
        await conn.execute(
            page_terms.insert(),
            [{"record_id": record_id, "term": t, "count": c} for t, c in terms.items()],
        )


def _words_json(found: Sequence[Word]) -> str:
    """``json.dumps([[text, x, y, w, h], ...], ensure_ascii=False)``, the same string,
    written out: a page has hundreds of words, and the general encoder was most of the
    cost of writing them."""
    quote = _quote
    return "[" + ", ".join(f"[{quote(t)}, {x}, {y}, {w}, {h}]" for t, x, y, w, h in found) + "]"


_quote: Any = json.encoder.encode_basestring

_INDEX_LINES = (
    "INSERT INTO search_page_fts (rowid, folded) "
    "SELECT id, folded FROM page_lines WHERE record_id = :record"
)
REINDEX_LINES = "INSERT INTO search_page_fts (search_page_fts) VALUES ('rebuild')"

MAX_POSITION = 16383  # PostgreSQL's limit; later words share it


def tag(record_id: int) -> str:
    """The lexeme every line of a record carries; no folded word has a colon."""
    return f"r:{record_id}"


def tsv(record_id: int, folded: Sequence[str]) -> str:
    """A line's tsvector in PostgreSQL's input syntax: its words with their positions
    (phrases need them) and the record's tag."""
    positions: dict[str, list[str]] = {}
    for at, word in enumerate(folded, 1):
        if len(word.encode()) < 2048:  # PostgreSQL refuses longer lexemes
            positions.setdefault(word, []).append(str(min(at, MAX_POSITION)))
    lexemes = [f"'{w}':{','.join(p[:256])}" for w, p in positions.items()]
    return " ".join([*lexemes, f"'{tag(record_id)}'"])


def tsquery(record_id: int, folded: Sequence[str]) -> str:
    """The record's tag and the phrase, as a tsquery."""
    return f"'{tag(record_id)}' & (" + " <-> ".join(f"'{w}'" for w in folded) + ")"


async def fill_tsv(conn: Writer) -> int:
    """PostgreSQL: compute ``tsv`` for the lines that have none (rows copied from SQLite
    by ``opis db copy``); how many."""
    done = 0
    while True:
        rows = (
            await conn.execute(
                select(page_lines.c.id, page_lines.c.record_id, page_lines.c.folded)
                .where(page_lines.c.tsv.is_(None))
                .limit(5000)
            )
        ).all()
        if not rows:
            return done
        await conn.execute(
            sql("UPDATE page_lines SET tsv = CAST(:tsv AS tsvector) WHERE id = :line"),
            [{"line": r.id, "tsv": tsv(r.record_id, r.folded.split())} for r in rows],
        )
        done += len(rows)


async def remove(conn: Writer, record_ids: Sequence[int]) -> None:
    if not record_ids:
        return
    await conn.execute(delete(page_lines).where(page_lines.c.record_id.in_(record_ids)))
    await conn.execute(delete(page_terms).where(page_terms.c.record_id.in_(record_ids)))


# -- reading ------------------------------------------------------------------------


def _line(row: object) -> Line:
    x, y, w, h = (int(v) for v in row.box.split(","))  # type: ignore[attr-defined]
    raw = row.words  # type: ignore[attr-defined]
    found = tuple(Word(str(t), a, b, c, d) for t, a, b, c, d in json.loads(raw)) if raw else ()
    return Line(row.text, x, y, w, h, found, row.language)  # type: ignore[attr-defined]


async def load(conn: Reader, record_ids: Sequence[int]) -> dict[int, list[PageText | None]]:
    """Each record's page text, in page order (None for a page without): what renders it."""
    if not record_ids:
        return {}
    sizes = await conn.execute(
        select(pages.c.record_id, pages.c.seq, images.c.width, images.c.height)
        .join(images, images.c.id == pages.c.image_id)
        .where(pages.c.record_id.in_(record_ids))
        .order_by(pages.c.record_id, pages.c.seq)
    )
    size: dict[tuple[int, int], tuple[int, int]] = {
        (r.record_id, r.seq): (r.width, r.height) for r in sizes
    }
    lines: dict[tuple[int, int], list[Line]] = {}
    result = await conn.execute(
        select(page_lines)
        .where(page_lines.c.record_id.in_(record_ids))
        .order_by(page_lines.c.record_id, page_lines.c.seq, page_lines.c.n)
    )
    for row in result:
        lines.setdefault((row.record_id, row.seq), []).append(_line(row))
    out: dict[int, list[PageText | None]] = {}
    for (record_id, seq), found in lines.items():
        if (record_id, seq) not in size:
            continue
        width, height = size[(record_id, seq)]
        count = sum(1 for r, _ in size if r == record_id)
        texts = out.setdefault(record_id, [None] * count)
        texts[seq] = PageText(width, height, tuple(found))
    return out


async def has_text(conn: Reader, record_id: int) -> bool:
    found = await conn.execute(
        select(page_lines.c.id).where(page_lines.c.record_id == record_id).limit(1)
    )
    return found.first() is not None


async def _line_range(conn: Reader, record_id: int) -> tuple[int, int] | None:
    """The first and last line ids of a record (its lines are written in one statement,
    in reading order, so their ids ascend in that order)."""
    order = (page_lines.c.seq, page_lines.c.n)
    mine = select(page_lines.c.id).where(page_lines.c.record_id == record_id).limit(1)
    first = mine.order_by(*order).scalar_subquery()
    last = mine.order_by(*(c.desc() for c in order)).scalar_subquery()
    found = (await conn.execute(select(first, last))).one()
    return None if found[0] is None else (int(found[0]), int(found[1]))


# Each backend answers a page in one statement: the count of matching lines and that
# page's lines (none, as one row of NULLs, past the last page), only the columns hits need.
_COLUMNS = "line.seq, line.n, line.text, line.box, line.words, line.language"

# On SQLite a record's lines have consecutive ids (one writer; one insert), so the FTS5
# rowid range is the record: FTS5 limits its posting lists to it. The unary + keeps the
# planner from walking all the record's lines by ix_page_lines_record to read a page's.
_FTS = "FROM search_page_fts WHERE search_page_fts MATCH :match AND rowid BETWEEN :lo AND :hi"
_SQLITE_SEARCH = sql(
    f"SELECT total.lines AS total, {_COLUMNS} FROM (SELECT count(*) AS lines {_FTS}) AS total"
    f" LEFT JOIN page_lines AS line ON line.id IN (SELECT rowid {_FTS} ORDER BY rowid"
    " LIMIT :limit OFFSET :offset) AND +line.record_id = :record"
    " ORDER BY line.id"
)

# On PostgreSQL the record's tag lexeme is in the same tsquery: one GIN lookup intersects
# the record's lines with the words' (a record_id condition would let the planner walk
# all the record's lines instead). The matching rows are read once for both their count
# and the page's ids (an ordered aggregate: neither a second scan nor a materialized set).
_PG_SEARCH = sql(
    "WITH found AS (SELECT count(*) AS total,"
    " (array_agg(id ORDER BY id))[CAST(:first AS integer) : CAST(:last AS integer)] AS ids"
    " FROM page_lines WHERE tsv @@ CAST(:query AS tsquery))"
    f" SELECT found.total, {_COLUMNS}"
    " FROM found LEFT JOIN LATERAL unnest(found.ids) AS chosen(id) ON true"
    " LEFT JOIN page_lines AS line ON line.id = chosen.id AND line.record_id = :record"
    " ORDER BY line.id"
)
_LARGEST_INDEX = 2**31 - 2  # PostgreSQL's array subscripts are integers


async def search(
    conn: Reader,
    record_id: int,
    folded: Sequence[str],
    page: int,
    page_size: int,
    *,
    sqlite: bool,
) -> HitPage:
    """One page (``page_size`` matching lines) of the hits of a phrase in one record."""
    if sqlite:
        found = await _line_range(conn, record_id)
        if found is None:
            return HitPage((), 0, page, 1)
        match = '"' + " ".join(w.replace('"', '""') for w in folded) + '"'
        rows = await conn.execute(
            _SQLITE_SEARCH,
            {
                "match": match,
                "lo": found[0],
                "hi": found[1],
                "record": record_id,
                "limit": page_size,
                "offset": page * page_size,
            },
        )
    else:
        first = min(page * page_size, _LARGEST_INDEX) + 1
        rows = await conn.execute(
            _PG_SEARCH,
            {
                "query": tsquery(record_id, folded),
                "record": record_id,
                "first": first,
                "last": min(first - 1 + page_size, _LARGEST_INDEX + 1),
            },
        )
    lines = rows.all()
    total = int(lines[0].total)
    phrase = tuple(folded)
    hits: list[Hit] = []
    for row in lines:
        if row.seq is not None:
            hits += line_hits(row, phrase)
    return HitPage(tuple(hits), total, page, max(1, -(-total // page_size)))


@lru_cache(maxsize=1 << 14)
def _tokens(text: str) -> tuple[str, ...]:
    """A word's folded tokens: the same words recur line after line, and folding each
    one again would cost more than the rest of a search page."""
    return tuple(words(text))


def line_hits(row: Any, folded: tuple[str, ...]) -> list[Hit]:
    """Every occurrence of the phrase in one stored line (``seq``, ``n``, ``text``,
    ``box``, ``words``, ``language``), located among its words; only the words a hit
    shows become text."""
    seq, n, text, language = row.seq, row.n, row.text, row.language
    found: list[Hit] = []
    if row.words:
        boxes = json.loads(row.words)  # [text, x, y, w, h] for each word
        each = [_tokens(str(box[0])) for box in boxes]
        tokens = [token for got in each for token in got]
        owner = [i for i, got in enumerate(each) for _ in got]  # the word of each token
        for start in _occurrences(tokens, folded):
            first, last = owner[start], owner[start + len(folded) - 1]
            matched = boxes[first : last + 1]
            left = min(b[1] for b in matched)
            top = min(b[2] for b in matched)
            right = max(b[1] + b[3] for b in matched)
            bottom = max(b[2] + b[4] for b in matched)
            before = boxes[max(0, first - CONTEXT_WORDS) : first]
            after = boxes[last + 1 : last + 1 + CONTEXT_WORDS]
            found.append(
                Hit(
                    seq,
                    n,
                    text,
                    language,
                    (left, top, right - left, bottom - top),
                    " ".join(str(b[0]) for b in matched),
                    " ".join(str(b[0]) for b in before) + (" " if before else ""),
                    (" " if after else "") + " ".join(str(b[0]) for b in after),
                )
            )
        if found:
            return found
    x, y, w, h = (int(v) for v in row.box.split(","))
    spans = word_spans(text)
    for start in _occurrences([s[2] for s in spans], folded):
        begin, end = spans[start][0], spans[start + len(folded) - 1][1]
        found.append(
            Hit(seq, n, text, language, (x, y, w, h), text[begin:end], text[:begin], text[end:])
        )
    if not found:  # the index matched what the tokens here do not show: the whole line
        found.append(Hit(seq, n, text, language, (x, y, w, h), text, "", ""))
    return found


def _occurrences(tokens: list[str], phrase_words: tuple[str, ...]) -> list[int]:
    head, size = phrase_words[0], len(phrase_words)
    return [
        i
        for i, token in enumerate(tokens)
        if token == head and tuple(tokens[i : i + size]) == phrase_words
    ]


async def terms(
    conn: Reader, record_id: int, prefix: str, minimum: int, limit: int, *, sqlite: bool
) -> list[Term]:
    """Words of the record's page text beginning with ``prefix`` (folded), commonest first."""
    folded = "".join(words(prefix))
    if not folded:
        return []
    if sqlite:  # byte order: a prefix is one index range
        starts = and_(page_terms.c.term >= folded, page_terms.c.term < folded + "\U0010ffff")
    else:  # a collation's order is not a prefix order
        starts = func.starts_with(page_terms.c.term, folded)
    rows = await conn.execute(
        select(page_terms.c.term, page_terms.c.count)
        .where(and_(page_terms.c.record_id == record_id, starts, page_terms.c.count >= minimum))
        .order_by(page_terms.c.count.desc(), page_terms.c.term)
        .limit(limit)
    )
    return [Term(str(term), int(count)) for term, count in rows]


async def line_count(conn: Reader, record_id: int) -> int:
    found = await conn.execute(
        select(func.count()).select_from(page_lines).where(page_lines.c.record_id == record_id)
    )
    return int(found.scalar_one())


@dataclass(frozen=True, slots=True)
class PageLines:
    """One page's text as a reader pages through it."""

    seq: int  # page, from 0
    lines: tuple[Line, ...]  # empty: this page has no text
    previous: int | None  # the nearest page before it with text
    next: int | None  # the nearest page after it with text


async def reading_page(conn: Reader, record_id: int, seq: int | None) -> PageLines | None:
    """The lines of page ``seq`` (None: the first page with text); None when the record
    has no page text at all."""
    where = page_lines.c.record_id == record_id
    if seq is None:
        seq = (await conn.execute(select(func.min(page_lines.c.seq)).where(where))).scalar()
        if seq is None:
            return None
    rows = await conn.execute(
        select(page_lines).where(where, page_lines.c.seq == seq).order_by(page_lines.c.n)
    )
    lines = tuple(_line(row) for row in rows)
    before = select(func.max(page_lines.c.seq)).where(where, page_lines.c.seq < seq)
    after = select(func.min(page_lines.c.seq)).where(where, page_lines.c.seq > seq)
    previous = (await conn.execute(before)).scalar()
    following = (await conn.execute(after)).scalar()
    if not lines and previous is None and following is None:
        return None
    return PageLines(seq, lines, previous, following)
