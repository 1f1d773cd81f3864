"""The middlewares around every request, outermost first.

CORS for everything under /iiif (so even a 503 or a 500 carries it), metrics, overload
shedding (503 with Retry-After instead of time-outs), errors (no stack trace ever
reaches a client; a store that cannot be reached is a 503).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from repository.keys import METRICS, SETTINGS
from repository.store import StoreUnavailable

log = logging.getLogger("opis")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNLIMITED = ("/healthz", "/metrics")


def route_name(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


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
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except (StoreUnavailable, ConnectionError, TimeoutError) as exc:
        log.warning("store unavailable: %s", str(exc).splitlines()[0][:300] if str(exc) else exc)
        return unavailable(request)
    except Exception:
        log.exception("error answering %s %s", request.method, request.path_qs)
        return web.Response(status=500, text="Internal error; it has been logged.\n")


def unavailable(request: web.Request) -> web.Response:
    retry = request.app[SETTINGS].server.retry_after
    return web.Response(
        status=503,
        text="The database is not reachable right now; retry shortly.\n",
        headers={"Retry-After": str(retry)},
    )


MIDDLEWARES = [iiif_cors, observe, shed_load, errors]
