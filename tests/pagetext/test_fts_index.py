"""On SQLite, page text is found through the FTS5 table ``search_page_fts``: a record's
lines are added to it in one statement when they are written, and triggers take them
out when lines go. Whatever happens to the lines (written, replaced, deleted with their
record, copied into another store, or written after an upgrade from the store that
indexed them by trigger), FTS5's own integrity check finds the index equal to the lines,
and each word is found exactly where it is."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys

from alembic import command

from repository.store import Store
from repository.store.copy import copy
from repository.store.migrate import config
from repository.store.search.text import words
from tests.live import ingest, make_settings, settings_environ
from tests.pagetext.test_site_search import PAGES, WORD, three_pages

OTHER = "Krasnovodsk"


def _index_agrees(path) -> None:
    with sqlite3.connect(path) as db:
        # raises "database disk image is malformed" when the index and the lines differ
        db.execute(
            "INSERT INTO search_page_fts (search_page_fts, rank) VALUES ('integrity-check', 1)"
        )


def _lines_with(path, word: str) -> list[tuple[int, int]]:
    """(seq, n) of the lines the index finds the word on, folded as queries are."""
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT seq, n FROM page_lines WHERE id IN (SELECT rowid FROM search_page_fts "
            "WHERE search_page_fts MATCH ?) ORDER BY seq, n",
            ('"' + " ".join(words(word)) + '"',),
        ).fetchall()


def _with_word(word: str) -> list:
    """The three pages, with ``word`` on page 1 instead of on page 2."""
    pages = [[list(line) for line in page] for page in PAGES]
    pages[0][0].append((word, 500, 100, 300, 40))
    pages[1][1] = pages[1][1][:2]
    return pages


def test_lines_written_replaced_and_deleted_keep_the_index_equal_to_them(tmp_path):
    db = tmp_path / "opis.db"
    settings = make_settings(f"sqlite:///{db}", tmp_path / "data")
    report = ingest(settings, [three_pages(tmp_path / "a")])
    assert not report.failed, report.entries
    _index_agrees(db)
    assert _lines_with(db, WORD) == [(1, 1)]

    # the same document again, its word moved to the first page
    assert not ingest(settings, [three_pages(tmp_path / "b", _with_word(OTHER))]).failed
    _index_agrees(db)
    assert _lines_with(db, WORD) == [] and _lines_with(db, OTHER) == [(0, 0)]

    async def delete() -> None:
        store = await Store(settings.database.url).open()
        try:
            assert await store.delete(report.entries[0].key) is not None
        finally:
            await store.close()

    asyncio.run(delete())
    _index_agrees(db)
    assert _lines_with(db, OTHER) == [] and _lines_with(db, "ёлка") == []


def test_a_copy_into_sqlite_is_indexed(tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    settings = make_settings(f"sqlite:///{first}", tmp_path / "data")
    assert not ingest(settings, [three_pages(tmp_path / "docs")]).failed
    asyncio.run(copy(f"sqlite:///{first}", f"sqlite:///{second}", lambda *_: None))
    _index_agrees(second)
    assert _lines_with(second, WORD) == [(1, 1)]
    assert _lines_with(second, "ЁЛКА") == [(2, 0)]  # folded as the lines were


def test_a_store_that_indexed_lines_by_trigger_upgrades_and_indexes_each_line_once(tmp_path):
    db = tmp_path / "opis.db"
    url = f"sqlite:///{db}"
    settings = make_settings(url, tmp_path / "data")
    assert not ingest(settings, [three_pages(tmp_path / "a")]).failed
    command.downgrade(config(url), "0006")  # the insert trigger is back, as stores had it
    with sqlite3.connect(db) as conn:
        triggers = {
            n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    assert "page_lines_ai" in triggers
    subprocess.run(
        [sys.executable, "-m", "repository", "db", "upgrade"],
        env={**os.environ, **settings_environ(settings)},
        check=True,
        capture_output=True,
    )
    second = three_pages(tmp_path / "b", _with_word(OTHER))
    record = second / "record.json"
    record.write_text(record.read_text().replace("d. 1", "d. 2"), encoding="utf-8")
    assert not ingest(settings, [second]).failed
    _index_agrees(db)
    assert _lines_with(db, WORD) == [(1, 1)]  # indexed before the upgrade, found once
    assert _lines_with(db, OTHER) == [(0, 0)]  # indexed after it, found once
