"""Page images on disk: content-addressed, each prepared for fast serving at ingest.

An image's id is the SHA-256 of its input bytes (one id per page for a multi-page
TIFF or PDF). Its folder holds a tiled pyramidal TIFF and the pre-rendered ``sizes``
that viewers fetch as thumbnails. A folder is built under a temporary name and renamed
into place when complete, so an image is either wholly there or absent; the database
row that makes it visible is written in the same transaction as the record using it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from manifests.image_api import (
    ImageRejected,
    build_pyramid,
    probe,
    pyramid_layout,
    render_sizes,
)
from repository.settings import Settings
from repository.store.clock import now_us

_HEX = frozenset("0123456789abcdef")


class ImageError(ValueError):
    """An input image that cannot be stored; the message says which and why."""


@dataclass(frozen=True)
class StoredImage:
    id: str
    width: int
    height: int
    format: str
    levels: tuple[tuple[int, int], ...]
    sizes: tuple[tuple[int, int], ...]
    scale_factors: tuple[int, ...]

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "levels": json.dumps([list(x) for x in self.levels]),
            "sizes": json.dumps(
                {"sizes": [list(s) for s in self.sizes], "scale_factors": list(self.scale_factors)}
            ),
            "created": now_us(),
        }


def valid_id(image_id: str) -> bool:
    """Ids are 64 lower-case hex digits: nothing else ever reaches the file system."""
    return len(image_id) == 64 and set(image_id) <= _HEX


class ImageStore:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.storage.data_dir) / "images"
        self.limits = settings.images
        self._pending: dict[str, dict[str, Any]] = {}
        self._work = asyncio.Semaphore(max(1, settings.images.workers))

    # -- ingest ---------------------------------------------------------------

    def resolve_input(self, name: str, base: Path) -> Path:
        """An image named by a record, relative to the record's folder and inside it."""
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or not name.strip():
            raise ImageError(f"page image {name!r}: must be a file name relative to the record")
        path = (base / pure).resolve()
        if not path.is_relative_to(base.resolve()):
            raise ImageError(f"page image {name!r}: outside the record's folder")
        if not path.is_file():
            raise ImageError(f"page image {name!r}: no such file in {base}")
        return path

    async def store_file(self, path: Path) -> list[StoredImage]:
        size = path.stat().st_size
        if size > self.limits.max_input_bytes:
            raise ImageError(
                f"{path.name}: {size} bytes is over images.max_input_bytes "
                f"({self.limits.max_input_bytes})"
            )
        data = path.read_bytes()
        try:
            return await self.store_bytes(data)
        except ImageRejected as exc:
            raise ImageError(f"{path.name}: {exc}") from exc

    async def store_bytes(self, data: bytes) -> list[StoredImage]:
        pages = probe(data, max_pixels=self.limits.max_input_pixels)
        digest = hashlib.sha256(data).hexdigest()
        stored = []
        for n, page in enumerate(pages):
            image_id = (
                digest if len(pages) == 1 else hashlib.sha256(f"{digest}#{n}".encode()).hexdigest()
            )
            async with self._work:
                image = await asyncio.to_thread(self._build, data, n, image_id, page.format)
            self._pending[image.id] = image.row()
            stored.append(image)
        return stored

    def pending_rows(self) -> list[dict[str, Any]]:
        rows, self._pending = list(self._pending.values()), {}
        return rows

    def _build(self, data: bytes, page: int, image_id: str, fmt: str) -> StoredImage:
        folder = self.folder(image_id)
        info_path = folder / "info.json"
        if info_path.is_file():
            return _from_info(image_id, json.loads(info_path.read_text()))
        pyramid = build_pyramid(
            data, page, tile_size=self.limits.tile_size, max_pixels=self.limits.max_input_pixels
        )
        from manifests.image_api import open_pyramid_buffer

        source = open_pyramid_buffer(pyramid)
        scale_factors, sizes = pyramid_layout(source.width, source.height, self.limits.tile_size)
        rendered = render_sizes(pyramid, sizes)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{image_id}.", dir=folder.parent))
        try:
            (tmp / "pyramid.tif").write_bytes(pyramid)
            (tmp / "sizes").mkdir()
            for (w, h), body in rendered.items():
                (tmp / "sizes" / f"{w},{h}.jpg").write_bytes(body)
            info = {
                "width": source.width,
                "height": source.height,
                "format": fmt,
                "levels": [list(x) for x in source.levels],
                "sizes": [list(s) for s in sizes],
                "scale_factors": list(scale_factors),
            }
            (tmp / "info.json").write_text(json.dumps(info))
            for child in (tmp / "sizes", tmp):
                _fsync_dir(child)
            try:
                os.rename(tmp, folder)
            except OSError:  # built meanwhile by another process: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return _from_info(image_id, info)

    # -- serving --------------------------------------------------------------

    def folder(self, image_id: str) -> Path:
        if not valid_id(image_id):
            raise ImageError(f"not an image id: {image_id!r}")
        return self.root / image_id[:2] / image_id

    def pyramid_path(self, image_id: str) -> Path:
        return self.folder(image_id) / "pyramid.tif"

    def size_path(self, image_id: str, width: int, height: int) -> Path:
        return self.folder(image_id) / "sizes" / f"{int(width)},{int(height)}.jpg"


def _from_info(image_id: str, info: dict[str, Any]) -> StoredImage:
    return StoredImage(
        id=image_id,
        width=info["width"],
        height=info["height"],
        format=info["format"],
        levels=tuple(tuple(x) for x in info["levels"]),
        sizes=tuple(tuple(s) for s in info["sizes"]),
        scale_factors=tuple(info["scale_factors"]),
    )


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        if child.is_file():
            with open(child, "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
