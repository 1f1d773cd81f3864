"""The aiohttp application: every feature's routes, the middlewares, start-up and shut-down.

This is the one module that imports the features; they share what they need through
``repository.keys``, so nothing imports this module back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

from aiohttp import web

from repository.api import routes as api
from repository.iiif import discovery
from repository.iiif import routes as iiif
from repository.keys import IMAGES, METRICS, PATH_MIDDLEWARES, RENDERER, SETTINGS, STORE
from repository.oai import routes as oai
from repository.ops import routes as ops
from repository.ops.metrics import Metrics
from repository.ops.middleware import guard
from repository.pages import routes as pages
from repository.records.page_images import ImageStore, sweep_orphan_images
from repository.records.refresh import refresh
from repository.records.renditions import Renderer
from repository.settings import Settings, install_registry
from repository.store import Store

log = logging.getLogger("opis")


class HandlerArgs(TypedDict):
    """Keyword arguments for aiohttp's request handler (``run_app``, ``AppRunner``)."""

    max_line_size: int
    max_field_size: int


# Long OAI GET requests (tokens, identifiers) are legal; aiohttp's default line limit is 8 KB.
HANDLER_ARGS: HandlerArgs = {"max_line_size": 65536, "max_field_size": 65536}
STAMP_INTERVAL = 1.0
STATIC = Path(__file__).parent / "pages" / "static"


async def _stamper(app: web.Application) -> None:
    """Make committed changes visible to OAI (see store/clock.py) about once a second."""
    store = app[STORE]
    while True:
        await asyncio.sleep(STAMP_INTERVAL)
        try:
            await store.tick()
        except Exception as exc:  # the database may be restarting; try again next tick
            log.warning("stamping datestamps failed: %s", exc)


async def _refresh(app: web.Application) -> None:
    try:
        await refresh(app[STORE], app[RENDERER])
    except Exception:
        log.exception("re-rendering records failed; the previous renditions stay in use")


def create_app(
    settings: Settings, store: Store | None = None, *, worker: int = 0
) -> web.Application:
    install_registry(settings)
    app = web.Application(client_max_size=settings.auth.max_body_bytes)
    app[SETTINGS] = settings
    app[STORE] = store or Store(settings.database.url)
    app[RENDERER] = Renderer(settings)
    app[IMAGES] = ImageStore(settings)
    app[METRICS] = Metrics()
    app[PATH_MIDDLEWARES] = []
    app.middlewares.append(guard(app[METRICS], settings.server, app[PATH_MIDDLEWARES]))

    ops.setup(app)
    app.router.add_static("/static", STATIC, append_version=False)
    for feature in (oai, discovery, iiif, pages, api):
        feature.setup(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await app[STORE].open()
        await app[STORE].secret(settings.auth.secret)
        tasks = [asyncio.create_task(_stamper(app))]
        if worker == 0:
            tasks.append(asyncio.create_task(_refresh(app)))
            tasks.append(asyncio.create_task(sweep_orphan_images(settings, app[STORE])))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[STORE].close()

    app.cleanup_ctx.append(lifecycle)
    return app
