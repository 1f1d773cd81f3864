"""Page images on disk: content-addressed, each prepared for fast serving at ingest.

An image's id is the SHA-256 of its input bytes (one id per page for a multi-page
TIFF or PDF). Its folder holds a tiled pyramidal TIFF and the pre-rendered ``sizes``
that viewers fetch as thumbnails, with a size halfway between each two (not listed in
info.json) that other thumbnails are resized from. A folder is built under a temporary
name and renamed into place when complete, so an image is either wholly there or absent;
the database row that makes it visible is written in the same transaction as the record
using it.

What the service does not find stored is rendered by ``render_page``, the renderer of
plain JPEG requests, and the sizes pre-rendered here come from it too (from the pyramid,
as the service would render them). Its encoder settings were chosen by measurement
(tests/benchmarks/bench_iiif.py, against IIPImage on the same scan): quality 75
(IIPImage's default), 4:2:0 chroma (libjpeg's choice below quality 90), no metadata,
standard Huffman tables (optimised ones save some 15% of the bytes and double the time
the encoder takes), and a bicubic resize (within half a decibel of Lanczos, and cheaper).
Only sizes up to ``PRERENDER_MAX_AREA`` pixels are pre-rendered: the larger ones, which
few ask for, took a third of a scan's ingest.

An upload is probed (``manifests.image_api.Upload``: format, pixel limits, bytes after the
image's end) before anything is built from it, and only once: bytes already stored under
their id are not probed or decoded again.

A folder whose row never comes (an ingest killed between building an image and writing
its record, a write-API request refused after its images were stored) is an orphan:
``sweep_orphans`` removes the orphans older than ``images.orphan_grace_seconds``. The
grace period protects the images of a run still in progress: a run refreshes the
modification time of the folders it built or reused whose rows are still pending, so
they never look old while it is alive. ``opis ingest`` sweeps when it ends, and
``opis serve`` once at start (its first worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import pyvips

from manifests.image_api import (
    ImageRejected,
    ImageRequestError,
    Limits,
    Plan,
    PyramidSource,
    Upload,
    choose_level,
    halfway_sizes,
    open_pyramid_buffer,
    parse,
    pyramid_layout,
)
from manifests.image_api import render as render_pipeline
from manifests.image_api.pipeline import LEVEL_SLACK, normalise
from repository.settings import Settings
from repository.store import Store
from repository.store.clock import now_us

_HEX = frozenset("0123456789abcdef")
log = logging.getLogger("opis")

# Which of these image ids have a row in the images table.
Known = Callable[[list[str]], Awaitable[set[str]]]
# Ids asked about at once.
SWEEP_BATCH = 500
# A sweep remembers the cutoff it used (in this file under images/), and the next one
# looks only at folders changed since then, less this margin for clocks that step back.
SWEEP_MARK = ".swept"
SWEEP_MARGIN = 600.0
# Sizes up to this many pixels are rendered at ingest (the thumbnails viewers fetch);
# larger ones, which few ask for, when first asked for.
PRERENDER_MAX_AREA = 1 << 20
# A thumbnail is decoded from a pre-rendered size of at least this many pixels when one
# is big enough for it: no tile padding to decode, and the same pixels to within half a
# decibel (measured on a scan and on a page of text). Smaller sizes are not used: their
# own JPEG compression had taken up to 6 dB of fine texture.
THUMBNAIL_SOURCE_MIN_AREA = 1 << 17
# Encoding of what ``render_page`` renders itself (see the module's docstring).
JPEG_QUALITY = 75
RESIZE_KERNEL = "cubic"
_KEEP_NONE = pyvips.enums.ForeignKeep.NONE
PYRAMID_FILE = "pyramid.tif"


class StoredParts(Protocol):
    """What a served page image has on disk besides its levels (see ``render_page``)."""

    def tile(self, index: int, box: tuple[int, int, int, int]) -> bytes | None:
        """The JPEG file of the stored tile that is exactly ``box`` of a level, or None."""
        ...

    def sizes(self) -> Sequence[tuple[int, int]]:
        """The pre-rendered sizes of the whole image (files that may be missing)."""
        ...

    def size(self, width: int, height: int) -> bytes | None:
        """The JPEG file of one pre-rendered size, or None."""
        ...


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


@dataclass
class Sweep:
    """What one sweep did: the orphans it removed, and the bytes that freed."""

    removed: list[str] = field(default_factory=list)
    freed: int = 0
    checked: int = 0


class ImageStore:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.storage.data_dir) / "images"
        self.limits = settings.images
        self.grace = float(settings.images.orphan_grace_seconds)
        self._pending: dict[str, dict[str, Any]] = {}
        self._work = asyncio.Semaphore(max(1, settings.images.workers))
        self._renewed = time.time()

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
        """Store every page of an upload: probed once, each page then decoded once.

        Bytes stored already (as a one-page image) are found by their id and neither
        probed nor decoded again; they passed the probe when they were stored.
        """
        digest = hashlib.sha256(data).hexdigest()
        found = await asyncio.to_thread(self._reuse, digest)
        if found is not None:
            self._pending[found.id] = found.row()
            await self._renew()
            return [found]
        async with self._work:
            upload = await asyncio.to_thread(Upload, data, max_pixels=self.limits.max_input_pixels)
        pages = len(upload.pages)
        stored = []
        for n in range(pages):
            image_id = (
                digest if pages == 1 else hashlib.sha256(f"{digest}#{n}".encode()).hexdigest()
            )
            async with self._work:
                image = await asyncio.to_thread(self._build, upload, n, image_id)
            self._pending[image.id] = image.row()
            stored.append(image)
            await self._renew()
        return stored

    def pending_rows(self) -> list[dict[str, Any]]:
        rows, self._pending = list(self._pending.values()), {}
        return rows

    async def _renew(self) -> None:
        """Keep the folders whose rows are still pending young, so no sweep takes them."""
        if time.time() - self._renewed < max(1.0, self.grace / 4):
            return
        self._renewed = time.time()
        folders = [self.folder(image_id) for image_id in self._pending]
        await asyncio.to_thread(_touch_all, folders)

    def _reuse(self, image_id: str) -> StoredImage | None:
        """The image stored under this id already, if it is there and within the limits.

        An old folder (an orphan, maybe) is touched before it is read: a sweep that
        decides about it meanwhile then sees it in use (_remove_if_old).
        """
        folder = self.folder(image_id)
        try:
            if time.time() - folder.stat().st_mtime > self.grace / 4:
                os.utime(folder)
            found = _from_info(image_id, json.loads((folder / "info.json").read_text()))
        except FileNotFoundError:
            return None  # not built yet (or just swept): build it
        if found.width * found.height > self.limits.max_input_pixels:
            return None  # the limit is lower now: the probe refuses it with the reason
        return found

    def _build(self, upload: Upload, page: int, image_id: str) -> StoredImage:
        found = self._reuse(image_id)
        if found is not None:
            return found
        fmt = upload.format
        pyramid = upload.pyramid(page, tile_size=self.limits.tile_size)
        source = open_pyramid_buffer(pyramid)
        scale_factors, sizes = pyramid_layout(source.width, source.height, self.limits.tile_size)
        rendered = {
            (w, h): render_size(source, w, h) for w, h in sizes if w * h <= PRERENDER_MAX_AREA
        }
        for w, h in _thumbnail_sources(halfway_sizes(sizes)):
            rendered[w, h] = render_size(source, w, h)
        folder = self.folder(image_id)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{image_id}.", dir=folder.parent))
        try:
            (tmp / PYRAMID_FILE).write_bytes(pyramid)
            (tmp / "sizes").mkdir()
            for (w, h), body in rendered.items():
                size_file(tmp, w, h).write_bytes(body)
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

    # -- orphans --------------------------------------------------------------

    async def sweep_orphans(
        self,
        known: Known,
        *,
        grace: float | None = None,
        now: float | None = None,
        full: bool = False,
    ) -> Sweep:
        """Remove image folders that no row names and that are older than ``grace``.

        ``known`` answers which of a list of ids the images table holds. Leftover
        temporary folders (a build killed half-way) older than ``grace`` go too. Only
        folders changed since the previous sweep's cutoff are looked at, unless ``full``:
        an image row is never deleted, so a folder found in use stays in use.
        """
        grace = self.grace if grace is None else grace
        cutoff = (time.time() if now is None else now) - grace
        since = None if full else await asyncio.to_thread(self._last_cutoff)
        candidates, stale = await asyncio.to_thread(self._candidates, cutoff, since)
        result = Sweep(checked=len(candidates))
        for start in range(0, len(candidates), SWEEP_BATCH):
            chunk = candidates[start : start + SWEEP_BATCH]
            stored = await known(chunk)
            orphans = [self.folder(image_id) for image_id in chunk if image_id not in stored]
            stale.extend(orphans)
        for folder in stale:
            freed = await asyncio.to_thread(_remove_if_old, folder, cutoff)
            if freed is not None:
                result.removed.append(folder.name)
                result.freed += freed
        await asyncio.to_thread(self._mark, cutoff)
        return result

    def _candidates(self, cutoff: float, since: float | None) -> tuple[list[str], list[Path]]:
        """Ids of image folders old enough to sweep, and old temporary folders."""
        ids: list[str] = []
        stale: list[Path] = []
        for entry in _subfolders(self.root):
            if len(entry.name) != 2 or not set(entry.name) <= _HEX:
                continue
            for child in _subfolders(Path(entry.path)):
                try:
                    mtime = child.stat(follow_symlinks=False).st_mtime
                except FileNotFoundError:
                    continue
                if mtime > cutoff:
                    continue  # young: maybe an image whose record is being written
                if child.name.startswith(".") and valid_id(child.name[1:65]):
                    stale.append(Path(child.path))  # a build or a sweep cut short
                elif (
                    valid_id(child.name)
                    and child.name[:2] == entry.name
                    and (since is None or mtime > since - SWEEP_MARGIN)
                ):
                    ids.append(child.name)
        return sorted(ids), stale

    def _last_cutoff(self) -> float | None:
        try:
            return float(json.loads((self.root / SWEEP_MARK).read_text())["cutoff"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _mark(self, cutoff: float) -> None:
        if not self.root.is_dir():
            return
        tmp = self.root / f"{SWEEP_MARK}.{os.getpid()}"
        tmp.write_text(json.dumps({"cutoff": cutoff}))
        os.replace(tmp, self.root / SWEEP_MARK)

    # -- serving --------------------------------------------------------------

    def folder(self, image_id: str) -> Path:
        if not valid_id(image_id):
            raise ImageError(f"not an image id: {image_id!r}")
        return self.root / image_id[:2] / image_id

    def pyramid_path(self, image_id: str) -> Path:
        return self.folder(image_id) / PYRAMID_FILE

    def size_path(self, image_id: str, width: int, height: int) -> Path:
        return size_file(self.folder(image_id), width, height)


def size_file(folder: Path, width: int, height: int) -> Path:
    """Where an image's pre-rendered size is, in the image's folder."""
    return folder / "sizes" / f"{int(width)},{int(height)}.jpg"


# -- rendering ------------------------------------------------------------------


def plain(plan: Plan) -> bool:
    """A request this module renders itself: JPEG, as the pixels are, unturned."""
    return (
        plan.format == "jpg"
        and plan.quality in ("default", "color")
        and plan.rotation == 0
        and not plan.mirror
    )


Box = tuple[int, int, int, int]  # left, top, width, height


def level_box(plan: Plan, level_size: tuple[int, int]) -> Box:
    """The region as (left, top, width, height) on a level: outward to whole pixels, as
    the shared pipeline cuts it (so both paths read the same pixels)."""
    full_w, full_h = plan.image_size
    level_w, level_h = level_size
    x, y, w, h = plan.region
    if level_size == plan.image_size:
        return x, y, w, h
    left = x * level_w // full_w
    top = y * level_h // full_h
    right = min(level_w, -(-(x + w) * level_w // full_w))
    bottom = min(level_h, -(-(y + h) * level_h // full_h))
    left, top = min(left, level_w - 1), min(top, level_h - 1)
    right, bottom = max(right, left + 1), max(bottom, top + 1)
    return left, top, right - left, bottom - top


def render_page(plan: Plan, source: PyramidSource, *, stored: StoredParts | None = None) -> bytes:
    """The encoded image the plan describes, reading and computing as little as it can.

    A plain request (see ``plain``) that is exactly a stored tile is that tile. Any other
    plain request is cut from the smallest level big enough, or, for the whole image,
    decoded from the smallest pre-rendered size big enough (``_from_stored_size``); then
    resized and encoded here. The rest goes through the shared pipeline.
    """
    if not plain(plan):
        return render_pipeline(plan, source)
    wanted = stored_tile_box(plan, source.levels)  # checks the plan was made for this image
    if stored is not None and wanted is not None:
        tile = stored.tile(*wanted)
        if tile is not None:
            return tile
    index = choose_level(plan, source.width, source.height, source.levels)
    box = level_box(plan, source.levels[index])
    image: pyvips.Image | None = None
    if stored is not None and plan.full_region:
        image = _from_stored_size(stored, *plan.size)
    if image is None:
        image = source.level(index)
        if box != (0, 0, image.width, image.height):
            image = image.crop(*box)
    image = normalise(image, keep_alpha=False)
    image = resize(image, *plan.size)
    encoded: bytes = image.jpegsave_buffer(Q=JPEG_QUALITY, keep=_KEEP_NONE)
    return encoded


def stored_tile_box(plan: Plan, levels: Sequence[tuple[int, int]]) -> tuple[int, Box] | None:
    """The level and box of the one stored tile that would be exactly what the plan asks
    for, or None. Pure arithmetic: a server decides with it, before any file is read,
    whether a request needs a render at all."""
    if not plain(plan):
        return None
    _check_size(plan, levels)
    index = choose_level(plan, *levels[0], levels)
    box = level_box(plan, levels[index])
    return (index, box) if box[2:] == plan.size else None


def _check_size(plan: Plan, levels: Sequence[tuple[int, int]]) -> None:
    if tuple(levels[0]) != plan.image_size:
        width, height = levels[0]
        raise ValueError(f"plan was resolved for {plan.image_size}, source is {width}x{height}")


def _from_stored_size(stored: StoredParts, width: int, height: int) -> pyvips.Image | None:
    """The smallest pre-rendered size with enough pixels for width x height, or None.

    Only sizes from ``THUMBNAIL_SOURCE_MIN_AREA`` to ``PRERENDER_MAX_AREA`` pixels are
    used, the listed ones and those stored halfway between them (``halfway_sizes``: a
    thumbnail then decodes at most about twice its pixels; measured with bench_iiif.py on
    a scan, a cold thumbnail took 11-14% less server CPU, and 19% less rendered alone).
    A level's last tiles are padded to the full tile size, so a size decodes some quarter
    fewer pixels than the level it equals.
    (Not shrunk while decoded: libjpeg's halving stretches the image by up to half a pixel
    when a side is odd.)
    """
    sizes = stored.sizes()
    fits = sorted(
        (w * h, w, h)
        for w, h in _thumbnail_sources([*sizes, *halfway_sizes(sizes)])
        if w * LEVEL_SLACK >= width and h * LEVEL_SLACK >= height
    )
    for _, w, h in fits:
        data = stored.size(w, h)
        if data is not None:  # else not stored (an older store, or not worth it at ingest)
            return pyvips.Image.jpegload_buffer(data)
    return None


def _thumbnail_sources(sizes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(w, h) for w, h in sizes if THUMBNAIL_SOURCE_MIN_AREA <= w * h <= PRERENDER_MAX_AREA]


def resize(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    """Exactly width x height (an image without alpha)."""
    if (image.width, image.height) == (width, height):
        return image
    image = image.resize(width / image.width, vscale=height / image.height, kernel=RESIZE_KERNEL)
    if image.format != "uchar":
        image = image.cast("uchar")
    if (image.width, image.height) != (width, height):
        # float rounding left libvips a pixel off: trim, or repeat the edge pixel
        image = image.crop(0, 0, min(width, image.width), min(height, image.height))
        image = image.embed(0, 0, width, height, extend="copy")
    return image


def render_size(source: PyramidSource, width: int, height: int) -> bytes:
    """``full/{width},{height}/0/default.jpg``, as the service renders it."""
    try:
        plan = parse("-", "full", f"{width},{height}", "0", "default.jpg").resolve(
            source.width, source.height, Limits()
        )
    except ImageRequestError as error:
        raise ValueError(f"cannot pre-render {width}x{height}: {error.message}") from None
    return render_page(plan, source)


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


async def sweep_orphan_images(settings: Settings, store: Store) -> None:
    """The sweep ``opis ingest`` runs at its end and ``opis serve`` at start: it logs what
    it removed, and a failure (the database gone, a folder it may not delete) is logged,
    never raised, since nothing else depends on it.
    """

    try:
        result = await ImageStore(settings).sweep_orphans(store.stored_images)
    except Exception as exc:
        log.warning("sweeping orphan page images failed: %s", exc)
        return
    if result.removed:
        log.info(
            "removed %d orphan page image folder(s), %d bytes", len(result.removed), result.freed
        )


def _subfolders(path: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            found = [e for e in entries if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    yield from found


def _remove_if_old(folder: Path, cutoff: float) -> int | None:
    """Delete an orphan folder unless it turns out to be in use; the bytes freed, or None.

    It is renamed away first and its age checked again: an ingest that reuses an image
    touches its folder before reading it, so a folder touched meanwhile is put back.
    """
    try:
        if folder.stat().st_mtime > cutoff:
            return None
        if folder.name.startswith("."):
            doomed = folder
        else:
            doomed = folder.with_name(f".{folder.name}.swept-{os.getpid()}")
            os.rename(folder, doomed)
            if doomed.stat().st_mtime > cutoff:
                try:
                    os.rename(doomed, folder)
                    return None
                except OSError:
                    pass  # built again meanwhile: that copy stays, this one goes
    except FileNotFoundError:
        return None  # gone already (another sweep, or its build was cut short)
    except OSError as exc:
        log.warning("cannot remove orphan page image folder %s: %s", folder, exc)
        return None
    try:
        freed = sum(
            f.stat().st_size for f in doomed.rglob("*") if f.is_file() and not f.is_symlink()
        )
    except OSError:
        freed = 0
    shutil.rmtree(doomed, ignore_errors=True)
    return freed


def _touch_all(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(FileNotFoundError):  # swept: rebuilt when next needed
            os.utime(folder)


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
