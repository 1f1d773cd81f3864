"""The IIIF endpoints over real HTTP: tree, raw-path keys, content types, CORS, caching.

Synthetic documents (no ../shared needed) are ingested once per database backend into
a live server; every manifest and collection it serves is validated (schema + rules).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pyvips

from repository.http.conditional import etag_for
from repository.iiif.documents import CLOCK_TTL
from repository.keys import RENDERER, STORE
from repository.records.page_images import ImageStore
from repository.records.refresh import refresh
from tests.conftest import create_postgres_database, drop_postgres_database, wait_until
from tests.iiif_rules import (
    IMAGE_INFO_TYPE,
    PRESENTATION_TYPE,
    assert_valid,
    crawl,
    request,
    write_folder,
)
from tests.live import LiveServer, ingest, make_settings

LETTER = "GAPPOD/f.1/op.89/d.112"
KOREA = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.2%2Fb/no.00394"
KOREA_PARENT = "MNL-OL/f.XIX-J-1-j/cty.%C3%89-Korea/yr.1972/box.60/tet.2%2Fb"

RECORDS = {
    "letter": {
        "reference": "GAPPOD, f.1, op.89, d.112",
        "title": "Letter about delayed talks",
        "date": "1946-04-20",
        "language": ["ru", "en"],
        "rights": "The Program welcomes reuse of these materials.",
        "text": [
            {"language": "ru", "kind": "transcription", "content": "Товарищу Сталину."},
            {"language": "en", "kind": "translation", "content": "To Comrade Stalin."},
        ],
        "source": {"id": "t-letter"},
        "pages": [{"image": "p1.jpg", "label": "л. 1"}, {"image": "p2.jpg", "label": "л. 1 об."}],
    },
    "d113": {
        "reference": "GAPPOD, f.1, op.89, d.113",
        "title": "Second file of the opis",
        "source": {"id": "t-d113"},
        "pages": [{"image": "p1.jpg"}],
    },
    "d114": {
        "reference": "GAPPOD, f.1, op.89, d.114, ll. 2-3",
        "title": "Third file of the opis",
        "rights": "In the public domain.",
        "source": {"id": "t-d114"},
        "pages": [{"image": "p1.jpg", "label": "l. 2"}],
    },
    "korea": {
        "reference": "MNL OL XIX-J-1-j É-Korea, 1972, 60. doboz, 2/b, 00394",
        "title": "Report of the embassy in Pyongyang",
        "date": "1972",
        "source": {"id": "t-korea"},
        "pages": [{"image": "p1.jpg"}],
    },
    # the page-text layout, cut short before any citation: filed under UNCITED
    "uncited": "Skip to content\n\nMay 1950\n\nA note without any archival citation\n\n"
    "A short note about a meeting, written for the tests.\n",
    "textonly": {
        "reference": "GAPPOD, f.1, op.90, d.1",
        "title": "A description with no page images",
        "source": {"id": "t-text"},
    },
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("docs")
    return [
        write_folder(
            root / name,
            seed=n,
            pages=0 if name == "textonly" else 1,
            **{"text" if isinstance(r, str) else "record": r},
        )
        for n, (name, r) in enumerate(RECORDS.items(), 1)
    ]


@pytest.fixture(scope="module")
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One image store for both backends: pyramids are built once, found the second time."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, folders, images_dir, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/opis.db"
    else:
        url = create_postgres_database()
    try:
        settings = make_settings(url, images_dir, iiif={"collection_page_size": 2})
        report = ingest(settings, folders)
        assert not report.failed, report.entries
        with LiveServer(settings) as server:
            yield server
    finally:
        if request.param == "postgresql":
            drop_postgres_database(url)


def test_every_collection_and_manifest_is_valid_and_linked(site):
    found = crawl(site.base)
    manifests = set(found.manifests)
    assert f"{site.base}/iiif/3/{LETTER}/manifest" in manifests
    assert f"{site.base}/iiif/3/{KOREA}/manifest" in manifests
    assert any(m.startswith(f"{site.base}/iiif/3/UNCITED/doc.") for m in manifests)
    assert len(manifests) == 5  # the description without pages has no manifest
    top = found.documents[f"{site.base}/iiif/3/collection"]
    assert [i["id"].split("/iiif/3/")[1] for i in top["items"]] == [
        "GAPPOD/collection",
        "MNL-OL/collection",
        "UNCITED/collection",
    ]
    assert all(info["profile"] == "level2" for info in found.infos.values())


def test_raw_path_keys_with_escapes_round_trip(site):
    url = f"{site.base}/iiif/3/{KOREA}/manifest"
    reply = request(url)
    assert reply.status == 200
    doc = reply.json()
    assert_valid(doc, url)
    assert doc["partOf"][0]["id"] == f"{site.base}/iiif/3/{KOREA_PARENT}/collection"
    parent = request(doc["partOf"][0]["id"]).json()
    assert_valid(parent, doc["partOf"][0]["id"])
    assert [item["id"] for item in parent["items"]] == [url]
    # %2F is part of a value, not a level separator: the decoded spelling is another key
    assert request(url.replace("%2Fb", "/b")).status == 404
    # lower-case escapes are the same key: redirected to the one spelling ids use
    lower = request(url.replace("%C3%89", "%c3%89"))
    assert lower.status == 301 and lower.headers["location"] == url
    assert lower.headers["access-control-allow-origin"] == "*"


def test_content_types_follow_accept(site):
    url = f"{site.base}/iiif/3/{LETTER}/manifest"
    assert request(url).headers["content-type"] == PRESENTATION_TYPE
    assert request(url, headers={"Accept": "*/*"}).headers["content-type"] == PRESENTATION_TYPE
    assert request(url, headers={"Accept": "application/json"}).headers["content-type"] == (
        "application/json"
    )
    v2 = 'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"'
    refused = request(url, headers={"Accept": v2})
    assert refused.status == 406 and refused.headers["access-control-allow-origin"] == "*"
    info_url = _first_service(site) + "/info.json"
    assert request(info_url).headers["content-type"] == IMAGE_INFO_TYPE
    assert request(info_url, headers={"Accept": "application/json"}).headers["content-type"] == (
        "application/json"
    )


def test_cors_everywhere_including_errors_304_and_preflight(site):
    url = f"{site.base}/iiif/3/{LETTER}/manifest"
    ok = request(url, headers={"Origin": "http://viewer.example"})
    assert ok.headers["access-control-allow-origin"] == "*"
    assert "ETag" in ok.headers["access-control-expose-headers"]
    etag = ok.headers["etag"]
    same = request(url, headers={"If-None-Match": etag, "Origin": "http://viewer.example"})
    assert same.status == 304 and same.body == b""
    assert same.headers["access-control-allow-origin"] == "*"
    assert same.headers["etag"] == etag
    for missing in (
        f"{site.base}/iiif/3/NOPE/f.1/manifest",
        f"{site.base}/iiif/3/NOPE/collection",
        f"{site.base}/iiif/image/3/{'0' * 64}/info.json",
        f"{site.base}/iiif/nothing-here",
    ):
        reply = request(missing)
        assert reply.status == 404, missing
        assert reply.headers["access-control-allow-origin"] == "*", missing
        assert b"Traceback" not in reply.body
    for target in (url, f"{site.base}/iiif/3/collection", _first_service(site) + "/info.json"):
        pre = request(
            target,
            "OPTIONS",
            {
                "Origin": "http://viewer.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept, if-none-match",
            },
        )
        assert pre.status == 204
        assert pre.headers["access-control-allow-origin"] == "*"
        assert pre.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
        assert pre.headers["access-control-allow-headers"] == "accept, if-none-match"
    bad = request(_first_service(site) + "/full/max/0/default.jp2")
    assert bad.status == 400 and bad.headers["access-control-allow-origin"] == "*"


def test_etag_head_gzip_and_cache_headers(site):
    for url in (
        f"{site.base}/iiif/3/{LETTER}/manifest",
        f"{site.base}/iiif/3/GAPPOD/f.1/collection",
        _first_service(site) + "/info.json",
    ):
        plain = request(url)
        etag = plain.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert plain.headers["cache-control"].startswith("public")
        head = request(url, "HEAD")
        assert head.status == 200 and head.body == b""
        assert head.headers["etag"] == etag
        assert head.headers["content-length"] == str(len(plain.body))
        zipped = request(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in zipped.headers["vary"]
        assert gzip.decompress(zipped.body) == plain.body
        assert zipped.headers["etag"] != etag  # another representation, another tag
        for tag in (etag, zipped.headers["etag"], f"W/{etag}", '"other", ' + etag):
            assert request(url, headers={"If-None-Match": tag}).status == 304
        assert request(url, headers={"If-None-Match": '"other"'}).status == 200
        assert json.loads(plain.body)["id"] == url.removesuffix("/info.json")


def test_collections_split_into_parts(site):
    opis = f"{site.base}/iiif/3/GAPPOD/f.1/op.89/collection"
    index = request(opis).json()
    assert index["behavior"] == ["multi-part"]
    parts = [item["id"] for item in index["items"]]
    assert parts == [f"{opis}/1", f"{opis}/2"]
    listed = []
    for url in parts:
        part = request(url).json()
        assert_valid(part, url)
        assert part["partOf"][0]["id"] == opis
        listed += [item["id"].split("/iiif/3/")[1] for item in part["items"]]
    assert listed == [
        f"{LETTER}/manifest",
        "GAPPOD/f.1/op.89/d.113/manifest",
        "GAPPOD/f.1/op.89/d.114/collection",
    ]
    assert request(f"{opis}/3").status == 404
    assert request(f"{site.base}/iiif/3/GAPPOD/collection/1").status == 404


def test_record_without_pages_has_no_manifest(site):
    reply = request(f"{site.base}/iiif/3/GAPPOD/f.1/op.90/d.1/manifest")
    assert reply.status == 404
    assert "no page images" in reply.json()["error"]
    assert request(f"{site.base}/iiif/3/GAPPOD/f.1/op.90/collection").status == 404


def test_image_base_uri_redirects_to_info_json(site):
    service = _first_service(site)
    reply = request(service)
    assert reply.status == 303
    assert reply.headers["location"] == f"{service}/info.json"
    assert reply.headers["access-control-allow-origin"] == "*"


def test_image_requests(site):
    service = _first_service(site)
    info = request(service + "/info.json").json()
    assert info["id"] == service and info["type"] == "ImageService3"
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}]
    size = info["sizes"][1]
    image_id = service.rsplit("/", 1)[1]
    stored = ImageStore(site.settings).size_path(image_id, size["width"], size["height"])
    thumb = request(f"{service}/full/{size['width']},{size['height']}/0/default.jpg")
    assert thumb.status == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.body == stored.read_bytes()  # served straight from the pre-rendered file
    tile = request(f"{service}/512,512,512,512/512,512/0/default.jpg")
    assert tile.status == 200 and tile.headers["content-type"] == "image/jpeg"
    assert pyvips.Image.new_from_buffer(tile.body, "").width == 512
    assert 'rel="profile"' in tile.headers["link"]
    canonical = f'<{service}/512,512,512,512/max/0/default.jpg>;rel="canonical"'
    assert canonical in tile.headers["link"]
    assert tile.headers["cache-control"] == "public, max-age=31536000, immutable"
    png = request(f"{service}/square/!100,100/90/gray.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    webp = request(f"{service}/full/,200/!0/default.webp")
    assert webp.status == 200 and webp.headers["content-type"] == "image/webp"
    boxed = request(f"{service}/full/!512,512/0/default.jpg")
    assert f"{service}/full/358,512/0/default.jpg" in boxed.headers["link"]
    for bad, status in (
        ("full/max/0/default.bmp", 400),
        ("full/0,0/0/default.jpg", 400),
        ("full/20000,/0/default.jpg", 400),
        ("10000,10000,5,5/max/0/default.jpg", 400),
        ("full/max/0/sepia.jpg", 400),
        ("full/max/0", 400),
    ):
        reply = request(f"{service}/{bad}")
        assert reply.status == status, (bad, reply.status, reply.body)
        assert b"Traceback" not in reply.body


def test_limits_are_refused_and_sizes_served_without_rendering(site, monkeypatch):
    from repository.iiif.render_processes import RenderProcesses

    async def no_pixels(*args, **kwargs):
        raise AssertionError("rendered pixels")

    monkeypatch.setattr(RenderProcesses, "render", no_pixels)
    service = _first_service(site)
    info = request(service + "/info.json").json()
    for size in info["sizes"]:
        reply = request(f"{service}/full/{size['width']},{size['height']}/0/default.jpg")
        assert reply.status == 200, size  # pre-rendered at ingest: read from disk
    for over in (
        "full/^20000,/0/default.jpg",
        "full/^pct:5000/0/default.jpg",
        "full/^10001,/0/gray.png",
    ):
        reply = request(f"{service}/{over}")
        assert reply.status == 400 and b"limits" in reply.body, (over, reply.body)


def test_simultaneous_requests_for_one_tile_share_one_rendering(site, monkeypatch):
    from repository.iiif.image_service import ImageService
    from repository.iiif.render_processes import RenderProcesses

    tile = "0,0,300,300/150,150/0/color.png"
    calls, asked, late = [], [], []
    real_render, real_image = RenderProcesses.render, ImageService.image

    async def image(self, found, plan):
        asked.append(plan.canonical_params())  # this request has reached the image service
        return await real_image(self, found, plan)

    async def counted(self, plan, files):
        calls.append(plan.canonical_params())
        # The rendering must still be running when every request asks for the tile (not
        # over, so that later ones are served from the cache): hold it until all 8 have.
        for _ in range(3000):
            if asked.count(tile) == 8:
                break
            await asyncio.sleep(0.01)
        else:
            late.append(f"not 8 requests in 30 s: {asked}")
        return await real_render(self, plan, files)

    monkeypatch.setattr(ImageService, "image", image)
    monkeypatch.setattr(RenderProcesses, "render", counted)
    url = f"{_first_service(site)}/{tile}"
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: request(url), range(8)))
    assert not late, late
    assert {r.status for r in replies} == {200}
    assert len({r.body for r in replies}) == 1
    assert calls == [tile]


@pytest.mark.parametrize(
    "path",
    [
        "/iiif/image/3/../../../../etc/passwd",
        "/iiif/image/3/..%2F..%2F..%2F..%2Fetc%2Fpasswd/info.json",
        "/iiif/image/3/%2e%2e%2f%2e%2e%2fetc%2fpasswd/full/max/0/default.jpg",
        "/iiif/image/3/%2Fetc%2Fpasswd/info.json",
        "/iiif/image/3//etc/passwd/full/max/0/default.jpg",
        "/iiif/image/3/" + "A" * 64 + "/info.json",
        "/iiif/image/3/" + "a" * 63 + "/info.json",
        "/iiif/3/..%2F..%2Fetc/manifest",
    ],
)
def test_traversal_reads_nothing_outside_the_store(site, path, monkeypatch):
    opened: list[str] = []
    real_read, real_open = Path.read_bytes, pyvips.Image.new_from_file

    def read_bytes(self):
        opened.append(str(self))
        return real_read(self)

    def new_from_file(name, **kwargs):
        opened.append(str(name))
        return real_open(name, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(pyvips.Image, "new_from_file", staticmethod(new_from_file))
    reply = request(site.base + path)
    assert reply.status in (400, 404), (path, reply.status)
    assert b"root:" not in reply.body
    assert opened == []


def test_other_methods_are_refused(site):
    reply = request(f"{site.base}/iiif/3/{LETTER}/manifest", "POST")
    assert reply.status == 405 and reply.headers["allow"] == "GET, HEAD, OPTIONS"
    assert reply.headers["access-control-allow-origin"] == "*"


def _first_service(site) -> str:
    doc = request(f"{site.base}/iiif/3/{LETTER}/manifest").json()
    return doc["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]


def test_deleted_record_is_gone_and_collections_follow(database_url, folders, images_dir):
    settings = make_settings(database_url, images_dir)
    assert not ingest(settings, folders).failed
    with LiveServer(settings) as server:
        manifest = f"{server.base}/iiif/3/{LETTER}/manifest"
        opis = f"{server.base}/iiif/3/GAPPOD/f.1/op.89/collection"
        before = request(opis)
        assert manifest in [item["id"] for item in before.json()["items"]]
        assert request(manifest).status == 200
        store = server.app[STORE]
        server.call(store.delete(LETTER))
        server.call(store.stamp())

        def deletion_served():  # once stamped and the clock re-read (within CLOCK_TTL)
            reply = request(manifest)
            return reply if reply.status != 200 else None

        gone = wait_until(deletion_served, CLOCK_TTL + 10, "the manifest to stop answering 200")
        assert gone.status == 410 and gone.headers["access-control-allow-origin"] == "*"
        after = request(opis)
        assert after.status == 200 and after.headers["etag"] != before.headers["etag"]
        assert manifest not in [item["id"] for item in after.json()["items"]]
        assert_valid(after.json(), opis)
        assert request(opis, headers={"If-None-Match": before.headers["etag"]}).status == 200


def test_changed_record_gets_a_new_manifest(database_url, folders, images_dir, tmp_path):
    settings = make_settings(database_url, images_dir)
    assert not ingest(settings, folders).failed
    with LiveServer(settings) as server:
        url = f"{server.base}/iiif/3/{LETTER}/manifest"
        first = request(url)
        changed = dict(RECORDS["letter"], title="Letter about delayed talks (revised)")
        folder = tmp_path / "letter"
        for image in folders[0].glob("*.jpg"):
            (folder / image.name).parent.mkdir(parents=True, exist_ok=True)
            (folder / image.name).write_bytes(image.read_bytes())
        write_folder(folder, record=changed)
        assert not ingest(settings, [folder]).failed  # ingest stamps what it wrote

        def change_served():  # once the clock is re-read (within CLOCK_TTL)
            reply = request(url)
            return reply if reply.headers["etag"] != first.headers["etag"] else None

        second = wait_until(change_served, CLOCK_TTL + 10, "the manifest to get a new ETag")
        assert second.headers["etag"] != first.headers["etag"]
        assert second.json()["label"] == {"en": ["Letter about delayed talks (revised)"]}
        opis = request(f"{server.base}/iiif/3/GAPPOD/f.1/op.89/collection").json()
        assert {"en": ["Letter about delayed talks (revised)"]} in [
            item["label"] for item in opis["items"]
        ]


def test_a_new_public_url_serves_every_document_with_it(database_url, folders, images_dir):
    """Issue 15: the same database under another port serves manifests whose ids are the
    URLs they are served at, with no trace of the old base, without re-rendering."""
    settings = make_settings(database_url, images_dir)
    assert not ingest(settings, folders).failed
    old = settings.base_url
    with LiveServer(settings) as server:
        first = request(f"{server.base}/iiif/3/{LETTER}/manifest")
        assert first.status == 200
        stamps = server.call(_datestamps(server))
    moved = settings
    while moved.base_url == old:  # another port, so another base
        moved = make_settings(database_url, images_dir)
    with LiveServer(moved) as server:
        assert server.call(refresh(server.app[STORE], server.app[RENDERER])) == 0
        assert server.call(_datestamps(server)) == stamps, "no record rendered again"
        found = crawl(server.base)  # every id is the URL it is served at, all valid
        assert len(found.manifests) == 5
        for url in list(found.documents) + [f"{i}/info.json" for i in found.infos]:
            reply = request(url)
            assert f"{old}/".encode() not in reply.body, url
            assert reply.headers["etag"] == etag_for(reply.body), "the ETag of the bytes served"
            assert request(url, headers={"If-None-Match": reply.headers["etag"]}).status == 304
        url = f"{server.base}/iiif/3/{LETTER}/manifest"
        manifest = request(url)
        assert manifest.headers["last-modified"] == first.headers["last-modified"]
        assert manifest.headers["etag"] != first.headers["etag"]
        zipped = request(url, headers={"Accept-Encoding": "gzip"})
        assert gzip.decompress(zipped.body) == manifest.body
        doc = manifest.json()
        see_also = [s["id"] for s in doc["seeAlso"]]
        assert all(s.startswith(f"{server.base}/oai?") for s in see_also)
        record = request(see_also[0])
        assert url.encode() in record.body and f"{old}/".encode() not in record.body


async def _datestamps(server) -> dict[str, int]:
    from sqlalchemy import select

    from repository.store.schema import records

    async with server.app[STORE].engine.connect() as conn:
        return dict((await conn.execute(select(records.c.key, records.c.datestamp))).all())
