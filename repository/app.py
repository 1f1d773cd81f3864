"""The aiohttp application: routes, middlewares, start-up and shut-down.

Middlewares, outermost first: CORS for everything under /iiif (so even a 503 or a 500
carries it), metrics, overload shedding (503 with Retry-After instead of timeouts),
errors (no stack trace ever reaches a client; a store that cannot be reached is a 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from repository.ops.metrics import Metrics
from repository.records.page_images import ImageStore
from repository.records.refresh import refresh
from repository.records.renditions import Renderer
from repository.settings import Settings
from repository.store import Store, StoreUnavailable

log = logging.getLogger("opis")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
RENDERER = web.AppKey("renderer", Renderer)
IMAGES = web.AppKey("images", ImageStore)
METRICS = web.AppKey("metrics", Metrics)
# The name of the write token a request used, for the access log.
TOKEN_NAME = web.RequestKey("token_name", str)
UNLIMITED = ("/healthz", "/metrics")
# Long OAI GET requests (tokens, identifiers) are legal; aiohttp's default line limit is 8 KB.
HANDLER_ARGS = {"max_line_size": 65536, "max_field_size": 65536}
STAMP_INTERVAL = 1.0


def route_name(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.observe(route_name(request), request.method, status, time.perf_counter() - started)


@web.middleware
async def shed_load(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    settings = request.app[SETTINGS]
    if request.path in UNLIMITED:
        return await handler(request)
    if metrics.in_flight >= settings.server.max_concurrent_requests:
        metrics.rejected += 1
        return web.Response(
            status=503,
            text="Opis is busy; retry after the time given in Retry-After.\n",
            headers={"Retry-After": str(settings.server.retry_after)},
        )
    metrics.in_flight += 1
    try:
        return await handler(request)
    finally:
        metrics.in_flight -= 1


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except (
        StoreUnavailable,
        OperationalError,
        InterfaceError,
        PoolTimeout,
        ConnectionError,
        TimeoutError,
    ) as exc:
        log.warning("store unavailable: %s", str(exc).splitlines()[0][:300] if str(exc) else exc)
        return _unavailable(request)
    except DBAPIError as exc:
        if exc.connection_invalidated or _connection_problem(exc):
            log.warning("database connection lost: %s", str(exc).splitlines()[0][:300])
            return _unavailable(request)
        log.exception("error answering %s %s", request.method, request.path_qs)
        return web.Response(status=500, text="Internal error; it has been logged.\n")
    except Exception:
        log.exception("error answering %s %s", request.method, request.path_qs)
        return web.Response(status=500, text="Internal error; it has been logged.\n")


def _connection_problem(exc: DBAPIError) -> bool:
    """SQLSTATE class 08 (connection exception) or 57P (the server shutting down or starting)."""
    state = getattr(exc.orig, "sqlstate", None) or ""
    return state.startswith(("08", "57P"))


def _unavailable(request: web.Request) -> web.Response:
    retry = request.app[SETTINGS].server.retry_after
    return web.Response(
        status=503,
        text="The database is not reachable right now; retry shortly.\n",
        headers={"Retry-After": str(retry)},
    )


@web.middleware
async def iiif_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/iiif/"):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["Access-Control-Allow-Origin"] = "*"
        raise
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


class JsonAccessLogger(AbstractAccessLogger):
    """One JSON object per request; the write-API token's name when one was used."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        entry = {
            "ts": round(_now(), 3),
            "remote": request.remote,
            "method": request.method,
            "path": request.path_qs[:2000],
            "status": response.status,
            "bytes": response.body_length,
            "seconds": round(time, 6),
            "agent": request.headers.get("User-Agent", "")[:200],
        }
        token = request.get(TOKEN_NAME)
        if token:
            entry["token"] = token
        self.logger.info(json.dumps(entry, ensure_ascii=False))

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def _now() -> float:
    return time.time()


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
    app = web.Application(
        middlewares=[iiif_cors, observe, shed_load, errors],
        client_max_size=settings.auth.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[STORE] = store or Store(settings.database.url)
    app[RENDERER] = Renderer(settings)
    app[IMAGES] = ImageStore(settings)
    app[METRICS] = Metrics()

    # Imported here: each front-end imports this module's keys.
    from repository.api import routes as web_api
    from repository.iiif import discovery as web_discovery
    from repository.iiif import routes as web_iiif
    from repository.oai import routes as web_oai
    from repository.ops import routes as web_ops
    from repository.pages import routes as web_pages

    web_ops.setup(app)
    app.router.add_static(
        "/static", Path(__file__).parent / "pages" / "static", append_version=False
    )
    for module in (web_oai, web_discovery, web_iiif, web_pages, web_api):
        module.setup(app)

    async def lifecycle(app: web.Application) -> object:
        await app[STORE].open()
        await app[STORE].secret(settings.auth.secret)
        tasks = [asyncio.create_task(_stamper(app))]
        if worker == 0:
            tasks.append(asyncio.create_task(_refresh(app)))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[STORE].close()

    app.cleanup_ctx.append(lifecycle)
    return app


def configure_logging(access_log: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("aiohttp.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO if access_log else logging.WARNING)
    access.propagate = False
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
