"""Page text through the whole service, on SQLite and PostgreSQL: ingest of every shared
sample with its image, line annotations in valid manifests, IIIF Content Search 2.0 and
1.0 with autocomplete, refusals, re-ingest, rendering again, and the write API."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from repository.keys import STORE
from repository.records.renditions import Renderer
from tests.api.test_api import EDITOR, Client
from tests.conftest import unavailable, wait_until
from tests.iiif_rules import assert_valid, request
from tests.live import LiveServer, ingest, make_settings
from tests.pagetext.samples import CASES, SAMPLES, alto4, blank, sample_folder, samples_served

XYWH = re.compile(r"^(?P<canvas>.+)#xywh=(\d+),(\d+),(\d+),(\d+)$")
SEARCH2 = 'application/ld+json;profile="http://iiif.io/api/search/2/context.json"'
SEARCH1 = 'application/ld+json;profile="http://iiif.io/api/search/1/context.json"'

# One Cyrillic document, two pages: words with boxes on page 1, a second page without text.
CYRILLIC = [
    [("Товарищу", 100, 100, 220, 40), ("Сталину", 340, 100, 200, 40)],
    [("Ёлка", 100, 200, 120, 40), ("и", 240, 200, 30, 40), ("ЁЛКИ", 290, 200, 130, 40)],
    [
        ("Донесение", 100, 300, 260, 40),
        ("о", 380, 300, 30, 40),
        ("переговорах.", 430, 300, 300, 40),
    ],
]


def cyrillic_folder(root: Path) -> Path:
    folder = root / "cyrillic"
    folder.mkdir(parents=True)
    blank(folder / "p1.png", (1000, 1400))
    blank(folder / "p2.png", (1000, 1400))
    (folder / "p1.xml").write_text(alto4(CYRILLIC, 2000, 2800), encoding="utf-8")  # scaled 1/2
    record = {
        "reference": "GAPPOD, f. 78, op. 1, d. 1",
        "title": "Донесение (синтетическое)",
        "date": "1946-04-20",
        "language": ["ru"],
        "text": [{"language": "ru", "kind": "transcription", "content": "Товарищу Сталину."}],
        "pages": [{"image": "p1.png", "label": "л. 1"}, {"image": "p2.png", "label": "л. 2"}],
    }
    (folder / "record.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def site(module_database_url, tmp_path_factory):
    root = tmp_path_factory.mktemp("pagetext")
    with samples_served(module_database_url, root, cyrillic_folder) as (server, keys, settings):
        folders = sorted((root / "docs").iterdir())
        yield server, keys, settings, folders


def get(server, path: str, **kw):
    return request(server.url(path), **kw)


def manifest(server, key: str) -> dict:
    reply = get(server, f"/iiif/3/{key}/manifest")
    assert reply.status == 200
    return reply.json()


def search(server, key: str, version: int, query: str, status: int = 200) -> dict:
    reply = get(server, f"/iiif/3/{key}/search/{version}?{query}")
    assert reply.status == status, reply.body[:300]
    assert reply.headers["access-control-allow-origin"] == "*"
    if status == 200:
        assert reply.headers["content-type"] == (SEARCH2 if version == 2 else SEARCH1)
    else:
        assert reply.headers["content-type"].startswith("application/json")
    return reply.json()


def box(target: str) -> tuple[str, tuple[int, ...]]:
    match = XYWH.match(target)
    assert match, target
    return match["canvas"], tuple(int(v) for v in match.groups()[1:])


def test_every_sample_is_ingested_with_its_lines_as_annotations(site):
    server, keys, _, _ = site
    for case in CASES:
        doc = manifest(server, keys[case.name])
        assert_valid(doc)
        canvas = doc["items"][0]
        pages = [p for p in canvas.get("annotations", []) if p["id"].endswith("/lines")]
        assert len(pages) == 1, case.name
        lines = pages[0]["items"]
        assert lines, case.name
        for n, anno in enumerate(lines, 1):
            assert anno["id"] == f"{canvas['id']}/lines/{n}"
            assert anno["motivation"] == "supplementing"
            assert anno["body"]["type"] == "TextualBody" and anno["body"]["value"].strip()
            assert anno["body"].get("language") == case.language
            target, (x, y, w, h) = box(anno["target"])
            assert target == canvas["id"]
            assert x + w <= canvas["width"] and y + h <= canvas["height"] and w > 0 and h > 0
        services = {s["type"]: s for s in doc["service"]}
        assert services["SearchService2"]["service"][0]["type"] == "AutoCompleteService2"
        assert services["SearchService1"]["profile"] == "http://iiif.io/api/search/1/search"
        assert services["SearchService1"]["service"][0]["profile"].endswith("/1/autocomplete")


def test_the_transcription_stays_and_a_page_without_text_has_no_lines(site):
    server, keys, _, _ = site
    doc = manifest(server, keys["cyrillic"])
    assert_valid(doc)
    first, second = doc["items"]
    kinds = [p["id"].rsplit("/", 1)[1] for p in first["annotations"]]
    assert kinds == ["text", "lines"]
    assert "annotations" not in second
    lines = first["annotations"][1]["items"]
    assert next(a["body"]["value"] for a in lines) == "Товарищу Сталину"
    assert box(lines[0]["target"])[1] == (50, 50, 220, 20)  # ALTO made on a 2x scan


def test_a_document_without_page_text_declares_no_search(tmp_path):
    from tests.iiif_rules import write_folder

    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    folder = write_folder(
        tmp_path / "plain",
        record={"reference": "GAPPOD, f.1, op.89, d.5", "title": "No text", "pages": []},
    )
    report = ingest(settings, [folder])
    key = report.entries[0].key
    with LiveServer(settings) as server:
        doc = manifest(server, key)
        assert "service" not in doc
        assert all(
            not p["id"].endswith("/lines") for c in doc["items"] for p in c.get("annotations", [])
        )


@pytest.mark.parametrize("version", [2, 1])
def test_a_word_is_found_case_and_accent_blind_and_targets_its_word(site, version):
    server, keys, _, _ = site
    key = keys["kant-alto"]
    for q in ("Aufklärung", "AUFKLARUNG", "aufklaͤrung"):
        doc = search(server, key, version, f"q={quote(q)}")
        items = doc["items"] if version == 2 else doc["resources"]
        assert len(items) == 2, q
    canvas = manifest(server, key)["items"][0]
    line = next(
        a for a in canvas["annotations"][0]["items"] if a["body"]["value"].startswith("Was iſt")
    )
    _, (lx, _ly, lw, _lh) = box(line["target"])
    first = items[0]["target"] if version == 2 else items[0]["on"]
    target, (x, _y, w, _h) = box(first)
    assert target == canvas["id"]
    assert lx <= x and x + w <= lx + lw and w < lw  # the word, inside its line


def test_cyrillic_phrases_match_across_words_and_hits_carry_context(site):
    server, keys, _, _ = site
    key = keys["cyrillic"]
    doc = search(server, key, 2, "q=" + quote("товарищу сталину"))
    assert len(doc["items"]) == 1
    assert box(doc["items"][0]["target"])[1] == (50, 50, 220, 20)  # both words' boxes
    doc = search(server, key, 2, "q=" + quote("елки"))  # ё folds to е, case-blind
    (selector,) = [a["target"]["selector"][0] for a in doc["annotations"][0]["items"]]
    assert selector == {"type": "TextQuoteSelector", "exact": "ЁЛКИ", "prefix": "Ёлка и "}
    doc = search(server, key, 2, "q=" + quote("ЕЛКА"))
    (selector,) = [a["target"]["selector"][0] for a in doc["annotations"][0]["items"]]
    assert selector == {"type": "TextQuoteSelector", "exact": "Ёлка", "suffix": " и ЁЛКИ"}


def test_hits_in_1_0_have_before_and_after(site):
    server, keys, _, _ = site
    doc = search(server, keys["cyrillic"], 1, "q=" + quote('"о переговорах"'))
    assert doc["@type"] == "sc:AnnotationList"
    (hit,) = doc["hits"]
    assert hit["match"] == "о переговорах."
    assert hit["before"] == "Донесение "
    assert hit["after"] == ""
    assert hit["annotations"] == [doc["resources"][0]["@id"]]
    doc2 = search(server, keys["cyrillic"], 2, "q=" + quote("о переговорах"))
    selector = doc2["annotations"][0]["items"][0]["target"]["selector"][0]
    assert selector == {
        "type": "TextQuoteSelector",
        "exact": "о переговорах.",
        "prefix": "Донесение ",
    }


def test_without_word_boxes_the_hit_is_the_line(site):
    server, keys, _, _ = site
    key = keys["transkribus-register"]
    lines = manifest(server, key)["items"][0]["annotations"][0]["items"]
    word = re.findall(r"[^\W\d_]{4,}", " ".join(a["body"]["value"] for a in lines))[0]
    doc = search(server, key, 2, "q=" + quote(word))
    assert doc["items"]
    targets = {a["target"] for a in lines}
    assert all(item["target"] in targets for item in doc["items"])


def test_results_are_paged_with_next_and_part_of(site):
    server, keys, _, _ = site
    key = keys["chronicling-america"]
    doc = search(server, key, 2, "q=the")
    collection = doc["partOf"]
    assert collection["type"] == "AnnotationCollection"
    assert doc["id"] == collection["first"]["id"]
    seen = len(doc["items"])
    pages = 1
    while "next" in doc:
        doc = search(server, key, 2, urlsplit(doc["next"]["id"]).query)
        assert doc["prev"]["id"]
        seen += len(doc["items"])
        pages += 1
    assert pages >= 2 and doc["id"] == collection["last"]["id"]
    one = search(server, key, 1, "q=the")
    assert one["within"]["@type"] == "sc:Layer" and one["next"].endswith("page=2")


def test_absent_words_give_an_empty_page_and_bad_requests_a_400(site):
    server, keys, _, _ = site
    key = keys["kant-page"]
    for version in (2, 1):
        doc = search(server, key, version, "q=xylophonequartz")
        assert (doc["items"] if version == 2 else doc["resources"]) == []
        for query in (
            "",
            "q=",
            "q=%21%3F",
            "q=a&q=b",
            "q=was&page=0",
            "q=was&page=x",
            "q=was&page=99",
            "q=" + "w" * 600,
            "q=%00",
        ):
            error = search(server, key, version, query, status=400)
            assert error["status"] == 400 and error["error"]
        ignored = search(server, key, version, "q=was&date=2020&user=x")
        where = ignored if version == 2 else ignored["within"]
        assert where["ignored"] == ["date", "user"]
        other = search(server, key, version, "q=was&motivation=painting")
        assert (other["items"] if version == 2 else other["resources"]) == []
    assert get(server, "/iiif/3/NO/SUCH/KEY/search/2?q=a").status == 404
    assert get(server, f"/iiif/3/{key}/search/2?q=was", method="OPTIONS").status == 204


@pytest.mark.parametrize("version", [2, 1])
def test_autocomplete(site, version):
    server, keys, _, _ = site
    key = keys["kant-alto"]
    reply = get(server, f"/iiif/3/{key}/autocomplete/{version}?q=AUF")
    assert reply.status == 200 and reply.headers["access-control-allow-origin"] == "*"
    doc = reply.json()
    terms = doc["items"] if version == 2 else doc["terms"]
    values = [t["value"] if version == 2 else t["match"] for t in terms]
    assert "aufklarung" in values
    assert get(server, f"/iiif/3/{key}/autocomplete/{version}").status == 400
    assert get(server, f"/iiif/3/{key}/autocomplete/{version}?q=a&min=x").status == 400
    few = get(server, f"/iiif/3/{key}/autocomplete/{version}?q=a&min=1000000").json()
    assert (few["items"] if version == 2 else few["terms"]) == []


def test_reingest_is_unchanged_and_rendering_again_keeps_the_lines(site):
    server, keys, settings, folders = site
    again = ingest(settings, folders[:2])
    assert [e.status for e in again.entries] == ["unchanged", "unchanged"]
    store = server.app[STORE]
    before = manifest(server, keys["kant-alto"])
    renderer = Renderer(settings)
    done = server.call(store.rerender("another-version", renderer.renditions))
    assert done >= len(CASES)
    after = manifest(server, keys["kant-alto"])
    assert after["items"][0]["annotations"] == before["items"][0]["annotations"]


def test_a_page_text_file_that_does_not_belong_fails_its_document(tmp_path):
    if not SAMPLES.is_dir():
        unavailable(f"{SAMPLES} is not there")
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    folder = cyrillic_folder(tmp_path / "docs")
    (folder / "p2.xml").write_text(alto4(CYRILLIC, 1400, 1000), encoding="utf-8")  # landscape
    other = sample_folder(tmp_path / "docs", 5, CASES[6])
    (other / "example_image.xml").write_bytes(
        (SAMPLES / CASES[8].xml).read_bytes()  # a PAGE file made for another image
    )
    report = ingest(settings, [folder, other])
    messages = {Path(e.source).name: e.message for e in report.entries}
    assert [e.status for e in report.entries] == ["failed", "failed"]
    assert messages["cyrillic"].startswith("p2.xml: ") and "does not fit" in messages["cyrillic"]
    assert messages["kb-pamphlet"].startswith("example_image.xml: ")
    assert "made for image '170025120000003,0074.jpg'" in messages["kb-pamphlet"]


def test_the_write_api_takes_page_text_parts(tmp_path):
    settings = make_settings(
        f"sqlite:///{tmp_path}/opis.db", tmp_path / "data", auth={"tokens": [f"e:{EDITOR}"]}
    )
    folder = cyrillic_folder(tmp_path / "docs")
    record = json.loads((folder / "record.json").read_text())
    files = {name: (folder / name).read_bytes() for name in ("p1.png", "p2.png", "p1.xml")}
    key = "GAPPOD/f.78/op.1/d.1"
    with LiveServer(settings) as server:
        client = Client(settings.server.port, server)
        answer = client.put(key, record, files=files)
        assert answer.status in (200, 201), answer.body
        doc = manifest(server, key)
        assert doc["items"][0]["annotations"][1]["items"][0]["body"]["value"] == (
            "Товарищу Сталину"
        )
        assert search(server, key, 2, "q=" + quote("сталину"))["items"]
        bad = dict(files, **{"p2.xml": alto4(CYRILLIC, 1400, 1000).encode()})
        answer = client.put(key, record, files=bad)
        assert answer.status == 422 and "p2.xml: " in json.dumps(answer.json, ensure_ascii=False)
        stray = dict(files, **{"p9.xml": files["p1.xml"]})
        assert client.put(key, record, files=stray).status == 422
        # sent again without the page text: the lines and the search go
        answer = client.put(key, record, files={n: files[n] for n in ("p1.png", "p2.png")})
        assert answer.status == 200
        wait_until(lambda: "service" not in manifest(server, key), 10, "the manifest renewed")
        assert get(server, f"/iiif/3/{key}/search/2?q=a").json()["items"] == []


def test_deleting_a_document_removes_its_page_text(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/opis.db", tmp_path / "data")
    report = ingest(settings, [cyrillic_folder(tmp_path / "docs")])
    key = report.entries[0].key
    with LiveServer(settings) as server:
        store = server.app[STORE]
        assert server.call(store.page_text_search(key, ("сталину",), 0, 10)).hits
        server.call(store.delete(key))
        assert server.call(store.page_text_search(key, ("сталину",), 0, 10)) is None
        assert get(server, f"/iiif/3/{key}/search/2?q=a").status == 404

    async def lines() -> int:
        from sqlalchemy import func, select

        from repository.store import Store
        from repository.store.schema import page_lines

        opened = await Store(settings.database.url).open()
        try:
            async with opened.snapshot() as conn:
                return (await conn.execute(select(func.count()).select_from(page_lines))).scalar()
        finally:
            await opened.close()

    assert asyncio.run(lines()) == 0
