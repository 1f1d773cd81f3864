"""Conditional GET (RFC 9110 §13): strong entity tags, If-None-Match, If-Modified-Since.

Every cacheable response carries a strong ETag made from its bytes (``etag_for``). A
client sends back the tags it holds in ``If-None-Match``; when one of them names a
current representation, the answer is 304 with the validators and no body. The
comparison is the weak one GET and HEAD use (§13.1.2): ``W/`` is ignored, the header
may list several tags, and ``*`` matches whatever representation there is.
``If-Modified-Since`` is looked at only when there is no ``If-None-Match`` (§13.1.3),
and a date that cannot be read is ignored, never refused.

Handlers build their headers once and ask ``not_modified`` first (test for None: an
aiohttp response is a mapping, and an empty one is false)::

    headers = {"ETag": etag_for(body), "Cache-Control": "no-cache"}
    unchanged = not_modified(request, headers)
    if unchanged is not None:
        return unchanged
    return web.Response(body=body, headers=headers)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping

from aiohttp import web

from repository.http.dates import parse_http_date

SAFE_METHODS = ("GET", "HEAD")  # the only ones a matching If-None-Match turns into a 304
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


def etag_for(body: bytes) -> str:
    """The strong entity tag of ``body``: the first 32 hex digits of its SHA-256, quoted."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def names_current(header: str, etags: Collection[str]) -> bool:
    """Whether an ``If-None-Match`` value names one of ``etags`` (weak comparison).

    ``etags`` are the quoted tags of the representations the server has now. The header
    is ``*`` or a comma-separated list of tags, each maybe ``W/``-prefixed; a tag must
    equal one of ours exactly, never merely contain it or be contained in it.
    """
    if header.strip() == "*":
        return bool(etags)
    ours = {tag.removeprefix("W/") for tag in etags}
    return any(tag in ours for tag in _ENTITY_TAG.findall(header))


def unmodified_since(header: str, last_modified: float) -> bool:
    """Whether something last changed at ``last_modified`` (seconds since the epoch) is
    unchanged since the ``If-Modified-Since`` date; False when that date cannot be read."""
    when = parse_http_date(header)
    if when is None:
        return False
    return int(last_modified) <= when.timestamp()  # HTTP-dates have whole seconds


def client_is_current(
    headers: Mapping[str, str], etags: Collection[str], last_modified: float | None = None
) -> bool:
    """Whether the request's validators say the client already holds what it would get:
    ``If-None-Match`` when present, otherwise ``If-Modified-Since`` (RFC 9110 §13.2.2)."""
    match = headers.get("If-None-Match")
    if match is not None:
        return names_current(match, etags)
    since = headers.get("If-Modified-Since")
    if since is not None and last_modified is not None:
        return unmodified_since(since, last_modified)
    return False


def not_modified(
    request: web.BaseRequest,
    headers: Mapping[str, str],
    *,
    etags: Collection[str] | None = None,
    last_modified: float | None = None,
) -> web.Response | None:
    """A 304 carrying ``headers`` when the client's copy is current; None: send the 200.

    ``headers`` are those the 200 would have (validators, Cache-Control, Vary...);
    ``etags`` are every tag that is current, by default only ``headers["ETag"]`` (list
    the other encodings' tags too when each has its own), and ``last_modified`` the
    time ``If-Modified-Since`` is compared with.
    """
    if request.method not in SAFE_METHODS:
        return None
    if etags is None:
        etags = (headers["ETag"],) if "ETag" in headers else ()
    if client_is_current(request.headers, etags, last_modified):
        return web.Response(status=304, headers=headers)
    return None
