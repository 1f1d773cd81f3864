"""Page images through the real ingest: small images, many-page TIFFs, orphan folders.

Small images (icons, seals, tiny scans) once broke the pyramid step: libvips wrote a
tiled TIFF whose tiles were far larger than the image and then refused to read it back.
A multi-page TIFF once cost time quadratic in its pages (the file was probed again for
every page). A killed ingest leaves image folders that no record uses; the sweep frees
them, never the images of an ingest still running.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import time
import uuid
from pathlib import Path

import pytest
import pyvips

from repository.records.page_images import ImageStore
from repository.store import Store
from tests.live import LiveServer, ingest, make_settings

RED = [200, 30, 30]
SIDES = [1, 16, 128, 129]
FORMATS = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "webp": ".webp"}


def small_image(fmt: str, side: int) -> bytes:
    """A red square ``side`` pixels wide, encoded as ``fmt``."""
    image = pyvips.Image.black(side, side, bands=3).new_from_image(RED).cast("uchar")
    image = image.copy(interpretation="srgb")
    if fmt == "png":
        return image.pngsave_buffer()
    if fmt == "jpeg":
        return image.jpegsave_buffer(Q=95)
    if fmt == "tiff":
        return image.tiffsave_buffer()
    return image.webpsave_buffer(lossless=True)


def document(folder: Path, reference: str, images: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    (folder / "record.json").write_text(json.dumps({"reference": reference, "title": "Small"}))
    for name, data in images.items():
        (folder / name).write_bytes(data)
    return folder


def fetch(server: LiveServer, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.settings.server.port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def decoded(body: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(body, "")


def reddish(image: pyvips.Image) -> bool:
    stats = image.stats()
    mean = [stats(4, band + 1)[0] for band in range(3)]
    return all(abs(m - e) <= 30 for m, e in zip(mean, RED, strict=True))


def counts(settings) -> dict[str, int]:
    async def read():
        store = await Store(settings.database.url).open()
        try:
            return await store.counts()
        finally:
            await store.close()

    return asyncio.run(read())


# -- small images ----------------------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_small_image_ingests_and_serves(sqlite_url, tmp_path, fmt, side):
    data = small_image(fmt, side)
    folder = document(tmp_path / "doc", "GARF, f. 1, op. 1, d. 1", {f"001{FORMATS[fmt]}": data})
    settings = make_settings(sqlite_url, tmp_path / "data")
    (entry,) = ingest(settings, [folder]).entries
    assert entry.status == "added", entry.message
    image_id = hashlib.sha256(data).hexdigest()
    base = f"/iiif/image/3/{image_id}"
    with LiveServer(settings) as server:
        status, body = fetch(server, f"{base}/info.json")
        assert status == 200, body
        info = json.loads(body)
        assert (info["width"], info["height"]) == (side, side)

        status, body = fetch(server, f"{base}/full/max/0/default.jpg")
        assert status == 200, body
        full = decoded(body)
        assert (full.width, full.height) == (side, side)
        assert reddish(full)

        tile = info["tiles"][0]["width"]  # the top-left tile, as a viewer asks for it
        status, body = fetch(server, f"{base}/0,0,{tile},{tile}/{min(tile, side)},/0/default.jpg")
        assert status == 200, body
        assert (decoded(body).width, decoded(body).height) == (side, side)

        width, height = info["sizes"][0]["width"], info["sizes"][0]["height"]
        status, body = fetch(server, f"{base}/full/{width},{height}/0/default.jpg")
        assert status == 200, body
        thumbnail = decoded(body)
        assert (thumbnail.width, thumbnail.height) == (width, height)
        assert reddish(thumbnail)
        assert fetch(server, f"{base}/full/max/0/default.png")[0] == 200

    stored = Path(settings.storage.data_dir) / "images" / image_id[:2] / image_id
    assert (stored / "sizes" / f"{width},{height}.jpg").is_file()  # pre-rendered at ingest


EDITOR = "editor-secret-0123456789"


@pytest.mark.parametrize("side", [1, 16])
def test_a_small_image_through_the_write_api(sqlite_url, tmp_path, side):
    data = small_image("png", side)
    settings = make_settings(sqlite_url, tmp_path / "data", auth={"tokens": [f"editor:{EDITOR}"]})
    boundary = f"opis-{uuid.uuid4().hex}"
    record = json.dumps({"reference": "GARF, f. 1, op. 1, d. 7", "title": "Seal"}).encode()
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="record"\r\n'.encode(),
            b"Content-Type: application/json\r\n\r\n" + record + b"\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '.encode(),
            b'filename="seal.png"\r\nContent-Type: image/png\r\n\r\n' + data + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
    )
    with LiveServer(settings) as server:
        conn = http.client.HTTPConnection("127.0.0.1", settings.server.port, timeout=60)
        try:
            conn.request(
                "PUT",
                "/api/records/GARF/f.1/op.1/d.7",
                body=body,
                headers={
                    "Authorization": f"Bearer {EDITOR}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            response = conn.getresponse()
            answer = response.read()
        finally:
            conn.close()
        assert response.status == 201, answer
        image_id = hashlib.sha256(data).hexdigest()
        status, body = fetch(server, f"/iiif/image/3/{image_id}/full/max/0/default.jpg")
        assert status == 200
        assert (decoded(body).width, decoded(body).height) == (side, side)


# -- many-page TIFFs -------------------------------------------------------------------------


def many_page_tiff(pages: int, width: int = 144, height: int = 176) -> bytes:
    """A TIFF of ``pages`` small pages (a tall image cut into pages by ``page_height``);
    over 128 pixels, so the test is about page counts, not small images."""
    strip = pyvips.Image.black(width, height * pages, bands=3).new_from_image(RED).cast("uchar")
    strip = strip.copy(interpretation="srgb").draw_rect(
        [20, 20, 160], 0, 0, width // 2, height * pages, fill=True
    )
    return strip.tiffsave_buffer(page_height=height, compression="deflate")


def _ingest_pages(tmp_path: Path, sqlite_url: str, pages: int) -> tuple[float, dict[str, int]]:
    root = tmp_path / f"run{pages}"
    folder = document(
        root / "doc", f"GARF, f. 2, op. 1, d. {pages}", {"001.tif": many_page_tiff(pages)}
    )
    settings = make_settings(sqlite_url.replace("opis.db", f"opis{pages}.db"), root / "data")
    started = time.perf_counter()
    (entry,) = ingest(settings, [folder]).entries
    elapsed = time.perf_counter() - started
    assert entry.status == "added", entry.message
    return elapsed, counts(settings)


@pytest.mark.slow
def test_a_many_page_tiff_costs_time_linear_in_its_pages(sqlite_url, tmp_path):
    short, short_counts = _ingest_pages(tmp_path, sqlite_url, 75)
    long, long_counts = _ingest_pages(tmp_path, sqlite_url, 300)
    assert short_counts["images"] == short_counts["pages"] == 75
    assert long_counts["images"] == long_counts["pages"] == 300
    # linear is about 4x; probing the file again for every page made it 16x and more
    print(f"75 pages {short:.2f} s, 300 pages {long:.2f} s: {long / short:.1f}x")
    assert long < 8 * short, f"75 pages {short:.2f} s, 300 pages {long:.2f} s"


# -- orphan folders --------------------------------------------------------------------------

HOUR = 3600.0


def image_id(n: int) -> str:
    return hashlib.sha256(f"image {n}".encode()).hexdigest()


def make_folder(root: Path, name: str, *, age: float, shard: str | None = None) -> Path:
    """An image folder (or a temporary one) whose modification time is ``age`` seconds ago."""
    folder = root / (shard or name[:2]) / name
    (folder / "sizes").mkdir(parents=True)
    (folder / "pyramid.tif").write_bytes(b"\x00" * 1000)
    (folder / "info.json").write_text("{}")
    when = time.time() - age
    os.utime(folder, (when, when))
    return folder


class Known:
    """The images table, as the sweep asks it: which of these ids are stored."""

    def __init__(self, stored: set[str], on_ask=None) -> None:
        self.stored = stored
        self.asked: list[str] = []
        self.on_ask = on_ask

    async def __call__(self, ids: list[str]) -> set[str]:
        self.asked.extend(ids)
        if self.on_ask is not None:
            self.on_ask(ids)
        return {i for i in ids if i in self.stored}


@pytest.fixture
def images(tmp_path) -> ImageStore:
    settings = make_settings("sqlite:///unused.db", tmp_path / "data")
    return ImageStore(settings)


def test_the_sweep_removes_only_old_orphans(images):
    root = images.root
    stored = make_folder(root, image_id(1), age=3 * HOUR)
    old_orphan = make_folder(root, image_id(2), age=2 * HOUR)
    fresh_orphan = make_folder(root, image_id(3), age=60)  # an ingest still running, maybe
    old_temp = make_folder(root, f".{image_id(4)}.x1y2z3", age=2 * HOUR, shard=image_id(4)[:2])
    fresh_temp = make_folder(root, f".{image_id(5)}.a1b2c3", age=5, shard=image_id(5)[:2])
    stranger = make_folder(root, "not-an-image", age=5 * HOUR, shard="ab")  # not ours: left alone
    known = Known({image_id(1)})

    result = asyncio.run(images.sweep_orphans(known, grace=HOUR))

    assert sorted(result.removed) == sorted([old_orphan.name, old_temp.name])
    assert result.freed >= 2000
    assert not old_orphan.exists() and not old_temp.exists()
    for kept in (stored, fresh_orphan, fresh_temp, stranger):
        assert kept.is_dir(), kept
    assert image_id(3) not in known.asked  # young folders are not even looked up
    assert not list(root.rglob("*.swept-*"))


def test_the_grace_period_comes_from_the_settings(tmp_path):
    settings = make_settings(
        "sqlite:///unused.db", tmp_path / "data", images={"orphan_grace_seconds": 30}
    )
    store = ImageStore(settings)
    orphan = make_folder(store.root, image_id(1), age=60)
    asyncio.run(store.sweep_orphans(Known(set())))
    assert not orphan.exists()


def test_a_fresh_orphan_goes_once_it_is_old_and_known_ids_are_not_asked_again(images):
    root = images.root
    stored = make_folder(root, image_id(1), age=3 * HOUR)
    young = make_folder(root, image_id(2), age=60)
    known = Known({image_id(1)})
    asyncio.run(images.sweep_orphans(known, grace=HOUR))
    assert young.is_dir() and known.asked == [image_id(1)]

    known.asked.clear()
    later = time.time() + 2 * HOUR
    result = asyncio.run(images.sweep_orphans(known, grace=HOUR, now=later))
    assert result.removed == [young.name]
    assert known.asked == [image_id(2)], "the stored image was checked by the first sweep"
    assert stored.is_dir()

    known.asked.clear()
    asyncio.run(images.sweep_orphans(known, grace=HOUR, now=later, full=True))
    assert known.asked == [image_id(1)]


def test_an_orphan_reused_while_the_sweep_decides_is_kept(images):
    """An ingest that finds the image already built touches its folder before using it;
    a sweep that decided meanwhile that the folder is an orphan must then keep it."""
    orphan = make_folder(images.root, image_id(1), age=2 * HOUR)
    known = Known(set(), on_ask=lambda ids: os.utime(orphan))  # reused right then
    result = asyncio.run(images.sweep_orphans(known, grace=HOUR))
    assert result.removed == [] and orphan.is_dir()


def test_an_ingest_in_progress_keeps_its_pending_images_young(tmp_path):
    settings = make_settings(
        "sqlite:///unused.db", tmp_path / "data", images={"orphan_grace_seconds": 40}
    )
    store = ImageStore(settings)
    first = asyncio.run(store.store_bytes(small_image("png", 200)))[0]
    folder = store.folder(first.id)
    long_ago = time.time() - 3 * HOUR
    os.utime(folder, (long_ago, long_ago))  # built long ago, its record not written yet
    store._renewed = long_ago
    asyncio.run(store.store_bytes(small_image("jpeg", 200)))  # the run goes on
    assert time.time() - folder.stat().st_mtime < 40
    result = asyncio.run(store.sweep_orphans(Known(set())))
    assert first.id not in result.removed and folder.is_dir()
    assert first.id in {row["id"] for row in store.pending_rows()}


def test_an_old_orphan_built_again_is_made_young(tmp_path):
    settings = make_settings("sqlite:///unused.db", tmp_path / "data")
    store = ImageStore(settings)
    data = small_image("png", 150)
    (image,) = asyncio.run(store.store_bytes(data))
    folder = store.folder(image.id)
    long_ago = time.time() - 3 * HOUR
    os.utime(folder, (long_ago, long_ago))
    assert asyncio.run(store.store_bytes(data)) == [image]  # found, not rebuilt
    assert time.time() - folder.stat().st_mtime < 60


def test_every_ingest_ends_with_a_sweep(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")
    data = small_image("png", 200)
    folder = document(tmp_path / "doc", "GARF, f. 3, op. 1, d. 1", {"001.png": data})
    assert ingest(settings, [folder]).entries[0].status == "added"
    root = Path(settings.storage.data_dir) / "images"
    stored = root / hashlib.sha256(data).hexdigest()[:2] / hashlib.sha256(data).hexdigest()
    long_ago = time.time() - 3 * HOUR
    os.utime(stored, (long_ago, long_ago))
    old_orphan = make_folder(root, image_id(1), age=2 * HOUR)  # a killed ingest's
    fresh_orphan = make_folder(root, image_id(2), age=10)  # an ingest running now

    (root / ".swept").unlink()  # as if the folders were all made after the last sweep
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"reference": "GARF, f. 3, op. 1, d. 2", "title": "Other"}))
    assert ingest(settings, [other]).entries[0].status == "added"

    assert not old_orphan.exists()
    assert fresh_orphan.is_dir() and stored.is_dir()
    assert counts(settings)["images"] == 1
    with LiveServer(settings) as server:
        image = hashlib.sha256(data).hexdigest()
        assert fetch(server, f"/iiif/image/3/{image}/full/max/0/default.jpg")[0] == 200


def test_the_server_sweeps_when_it_starts(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path / "data")
    root = Path(settings.storage.data_dir) / "images"
    orphan = make_folder(root, image_id(1), age=2 * HOUR)
    with LiveServer(settings):
        deadline = time.monotonic() + 20
        while orphan.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not orphan.exists()
