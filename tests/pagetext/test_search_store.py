"""Search inside one document at the store (``page_text.search``), on SQLite and
PostgreSQL: the count of matching lines, paging to the last page and past it, phrases
inside a line and inside a word, and no line of another document, whatever the pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from repository.store import Store, page_text
from tests.live import ingest, make_settings
from tests.pagetext.samples import alto4, blank

Words = list[list[tuple[str, int, int, int, int]]]


def _line(*words: str, y: int) -> list[tuple[str, int, int, int, int]]:
    return [(w, 100 + 150 * i, y, 120, 30) for i, w in enumerate(words)]


# Document A, two pages; document B shares its words; document C has no page text.
A: list[Words] = [
    [
        _line("alpha", "beta", "gamma", y=100),
        _line("beta", "beta", "alpha", y=200),
        _line("delta", "alpha-beta", y=300),
    ],
    [_line("alpha", y=100), _line("gamma", "beta", y=200)],
]
B: list[Words] = [[_line("alpha", "beta", "alpha", y=100)]]


def _folder(root: Path, name: str, n: int, pages: list[Words] | None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for seq in range(len(pages) if pages else 1):
        blank(folder / f"p{seq + 1}.png", (1000, 1400))
        if pages:
            (folder / f"p{seq + 1}.xml").write_text(alto4(pages[seq], 1000, 1400), "utf-8")
    record = {"reference": f"GAPPOD, f. 79, op. 2, d. {n}", "title": f"Document {name}"}
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def documents(module_database_url, tmp_path_factory):
    root = tmp_path_factory.mktemp("store-search")
    docs = zip("ABC", (A, B, None), strict=True)
    folders = [_folder(root / "docs", name, n, pages) for n, (name, pages) in enumerate(docs)]
    settings = make_settings(module_database_url, root / "data")
    report = ingest(settings, folders)
    assert not report.failed, [(e.source, e.message) for e in report.entries]
    keys = {Path(e.source).name: e.key for e in report.entries}
    return settings.database.url, keys


def search(documents, name: str, q: str, page: int = 0, size: int = 100) -> page_text.HitPage:
    url, keys = documents

    async def run() -> page_text.HitPage:
        store = await Store(url).open()
        try:
            found = await store.page_text_search(keys[name], page_text.phrase(q), page, size)
        finally:
            await store.close()
        assert found is not None
        return found

    return asyncio.run(run())


def places(found: page_text.HitPage) -> list[tuple[int, int, str]]:
    return [(h.seq, h.line, h.exact) for h in found.hits]


def test_every_matching_line_of_the_document_and_only_of_it(documents):
    found = search(documents, "A", "beta")
    assert (found.lines, found.page, found.pages) == (4, 0, 1)
    assert places(found) == [
        (0, 0, "beta"),
        (0, 1, "beta"),
        (0, 1, "beta"),
        (0, 2, "alpha-beta"),
        (1, 1, "beta"),
    ]
    other = search(documents, "B", "alpha")
    assert (other.lines, places(other)) == (1, [(0, 0, "alpha"), (0, 0, "alpha")])


def test_a_phrase_is_found_inside_a_line_and_inside_a_word_only(documents):
    found = search(documents, "A", "Alpha Beta")
    assert found.lines == 2
    assert places(found) == [(0, 0, "alpha beta"), (0, 2, "alpha-beta")]
    first = found.hits[0]
    assert first.box == (100, 100, 270, 30)
    assert (first.prefix, first.suffix) == ("", " gamma")
    assert places(search(documents, "A", "beta alpha")) == [(0, 1, "beta alpha")]
    assert search(documents, "A", "gamma alpha").lines == 0  # not across lines


def test_pages_of_lines_to_the_last_and_past_it(documents):
    pages = [search(documents, "A", "beta", page, 2) for page in range(3)]
    assert [(p.lines, p.page, p.pages) for p in pages] == [(4, 0, 2), (4, 1, 2), (4, 2, 2)]
    assert places(pages[0]) + places(pages[1]) == places(search(documents, "A", "beta"))
    assert pages[2].hits == ()
    one = search(documents, "A", "alpha", 3, 1)
    assert (one.lines, one.pages, places(one)) == (4, 4, [(1, 0, "alpha")])


def test_absent_words_and_a_document_without_page_text(documents):
    assert search(documents, "A", "epsilon") == page_text.HitPage((), 0, 0, 1)
    assert search(documents, "C", "alpha") == page_text.HitPage((), 0, 0, 1)
    assert search(documents, "C", "alpha", 2) == page_text.HitPage((), 0, 2, 1)
