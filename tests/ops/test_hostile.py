"""Hostile files through the real ingest: each refused with a clear message, nothing
half-stored, nothing read outside the folder a record names."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from repository.intake.demo import page_image
from repository.store import Store
from tests.live import ingest, make_settings
from tests.manifests.test_image_api import png_bomb, tiff_bomb

JPEG = page_image(["hostile"], seed=9, title="x")
HOSTILE = {
    "bomb.png": (png_bomb(), "over"),
    "billion.tif": (tiff_bomb(40_000, 30_000), "over"),
    "truncated.jpg": (JPEG[: len(JPEG) // 3], "truncated or corrupt"),
    "polyglot.jpg": (JPEG + b"PK\x03\x04" + b"\x14\x00" * 400, "polyglot"),
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
