"""Operations endpoints: ``/healthz`` for load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from aiohttp import web

from repository.keys import METRICS, STORE
from repository.ops.access_log import LINES
from repository.store import StoreUnavailable


async def healthz(request: web.Request) -> web.Response:
    """200 when the store answers, 503 when it does not (so a proxy takes this worker out)."""
    try:
        await request.app[STORE].ping()
    except StoreUnavailable as exc:
        return web.json_response({"status": "unavailable", "error": str(exc)[:200]}, status=503)
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def metrics(request: web.Request) -> web.Response:
    store = request.app[STORE]
    counts = await store.counts()
    memo = store.memo
    gauges = {
        "opis_records": ("Live records.", counts["live"]),
        "opis_records_deleted": ("Deleted records (tombstones).", counts["deleted"]),
        "opis_images": ("Stored page images.", counts["images"]),
        "opis_memo_hits_total": ("GetRecord answers given from memory.", memo.hits),
        "opis_memo_misses_total": ("GetRecord answers read from the store.", memo.misses),
        "opis_memo_bytes": ("Bytes of answers held in memory, as counted.", memo.bytes),
    }
    body = request.app[METRICS].exposition(gauges)
    return web.Response(
        text=body, content_type="text/plain", charset="utf-8", headers={"Cache-Control": "no-store"}
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.on_cleanup.append(_flush_access_log)


async def _flush_access_log(app: web.Application) -> None:
    LINES.flush()
