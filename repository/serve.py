"""``opis serve``: run the application on a port, and stop cleanly on SIGTERM.

aiohttp's runner turns SIGTERM/SIGINT into a graceful exit: the listening socket
closes, requests in flight get ``server.shutdown_timeout`` seconds, then the store
closes.

With ``server.workers`` > 1 the parent starts that many worker processes, each with its
own listening socket on the same port (SO_REUSEPORT: the kernel spreads connections),
restarts a worker that dies, and passes SIGTERM on. Workers share nothing but the
database: tokens are signed with a secret kept there, ETags are hashes of the bytes.
Only worker 0 runs the start-up re-rendering, so it is not done twice.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from multiprocessing.context import SpawnContext, SpawnProcess

from aiohttp import web

from repository.app import HANDLER_ARGS, create_app
from repository.keys import RENDERER
from repository.ops.access_log import JsonAccessLogger, configure_logging
from repository.settings import Settings

log = logging.getLogger("opis")


def run(settings: Settings) -> None:
    if settings.server.workers <= 1:
        _serve(settings, 0)
        return
    configure_logging(settings.server.access_log)
    context = multiprocessing.get_context("spawn")
    workers = {n: _start(context, settings, n) for n in range(settings.server.workers)}
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in workers.values():
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("Opis serving with %d workers on port %d", len(workers), settings.server.port)
    while not stopping:
        time.sleep(0.5)
        for n, process in list(workers.items()):
            if not process.is_alive() and not stopping:
                log.warning("worker %d exited with %s; starting it again", n, process.exitcode)
                workers[n] = _start(context, settings, n)
    for process in workers.values():
        process.join(settings.server.shutdown_timeout + 5)


def _start(context: SpawnContext, settings: Settings, index: int) -> SpawnProcess:
    process = context.Process(target=_serve, args=(settings, index), name=f"opis-worker-{index}")
    process.start()
    return process


def _serve(settings: Settings, index: int) -> None:
    configure_logging(settings.server.access_log)
    app = create_app(settings, worker=index)
    log.info(
        "Opis serving %s on http://%s:%s (public URL %s, render version %s, worker %d)",
        settings.database.url,
        settings.server.host,
        settings.server.port,
        settings.base_url,
        app[RENDERER].version,
        index,
    )
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        shutdown_timeout=settings.server.shutdown_timeout,
        access_log_class=JsonAccessLogger,
        print=None,
        reuse_port=settings.server.workers > 1,
        **HANDLER_ARGS,
    )
