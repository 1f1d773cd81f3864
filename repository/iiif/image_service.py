"""The Image API 3.0 service over stored images: info.json and image requests.

Order of work for an image request, cheapest refusal first: the id must be 64 hex
digits (so nothing else ever reaches the file system), the parameters must parse, the
image must be known, and the resolved output must be within the limits; only then is
any pixel touched. Sizes pre-rendered at ingest are read from disk, and a tile of the
pyramid's own grid is the stored tile (``repository.iiif.pyramids.TileIndex``: not
decoded), both read in a thread; everything else is rendered from the pyramid by
``images.workers`` processes (``repository.iiif.render_processes``). Results are kept in a
byte-bounded LRU, and concurrent requests for the same image share one rendering.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyvips

from manifests.image_api import PROFILE_URI, Limits, Plan, parse
from manifests.presentation import PresentationContext, info_document
from repository.iiif.cache import ByteLRU, Cached
from repository.iiif.pyramids import PyramidFiles, TileIndex
from repository.iiif.render_processes import RenderProcesses
from repository.iiif.responses import entity
from repository.records.iiif_settings import to_bytes
from repository.records.page_images import ImageStore, stored_tile_box, valid_id
from repository.store import Store

_INFO_ROWS = 10_000

# libvips reports every resize and thread pool at INFO: per request, that floods the log.
logging.getLogger("pyvips").setLevel(logging.WARNING)
# libvips keeps its own cache of recent operations (here for ingest; renders run in
# processes that bound theirs too); keep it small and the server's memory bounded.
pyvips.cache_set_max_mem(32 << 20)
pyvips.cache_set_max(50)


@dataclass(frozen=True)
class ImageInfo:
    """What the service needs of an images row; rows never change (content-addressed)."""

    id: str
    width: int
    height: int
    levels: tuple[tuple[int, int], ...]
    sizes: frozenset[tuple[int, int]]


@dataclass(frozen=True)
class Rendered:
    entry: Cached
    media_type: str
    canonical: str  # {params} in canonical form, for the Link header


class ImageService:
    def __init__(
        self,
        store: Store,
        images: ImageStore,
        context: PresentationContext,
        *,
        workers: int,
        cache: ByteLRU,
    ) -> None:
        self.store = store
        self.images = images
        self.context = context
        self.limits: Limits = context.limits
        self.cache = cache
        self.tiles = TileIndex()
        self.renders = RenderProcesses(workers)
        self._rows: OrderedDict[str, ImageInfo] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[Rendered]] = {}

    async def lookup(self, image_id: str) -> ImageInfo | None:
        """The stored image, or None; ids that are not 64 hex digits are never looked up."""
        if not valid_id(image_id):
            return None
        found = self._rows.get(image_id)
        if found is not None:
            self._rows.move_to_end(image_id)
            return found
        row = await self.store.image(image_id)
        if row is None:
            return None
        sizes = json.loads(row["sizes"])
        found = ImageInfo(
            id=image_id,
            width=int(row["width"]),
            height=int(row["height"]),
            levels=tuple((int(w), int(h)) for w, h in json.loads(row["levels"])),
            sizes=frozenset((int(w), int(h)) for w, h in sizes["sizes"]),
        )
        self._rows[image_id] = found
        while len(self._rows) > _INFO_ROWS:
            self._rows.popitem(last=False)
        return found

    def info(self, image: ImageInfo) -> Cached:
        key = ("info", image.id)
        found = self.cache.get(key)
        if found is None:
            doc = info_document(self.context, image.id, image.width, image.height)
            found = entity(to_bytes(doc), compress=True)
            self.cache.put(key, found)
        return found

    def plan(self, image: ImageInfo, region: str, size: str, rotation: str, qf: str) -> Plan:
        """Parse and resolve: every refusal (400, 501, limits) happens here, before pixels."""
        request = parse(image.id, region, size, rotation, qf)
        return request.resolve(image.width, image.height, self.limits)

    async def image(self, image: ImageInfo, plan: Plan) -> Rendered:
        """The encoded image: from the cache, from a rendering already running, or made now.

        The work runs as its own task, so a client that goes away cancels neither it nor
        the other clients waiting for the same image.
        """
        key = (image.id, plan.canonical_params())
        cached = self.cache.get(key)
        if cached is not None:
            return Rendered(cached, plan.media_type, key[1])
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._make(image, plan, key))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    async def _make(self, image: ImageInfo, plan: Plan, key: tuple[str, str]) -> Rendered:
        body = await self._produce(image, plan)
        made = Rendered(entity(body, compress=False), plan.media_type, key[1])
        self.cache.put(key, made.entry)
        return made

    def _finished(self, key: tuple[str, str], task: asyncio.Future[Rendered]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here; every waiter re-raises it itself

    async def _produce(self, image: ImageInfo, plan: Plan) -> bytes:
        stored = self._stored_size(image, plan)
        if stored is not None:
            try:
                return await asyncio.to_thread(stored.read_bytes)
            except FileNotFoundError:
                pass  # an older store without this size: render it
        files = PyramidFiles(self.images.folder(image.id), image.levels, tuple(image.sizes))
        wanted = stored_tile_box(plan, image.levels)
        if wanted is not None:
            tile = await asyncio.to_thread(self.tiles.jpeg, files.pyramid, image.levels, *wanted)
            if tile is not None:
                return tile
        return await self.renders.render(plan, files)

    def close(self) -> None:
        self.renders.close()

    def _stored_size(self, image: ImageInfo, plan: Plan) -> Path | None:
        """The pre-rendered file that is exactly this request, if there is one."""
        width, height = plan.size
        if (width, height) not in image.sizes:
            return None
        if plan.canonical_params() not in (
            f"full/{width},{height}/0/default.jpg",
            "full/max/0/default.jpg",
        ):
            return None
        return self.images.size_path(image.id, width, height)


def profile_link() -> str:
    return f'<{PROFILE_URI}>;rel="profile"'


def canonical_link(service_id: str, canonical: str) -> str:
    return f'<{service_id}/{canonical}>;rel="canonical"'
