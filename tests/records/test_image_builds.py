"""What ingest builds for a page image, and what it does not do twice.

The sizes viewers fetch as thumbnails are rendered at ingest by the same renderer that
serves every other request, so the stored file is the response the service would
render; larger sizes are rendered when first asked for. Bytes stored already are found
by their id: not probed, decoded or built again (but a pixel limit lowered since still
refuses them).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
from pathlib import Path

import pytest
import pyvips

from manifests.image_api import ImageRejected, Limits, parse
from repository.iiif.pyramids import DiskPyramid, LevelCache, TileIndex, render
from repository.records import page_images
from repository.records.page_images import PRERENDER_MAX_AREA, ImageStore
from tests.live import LiveServer, ingest, make_settings

WIDTH, HEIGHT = 2400, 1800  # its half size is over PRERENDER_MAX_AREA


def page(width: int = WIDTH, height: int = HEIGHT) -> bytes:
    noise = pyvips.Image.gaussnoise(width // 4, height // 4, sigma=15, mean=0, seed=5)
    paper = noise.resize(4, kernel="linear").linear([1] * 3, [235, 225, 205]).cast("uchar")
    return paper.copy(interpretation="srgb").jpegsave_buffer(Q=90)


def test_the_sizes_viewers_fetch_are_rendered_at_ingest_as_the_service_renders_them(tmp_path):
    images = ImageStore(make_settings("sqlite:///unused.db", tmp_path / "data"))
    (image,) = asyncio.run(images.store_bytes(page()))
    served = DiskPyramid(images.pyramid_path(image.id), image.levels, LevelCache(), TileIndex())
    small = [(w, h) for w, h in image.sizes if w * h <= PRERENDER_MAX_AREA]
    large = [(w, h) for w, h in image.sizes if w * h > PRERENDER_MAX_AREA]
    assert small and large == [(WIDTH // 2, HEIGHT // 2)]
    for width, height in small:
        plan = parse(image.id, "full", f"{width},{height}", "0", "default.jpg").resolve(
            image.width, image.height, Limits()
        )
        assert images.size_path(image.id, width, height).read_bytes() == render(plan, served)
    for width, height in large:
        assert not images.size_path(image.id, width, height).exists()


def test_a_size_not_rendered_at_ingest_is_rendered_when_asked_for(sqlite_url, tmp_path):
    data = page()
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "001.jpg").write_bytes(data)
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 9, op. 1, d. 1", "title": "A page"})
    )
    settings = make_settings(sqlite_url, tmp_path / "data")
    (entry,) = ingest(settings, [folder]).entries
    assert entry.status == "added", entry.message
    base = f"/iiif/image/3/{hashlib.sha256(data).hexdigest()}"
    with LiveServer(settings):
        conn = http.client.HTTPConnection("127.0.0.1", settings.server.port, timeout=60)
        try:
            conn.request("GET", f"{base}/info.json")
            info = json.loads(conn.getresponse().read())
            for size in info["sizes"]:
                conn.request("GET", f"{base}/full/{size['width']},{size['height']}/0/default.jpg")
                response = conn.getresponse()
                body = response.read()
                assert response.status == 200, size
                got = pyvips.Image.new_from_buffer(body, "")
                assert (got.width, got.height) == (size["width"], size["height"])
        finally:
            conn.close()
    assert {"width": WIDTH // 2, "height": HEIGHT // 2} in info["sizes"]


def test_bytes_stored_already_are_not_probed_or_built_again(tmp_path, monkeypatch):
    images = ImageStore(make_settings("sqlite:///unused.db", tmp_path / "data"))
    data = page(600, 400)
    (first,) = asyncio.run(images.store_bytes(data))
    images.pending_rows()

    def no_probe(*args, **kwargs):
        raise AssertionError("probed again")

    monkeypatch.setattr(page_images, "Upload", no_probe)
    assert asyncio.run(images.store_bytes(data)) == [first]
    assert [row["id"] for row in images.pending_rows()] == [first.id]  # its row is written


def test_a_lower_pixel_limit_refuses_bytes_stored_already(tmp_path):
    data = page(600, 400)
    asyncio.run(
        ImageStore(make_settings("sqlite:///unused.db", tmp_path / "data")).store_bytes(data)
    )
    stricter = make_settings(
        "sqlite:///unused.db", tmp_path / "data", images={"max_input_pixels": 100_000}
    )
    with pytest.raises(ImageRejected, match="over the limit"):
        asyncio.run(ImageStore(stricter).store_bytes(data))


def test_a_multi_page_tiff_is_still_probed_and_split(tmp_path: Path):
    strip = pyvips.Image.black(300, 600, bands=3).new_from_image([200, 30, 30]).cast("uchar")
    data = strip.copy(interpretation="srgb").tiffsave_buffer(page_height=200)
    images = ImageStore(make_settings("sqlite:///unused.db", tmp_path / "data"))
    first = asyncio.run(images.store_bytes(data))
    assert [(i.width, i.height) for i in first] == [(300, 200)] * 3
    assert asyncio.run(images.store_bytes(data)) == first  # found again page by page
