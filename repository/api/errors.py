"""Errors of the write API, always as JSON ``{"error": ..., "details": [...]}``.

Every failure a client can cause is raised as ``ApiError`` with its status and a reason
the client can act on. Anything else is logged here with its traceback and answered
as a bare 500, so no stack trace, path or SQL ever reaches a client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from repository.keys import SETTINGS
from repository.store import StoreUnavailable

log = logging.getLogger("opis")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A request the API refuses: status, message, details and extra fields for the body."""

    def __init__(
        self,
        status: int,
        message: str,
        details: Iterable[str] = (),
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details)
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> web.Response:
        return error_response(
            self.status, self.message, self.details, headers=self.headers, extra=self.extra
        )


def error_response(
    status: int,
    message: str,
    details: Iterable[str] = (),
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    body = {**(extra or {}), "error": message, "details": list(details)}
    response = web.json_response(
        body, status=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )
    if status == 413:  # the rest of the body is not wanted: do not reuse the connection
        response.force_close()
    return response


def json_errors(handler: Handler) -> Handler:
    """Wrap a handler so every way it can fail is a JSON answer."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except StoreUnavailable as exc:
            log.warning("store unavailable: %s", exc)
            retry = str(request.app[SETTINGS].server.retry_after)
            return error_response(
                503,
                "the database is not reachable right now; retry shortly",
                headers={"Retry-After": retry},
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(exc.status, exc.reason.lower())
        except ConnectionResetError:
            raise
        except Exception:
            log.exception("error answering %s %s", request.method, request.path_qs)
            return error_response(500, "internal error; it has been logged")

    return wrapped
