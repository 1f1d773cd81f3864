"""The typed keys under which the application keeps what every feature shares.

This module imports nothing at run time (the types are named for the checker only), so
any feature can import it and the application module, which imports every feature, is
never imported back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

if TYPE_CHECKING:
    from repository.ops.metrics import Metrics
    from repository.records.page_images import ImageStore
    from repository.records.renditions import Renderer
    from repository.settings import Settings
    from repository.store import Store

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
STORE: web.AppKey[Store] = web.AppKey("store")
RENDERER: web.AppKey[Renderer] = web.AppKey("renderer")
IMAGES: web.AppKey[ImageStore] = web.AppKey("images")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
# The name of the write token a request used, for the access log.
TOKEN_NAME: web.RequestKey[str] = web.RequestKey("token_name")

# Middlewares that some paths need, each beside the test of the paths it is for: the
# guard (ops/middleware.py) runs them inside itself, so the other paths pay for none.
PathMiddlewares = list[tuple[Callable[[str], bool], Middleware]]
PATH_MIDDLEWARES: web.AppKey[PathMiddlewares] = web.AppKey("path_middlewares")
