"""What happens around every request, outermost first, and the headers every response gets.

CORS for everything under /iiif (so even a 503 or a 500 carries it), metrics, overload
shedding (503 with Retry-After instead of time-outs), the request-body deadline (a body
that trickles in is cut off with 408, so it cannot hold its place for ever), errors (no
stack trace ever reaches a client; a store that cannot be reached is a 503), the headers
of ``repository/http/security.py``: one middleware, ``guard``. A feature's middleware for
some paths only (``PATH_MIDDLEWARES``) runs inside it, for those paths alone.

Every response passes the guard but the answers to ``Expect: 100-continue``, which
aiohttp gives before any middleware runs (they mark themselves); none is streamed by its
handler, so the headers set here on the way out are sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from repository.http import security
from repository.keys import PathMiddlewares
from repository.ops.metrics import Metrics
from repository.settings import Server
from repository.store import StoreUnavailable

log = logging.getLogger("opis")
UNLIMITED = ("/healthz", "/metrics")


class BodyTimeout(web.HTTPRequestTimeout, TimeoutError):
    """Raised by a read of a request body that missed its deadline.

    An HTTPException, so handlers and the ``errors`` middleware pass it on (the write
    API turns it into its JSON error); a TimeoutError, so aiohttp's lingering read of
    the unread rest of the body after the answer stops quietly instead of logging it.
    """

    def __init__(self) -> None:
        super().__init__(
            text="The request body did not arrive in time (server.body_timeout).\n",
            headers={"Cache-Control": "no-store"},
        )


def route_name(request: web.Request) -> str:
    """The route's pattern; "unmatched" for aiohttp's own 404 and 405 (no resource)."""
    resource = request.match_info.route.resource
    return "unmatched" if resource is None else resource.canonical


def guard(metrics: Metrics, server: Server, around: PathMiddlewares) -> Middleware:
    """Every request's handling around its handler, in one middleware, outermost first:
    CORS under /iiif, metrics, overload shedding, the body deadline, errors, headers.

    One frame rather than five: each middleware is a coroutine and a call per request,
    and together they cost a tenth of a GetRecord. A request without a body awaits its
    handler right here, and a feature's path middleware (``around``) only wraps it for
    its paths. What it reads on every request is bound here, once.
    """

    @web.middleware
    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        started = time.perf_counter()
        status = 500
        try:
            limited = path not in UNLIMITED
            if limited and metrics.in_flight >= server.max_concurrent_requests:
                metrics.rejected += 1
                response: web.StreamResponse = web.Response(
                    status=503,
                    text="Opis is busy; retry after the time given in Retry-After.\n",
                    headers={"Retry-After": str(server.retry_after)},
                )
            else:
                metrics.in_flight += limited  # health and metrics are not counted
                for wanted, middleware in around:
                    if wanted(path):
                        handler = functools.partial(middleware, handler=handler)
                try:
                    if request.body_exists and server.body_timeout > 0:
                        response = await _with_body_deadline(request, handler, server)
                    else:
                        response = await handler(request)
                except (web.HTTPException, asyncio.CancelledError):
                    raise
                except (StoreUnavailable, ConnectionError, TimeoutError) as exc:
                    log.warning("store unavailable: %s", _first_line(exc))
                    response = unavailable(server)
                except Exception:
                    log.exception("error answering %s %s", request.method, request.path_qs)
                    response = web.Response(
                        status=500, text="Internal error; it has been logged.\n"
                    )
                finally:
                    metrics.in_flight -= limited
            status = response.status
            security.mark(response.headers)
            if path.startswith("/iiif/"):
                response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        except web.HTTPException as exc:
            status = exc.status
            security.mark(exc.headers)
            if path.startswith("/iiif/"):
                exc.headers["Access-Control-Allow-Origin"] = "*"
            raise
        finally:
            metrics.observe(
                route_name(request), request.method, status, time.perf_counter() - started
            )

    return guarded


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else repr(exc)


async def _with_body_deadline(
    request: web.Request, handler: Handler, server: Server
) -> web.StreamResponse:
    """Cut off a request body that arrives too slowly: 408, and the connection closed.

    The body gets ``server.body_timeout`` seconds from the moment its headers were read,
    plus a second for every ``server.body_min_rate`` bytes that arrive, so a large
    upload at a fair speed finishes while one that sends a byte now and then does not
    hold its place among ``server.max_concurrent_requests``. A timer checks the deadline
    (no task per request); when it passes, the next read of the body fails with
    ``BodyTimeout``, whoever is reading it. A ``body_timeout`` of 0 sets no deadline.
    """
    payload = request.content
    loop = asyncio.get_running_loop()
    started = loop.time()
    timed_out = False
    timer: asyncio.TimerHandle | None = None

    def check() -> None:
        nonlocal timed_out, timer
        timer = None
        if payload.is_eof() or payload.exception() is not None:
            return
        deadline = started + server.body_timeout
        if server.body_min_rate > 0:
            deadline += payload.total_bytes / server.body_min_rate
        if deadline - loop.time() > 0.01:  # bytes came meanwhile: look again then
            timer = loop.call_at(deadline, check)
            return
        timed_out = True
        payload.set_exception(BodyTimeout())

    timer = loop.call_at(started + server.body_timeout, check)
    try:
        response = await handler(request)
    except BodyTimeout as exc:
        exc.force_close()  # the rest of the body is not wanted
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if timed_out:
        response.force_close()  # the rest of the body is not wanted
    return response


def unavailable(server: Server) -> web.Response:
    return web.Response(
        status=503,
        text="The database is not reachable right now; retry shortly.\n",
        headers={"Retry-After": str(server.retry_after)},
    )
