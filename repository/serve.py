"""``opis serve``: run the application on a port, and stop cleanly on SIGTERM.

aiohttp's runner turns SIGTERM/SIGINT into a graceful exit: the listening socket
closes, requests in flight get ``server.shutdown_timeout`` seconds, then the store
closes.
"""

from __future__ import annotations

import logging

from aiohttp import web

from repository.settings import Settings
from repository.web_app import RENDERER, JsonAccessLogger, configure_logging, create_app

log = logging.getLogger("opis")


def run(settings: Settings) -> None:
    configure_logging(settings.server.access_log)
    app = create_app(settings)
    log.info(
        "Opis serving %s on http://%s:%s (public URL %s, render version %s)",
        settings.database.url,
        settings.server.host,
        settings.server.port,
        settings.base_url,
        app[RENDERER].version,
    )
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        shutdown_timeout=settings.server.shutdown_timeout,
        access_log_class=JsonAccessLogger,
        print=None,
        reuse_port=settings.server.workers > 1,
    )
