"""HTML for people: the Jinja2 environment, the names pages show, and cacheable responses.

Templates autoescape everything; the few helpers below turn codes into the words a
reader expects (``ru`` → Russian, ``GAPPOD/f.1`` → Fond 1, ``translator`` →
Translated by). Every page goes out with a strong ETag (a hash of its bytes), and a
request whose ``If-None-Match`` names it gets a 304 without the body
(``repository/http/conditional.py``).
"""

from __future__ import annotations

import re
from datetime import date as Date
from pathlib import Path
from typing import get_args
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from manifests.presentation import urls
from metadata.identity import UNCITED
from metadata.languages import name as language_name
from metadata.references import archive_name, level_label, parse_key
from metadata.sets import container_info
from repository.http.conditional import etag_for, not_modified
from repository.pages import security
from repository.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_CACHE = "public, max-age=60"
ROLES = {
    "obtainer": "Obtained by",
    "translator": "Translated by",
    "editor": "Edited by",
    "transcriber": "Transcribed by",
    "contributor": "Contributed by",
    "donor": "Donated by",
    "provider": "Provided by",
    "annotator": "Annotated by",
    "compiler": "Compiled by",
}
KINDS = {"transcription": "Transcription", "translation": "Translation"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


class Pages:
    """Renders the page templates with what every page needs (names, base URL, Mirador)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.security = {
            kind: security.headers(kind, settings.web.mirador_url, settings.base_url)
            for kind in get_args(security.Kind)
        }
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )
        self.env.globals.update(
            site=settings.repository,
            base=settings.base_url,
            top_collection=urls.collection(settings.base_url),
            mirador_url=settings.web.mirador_url,
            record_path=record_path,
            search_path=search_path,
            container_label=container_label,
            container_name=container_name,
            date_text=display_date,
        )
        self.env.filters.update(
            language=lambda code: language_name(code) or code,
            role=lambda role: ROLES.get(role or "", (role or "").capitalize() or "Contributor"),
            kind=lambda kind: KINDS.get(kind, kind.capitalize()),
            number=lambda n: f"{n:,}",
            about=about,
            decade=lambda value: f"{value}s",
            archive=lambda code: archive_name(code) or "",
            paragraphs=paragraphs,
        )

    def html(self, template: str, **context: object) -> bytes:
        """The page ``template`` makes of ``context``, as the UTF-8 bytes to send."""
        return self.env.get_template(template).render(**context).encode("utf-8")


PAGES = web.AppKey("pages", Pages)


def record_path(key: str) -> str:
    """The path of a record or container page (its URL without the base); keys are URL-safe."""
    return urls.record_page("", key)


def search_path(query: str = "", page: int = 1, **filters: str | None) -> str:
    """``/search?q=...&archive=...&page=2``: filters in the order given, empty ones left out."""
    params = [("q", query)] if query else []
    params += [(name, value) for name, value in filters.items() if value]
    if page > 1:
        params.append(("page", str(page)))
    return "/search" + ("?" + urlencode(params, quote_via=quote) if params else "")


def container_label(prefix: str) -> str:
    """The last level of a container as a reader says it: ``Fond 1``, ``GAPPOD``."""
    if prefix == UNCITED:
        return "Without citation"
    try:
        ref = parse_key(prefix)
    except ValueError:
        return prefix.rsplit("/", 1)[-1]
    if not ref.levels:
        return ref.archive or prefix
    name, value = ref.levels[-1]
    return f"{level_label(name)} {value}"


def container_name(prefix: str) -> str:
    """The whole container: ``GAPPOD, Fond 1, Opis 89``."""
    if prefix == UNCITED:
        return "Documents without an archival citation"
    return container_info(prefix).name


def about(n: int) -> str:
    """An estimate as a person would say it: two significant figures (``about 99,000``)."""
    if n < 100:
        return str(n)
    digits = len(str(n)) - 2
    return f"{round(n, -digits):,}"


def display_date(value: str | None) -> str:
    """``1946-04-20`` → ``20 April 1946``; partial dates as far as they go."""
    match = _DATE.match(value or "")
    if not match:
        return value or ""
    year, month, day = match.groups()
    try:
        if day:
            return Date(int(year), int(month), int(day)).strftime("%-d %B %Y")
        if month:
            return Date(int(year), int(month), 1).strftime("%B %Y")
    except ValueError:
        return value or ""
    return year


def paragraphs(text: str) -> list[list[str]]:
    """Blank lines part paragraphs; single line breaks stay line breaks."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            out.append(lines)
    return out


def respond(
    request: web.Request,
    body: bytes,
    *,
    status: int = 200,
    cache: str = PAGE_CACHE,
    headers: dict[str, str] | None = None,
    kind: security.Kind = "page",
) -> web.Response:
    """An HTML response with ETag, Cache-Control and the security headers of its ``kind``
    of page (``security.py``); 304 when the client already has these bytes."""
    common = {
        "ETag": etag_for(body),
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        **request.app[PAGES].security[kind],
        **(headers or {}),
    }
    unchanged = not_modified(request, common) if status == 200 else None  # only a 200 becomes a 304
    if unchanged is not None:
        return unchanged
    return web.Response(
        body=body, status=status, content_type="text/html", charset="utf-8", headers=common
    )
