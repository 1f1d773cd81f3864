"""HTTP behaviour shared by every IIIF response: content types, validators, gzip, CORS.

Content-Type follows the specs (P3 §6.3, IMG §7.1): JSON-LD with the API's context as
profile, plain ``application/json`` only for a client that asks for nothing else, and
406 for a client that wants only another version's profile (never a v3 body labelled
as v2). Every body has a strong ETag (a hash of its bytes); its gzip encoding is a
different representation, so it gets its own tag, and either tag matches If-None-Match
(``repository/http/conditional.py`` decides when a request gets a 304).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping

from aiohttp import web

from repository.http import negotiation
from repository.http.conditional import etag_for, not_modified
from repository.http.dates import http_date
from repository.iiif.cache import Cached

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
LD_JSON = "application/ld+json"
JSON = "application/json"
METHODS = "GET, HEAD, OPTIONS"
DEFAULT_ALLOW_HEADERS = "Accept, Accept-Encoding, If-None-Match, If-Modified-Since, Range"
EXPOSE = "ETag, Link, Last-Modified, Content-Type, Content-Encoding, Location"
GZIP_MIN = 512


class NotAcceptable(Exception):
    """The client accepts only representations this server does not make."""


def entity(
    body: bytes,
    *,
    compress: bool,
    token: object = None,
    last_modified: float | None = None,
) -> Cached:
    """A body with its strong ETag and, for text worth it, its gzip encoding."""
    gzipped = gzip.compress(body, 6, mtime=0) if compress and len(body) >= GZIP_MIN else None
    return Cached(body, etag_for(body), gzipped, token, last_modified)


def gzip_etag(etag: str) -> str:
    """The tag of the gzip encoding of the body tagged ``etag``."""
    return etag[:-1] + '-gz"'


def json_type(accept: str, context: str) -> str:
    """The Content-Type to answer an ``Accept`` header with, for a document of ``context``."""
    ld = plain_json = other_profile = False
    for media, params, q, _ in negotiation.ranges(accept):
        if q <= 0:
            continue
        if media == LD_JSON:
            profiles = params.get("profile", "").split()
            if not profiles or context in profiles:
                ld = True
            else:
                other_profile = True
        elif media in ("*/*", "application/*"):
            ld = True
        elif media == JSON:
            plain_json = True
    if ld or not accept.strip():
        return f'{LD_JSON};profile="{context}"'
    if plain_json:
        return JSON
    if other_profile:
        raise NotAcceptable(f"only {context} documents are published here")
    return f'{LD_JSON};profile="{context}"'


def accepts_gzip(request: web.Request) -> bool:
    return negotiation.accepts_gzip(request.headers.get("Accept-Encoding", ""))


def respond(
    request: web.Request,
    entry: Cached,
    content_type: str,
    *,
    cache_control: str,
    headers: Mapping[str, str] | None = None,
    vary: str | None = "Accept, Accept-Encoding",
) -> web.Response:
    """200 with the body (gzip when accepted), or 304 when the client's copy is current."""
    use_gzip = entry.gzipped is not None and accepts_gzip(request)
    etag = gzip_etag(entry.etag) if use_gzip else entry.etag
    out = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Access-Control-Expose-Headers": EXPOSE,
        **(headers or {}),
    }
    if vary:
        out["Vary"] = vary
    if entry.last_modified is not None:
        out["Last-Modified"] = http_date(entry.last_modified)
    unchanged = not_modified(
        request,
        out,
        etags=(entry.etag, gzip_etag(entry.etag)),  # either encoding's copy is current
        last_modified=entry.last_modified,
    )
    if unchanged is not None:
        return unchanged
    out["Content-Type"] = content_type
    if use_gzip:
        out["Content-Encoding"] = "gzip"
        return web.Response(body=entry.gzipped, headers=out)
    return web.Response(body=entry.body, headers=out)


def preflight(request: web.Request) -> web.Response:
    """CORS preflight: any origin may GET, HEAD and ask with any headers it needs."""
    asked = request.headers.get("Access-Control-Request-Headers")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": asked or DEFAULT_ALLOW_HEADERS,
            "Access-Control-Max-Age": "86400",
            "Allow": METHODS,
        },
    )


def not_allowed() -> web.Response:
    return web.Response(
        status=405, text="Only GET, HEAD and OPTIONS.\n", headers={"Allow": METHODS}
    )


def json_error(status: int, message: str) -> web.Response:
    """A small JSON body saying what went wrong; never a stack trace."""
    body = json.dumps({"status": status, "error": message}, ensure_ascii=False)
    return web.Response(
        status=status,
        text=body,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def text_error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status, text=message.rstrip() + "\n", headers={"Cache-Control": "no-store"}
    )


def datestamp_seconds(datestamp_us: int | None) -> float | None:
    """A store datestamp (µs since the epoch) as Last-Modified seconds."""
    return datestamp_us / 1_000_000 if datestamp_us else None
