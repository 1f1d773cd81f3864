"""The record API: ``GET``, ``PUT`` and ``DELETE /api/records/<key>``, and its OpenAPI.

Reads are public; writes need a bearer token that may write (``auth.tokens``). Every
refusal that needs no body (401, 403, 413 by ``Content-Length``, 415) is made before
a byte of the body is read, and for ``Expect: 100-continue`` instead of the 100, so a
client never uploads what would be refused. ``PUT`` answers 201 when it added the
record, 200 when it updated it or found it unchanged; ``DELETE`` leaves a tombstone
that OAI harvesters see. Every change is stamped before the answer, so it is visible to
harvesters at once.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.http import HttpVersion11

from repository.api import openapi
from repository.api.auth import Token, Tokens
from repository.api.body import precheck, read_upload
from repository.api.errors import ApiError, error_response, json_errors
from repository.api.record_json import MAX_KEY, PREFIX, key_from_path, record_body
from repository.api.write import RecordWriter
from repository.http import security
from repository.http.conditional import etag_for, not_modified
from repository.keys import IMAGES, RENDERER, SETTINGS, STORE, TOKEN_NAME
from repository.store import NotFound, Store, StoredRecord
from repository.store.writes import ADDED, DELETED

TOKENS = web.AppKey("api_tokens", Tokens)
WRITER = web.AppKey("api_writer", RecordWriter)
OPENAPI = web.AppKey("api_openapi", bytes)
READS = ("GET", "HEAD")
WRITES = ("PUT", "DELETE")
ALLOW = "GET, HEAD, PUT, DELETE, OPTIONS"
REALM = 'Bearer realm="opis"'


def authorise(request: web.Request) -> Token:
    """The token of a write request; 401 without a valid one, 403 if it may only read."""
    header = request.headers.get("Authorization")
    token = request.app[TOKENS].check(header)
    if token is None:
        if header:
            raise ApiError(
                401,
                "the bearer token is not valid",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        raise ApiError(
            401,
            "writing needs a bearer token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": REALM},
        )
    request[TOKEN_NAME] = token.name
    if not token.can_write:
        raise ApiError(
            403,
            f"the token {token.name!r} may only read",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
        )
    return token


def _key(request: web.Request) -> str:
    key = key_from_path(request.rel_url.raw_path)
    if key is None:
        if request.method == "PUT":  # nothing can be stored there: the request is wrong
            raise ApiError(
                422, f"no record can have this key: a key is at most {MAX_KEY} characters"
            )
        raise ApiError(404, "no such record")
    return key


async def expect(request: web.Request) -> web.StreamResponse | None:
    """``Expect: 100-continue``: refuse now what would be refused, else let the body come.
    A refusal passes no middleware, so it carries the headers of every response itself."""
    refusal = None
    try:
        if request.method in WRITES:
            authorise(request)
        if request.method == "PUT":
            precheck(request, request.app[SETTINGS].auth.max_body_bytes)
    except ApiError as exc:
        refusal = exc.response()
    else:
        if request.version != HttpVersion11:
            return None
        if request.headers.get("Expect", "").lower() != "100-continue":
            refusal = error_response(417, "only Expect: 100-continue is understood")
    if refusal is not None:
        security.mark(refusal.headers)
        return refusal
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0
    return None


@json_errors
async def records(request: web.Request) -> web.StreamResponse:
    if request.method in READS:
        return await get_record(request)
    if request.method == "PUT":
        return await put_record(request)
    if request.method == "DELETE":
        return await delete_record(request)
    if request.method == "OPTIONS":
        return web.Response(status=204, headers={"Allow": ALLOW})
    raise ApiError(405, f"{request.method} is not allowed here", headers={"Allow": ALLOW})


async def get_record(request: web.Request) -> web.StreamResponse:
    key = _key(request)
    try:
        stored = await request.app[STORE].get(key)
    except NotFound:
        raise ApiError(404, f"no record has the key {key}") from None
    if stored.deleted:
        body = record_body(stored, DELETED)
        raise ApiError(410, f"the record {key} was deleted", extra=body)
    return _cacheable(request, record_body(stored, "live"))


async def put_record(request: web.Request) -> web.Response:
    authorise(request)
    key = _key(request)
    settings = request.app[SETTINGS]
    upload = await read_upload(request, settings.auth.max_body_bytes)
    written = await request.app[WRITER].put(key, upload)
    stored = await _stamped(request.app[STORE], key)
    body = record_body(stored, written.outcome.status, written.warnings)
    if written.outcome.status == ADDED:
        location = settings.base_url + PREFIX + key
        return web.json_response(body, status=201, headers={"Location": location, **_NO_STORE})
    return web.json_response(body, headers=_NO_STORE)


async def delete_record(request: web.Request) -> web.Response:
    authorise(request)
    key = _key(request)
    store = request.app[STORE]
    outcome = await store.delete(key)
    if outcome is None:
        raise ApiError(404, f"no record has the key {key}")
    stored = await _stamped(store, key)
    return web.json_response(record_body(stored, outcome.status), headers=_NO_STORE)


async def _stamped(store: Store, key: str) -> StoredRecord:
    """Stamp the change (so OAI shows it now), then read what is stored."""
    await store.stamp()
    return await store.get(key)


_NO_STORE = {"Cache-Control": "no-store"}


def _cacheable(request: web.Request, body: dict[str, Any]) -> web.Response:
    return _json(request, json.dumps(body, ensure_ascii=False).encode(), "no-cache")


async def openapi_document(request: web.Request) -> web.Response:
    return _json(request, request.app[OPENAPI], "public, max-age=300")


def _json(request: web.Request, data: bytes, cache: str) -> web.Response:
    """JSON with a strong ETag; 304 when the client already has these bytes."""
    headers = {"ETag": etag_for(data), "Cache-Control": cache}
    unchanged = not_modified(request, headers)
    if unchanged is not None:
        return unchanged
    return web.Response(body=data, content_type="application/json", headers=headers)


@json_errors
async def unknown(request: web.Request) -> web.Response:
    """Anything else under /api answers in the API's JSON, not the router's text."""
    raise ApiError(404, "no such API resource; see /api/openapi.json")


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[TOKENS] = Tokens(settings.auth.tokens)
    app[WRITER] = RecordWriter(app[STORE], app[RENDERER], app[IMAGES], settings)
    app[OPENAPI] = json.dumps(openapi.document(settings), ensure_ascii=False).encode()
    app.router.add_get("/api/openapi.json", openapi_document)
    app.router.add_route("*", PREFIX + r"{key:[\s\S]+}", records, expect_handler=expect)
    app.router.add_route("*", r"/api/{rest:[\s\S]*}", unknown)
