"""Hostile files through the real ingest: each refused with a clear message, nothing
half-stored, nothing read outside the folder a record names."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from pathlib import Path

import pytest

from repository.intake.demo import page_image
from repository.store import Store
from tests.live import ingest, make_settings
from tests.manifests.test_image_api import png_bomb, quadrants, tiff_bomb, write_tiff

JPEG = page_image(["hostile"], seed=9, title="x")
ZIP = b"PK\x03\x04" + b"\x14\x00" * 400


def pages_tiff(pages: int) -> bytes:
    image = quadrants(60, 40)
    return write_tiff([(60, 40, 3, image.write_to_memory())] * pages)


def later_page_bomb() -> bytes:
    """Two pages; the second's header claims 40000 x 30000 pixels."""
    data = bytearray(pages_tiff(2))
    ifds = [
        i for i in range(8, len(data) - 12) if data[i : i + 8] == struct.pack("<HHI", 256, 4, 1)
    ]
    struct.pack_into("<I", data, ifds[1] + 8, 40_000)
    height = data.index(struct.pack("<HHI", 257, 4, 1), ifds[1])
    struct.pack_into("<I", data, height + 8, 30_000)
    return bytes(data)


def looping_tiff() -> bytes:
    """A TIFF whose last page links back to its first: a loop, not endless pages."""
    data = bytearray(pages_tiff(3))
    (first,) = struct.unpack_from("<I", data, 4)
    struct.pack_into("<I", data, len(data) - 4, first)
    return bytes(data)


def overlapping_directories(count: int = 2000) -> bytes:
    """A TIFF of under a megabyte whose ``count`` page directories claim 65535 entries
    each, all overlapping: read naively, that is 131 million entries."""
    first, step = 8, 4
    table = 2 + 12 * 0xFFFF
    body = bytearray(first + step * count + table + 4)
    body[:8] = b"II*\x00" + struct.pack("<I", first)
    for n in range(count):
        at = first + step * n
        struct.pack_into("<H", body, at, 0xFFFF)
        following = at + step if n + 1 < count else 0
        struct.pack_into("<I", body, at + table, following)
    return bytes(body)


HOSTILE = {
    "bomb.png": (png_bomb(), "over"),
    "billion.tif": (tiff_bomb(40_000, 30_000), "over"),
    "truncated.jpg": (JPEG[: len(JPEG) // 3], "truncated or corrupt"),
    "polyglot.jpg": (JPEG + ZIP, "polyglot"),
    "polyglot.tif": (pages_tiff(3) + ZIP, "polyglot"),
    "later-page-bomb.tif": (later_page_bomb(), "over"),
    "truncated.tif": (pages_tiff(5)[: len(pages_tiff(5)) * 3 // 5], "truncated"),
    "overlapping.tif": (overlapping_directories(), "corrupt tiff"),
    "letter.jpg": (b"Dear Sir,\nplease find attached...\n" * 20, "text, not an image"),
    "empty.png": (b"", "empty"),
    "page.pdf": (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "PDF is not accepted"),
}


def _stored(settings) -> tuple[int, int]:
    async def count():
        store = await Store(settings.database.url).open()
        try:
            counts = await store.counts()
            return counts["live"] + counts["deleted"], counts["images"]
        finally:
            await store.close()

    return asyncio.run(count())


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_images_are_refused_and_nothing_is_stored(sqlite_url, tmp_path, name):
    data, reason = HOSTILE[name]
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 1, op. 1, d. 1", "title": "Hostile"})
    )
    (folder / "001.jpg").write_bytes(JPEG)  # a good page first: it must not be kept either
    (folder / f"002-{name}").write_bytes(data)
    settings = make_settings(sqlite_url, tmp_path / "data")
    started = time.monotonic()
    report = ingest(settings, [folder])
    assert time.monotonic() - started < 30
    (entry,) = report.entries
    assert entry.status == "failed"
    assert f"002-{name}" in entry.message and reason in entry.message, entry.message
    assert _stored(settings) == (0, 0), "no record and no image row"


def test_a_decompression_bomb_is_refused_before_decoding(sqlite_url, tmp_path):
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 1, op. 1, d. 2", "title": "Bomb"})
    )
    (folder / "001.png").write_bytes(png_bomb(200_000, 200_000))
    started = time.monotonic()
    report = ingest(make_settings(sqlite_url, tmp_path / "data"), [folder])
    assert report.entries[0].status == "failed"
    assert time.monotonic() - started < 5, "header check, not a 40-gigapixel decode"


@pytest.mark.parametrize(
    "name", ["../outside.jpg", "/etc/passwd", "sub/../../outside.jpg", "..\\outside.jpg", ""]
)
def test_page_images_cannot_be_taken_from_outside_the_record_folder(sqlite_url, tmp_path, name):
    (tmp_path / "outside.jpg").write_bytes(JPEG)
    folder = tmp_path / "in" / "doc"
    (folder / "sub").mkdir(parents=True)
    record = {"reference": "GARF, f. 1, op. 1, d. 3", "title": "T", "pages": [{"image": name}]}
    (folder / "records.json").write_text(json.dumps(record))
    settings = make_settings(sqlite_url, tmp_path / "data")
    report = ingest(settings, [folder / "records.json"])
    (entry,) = report.entries
    assert entry.status == "failed"
    assert "page image" in entry.message or "image" in entry.message
    assert _stored(settings) == (0, 0)
    assert not (Path(settings.storage.data_dir) / "images").exists() or not any(
        (Path(settings.storage.data_dir) / "images").rglob("info.json")
    )


def test_a_symlink_out_of_the_folder_is_refused(sqlite_url, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(JPEG)
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "001.jpg").symlink_to(tmp_path / "secret.jpg")
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 1, op. 1, d. 4", "title": "Link"})
    )
    report = ingest(make_settings(sqlite_url, tmp_path / "data"), [folder])
    assert report.entries[0].status == "failed"
    assert "outside" in report.entries[0].message


def test_a_tiff_whose_pages_loop_ends_and_is_ingested_once(sqlite_url, tmp_path):
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "record.json").write_text(
        json.dumps({"reference": "GARF, f. 1, op. 1, d. 5", "title": "Loop"})
    )
    (folder / "001.tif").write_bytes(looping_tiff())
    settings = make_settings(sqlite_url, tmp_path / "data")
    started = time.monotonic()
    report = ingest(settings, [folder])
    assert time.monotonic() - started < 30
    assert report.entries[0].status == "added", report.entries[0].message
    assert _stored(settings) == (1, 3)
