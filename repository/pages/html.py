"""HTML for people: the Jinja2 environment, the names pages show, and cacheable responses.

Templates autoescape everything; the few helpers below turn codes into the words a
reader expects (``ru`` → Russian, ``GAPPOD/f.1`` → Fond 1, ``translator`` →
Translated by). Every page goes out with a strong ETag (a hash of its bytes), and a
request whose ``If-None-Match`` names it gets a 304 without the body
(``repository/http/conditional.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from manifests.presentation import urls
from metadata.identity import UNCITED
from metadata.references import parse_key
from metadata.sets import container_info
from repository.http.conditional import etag_for, not_modified
from repository.pages import i18n, security
from repository.pages.i18n import N_, archive_name, display_date, gettext, language_name, number
from repository.settings import Settings, SettingsError

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_CACHE = "public, max-age=60"
ROLES = {
    "obtainer": N_("Obtained by"),
    "translator": N_("Translated by"),
    "editor": N_("Edited by"),
    "transcriber": N_("Transcribed by"),
    "contributor": N_("Contributed by"),
    "donor": N_("Donated by"),
    "provider": N_("Provided by"),
    "annotator": N_("Annotated by"),
    "compiler": N_("Compiled by"),
}
KINDS = {"transcription": N_("Transcription"), "translation": N_("Translation")}
UNCITED_DESCRIPTION = N_(
    "Documents whose source gives no archival reference; keyed by their source record."
)
# The language names shown in the language switcher, each in its own language.
AUTONYMS = {"en": "English", "ru": "Русский", "az": "Azərbaycanca"}


class Pages:
    """Renders the page templates with what every page needs (names, base URL, Mirador)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.languages = i18n.LANGUAGES
        self.default_language = i18n.supported(settings.web.default_language)
        if self.default_language is None:
            raise SettingsError(
                f"web.default_language: {settings.web.default_language!r} has no catalogue; "
                f"choose one of {', '.join(self.languages)}"
            )
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
            extensions=["jinja2.ext.i18n"],
        )
        self.env.policies["ext.i18n.trimmed"] = True
        # gettext follows the language of the request being answered (i18n.current()).
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        self.env.globals.update(
            languages=self.languages,
            autonyms=AUTONYMS,
            site=settings.repository,
            base=settings.base_url,
            top_collection=urls.collection(settings.base_url),
            mirador_url=settings.web.mirador_url,
            record_path=record_path,
            page_text_path=page_text_path,
            search_path=search_path,
            container_label=container_label,
            container_name=container_name,
            container_description=container_description,
            date_text=display_date,
        )
        self.env.filters.update(
            language=language_name,
            role=role_name,
            kind=lambda kind: gettext(KINDS[kind]) if kind in KINDS else kind.capitalize(),
            number=number,
            about=about,
            decade=decade,
            archive=lambda code: archive_name(code) or "",
            paragraphs=paragraphs,
        )

    def html(
        self, template: str, *, request: web.Request | None = None, **context: object
    ) -> bytes:
        """The page ``template`` makes of ``context``, in the language of the request being
        answered, as the UTF-8 bytes to send."""
        language = i18n.current()
        extra: dict[str, object] = {
            "lang": language,
            "alternates": alternates(request) if request is not None else [],
        }
        return self.env.get_template(template).render(**extra, **context).encode("utf-8")


PAGES = web.AppKey("pages", Pages)


def record_path(key: str) -> str:
    """The path of a record or container page (its URL without the base); keys are URL-safe."""
    return urls.record_page("", key)


def page_text_path(key: str, page: int, query: str = "") -> str:
    """A record page opened on one page of its text (and its viewer on that page), with
    the words a search looked for: ``/records/<key>?page=3&q=...#page-text``."""
    params = [("page", str(page))] + ([("q", query)] if query else [])
    return f"{record_path(key)}?{urlencode(params, quote_via=quote)}#page-text"


def search_path(query: str = "", page: int = 1, **filters: str | None) -> str:
    """``/search?q=...&archive=...&page=2``: filters in the order given, empty ones left out."""
    params = [("q", query)] if query else []
    params += [(name, value) for name, value in filters.items() if value]
    if page > 1:
        params.append(("page", str(page)))
    return "/search" + ("?" + urlencode(params, quote_via=quote) if params else "")


def alternates(request: web.Request) -> list[tuple[str, str]]:
    """This page in each interface language: ``(code, URL with ?lang=code)``."""
    base = request.app[PAGES].settings.base_url
    out = []
    for code in request.app[PAGES].languages:
        query = [(k, v) for k, v in request.query.items() if k != "lang"] + [("lang", code)]
        out.append((code, f"{base}{request.path}?{urlencode(query, quote_via=quote)}"))
    return out


def role_name(role: str | None) -> str:
    if role in ROLES:
        return gettext(ROLES[role])
    return (role or "").capitalize() or gettext(ROLES["contributor"])


def decade(value: object) -> str:
    """``1940`` → ``1940s`` (``1940-е``)."""
    try:
        end = int(str(value)) + 9
    except ValueError:
        return str(value)
    return gettext("%(decade)ss") % {"decade": value, "end": end}


def container_label(prefix: str) -> str:
    """The last level of a container as a reader says it: ``Fond 1``, ``GAPPOD``."""
    if prefix == UNCITED:
        return gettext("Without citation")
    try:
        ref = parse_key(prefix)
    except ValueError:
        return prefix.rsplit("/", 1)[-1]
    if not ref.levels:
        return ref.archive or prefix
    name, value = ref.levels[-1]
    return f"{i18n.level_name(name)} {value}"


def container_name(prefix: str) -> str:
    """The whole container: ``GAPPOD, Fond 1, Opis 89``."""
    if prefix == UNCITED:
        return gettext("Documents without an archival citation")
    if i18n.current() == i18n.SOURCE:
        return container_info(prefix).name
    try:
        ref = parse_key(prefix)
    except ValueError:
        return container_info(prefix).name
    code = ref.archive or prefix
    if not ref.levels:
        full = archive_name(code)
        return f"{code}: {full}" if full else code
    return ", ".join([code] + [f"{i18n.level_name(n)} {v}" for n, v in ref.levels])


def container_description(prefix: str) -> str:
    """A line about the container under its name, in the reader's language."""
    info = container_info(prefix)
    if prefix == UNCITED:
        return gettext(UNCITED_DESCRIPTION)
    if i18n.current() == i18n.SOURCE:
        return info.description
    try:
        ref = parse_key(prefix)
    except ValueError:
        return info.description
    code = ref.archive or prefix
    full = archive_name(code)
    if not ref.levels:
        return gettext("Archive: %(name)s.") % {"name": full or code}
    path = ", ".join(f"{i18n.level_name(n)} {v}" for n, v in ref.levels)
    where = f"{full} ({code})" if full else code
    return gettext("%(path)s of the %(archive)s.") % {"path": path, "archive": where}


def about(n: int) -> str:
    """An estimate as a person would say it: two significant figures (``about 99,000``)."""
    if n < 100:
        return str(n)
    digits = len(str(n)) - 2
    return number(round(n, -digits))


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
