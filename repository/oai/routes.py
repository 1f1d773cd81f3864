"""``GET|POST|HEAD /oai``: the OAI-PMH endpoint.

Errors are OAI documents sent with HTTP 200 (harvesters break on anything else);
compression is gzip when the client accepts it, as Identify advertises.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from aiohttp import web
from isal import igzip

from repository.http.negotiation import accepts_gzip
from repository.keys import SETTINGS, STORE
from repository.oai import arguments, dates, ead, xml
from repository.oai.errors import OAIError, OAIErrors
from repository.oai.verbs import HANDLERS, DataProvider
from repository.settings import Settings
from repository.store import Store, bases
from repository.store.clock import now_us

HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "Cache-Control": "no-cache",
    "Vary": "Accept-Encoding",
}
GZIPPED = {**HEADERS, "Content-Encoding": "gzip"}
MAX_FORM_BYTES = 1_000_000
# An escaped byte beyond ASCII: only such a query can hold bytes that are not UTF-8.
BEYOND_ASCII = re.compile("%[89a-fA-F]")
# Verbs whose answer depends on nothing but their arguments and the stored records.
MEMOISED = frozenset({"GetRecord"})


def query_pairs(request: web.Request) -> list[tuple[str, str]]:
    """The (name, value) pairs of the query, in order: all a GET or HEAD has."""
    raw = request.rel_url.raw_query_string
    if raw.isascii() and not BEYOND_ASCII.search(raw):
        return list(request.rel_url.query.items())  # parsed once by yarl, unquoted in C
    # yarl would replace bytes that are not UTF-8 with U+FFFD: read strictly, so that
    # bad bytes are a badArgument, not a guess
    return _strict(raw)


async def pairs_of(request: web.Request) -> list[tuple[str, str]]:
    """The (name, value) pairs of the query and, for a POST, of its form, in order."""
    pairs = query_pairs(request)
    if request.method == "POST":
        if request.content_type not in ("application/x-www-form-urlencoded", ""):
            raise OAIErrors(
                [OAIError("badArgument", "POST requests must be application/x-www-form-urlencoded")]
            )
        if request.content_length and request.content_length > MAX_FORM_BYTES:
            raise OAIErrors([OAIError("badArgument", "the request body is too large")])
        pairs += _strict((await request.read()).decode("utf-8", errors="strict"))
    return pairs


def _strict(form: str) -> list[tuple[str, str]]:
    return parse_qsl(form, keep_blank_values=True, encoding="utf-8", errors="strict")


class Endpoint:
    """The OAI-PMH endpoint of one application, with what every request reads from the
    settings worked out once (a GetRecord is short enough for that to show)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.base = settings.base_url
        self.base_url = f"{self.base}/oai"
        self.stylesheet = f"{self.base}/static/oai.xsl" if settings.oai.stylesheet else None

    async def answer(self, request: web.Request) -> web.StreamResponse:
        memo = self.store.memo
        # A GET or HEAD carries every argument in its query string: the same query string
        # gets the same answer until the store changes (the memo is emptied then).
        key = None if request.method == "POST" else ("oai", request.rel_url.raw_query_string)
        answer: bytes | None = memo.get(key) if key else None
        response_date = None
        if answer is None:
            generation = memo.generation
            answer, verb, response_date = await self._answer(request)
            if key and verb in MEMOISED:
                memo.put(key, answer, generation)
        opening = xml.opening(response_date or dates.format_us(now_us()), self.stylesheet)
        payload = opening + answer + xml.TAIL
        headers = HEADERS
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            # ISA-L's level 1, not zlib's: a 400 KB page of MARC in 0.15 ms against 0.94 ms,
            # and a little smaller. Under load (bench_load.py) zlib took a third of the
            # server's time; a harvest's throughput is bound by this per page.
            payload = igzip.compress(payload, compresslevel=1, mtime=0)
            headers = GZIPPED
        return web.Response(body=payload, headers=headers)

    async def _answer(self, request: web.Request) -> tuple[bytes, str | None, str]:
        """The ``<request>`` element and the verb's answer or errors, the verb when the
        arguments were right, and the response date (a list's is its snapshot's)."""
        settings = self.settings
        store = self.store
        ctx = DataProvider(
            store,
            settings,
            await store.secret(settings.auth.secret),
            self.base_url,
            dates.format_us(now_us()),
            bases.rebase(await store.rendition_base(), self.base),
        )
        echo: dict[str, str] | None = None
        verb = None
        try:
            try:
                post = request.method == "POST"
                pairs = await pairs_of(request) if post else query_pairs(request)
            except UnicodeDecodeError as exc:
                raise OAIErrors([OAIError("badArgument", "arguments must be UTF-8")]) from exc
            checked = arguments.check(pairs)
            verb = checked.verb
            echo = {"verb": verb, **checked.args}
            body = await HANDLERS[verb](ctx, checked)
        except OAIErrors as exc:
            body = xml.errors((e.code, e.message) for e in exc.errors)
            echo = echo if exc.echo_arguments else None
        except OAIError as exc:
            body = xml.errors([(exc.code, exc.message)])
            echo = echo if exc.code not in ("badVerb", "badArgument") else None
        return xml.request(ctx.base_url, echo) + body, verb, ctx.response_date


def setup(app: web.Application) -> None:
    endpoint = Endpoint(app[SETTINGS], app[STORE])
    app.router.add_get("/oai", endpoint.answer)
    app.router.add_post("/oai", endpoint.answer)
    ead.setup(app)  # GET /ead/<archive>/<fond-key>.xml: whole finding aids
