"""Logs: one JSON line per request on standard error, and the service's own messages."""

from __future__ import annotations

import json
import logging
import sys
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from repository.keys import TOKEN_NAME


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
