"""Search and browse, on SQLite (FTS5) and PostgreSQL (tsvector), through ``search.query``.

The same assertions run on both backends: words in every indexed field, Cyrillic and
accents in any case, phrases and prefixes, a citation in any written form finding its
unit (alternate references included), exact facet counts, paging without gaps or
repeats in both orderings, estimated facets past the limit, and the index following
every write: updates, deletions, re-ingest, and a rebuild when the index format changes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from repository.store import Store, bodies, browse, search
from repository.store.schema import meta
from repository.store.search.tables import search_docs, search_tree
from tests.conftest import shared_path
from tests.live import ingest, make_settings
from tests.synthetic import write_jsonl

EXTRA = [
    {
        "reference": "ГАРФ, ф. Р-5446, оп. 1, д. 7",
        "title": "Записка о ёлке и бумаге",
        "date": "1947-12-30",
        "language": ["ru"],
        "types": ["Memorandum"],
        "places": ["Тбилиси"],
        "subjects": ["Oil concessions"],
        "text": [
            {
                "language": "ru",
                "kind": "transcription",
                "content": "Прошу ускорить отправку бумаги для типографии.",
            }
        ],
        "source": {"id": "extra-1"},
    },
    {
        "reference": "RGASPI, f. 17, op. 163, d. 1402",
        "title": "Report on the Élysée reception",
        "description": "A reception at the Élysée palace.",
        "date": "1953-09",
        "creators": ["Kovács, László"],
        "contributors": [{"name": "Ostrowska, Zofia", "role": "translator"}],
        "language": ["hu", "en"],
        "types": ["Report"],
        "places": ["Budapest"],
        "source": {"id": "extra-2"},
    },
]


def run(coroutine):
    return asyncio.run(coroutine)


async def _query(url: str, text: str, facets=None, page: int = 1, page_size: int = 20):
    store = await Store(url).open()
    try:
        async with store.snapshot() as conn:
            return await search.query(conn, text, facets, page, page_size)
    finally:
        await store.close()


def find(url: str, text: str, facets=None, page: int = 1, page_size: int = 20):
    return run(_query(url, text, facets, page, page_size))


def keys(result) -> list[str]:
    return [hit.key for hit in result.hits]


def write_records(folder: Path, name: str, items: list[dict]) -> Path:
    path = folder / name
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n")
    return path


@pytest.fixture(scope="module")
def corpus_url(module_database_url, tmp_path_factory):
    """The corpus, two hand-written records and 200 synthetic ones, ingested once."""
    corpus = shared_path("corpus")
    folder = tmp_path_factory.mktemp("inputs")
    settings = make_settings(module_database_url, folder / "data")
    paths = [
        corpus,
        write_records(folder, "extra.jsonl", EXTRA),
        write_jsonl(folder / "synthetic.jsonl", 200),
    ]
    report = ingest(settings, paths)
    assert not report.count("failed"), report.entries
    return module_database_url


SEED = "GAPPOD/f.1/op.89/d.112"


@pytest.mark.parametrize(
    "text",
    [
        "Qavam",  # title, text and description
        "QAVAM",
        "Pishevari",  # text only
        "Maslennikov",  # creator
        "Goldberg",  # contributor (translator)
        "Hasanli",  # contributor (obtained by)
        "punitive detachments",  # two words far from the title
        '"punitive detachments"',  # a phrase
        "Pishev*",  # a prefix
        "GAPPOD",  # the archive's code, as a word
        "Azerbaijan State Archive",  # the archive's name
    ],
)
def test_words_in_any_field_find_the_seed_letter(corpus_url, text):
    assert SEED in keys(find(corpus_url, text, page_size=50))


def test_a_phrase_must_keep_its_order(corpus_url):
    assert SEED in keys(find(corpus_url, '"Iranian troops"'))
    assert SEED not in keys(find(corpus_url, '"troops Iranian"'))


@pytest.mark.parametrize(
    "text",
    ["бумаги", "БУМАГИ", "Бумаге", "ёлке", "елке", "ЁЛКЕ", "тбилиси", "Oil concessions"],
)
def test_cyrillic_in_any_case_with_and_without_yo(corpus_url, text):
    assert "GARF/f.R-5446/op.1/d.7" in keys(find(corpus_url, text)), text


@pytest.mark.parametrize(
    "text", ["Elysee", "élysée", "ÉLYSÉE", "laszlo kovacs", "László", "Ostrowska"]
)
def test_accents_fold_both_ways(corpus_url, text):
    assert keys(find(corpus_url, text)) == ["RGASPI/f.17/op.163/d.1402"]


def test_accents_in_the_corpus(corpus_url):
    found = find(corpus_url, "Pavlicek")
    assert [h.title for h in found.hits] == [
        "Cable no. 333 from the Czechoslovak Embassy in Havana (Pavlíček)"
    ]


def test_snippets_mark_words_as_written(corpus_url):
    (hit,) = find(corpus_url, "elysee palace").hits
    assert hit.snippet == (
        ("A reception at the ", False),
        ("Élysée", True),
        (" ", False),
        ("palace", True),
        (".", False),
    )


@pytest.mark.parametrize(
    "text",
    [
        "ГАППОД ф.1 оп.89 д.112",
        "ГАППОД, ф. 1, оп. 89, д. 112, л. 5 об.",
        "GAPPOD, f.1, op.89, d.112",
        "GAPPOD f.1 op.89 d.112",
        "GAPPOD AzR, f. 1, op. 89, d. 112, ll. 1-2",
        "GAPPOD/f.1/op.89/d.112",
    ],
)
def test_every_variant_of_a_citation_finds_the_unit(corpus_url, text):
    found = find(corpus_url, text)
    assert keys(found) == [SEED]
    assert found.query.citation == "GAPPOD f.1 op.89 d.112"


def test_a_citation_of_an_opis_finds_everything_in_it(corpus_url):
    found = find(corpus_url, "ГАППОД ф. 1 оп. 89")
    assert sorted(keys(found)) == ["GAPPOD/f.1/op.89/d.106", SEED]


def test_a_citation_finds_documents_held_there_under_another_reference(corpus_url):
    found = find(corpus_url, "RGASPI, f. 558, op. 11, d. 334")
    assert sorted(keys(found)) == ["APRF/f.45/op.1/d.334/l.141", "RGASPI/f.558/op.11/d.334/l.55"]


def test_a_citation_with_words_searches_the_unit_for_them(corpus_url):
    assert keys(find(corpus_url, "Pishevari GAPPOD f.1 op.89")) == [SEED]
    dropped = find(corpus_url, "nonexistentword GAPPOD f.1 op.89")
    assert dropped.words_ignored and dropped.total == 2


def test_a_citation_of_nothing_finds_nothing(corpus_url):
    found = find(corpus_url, "ГАППОД ф.1 оп.89 д.99999")
    assert found.total == 0 and found.query.citation == "GAPPOD f.1 op.89 d.99999"


def test_keys_with_escapes_are_found_by_their_citation(corpus_url):
    found = find(corpus_url, "MNL OL XIX-J-1-j É-Korea, 1972, 60. doboz, 81-146, 00394")
    assert keys(found) == ["MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.81-146/no.00394"]


def test_snippets_mark_the_words(corpus_url):
    hit = next(h for h in find(corpus_url, "Pishevari").hits if h.key == SEED)
    assert ("Pishevari", True) in hit.snippet
    assert "".join(text for text, _ in hit.snippet).count("Pishevari") >= 1


def test_nothing_typed_is_no_search(corpus_url):
    found = find(corpus_url, "   ")
    assert found.query.empty and found.total == 0 and not found.hits


def test_browse_the_tree(corpus_url):
    async def go():
        store = await Store(corpus_url).open()
        try:
            async with store.snapshot() as conn:
                archives = {c.prefix: c.count for c in await browse.children(conn)}
                fond = await browse.children(conn, "GAPPOD/f.1")
                count, docs = await browse.documents(conn, SEED)
                recent = await browse.recent(conn, 5)
                yes = await browse.exists(conn, "GAPPOD/f.1/op.89")
                no = await browse.exists(conn, "GAPPOD/f.1/op.999")
                total = await browse.total(conn)
            return archives, fond, count, docs, recent, yes, no, total
        finally:
            await store.close()

    archives, fond, count, docs, recent, yes, no, total = run(go())
    assert archives["UNCITED"] >= 15 and archives["MNL-OL"] == 2 and archives["GAPPOD"] >= 2
    assert sum(archives.values()) == total
    assert ("GAPPOD/f.1/op.89", 2) in [(c.prefix, c.count) for c in fond]
    assert count == 1 and docs[0].key == SEED and docs[0].citation == "GAPPOD f.1 op.89 d.112"
    assert len(recent) == 5 and yes and not no


# -- exact counts, paging and the index following writes: a fresh database each -------


def zebras(n: int = 30) -> list[dict]:
    references = [
        "GAPPOD, f.1, op.{i}, d.1",
        "RGASPI, f. 17, op. {i}, d. 2",
        "ГАРФ, ф. Р-1, оп. {i}, д. 3",
    ]
    return [
        {
            "reference": references[i % 3].format(i=i + 1),
            "title": f"Zebra report {i}",
            "date": f"{1940 + i}-01-15",
            "language": ["ru"] if i % 2 else ["ru", "en"],
            "types": ["Letter"] if i % 5 == 0 else ["Report"],
            "source": {"id": f"zebra-{i}"},
        }
        for i in range(n)
    ]


def others(n: int = 5) -> list[dict]:
    """Zebras only in the description, never in the title."""
    return [
        {
            "reference": f"APRF, f. 3, op. 1, d. {i + 1}",
            "title": f"Minutes {i}",
            "description": "About a zebra.",
            "date": "1950-06-01",
            "source": {"id": f"other-{i}"},
        }
        for i in range(n)
    ]


@pytest.fixture
def zebra_url(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path / "data")
    path = write_records(tmp_path, "zebras.jsonl", zebras() + others())
    assert ingest(settings, [path]).count("added") == 35
    return database_url


def counts(result, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


def test_facet_counts_are_exact(zebra_url):
    found = find(zebra_url, "zebra report")
    assert found.total == 30 and not found.estimated
    assert counts(found, "archive") == {"GAPPOD": 10, "RGASPI": 10, "GARF": 10}
    assert counts(found, "decade") == {"1940": 10, "1950": 10, "1960": 10}
    assert counts(found, "language") == {"ru": 30, "en": 15}
    assert counts(found, "type") == {"Letter": 6, "Report": 24}
    assert found.facets["fond"] == () and found.facets["year"] == ()


def test_choosing_an_archive_or_decade_shows_its_fonds_or_years(zebra_url):
    found = find(zebra_url, "zebra report", {"archive": "GARF", "decade": "1950"})
    assert found.total == 3
    assert counts(found, "fond") == {"GARF/f.R-1": 3}
    assert counts(found, "year") == {"1951": 1, "1954": 1, "1957": 1}
    by_filters_only = find(zebra_url, "", {"fond": "GARF/f.R-1", "language": "en"})
    assert by_filters_only.total == 5


def test_search_within_a_container(zebra_url):
    assert keys(find(zebra_url, "zebra", {"within": "GAPPOD/f.1/op.4"})) == ["GAPPOD/f.1/op.4/d.1"]


@pytest.mark.parametrize("rank_limit", [1000, 5])
def test_paging_covers_every_match_once(zebra_url, monkeypatch, rank_limit):
    monkeypatch.setattr(search, "RANK_LIMIT", rank_limit)
    seen: list[str] = []
    first = find(zebra_url, "zebra", page_size=7)
    assert first.total == 35 and first.pages == 5
    assert first.order == "relevance" if rank_limit > 35 else first.order in ("title", "newest")
    for page in range(1, 6):
        seen += keys(find(zebra_url, "zebra", page=page, page_size=7))
    assert len(seen) == len(set(seen)) == 35
    if first.order == "title":
        titled = [k for k in seen if not k.startswith("APRF")]
        assert seen[: len(titled)] == titled, "title matches come first"


def test_facets_past_the_limit_are_estimated_from_a_sample(zebra_url, monkeypatch):
    monkeypatch.setattr(search, "EXACT_LIMIT", 4)
    monkeypatch.setattr(search, "SAMPLE_RATES", (2, 4, 8, 16))
    found = find(zebra_url, "zebra")
    assert found.estimated
    rate = next(
        r
        for r in (2, 4, 8, 16)
        if all(v.count % r == 0 for f in found.facets.values() for v in f)
        and r * 4 >= found.total // 2
    )
    assert sum(v.count for v in found.facets["archive"]) % rate == 0
    if zebra_url.startswith("sqlite"):  # counting is exact on SQLite at any size
        assert found.total == 35 and not found.total_estimated
    else:  # on PostgreSQL the total comes from the same sample
        assert found.total_estimated and found.total % rate == 0 and found.total > 0


def test_deleted_records_leave_search_and_the_tree(zebra_url, tmp_path):
    assert keys(find(zebra_url, "GAPPOD f.1 op.4 d.1")) == ["GAPPOD/f.1/op.4/d.1"]

    async def delete_and_count():
        store = await Store(zebra_url).open()
        try:
            await store.delete("GAPPOD/f.1/op.4/d.1")
            async with store.snapshot() as conn:
                return {c.prefix: c.count for c in await browse.children(conn)}
        finally:
            await store.close()

    archives = run(delete_and_count())
    assert archives["GAPPOD"] == 9
    assert "GAPPOD/f.1/op.4/d.1" not in keys(find(zebra_url, "zebra", page_size=50))
    assert find(zebra_url, "GAPPOD f.1 op.4 d.1").total == 0
    assert counts(find(zebra_url, "zebra report"), "archive")["GAPPOD"] == 9

    settings = make_settings(zebra_url, tmp_path / "data")
    again = write_records(tmp_path, "again.jsonl", [zebras()[3]])
    ingest(settings, [again])
    assert keys(find(zebra_url, "GAPPOD f.1 op.4 d.1")) == ["GAPPOD/f.1/op.4/d.1"]


def test_an_update_replaces_the_words(zebra_url, tmp_path):
    changed = {**zebras()[0], "title": "Okapi census"}
    ingest(
        make_settings(zebra_url, tmp_path / "data"), [write_records(tmp_path, "c.jsonl", [changed])]
    )
    assert keys(find(zebra_url, "okapi")) == ["GAPPOD/f.1/op.1/d.1"]
    assert "GAPPOD/f.1/op.1/d.1" not in keys(find(zebra_url, "report", page_size=50))


def test_a_new_index_version_rebuilds_the_index(zebra_url):
    async def forget():
        store = await Store(zebra_url).open()
        try:
            async with store.engine.begin() as conn:
                await conn.execute(delete(search_docs))
                await conn.execute(
                    update(meta).where(meta.c.name == search.VERSION_KEY).values(value="0")
                )
        finally:
            await store.close()

    run(forget())
    found = find(zebra_url, "zebra")
    assert found.total == 35 and sum(counts(found, "decade").values()) == 35


def test_title_matches_are_told_apart_on_both_backends(zebra_url):
    async def counts_by_title():
        store = await Store(zebra_url).open()
        try:
            backend = search._backend(store.engine)
            async with store.snapshot() as conn:
                q = search.read("zebra")
                return [
                    await search._count(conn, backend, q, title_only=how)
                    for how in (None, True, False)
                ]
        finally:
            await store.close()

    assert run(counts_by_title()) == [35, 30, 5]


def test_sqlite_index_stays_whole_through_updates_and_deletes(tmp_path):
    """The contentless FTS5 table deletes only with the values it indexed: a wrong value
    would corrupt it silently, which its own integrity check finds."""
    url = f"sqlite:///{tmp_path}/opis.db"
    settings = make_settings(url, tmp_path / "data")
    ingest(settings, [write_records(tmp_path, "z.jsonl", zebras())])
    changed = [{**z, "title": f"Okapi {n}"} for n, z in enumerate(zebras()[:5])]
    ingest(settings, [write_records(tmp_path, "c.jsonl", changed)])

    async def delete_and_check():
        store = await Store(url).open()
        try:
            await store.delete("GAPPOD/f.1/op.4/d.1")
            async with store.engine.begin() as conn:
                await conn.exec_driver_sql(
                    "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)"
                )
        finally:
            await store.close()

    run(delete_and_check())
    assert find(url, "okapi", page_size=50).total == 4  # one of the five was deleted
    assert find(url, "GAPPOD f.1 op.4 d.1").total == 0


def test_the_index_ingest_builds_is_the_index_the_stored_records_give(database_url, tmp_path):
    """Ingest builds each record's search document where it prepares the record (in worker
    processes for a big input) and the write only numbers it; rebuilding the index from
    the stored records gives the same rows, words and tree."""
    settings = make_settings(database_url, tmp_path / "data")
    report = ingest(settings, [write_jsonl(tmp_path / "many.jsonl", 1100)])
    assert report.count("added") == 1100

    async def rows(forget: bool = False):
        store = await Store(database_url).open()
        try:
            async with store.engine.begin() as conn:
                if forget:  # the next open rebuilds the index from the records
                    await conn.execute(
                        update(meta).where(meta.c.name == search.VERSION_KEY).values(value="0")
                    )
                    return None
                docs = (await conn.execute(select(search_docs))).all()
                words = await bodies.unpack(conn, [d.words for d in docs])
                tree = (await conn.execute(select(search_tree))).all()
            return (
                sorted((*d[:-1], w) for d, w in zip(docs, words, strict=True)),
                sorted(tuple(t) for t in tree),
            )
        finally:
            await store.close()

    built = run(rows())
    run(rows(forget=True))
    rebuilt = run(rows())
    assert len(built[0]) == 1100 and built[1]
    assert rebuilt == built
