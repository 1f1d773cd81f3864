"""The site's search finds words printed on the pages, and a hit opens the document at
that page: the record page shows the page's text with the words marked, each line
linked to its place on the image, and frames the viewer on that canvas with the same
search. On SQLite and PostgreSQL, with the shared samples and a document written here
whose word is on its second page only."""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import asyncpg
import pytest

from repository.store import search
from repository.store.search import postgres
from repository.store.search.document import Document
from tests.conftest import (
    POSTGRES,
    create_postgres_database,
    drop_postgres_database,
    postgres_problem,
    unavailable,
)
from tests.iiif_rules import request
from tests.live import ingest, make_settings
from tests.pagetext.samples import CASES, alto4, blank, samples_served

WORD = "Zhelyabovsk"  # on page 2 of the document below, nowhere else
PAGES = [
    [[("First", 100, 100, 200, 40), ("page", 320, 100, 150, 40)]],
    [
        [("Nothing", 100, 100, 200, 40), ("here", 320, 100, 120, 40)],
        [("Telegram", 100, 200, 240, 40), ("from", 360, 200, 120, 40), (WORD, 500, 200, 300, 40)],
    ],
    [[("Третья", 100, 100, 200, 40), ("ёлка", 320, 100, 150, 40)]],
]
HREF = re.compile(r'href="([^"]+)"')


def three_pages(root: Path, lines=PAGES) -> Path:
    folder = root / "three"
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(lines, 1):
        blank(folder / f"p{n}.png", (1000, 1400))
        (folder / f"p{n}.xml").write_text(alto4(page, 1000, 1400), encoding="utf-8")
    record = {
        "reference": "GAPPOD, f. 76, op. 1, d. 1",
        "title": "A telegram on three pages (synthetic)",
        "date": "1946-04-20",
        "language": ["en"],
        "description": "Nothing in the description names the place.",
        "pages": [{"image": f"p{n}.png", "label": f"l. {n}"} for n in range(1, len(lines) + 1)],
    }
    (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def site(module_database_url, tmp_path_factory):
    root = tmp_path_factory.mktemp("sitesearch")
    with samples_served(module_database_url, root, three_pages) as (server, keys, settings):
        yield server, keys, settings, root


def page(server, path: str) -> str:
    reply = request(server.url(path))
    assert reply.status == 200, (path, reply.status)
    return reply.body.decode()


def hits(server, query: str) -> list[dict]:
    """The hits of a site search: each one's record link, page link and snippet."""
    html = page(server, "/search?q=" + quote(query))
    out = []
    for item in re.findall(r"<li>\s*<h3>(.*?)</li>", html, re.S):
        links = [unescape(h) for h in HREF.findall(item)]
        snippet = re.search(r'<p class="snippet">(.*?)</p>', item, re.S)
        out.append(
            {
                "record": urlsplit(links[0]).path,
                "page": next((h for h in links[1:] if "page=" in h), None),
                "snippet": snippet.group(1) if snippet else "",
            }
        )
    return out


def test_a_word_only_on_page_two_finds_the_document_and_links_to_that_page(site):
    server, keys, _, _ = site
    key = keys["three"]
    found = [h for h in hits(server, WORD.lower()) if h["record"] == f"/records/{key}"]
    assert len(found) == 1, hits(server, WORD)
    link = urlsplit(found[0]["page"])
    assert link.path == f"/records/{key}" and link.fragment == "page-text"
    assert parse_qs(link.query) == {"page": ["2"], "q": [WORD.lower()]}
    # the snippet is the line on the page, the word marked
    assert f"<mark>{WORD}</mark>" in found[0]["snippet"] and "Telegram" in found[0]["snippet"]


def test_the_page_link_opens_the_text_of_that_page_and_the_viewer_on_its_canvas(site):
    server, keys, _, _ = site
    key = keys["three"]
    html = page(server, f"/records/{key}?page=2&q={WORD}")
    section = re.search(r'<section class="page-text" id="page-text".*?</section>', html, re.S)
    assert section, "the record page shows the page's text"
    text = section.group(0)
    assert "Text on page 2" in text
    assert f"<mark>{WORD}</mark>" in text and "Nothing here" in text
    assert "First page" not in text  # page 1's text is on its own page
    lines = re.findall(r'<li><a href="([^"]+)">', text)
    assert len(lines) == 2
    # each line links to its own region of the page image, which the image service serves
    manifest = request(server.url(f"/iiif/3/{key}/manifest")).json()
    service = manifest["items"][1]["items"][0]["items"][0]["body"]["service"][0]["id"]
    assert lines[1] == f"{service}/100,200,700,40/max/0/default.jpg"
    image = request(lines[1])
    assert image.status == 200 and image.headers["content-type"] == "image/jpeg"
    # the pager moves through the pages that have text, keeping the words searched for
    nav = [unescape(h) for h in HREF.findall(text.split('class="pager"')[1])]
    assert [parse_qs(urlsplit(h).query)["page"] for h in nav] == [["1"], ["3"]]
    assert all(parse_qs(urlsplit(h).query)["q"] == [WORD] for h in nav)
    # the viewer frame opens on canvas 2 and runs the same search there
    frame = unescape(re.search(r'<iframe class="viewer" src="([^"]+)"', html).group(1))
    viewer = page(server, urlsplit(frame).path + "?" + urlsplit(frame).query)
    canvas = re.search(r'data-canvas="([^"]+)"', viewer).group(1)
    assert canvas == manifest["items"][1]["id"]
    assert re.search(r'data-query="([^"]+)"', viewer).group(1) == WORD


def test_without_a_page_the_record_shows_the_first_page_with_text(site):
    server, keys, _, _ = site
    html = page(server, f"/records/{keys['three']}")
    assert "Text on page 1" in html and "First page" in html
    frame = unescape(re.search(r'<iframe class="viewer" src="([^"]+)"', html).group(1))
    assert "canvas=" not in frame and "q=" not in frame


@pytest.mark.parametrize(
    "asked", ["0", "-1", "abc", "4", "9999999", "²", "1.5", "", "\x00"], ids=lambda a: repr(a)
)
def test_a_bad_page_number_shows_the_first_page(site, asked):
    server, keys, _, _ = site
    reply = request(server.url(f"/records/{keys['three']}?page={quote(asked)}&q=%3Cscript%3E"))
    assert reply.status == 200
    html = reply.body.decode()
    assert "Text on page 1" in html and "<script>" not in html


def test_cyrillic_words_are_found_case_and_accent_blind_on_the_pages(site):
    server, keys, _, _ = site
    found = [h for h in hits(server, "ЕЛКА") if h["record"] == f"/records/{keys['three']}"]
    assert found and parse_qs(urlsplit(found[0]["page"]).query)["page"] == ["3"]
    assert "<mark>ёлка</mark>" in found[0]["snippet"]


def test_every_shared_sample_is_found_by_the_words_on_its_page(site):
    """For each sample, its longest word: every sample holding it is listed (two samples
    are the same page in ALTO and in PAGE), each linked to its page."""
    server, keys, _, _ = site
    vocab: dict[str, set[str]] = {}
    for case in CASES:
        doc = request(server.url(f"/iiif/3/{keys[case.name]}/manifest")).json()
        lines = [a["body"]["value"] for p in doc["items"][0]["annotations"] for a in p["items"]]
        vocab[case.name] = {w.lower() for w in re.findall(r"[^\W\d_]{4,}", " ".join(lines))}
    for case in CASES:
        word = sorted(vocab[case.name], key=lambda w: (-len(w), w))[0]
        holders = {f"/records/{keys[n]}" for n, v in vocab.items() if word in v}
        found = {h["record"]: h for h in hits(server, word)}
        assert holders <= set(found), (case.name, word, sorted(found))
        for record in holders:
            assert parse_qs(urlsplit(found[record]["page"]).query)["page"] == ["1"], word


def test_new_page_text_replaces_the_old_in_the_site_search(site):
    server, keys, settings, root = site
    changed = [PAGES[0], [[("Only", 100, 100, 200, 40), ("Vorkutinsk", 320, 100, 300, 40)]]]
    folder = three_pages(root / "again", changed)
    report = ingest(settings, [folder])
    assert not report.failed and report.entries[0].key == keys["three"], report.entries
    assert not [h for h in hits(server, WORD) if h["record"] == f"/records/{keys['three']}"]
    found = [h for h in hits(server, "vorkutinsk") if h["record"] == f"/records/{keys['three']}"]
    assert found and parse_qs(urlsplit(found[0]["page"]).query)["page"] == ["2"]
    ingest(settings, [three_pages(root / "back")])  # the module's other tests read PAGES


def test_a_huge_page_text_fits_postgresqls_tsvector():
    """500 pages of words that never repeat would pass PostgreSQL's 1 MB tsvector limit:
    the words past the budget are left out, the record is indexed all the same."""
    problem = postgres_problem()
    if problem:
        unavailable(problem)
    pages = " ".join(f"w{n:07d}x" for n in range(300_000))
    doc = Document(1, "title", "", "", "", pages, (("c", "A"),), "A", "", "", "", (), (), ())
    vector = postgres.tsv(doc)

    async def check() -> tuple[int, bool]:
        conn = await asyncpg.connect(POSTGRES.replace("+asyncpg", ""), timeout=5)
        try:
            size = await conn.fetchval("SELECT length(CAST($1 AS tsvector))", vector)
            query = "'title' & 'c:A' & 'w0000001x'"
            found = await conn.fetchval(
                "SELECT CAST($1 AS tsvector) @@ CAST($2 AS tsquery)", vector, query
            )
            return int(size), bool(found)
        finally:
            await conn.close()

    size, found = asyncio.run(check())
    assert 50_000 < size < 300_000 and found
    assert search.VERSION != "2"  # stores indexed before page text was are rebuilt


def test_a_copied_store_finds_page_text_too(tmp_path):
    """``opis db copy`` indexes the records once their page text is in the copy."""
    first = f"sqlite:///{tmp_path}/first.db"
    settings = make_settings(first, tmp_path / "data")
    assert not ingest(settings, [three_pages(tmp_path / "docs")]).failed
    target = create_postgres_database()
    try:
        from repository.store import Store
        from repository.store.copy import copy

        asyncio.run(copy(first, target, lambda *_: None))

        async def find() -> search.SearchResult:
            store = await Store(target).open()
            try:
                async with store.snapshot() as conn:
                    return await search.query(conn, WORD)
            finally:
                await store.close()

        result = asyncio.run(find())
        assert result.total == 1 and result.hits[0].page == 2, result
    finally:
        drop_postgres_database(target)
